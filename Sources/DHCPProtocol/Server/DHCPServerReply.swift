import DHCPCore

/// Fits a reply's options into the client's maximum message size (RFC 2132 §9.10), using option overload
/// (RFC 2132 §9.3) into file and sname when the options field is too small, and dropping the least important
/// parameters (the last in the client's order of request) when even that is not enough.
enum DHCPReplyPacker {
    /// Codes the server fills itself; a configured option with one of them is not sent.
    static let serverControlled: Set<DHCPOptionCode> = [
        .pad, .end, .requestedAddress, .leaseTime, .optionOverload, .messageType, .serverIdentifier,
        .parameterRequestList, .message, .maximumMessageSize, .renewalTime, .rebindingTime, .clientIdentifier,
        .relayAgentInformation,
    ]

    struct Packed: Equatable {
        var main: [DHCPOption]
        var file: [DHCPOption] = []
        var sname: [DHCPOption] = []
        var dropped: [DHCPOptionCode] = []
    }

    /// Bytes options take in a field, RFC 3396 splitting included.
    static func size(_ options: [DHCPOption]) -> Int { options.reduce(0) { $0 + $1.encodedSize } }

    /// `head` (53, 54, times, 56, 61) and `tail` (82) stay in the options field, `parameters` go where they fit,
    /// in order. `limit` is the largest DHCP message (BOOTP header, cookie and all) the client accepts.
    static func pack(head: [DHCPOption], parameters: [DHCPOption], tail: [DHCPOption], limit: Int) -> Packed {
        var head = head
        var tail = tail
        var dropped = [DHCPOptionCode]()
        let capacity = limit - DHCPMessage.headerLength - 4 - 1  // cookie, end option
        if size(head) + size(parameters) + size(tail) <= capacity {
            return Packed(main: head + parameters + tail)
        }
        // Echoed options too large to leave room for option 52 go first (pathological: a huge 82 or 61).
        if size(head) + size(tail) + 3 > capacity, !tail.isEmpty {
            dropped += tail.map(\.code)
            tail = []
        }
        if size(head) + 3 > capacity, let echo = head.firstIndex(where: { $0.code == .clientIdentifier }) {
            dropped.append(head.remove(at: echo).code)
        }
        var mainLeft = capacity - 3 - size(head) - size(tail)
        var fileLeft = 128 - 1
        var snameLeft = 64 - 1
        var packed = Packed(main: [])
        var inMain = [DHCPOption]()
        for option in parameters {
            let bytes = option.encodedSize
            if bytes <= mainLeft { inMain.append(option); mainLeft -= bytes }
            else if bytes <= fileLeft { packed.file.append(option); fileLeft -= bytes }
            else if bytes <= snameLeft { packed.sname.append(option); snameLeft -= bytes }
            else { dropped.append(option.code) }
        }
        if packed.file.isEmpty && packed.sname.isEmpty {
            // Nothing overflowed into file or sname: no option 52, and its three bytes may take one more parameter.
            inMain = []
            mainLeft = capacity - size(head) - size(tail)
            dropped = dropped.filter { code in !parameters.contains { $0.code == code } }
            for option in parameters {
                let bytes = option.encodedSize
                if bytes <= mainLeft { inMain.append(option); mainLeft -= bytes } else { dropped.append(option.code) }
            }
            packed.main = head + inMain + tail
        } else {
            let overload: UInt8 = (packed.file.isEmpty ? 0 : 1) | (packed.sname.isEmpty ? 0 : 2)
            packed.main = head + [DHCPOption(optionOverload: overload)] + inMain + tail
        }
        packed.dropped = dropped
        return packed
    }
}

extension DHCPServer {
    /// The largest DHCP message the client accepts: option 57 counts the IP and UDP headers (RFC 2132 §9.10,
    /// as ISC dhcpd and Kea read it), at least 576 (RFC 2131 §2), minus 28.
    public static func maximumMessageSize(for request: DHCPMessage) -> Int {
        var datagram = 576
        if let data = request.option(.maximumMessageSize)?.data, data.count == 2 {
            datagram = max(576, Int(data[0]) << 8 | Int(data[1]))
        }
        return datagram - 28
    }

