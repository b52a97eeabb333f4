import DHCPAnalysis
import DHCPCore

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
    var xid: UInt32
    var source: String
    var destination: String
    /// The addresses that matter on this arrow: yiaddr, requested, server-id.
    var detail: String

    /// Works out the roles from ports and giaddr: 68 → 67 is a client, a 67 → 67 exchange passes a relay.
    init(frame: FrameReference, record: DHCPRecord, message: DHCPMessage) {
        self.frame = frame
        type = message.typeName
        xid = message.xid
        source = "\(record.ip.source):\(record.sourcePort)"
        destination = "\(record.ip.destination):\(record.destinationPort)"
        let relayed = message.relayAddress != .any
        if message.op == DHCPMessage.bootRequest {
            if record.sourcePort == 67, relayed { (from, to) = (.relay, .server) }
            else { (from, to) = (.client, relayed ? .relay : .server) }
        } else {
            if record.destinationPort == 67, relayed { (from, to) = (.server, .relay) }
            else if relayed, record.ip.source == message.relayAddress { (from, to) = (.relay, .client) }
            else { (from, to) = (.server, .client) }
        }
        var parts = [String]()
        if message.yourAddress != .any { parts.append("yiaddr \(message.yourAddress)") }
        if let requested = message.requestedAddress { parts.append("requested \(requested)") }
        if message.clientAddress != .any { parts.append("ciaddr \(message.clientAddress)") }
        if let server = message.serverIdentifier { parts.append("server-id \(server)") }
        detail = parts.joined(separator: ", ")
    }
}

enum LadderDiagram {
    /// The steps as a sequence diagram with columns client | relay | server.
    static func render(_ steps: [LadderStep], names: [String]) -> String {
        guard let first = steps.first else { return "no messages match\n" }
        var lines = ["client                relay                 server"]
        for step in steps {
            let offset = step.frame.time.seconds(since: first.frame.time)
            lines.append("+\(FixedPoint.format(offset))s \(step.from) -> \(step.to) \(step.type) xid 0x\(String(step.xid, radix: 16)) \(step.detail)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
