import DHCPCore

/// A DHCP relay agent (RFC 1542 §4.1, RFC 2131 §4.1, RFC 3046) as a pure function of what arrives ("sans I/O"):
/// no sockets and no state between messages. The I/O layer calls `handle` for every datagram received on port 67
/// and carries out the actions in order.
///
/// A request (BOOTREQUEST) from a client link gets giaddr (when 0), hops + 1 and option 82, and goes to every
/// server; a reply (BOOTREPLY) whose giaddr is the relay agent's loses the suboptions the agent added and goes to
/// the client: broadcast for a NAK or the broadcast bit, unicast to ciaddr, else yiaddr in a frame to chaddr.
public struct DHCPRelayAgent: Sendable {
    public let configuration: DHCPRelayConfiguration

    public init(configuration: DHCPRelayConfiguration) { self.configuration = configuration }

    /// Parses `bytes` (a UDP payload to port 67) and handles the message. A message that cannot be relayed as it
    /// stands (a parse error of severity `error`) is dropped with a `relay-malformed` problem.
    public func handle(bytes: [UInt8], from receipt: DHCPRelayReceipt) -> [DHCPRelayAction] {
        let result = DHCPMessage.parse(bytes)
        let errors = result.diagnostics.filter { $0.severity == .error }
        guard let message = result.message, errors.isEmpty else {
            let text = (errors.isEmpty ? result.diagnostics : errors).map(\.description).joined(separator: "; ")
            return [.problem(DHCPRelayProblem(.malformed, "\(bytes.count) bytes from \(receipt.sourceAddress):\(receipt.sourcePort) dropped: \(text)",
                                              xid: result.message?.xid, clientHardwareAddress: result.message.map { Array($0.hardwareAddress) }))]
        }
        return handle(message, from: receipt)
    }

    public func handle(_ message: DHCPMessage, from receipt: DHCPRelayReceipt) -> [DHCPRelayAction] {
        switch message.op {
        case DHCPMessage.bootRequest: request(message, receipt)
        case DHCPMessage.bootReply: [reply(message)]
        default: [problem(.ignored, "op \(message.op) is neither BOOTREQUEST nor BOOTREPLY", message)]
        }
    }

    // MARK: RFC 1542 §4.1.1: requests to the servers

    private func request(_ message: DHCPMessage, _ receipt: DHCPRelayReceipt) -> [DHCPRelayAction] {
        // A request heard on another interface (the server side's socket hears every broadcast there) is not for
        // this relay agent: ignored without a word, as ISC dhcrelay does.
        guard let link = configuration.links.first(where: { $0.index == receipt.interfaceIndex }) else { return [] }
        guard message.hops < configuration.maximumHops else {
            return [problem(.hopLimit, "\(message.typeName) on \(link.name) has passed \(message.hops) relay agents (--max-hops \(configuration.maximumHops))", message)]
        }
        var forwarded = message
        forwarded.hops += 1
        var actions = [DHCPRelayAction]()
        // RFC 1542 §4.1.1: a giaddr set by a relay agent nearer the client stays, and so does its option 82
        // (RFC 3046 §2.1.1): replies go to that agent, not to this one.
        if message.relayAddress == .any {
            forwarded.relayAddress = configuration.relayAddress(for: link)
            switch addAgentInformation(to: &forwarded, link: link) {
            case .added, .kept: break
            case .dropped:
                return [problem(.agentInformationPresent, "\(message.typeName) on \(link.name) already carries option 82 (--agent-info drop)", message)]
            case .tooLong(let size):
                actions.append(problem(.agentInformationTooLong, "\(message.typeName) on \(link.name) forwarded without option 82: it would be \(size) bytes, over \(configuration.maximumMessageSize)", message))
            }
        }
        for server in configuration.servers { actions.append(.forward(forwarded, to: server, link: link)) }
        return actions
    }

    private enum AgentInformationOutcome { case added, kept, dropped, tooLong(Int) }

    /// Adds the relay agent's option 82 as the policy says (RFC 3046 §2.1: the last option).
    private func addAgentInformation(to message: inout DHCPMessage, link: DHCPRelayLink) -> AgentInformationOutcome {
        // Plain BOOTP without the magic cookie has nowhere to put an option.
        guard case .options = message.vendor else { return .kept }
        let ours = configuration.suboptions(for: link)
        var data = RelayAgentInformation.join(ours)
        if let existing = message.option(.relayAgentInformation) {
            switch configuration.policy {
            case .keep: return .kept
            case .drop: return .dropped
            case .replace: break
            case .append: data = existing.data + data
            }
        }
        var candidate = message
        candidate.setAgentInformation(data)
        let size = candidate.serializedSize
        guard size <= max(configuration.maximumMessageSize, message.serializedSize) else { return .tooLong(size) }
        message = candidate
        return .added
    }

