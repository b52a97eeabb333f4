import DHCPAnalysis
import DHCPCore
import DHCPv6Core
import NetworkPrimitives

/// Who sent or received a message, for the ladder's columns.
enum LadderRole: Int, Comparable {
    case client = 0, relay = 1, server = 2
    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One arrow of the ladder: a message between two roles.
struct LadderStep {
    var frame: FrameReference
    var from: LadderRole
    var to: LadderRole
    var type: String
    /// As printed: "0x%08x" (DHCPv4), "0x%06x" (DHCPv6).
    var xid: String
    var source: String
    var destination: String
    /// The addresses that matter on this arrow: yiaddr, requested, ciaddr, server-id.
    var detail: String
    /// The client (chaddr; DHCPv6: the MAC of its DUID, else the DUID), lower-case colon hex.
    var client: String
    /// The relay's address, when there is one (giaddr; DHCPv6: the relay message's link address): names its column.
    var relay: String?
    /// The server end of the arrow (source of a reply, unicast destination of a request); nil for a broadcast.
    var server: String?

    /// Works out the roles from ports and giaddr: 68 → 67 is a client, a 67 → 67 exchange passes a relay.
    init(frame: FrameReference, record: DHCPRecord, message: DHCPMessage) {
        self.frame = frame
        type = message.typeName
        xid = Hex.xid(message.xid)
        source = "\(record.ip.source):\(record.sourcePort)"
        destination = "\(record.ip.destination):\(record.destinationPort)"
        client = Hex.colonSeparated(Array(message.hardwareAddress))
        let relayed = message.relayAddress != .any
        relay = relayed ? message.relayAddress.description : nil
        if message.op == DHCPMessage.bootRequest {
            if record.sourcePort == 67, relayed { (from, to) = (.relay, .server) }
            else { (from, to) = (.client, relayed ? .relay : .server) }
        } else {
            if record.destinationPort == 67, relayed { (from, to) = (.server, .relay) }
            else if relayed, record.ip.source == message.relayAddress { (from, to) = (.relay, .client) }
            else { (from, to) = (.server, .client) }
        }
        if from == .server { server = record.ip.source.description }
        else if to == .server, record.ip.destination != .broadcast { server = record.ip.destination.description }
        var parts = [String]()
        if message.yourAddress != .any { parts.append("yiaddr=\(message.yourAddress)") }
        if let requested = message.requestedAddress { parts.append("requested=\(requested)") }
        if message.clientAddress != .any { parts.append("ciaddr=\(message.clientAddress)") }
        if let server = message.serverIdentifier { parts.append("server-id=\(server)") }
        detail = parts.joined(separator: " ")
    }
}

extension LadderStep {
    /// A DHCPv6 message: a RELAY-FORW goes from the relay (named by its link address) to the server, a RELAY-REPL
    /// back; a client's message goes to the servers' multicast address (or the relay, see `attributeRelayLegs`), a
    /// server's to the client. The arrow is labelled with the type of the message the relays carry.
    init(frame: FrameReference, record: DHCPv6Record, message: DHCPv6Message) {
        self.frame = frame
        let inner = message.relayChain.last ?? message
        type = inner.type.description
        xid = Hex.xid6(inner.transactionID ?? 0)
        source = DHCPv6MessageContext.endpoint(record.ip.source, record.sourcePort)
        destination = DHCPv6MessageContext.endpoint(record.ip.destination, record.destinationPort)
        let duid = inner.option(1)
        client = duid.flatMap(DHCPv6OptionValue.init)?.mac?.description ?? duid.map { Hex.colonSeparated($0.data) } ?? "-"
        if case let .relay(_, linkAddress, _) = message.header {
            relay = linkAddress.description
            if message.type == .relayForward {
                (from, to) = (.relay, .server)
                server = record.ip.destination.description
            } else {
                (from, to) = (.server, .relay)
                server = record.ip.source.description
            }
        } else if inner.type.isFromServer {
            (from, to) = (.server, .client)
            server = record.ip.source.description
        } else {
            (from, to) = (.client, .server)
            server = record.ip.destination.isMulticast ? nil : record.ip.destination.description
        }
        var parts = [String]()
        for option in inner.options {
            for lease in (try? option.suboptions()) ?? [] {
                switch DHCPv6OptionValue(lease) {
                case let .address(address, _, _)?: parts.append("addr=\(address)")
                case let .prefix(prefix, length, _, _)?: parts.append("prefix=\(prefix)/\(length)")
                case let .status(code, _)?: parts.append("status=" + DHCPv6OptionValue.statusName(code))
                default: break
                }
            }
            if case let .status(code, _)? = DHCPv6OptionValue(option) { parts.append("status=" + DHCPv6OptionValue.statusName(code)) }
        }
        detail = parts.joined(separator: " ")
    }
}

/// A terminal sequence diagram in the style of RFC 2131 Figures 3 and 4: one vertical line per party (client,
/// each relay, each server), one horizontal arrow per message, time and frame at the left, addresses at the right.
enum LadderDiagram {
    /// One party: its role, the address that names it, and its column's position.
    private struct Column {
        var role: LadderRole
        var address: String?
        var x = 0
    }