    /// The parameter options for a reply to `request` in subnet `index` (RFC 2131 §4.3.1): with a parameter
    /// request list, the configured options it names in its order, then the subnet's `alwaysSend` ones and option 1;
    /// without one, every configured option.
    func parameterOptions(for request: DHCPMessage, subnet index: Int) -> [DHCPOption] {
        var available = parameters[index]
        if let rogue = configuration.faults.rogue {
            func replace(_ code: DHCPOptionCode, _ list: [IPv4Address]) {
                available.removeAll { $0.code == code }
                guard !list.isEmpty else { return }
                var data = [UInt8]()
                for address in list { address.append(to: &data) }
                available.append(DHCPOption(code, data))
            }
            replace(.routers, rogue.routers)
            replace(.domainNameServers, rogue.domainNameServers)
        }
        if hostOptions[index], let host = configuration.subnets[index].reservations.first(where: { !$0.options.isEmpty && $0.matches(request) }) {
            for option in host.options {
                available.removeAll { $0.code == option.code }
                available.append(option)
            }
        }
        guard let requested = request.option(.parameterRequestList)?.data, !requested.isEmpty else { return available }
        var chosen = [DHCPOption]()
        chosen.reserveCapacity(available.count)
        var seen = CodeSet()
        for code in requested where seen.insert(code) {
            if let option = available.first(where: { $0.code.rawValue == code }) { chosen.append(option) }
        }
        let always = configuration.subnets[index].alwaysSend
        for option in available where (option.code == .subnetMask || always.contains(option.code))
            && !seen.contains(option.code.rawValue) {
            chosen.append(option)
        }
        return chosen
    }

    /// A reply to `request` (RFC 2131 §4.3.1 table 3): op BOOTREPLY, xid, flags, giaddr, chaddr, htype and hlen
    /// copied, hops 0; options 53 and 54, lease times for OFFER and ACK (not for INFORM), option 56 for a NAK,
    /// the client identifier echoed (RFC 6842) and option 82 echoed last (RFC 3046), the parameters fitted into
    /// the client's maximum message size.
    func reply(_ type: DHCPMessageType, to request: DHCPMessage, yourAddress: IPv4Address, clientAddress: IPv4Address,
               subnet index: Int?, leaseTimes: Bool = true, text: String? = nil,
               allowing allowed: ((DHCPOptionCode) -> Bool)? = nil, _ out: inout Output) -> DHCPMessage {
        var head = [DHCPOption(messageType: type), DHCPOption(.serverIdentifier, address: replyServerIdentifier)]
        var parameters = [DHCPOption]()
        var nextServer = IPv4Address.any
        if let index {
            let subnet = configuration.subnets[index]
            if leaseTimes {
                head.append(DHCPOption(.leaseTime, uint32: subnet.leaseTime))
                head.append(DHCPOption(.renewalTime, uint32: subnet.effectiveRenewalTime))
                head.append(DHCPOption(.rebindingTime, uint32: subnet.effectiveRebindingTime))
            }
            parameters = parameterOptions(for: request, subnet: index)
            if let allowed { parameters.removeAll { !allowed($0.code) } }
            nextServer = subnet.nextServer
        }
        if var text {
            while text.utf8.count > 120 { text.removeLast() }
            head.append(DHCPOption(.message, text: text))
        }
        if let identifier = request.option(.clientIdentifier) { head.append(identifier) }
        // RFC 3046 §2.2: option 82 is the relay agent's, echoed to it; one in a request no relay agent passed on
        // (giaddr 0) came from the client and is not.
        let tail = request.relayAddress == .any ? [] : request.option(.relayAgentInformation).map { [$0] } ?? []
        let limit = Self.maximumMessageSize(for: request)
        let packed = DHCPReplyPacker.pack(head: head, parameters: parameters, tail: tail, limit: limit)
        if !packed.dropped.isEmpty {
            out.problem(.limit, "\(type) left out option(s) \(packed.dropped.map { String($0.rawValue) }.joined(separator: ", ")) to fit \(limit) bytes")
        }
        var reply = DHCPMessage(
            op: DHCPMessage.bootReply, htype: request.htype, hlen: request.hlen, hops: 0, xid: request.xid, secs: 0,
            flags: request.flags, clientAddress: clientAddress, yourAddress: yourAddress, serverAddress: nextServer,
            relayAddress: request.relayAddress, chaddr: request.chaddr, options: packed.main)
        if !packed.file.isEmpty { reply.file = .options(DHCPOptionArea(options: packed.file)) }
        if !packed.sname.isEmpty { reply.sname = .options(DHCPOptionArea(options: packed.sname)) }
        return reply
    }
}

/// A set of option codes as a 256-bit map: no allocation for each reply, unlike `Set<UInt8>`.
struct CodeSet {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    func contains(_ code: UInt8) -> Bool {
        let bit = UInt64(1) << (code & 63)
        switch code >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    /// Adds `code`; true when it was not there yet.
    mutating func insert(_ code: UInt8) -> Bool {
        guard !contains(code) else { return false }
        let bit = UInt64(1) << (code & 63)
        switch code >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
        return true
    }
}