    // MARK: RFC 1542 §4.1.2: replies to the clients

    private func reply(_ message: DHCPMessage) -> DHCPRelayAction {
        let giaddr = message.relayAddress
        let agentInformation = message.option(.relayAgentInformation).flatMap { RelayAgentInformation.split($0.data) }
        let link: DHCPRelayLink
        if let direct = configuration.links.first(where: { $0.address == giaddr }) {
            link = direct
        } else if giaddr != .any, giaddr == configuration.upstreamAddress {
            guard let named = self.link(namedBy: agentInformation) else {
                return problem(.unknownLink, "\(message.typeName) to giaddr \(giaddr): neither suboption 5 nor the circuit-id names a client interface", message)
            }
            link = named
        } else {
            return problem(.foreignRelayAddress, "\(message.typeName) for giaddr \(giaddr), not an address of this relay agent", message)
        }
        var delivered = message
        if let agentInformation {
            // RFC 3046 §2.2: the agent removes what it added; what an agent nearer the client added stays for it.
            let ours = configuration.suboptions(for: link)
            let rest = agentInformation.filter { !ours.contains($0) }
            delivered.setAgentInformation(rest.isEmpty ? nil : RelayAgentInformation.join(rest))
        } else if message.option(.relayAgentInformation) != nil {
            // Malformed suboptions: not something a client should see, and nothing an agent nearer it can use.
            delivered.setAgentInformation(nil)
        }
        let destination = DHCPServerDestination.onLink(
            nak: message.messageType == .nak, clientAddress: message.clientAddress, broadcast: message.isBroadcast,
            clientMAC: message.clientMAC, yourAddress: message.yourAddress)
        return .deliver(delivered, link: link, to: destination)
    }

    /// Under link selection giaddr is the upstream address: suboption 5, else the circuit-id, else the only link.
    private func link(namedBy suboptions: [RelayAgentInformation.Suboption]?) -> DHCPRelayLink? {
        let links = configuration.links
        if let selection = suboptions?.first(where: { $0.code == 5 && $0.data.count == 4 }) {
            return links.first { $0.address.octets == selection.data }
        }
        if let circuit = suboptions?.first(where: { $0.code == 1 }) {
            let matching = links.filter { $0.circuitID == circuit.data }
            if matching.count == 1 { return matching[0] }
        }
        return links.count == 1 ? links[0] : nil
    }

    private func problem(_ code: DHCPRelayProblem.Code, _ text: String, _ message: DHCPMessage) -> DHCPRelayAction {
        .problem(DHCPRelayProblem(code, text, xid: message.xid, clientHardwareAddress: Array(message.hardwareAddress)))
    }
}

extension DHCPMessage {
    /// Bytes on the wire.
    var serializedSize: Int {
        var size = Self.headerLength
        if case .options(let area) = vendor { size += 4 + area.byteCount }
        if case .unknown(let bytes) = vendor { size += bytes.count }
        return size
    }

    /// Sets option 82 to `data` as the last option of the options field (RFC 3046 §2.1), or removes it (nil),
    /// from the file and sname fields too. Zero padding after the end option shrinks or grows so that the message
    /// keeps its size where it can, and is never shorter than BOOTP's 300 bytes (RFC 1542 §2.1).
    mutating func setAgentInformation(_ data: [UInt8]?) {
        guard case .options(var area) = vendor else { return }
        let before = serializedSize
        func removed(_ area: DHCPOptionArea) -> DHCPOptionArea {
            var area = area
            area.elements.removeAll { if case .option(let option) = $0 { option.code == .relayAgentInformation } else { false } }
            return area
        }
        area = removed(area)
        if case .options(let other) = file { file = .options(removed(other)) }
        if case .options(let other) = sname { sname = .options(removed(other)) }
        if let data {
            if !area.elements.contains(.end) { area.elements.append(.end) }
            let end = area.elements.firstIndex(of: .end) ?? area.elements.endIndex
            area.elements.insert(.option(DHCPOption(.relayAgentInformation, data)), at: end)
        }
        if area.trailer.allSatisfy({ $0 == 0 }) {
            let unpadded = Self.headerLength + 4 + area.byteCount - area.trailer.count
            area.trailer = [UInt8](repeating: 0, count: max(0, max(before, 300) - unpadded))
        }
        vendor = .options(area)
    }
}