    static func render(_ steps: [LadderStep], names: [String]) -> String {
        guard let first = steps.first else { return "no messages match\n" }
        let steps = attributeRelayLegs(steps)

        // Columns: the client, the relays (by giaddr) and the servers (by address), in order of appearance.
        var relays = [String](), servers = [String]()
        for step in steps {
            if let relay = step.relay, step.from == .relay || step.to == .relay, !relays.contains(relay) { relays.append(relay) }
            if let server = step.server, !servers.contains(server) { servers.append(server) }
        }
        var columns = [Column(role: .client, address: nil)]
        columns += relays.map { Column(role: .relay, address: $0) }
        columns += servers.isEmpty ? [Column(role: .server, address: nil)] : servers.map { Column(role: .server, address: $0) }

        let clients = Set(steps.map(\.client))
        let clientLabel = clients.count == 1 ? clients.first! : "\(clients.count) clients"
        let labels: [(String, String)] = columns.map { column in
            switch column.role {
            case .client: ("client", clientLabel)
            case .relay: ("relay", column.address ?? "")
            case .server: ("server", column.address ?? "")
            }
        }

        // Left gutter: relative time and frame.
        let multipleFiles = names.count > 1
        func frameLabel(_ step: LadderStep) -> String {
            multipleFiles ? "\(names[step.frame.file]):\(step.frame.frame)" : String(step.frame.frame)
        }
        let times = steps.map { "+" + FixedPoint.format($0.frame.time.seconds(since: first.frame.time)) + "s" }
        let timeWidth = max(4, times.map(\.count).max() ?? 0)
        let frameWidth = max(5, steps.map { frameLabel($0).count }.max() ?? 0)
        let gutter = timeWidth + 2 + frameWidth + 2
        let widestLabel = labels.map { max($0.0.count, $0.1.count) }.max() ?? 0
        let widestType = steps.map(\.type.count).max() ?? 0
        let gap = max(widestLabel + 3, widestType + 10, 20)
        for index in columns.indices { columns[index].x = gutter + widestLabel / 2 + 1 + index * gap }
        let width = columns.last!.x + 1

        func centred(_ texts: [String], left: String = "") -> String {
            var line = [Character](repeating: " ", count: width + widestLabel)
            for (offset, character) in left.enumerated() { line[offset] = character }
            for (index, text) in texts.enumerated() {
                let start = max(0, columns[index].x - text.count / 2)
                for (offset, character) in text.enumerated() { line[start + offset] = character }
            }
            return String(line).trimmingSuffix()
        }
        func lifelines() -> [Character] {
            var line = [Character](repeating: " ", count: width)
            for column in columns { line[column.x] = "|" }
            return line
        }
        func withGutter(_ left: String, _ body: [Character], _ right: String) -> String {
            var text = left + String(repeating: " ", count: max(0, gutter - left.count)) + String(body[gutter...])
            if !right.isEmpty { text += "  " + right }
            return text.trimmingSuffix()
        }

        var lines = [String]()
        lines.append(centred(labels.map(\.0), left: String(repeating: " ", count: timeWidth - 4) + "time  "
                                + String(repeating: " ", count: frameWidth - 5) + "frame"))
        lines.append(centred(labels.map(\.1)))
        lines.append(String(lifelines()).trimmingSuffix())

        var previousXID: String?
        for (index, step) in steps.enumerated() {
            if let previousXID, previousXID != step.xid { lines.append(String(lifelines()).trimmingSuffix()) }
            previousXID = step.xid
            let (a, b) = ends(of: step, in: columns)
            var body = lifelines()
            let (low, high) = (min(a, b), max(a, b))
            for x in (low + 1)..<high { body[x] = "-" }
            if a < b { body[high - 1] = ">" } else { body[low + 1] = "<" }
            let label = Array(step.type)
            let inner = high - low - 3
            if label.count <= inner {
                let start = low + 2 + (inner - label.count) / 2
                for (offset, character) in label.enumerated() { body[start + offset] = character }
            }
            let time = String(repeating: " ", count: timeWidth - times[index].count) + times[index]
            let frame = frameLabel(step)
            let left = time + "  " + String(repeating: " ", count: frameWidth - frame.count) + frame
            let right = ("xid=" + step.xid + " " + step.detail).trimmingSuffix()
            lines.append(withGutter(left, body, right))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A client message broadcast on the client's link (giaddr 0) that a relay forwards moments later goes to the
    /// relay, not to the servers: the relay's leg names it. A DHCPv6 server message on the client's link that a
    /// RELAY-REPL brought moments before comes from the relay.
    private static func attributeRelayLegs(_ steps: [LadderStep]) -> [LadderStep] {
        var steps = steps
        func sameMessage(_ a: LadderStep, _ b: LadderStep) -> Bool { a.xid == b.xid && a.type == b.type && a.client == b.client }
        for index in steps.indices where steps[index].from == .client && steps[index].to == .server && steps[index].server == nil {
            let step = steps[index]
            let leg = steps[(index + 1)...].prefix { $0.frame.time.seconds(since: step.frame.time) <= 1 }.first {
                $0.from == .relay && $0.to == .server && sameMessage($0, step)
            }
            if let leg {
                steps[index].to = .relay
                steps[index].relay = leg.relay
            }
        }
        for index in steps.indices where steps[index].from == .server && steps[index].to == .client {
            let step = steps[index]
            let leg = steps[..<index].reversed().prefix { step.frame.time.seconds(since: $0.frame.time) <= 1 }.first {
                $0.from == .server && $0.to == .relay && sameMessage($0, step)
            }
            if let leg, leg.relay != nil {
                steps[index].from = .relay
                steps[index].relay = leg.relay
                steps[index].server = leg.server
            }
        }
        return steps
    }

    /// The columns an arrow joins; a broadcast to the servers reaches all of them.
    private static func ends(of step: LadderStep, in columns: [Column]) -> (Int, Int) {
        func x(_ role: LadderRole) -> Int {
            switch role {
            case .client: return columns[0].x
            case .relay: return (columns.first { $0.role == .relay && $0.address == step.relay } ?? columns.first { $0.role == .relay })?.x
                ?? columns[0].x
            case .server:
                if let server = step.server, let column = columns.first(where: { $0.role == .server && $0.address == server }) {
                    return column.x
                }
                return columns.last!.x
            }
        }
        return (x(step.from), x(step.to))
    }
}

private extension String {
    func trimmingSuffix() -> String { replacing(/\s+$/, with: "") }
}
