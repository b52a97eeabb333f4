import DHCPCore
import DHCPMetrics
import DHCPNetwork
import DHCPProtocol
import DHCPRuntime

/// What relay says: a line per message passed on and per problem, or JSON Lines events with --json (`ready`,
/// `relay` per message passed on, `problem`, `summary`).
final class RelayLog: RelayObserver {
    let output: OutputStream
    let json: Bool
    /// --metrics, when given.
    var metrics: RelayMetrics?
    private(set) var received = 0
    private(set) var toServers = 0
    private(set) var toClients = 0
    /// Messages not passed on.
    private(set) var dropped = 0
    /// Problems by code, and by severity.
    private var problemCodes: [String: Int] = [:]
    private var problems = Events.ProblemCounts()

    init(output: OutputStream, json: Bool) { self.output = output; self.json = json }

    func ready(_ configuration: DHCPRelayConfiguration, upstream: String?) {
        let links = configuration.links
        if json {
            output.event(Events.ready(interface: links.map(\.name).joined(separator: ",")) { line in
            line.beginArray("interfaces")
            for link in links {
                line.beginObject()
                line.field("name", link.name)
                line.key("address"); line.address(link.address)
                line.key("giaddr"); line.address(configuration.relayAddress(for: link))
                line.key("circuit_id"); line.value(.textOrBytes(link.circuitID))
                line.endObject()
            }
            line.endArray()
            line.field("upstream", upstream)
            line.beginArray("servers")
            for server in configuration.servers { line.address(server) }
            line.endArray()
            line.field("port", 67)
            line.field("agent_info", configuration.policy.rawValue)
            line.field("remote_id", configuration.remoteID.map { String(decoding: $0, as: UTF8.self) })
            line.field("link_selection", configuration.linkSelection)
            line.field("server_id_override", configuration.serverIdentifierOverride)
            line.field("max_hops", Int(configuration.maximumHops))
            })
        } else {
            let names = links.map { "\($0.name) (\($0.address))" }.joined(separator: ", ")
            Diagnostics.error("relaying \(names) to \(configuration.servers.map(\.description).joined(separator: ", "))"
                + (upstream.map { " through \($0)" } ?? ""))
        }
    }

    func received(_ datagram: UDPDatagram) {
        received += 1
        metrics?.received()
    }

    /// A request forwarded to a server, or a reply delivered to a client.
    func passed(_ message: DHCPMessage, link: DHCPRelayLink, to destination: String, toServer: Bool) {
        if toServer { toServers += 1 } else { toClients += 1 }
        metrics?.forwarded(type: message.typeName, toServer: toServer)
        if json {
            var line = JSONLine(event: "relay")
            line.field("direction", toServer ? "to_server" : "to_client")
            line.field("type", message.typeName)
            line.key("xid"); line.hex32(message.xid)
            line.field("mac", Hex.colonSeparated(message.hardwareAddress))
            line.field("interface", link.name)
            line.key("giaddr"); line.address(message.relayAddress)
            line.field("hops", Int(message.hops))
            line.key("yiaddr"); line.address(message.yourAddress)
            line.field("destination", destination)
            line.key("agent_info")
            if let option = message.option(.relayAgentInformation), let value = try? option.value() { line.value(value) }
            else { line.null() }
            output.append(line.finish())
            output.endLine()
        } else {
            // "DISCOVER xid 0x00003d1d 06:00:00:00:00:01 on r0 > 198.18.52.2:67 giaddr 198.18.50.1 hops 1"
            output.writeLine { line in
                line.append(contentsOf: message.typeName.utf8)
                if message.yourAddress != .any {
                    line.append(UInt8(ascii: " "))
                    message.yourAddress.appendDottedQuad(to: &line)
                }
                line.append(contentsOf: " xid ".utf8)
                Hex.appendXID(message.xid, to: &line)
                line.append(UInt8(ascii: " "))
                Hex.appendColonSeparated(message.hardwareAddress, to: &line)
                line.append(contentsOf: (toServer ? " from " : " to ").utf8)
                line.append(contentsOf: link.name.utf8)
                line.append(contentsOf: " > ".utf8)
                line.append(contentsOf: destination.utf8)
                if toServer {
                    line.append(contentsOf: " giaddr ".utf8)
                    message.relayAddress.appendDottedQuad(to: &line)
                    line.append(contentsOf: " hops \(message.hops)".utf8)
                }
            }
        }
    }

    func problem(_ problem: DHCPRelayProblem) {
        let drops = problem.code != .agentInformationTooLong
        if drops { dropped += 1 }
        metrics?.problem(code: problem.code.rawValue, severity: Self.severity(problem.code), dropped: drops)
        write(code: problem.code.rawValue, severity: Self.severity(problem.code), rfc: problem.code.rfc,
              mac: problem.clientHardwareAddress, xid: problem.xid, text: problem.text)
    }

    /// A socket or file that failed: not the relay agent's protocol, so code `relay-socket`.
    func failure(_ text: String) {
        metrics?.problem(code: "relay-socket", severity: "warning", dropped: false)
        write(code: "relay-socket", severity: "warning", rfc: nil, mac: nil, xid: nil, text: text)
    }

    private func write(code: String, severity: String, rfc: String?, mac: [UInt8]?, xid: UInt32?, text: String) {
        problemCodes[code, default: 0] += 1
        problems.add(severity)
        if json {
            output.event(Events.problem(Events.Problem(code: code, severity: severity, rfc: rfc,
                                                       mac: mac.map { Hex.colonSeparated($0) }, xid: xid, text: text)))
        } else {
            Diagnostics.error("\(severity) \(code): \(text)")
        }
    }

    func summary() {
        if json {
            output.event(Events.summary(problems: problems) { line in
                line.field("received", received)
                line.field("to_servers", toServers)
                line.field("to_clients", toClients)
                line.field("dropped", dropped)
                line.beginObject("problem_codes")
                for (code, count) in problemCodes.sorted(by: { $0.key < $1.key }) { line.key(text: code); line.number(count) }
                line.endObject()
            })
        } else {
            let listed = problemCodes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            output.write(line: "\(received) messages received; \(toServers) forwarded to servers, \(toClients) delivered to clients; "
                + "\(dropped) dropped" + (listed.isEmpty ? "" : " (\(listed.joined(separator: ", ")))"))
        }
        output.flush()
    }

    static func severity(_ code: DHCPRelayProblem.Code) -> String {
        switch code {
        case .malformed, .hopLimit, .foreignRelayAddress, .unknownLink, .agentInformationTooLong: "warning"
        case .agentInformationPresent, .ignored: "info"
        }
    }
}
