import DHCPCore
import DHCPMetrics
import DHCPProtocol
import Framing

/// What mock-client says: a line per transition, lease and problem, or JSON Lines events with --json.
struct MockClientLog {
    let output: OutputStream
    let json: Bool
    /// --metrics, when given.
    var metrics: ClientMetrics?
    private(set) var transitions = 0
    private(set) var leases = 0
    private(set) var problems = Events.ProblemCounts()
    private(set) var sent = 0
    private(set) var received = 0
    /// Every lease bound or renewed, for the failover drill's longest gap; clients numbered by MAC.
    private var outage = DHCPOutageTracker()
    private var clientNumbers: [MACAddress: Int] = [:]

    init(output: OutputStream, json: Bool) {
        self.output = output; self.json = json
    }

    func ready(interface: String, first: MACAddress, last: MACAddress, count: Int, mode: String) {
        if json {
            output.event(Events.ready(interface: interface) { line in
                line.field("clients", count)
                line.field("mac", first.description)
                line.field("last_mac", last.description)
                line.field("mode", mode)
            })
        } else {
            let who = count == 1 ? first.description : "\(count) clients \(first)–\(last)"
            Diagnostics.error("\(who) on \(interface): \(mode)")
        }
    }

    /// A frame sent or received (DHCP or ARP): counted, and with --metrics its DHCP message type.
    mutating func counted(frame: [UInt8], sent isSent: Bool) {
        if isSent { sent += 1 } else { received += 1 }
        guard let metrics else { return }
        let parsed = frame.withUnsafeBytes { FrameParser.parse($0, linkType: .ethernet) }
        guard case .udp(_, let udp, _) = parsed.payload else { return }
        metrics.message(type: DHCPMessage.parse(Array(frame[udp.payload])).message?.typeName ?? "MALFORMED", sent: isSent)
    }

    mutating func transition(_ step: DHCPClientTransition, client: DHCPClientSettings, now: Double) {
        transitions += 1
        metrics?.transition(step)
        let transition = Events.Transition(mac: client.hardwareAddress.description, clientID: client.clientIdentifier, step: step,
                                           time: Timestamp(secondsSince1970: now))
        if json { output.event(Events.transition(transition)) } else { output.write(line: Events.transitionText(transition)) }
    }

    /// A lease bound (`state` active or renewed) or ended (released, expired, declined, nak).
    mutating func lease(_ lease: DHCPClientLease, client: DHCPClientSettings, state: String) {
        leases += 1
        metrics?.lease(state: state)
        if state == "active" || state == "renewed" {
            let number = clientNumbers[client.hardwareAddress] ?? clientNumbers.count
            clientNumbers[client.hardwareAddress] = number
            outage.completed(client: number, address: lease.address, at: lease.obtained)
        }
        let start = Timestamp(secondsSince1970: lease.obtained)
        let end = Timestamp(secondsSince1970: lease.expiresAt)
        if json {
            output.event(Events.lease(Events.Lease(
                ip: lease.address, mac: client.hardwareAddress.description, clientID: client.clientIdentifier,
                hostname: client.hostName, server: lease.serverIdentifier, start: start, end: end,
                leaseTime: lease.leaseTime, t1: Double(lease.renewalTime), t2: Double(lease.rebindingTime),
                router: lease.routers.first, dns: lease.domainNameServers, domain: lease.domainName, state: state,
                frame: nil)))
        } else {
            var text = "lease \(lease.address) \(client.hardwareAddress) from \(lease.serverIdentifier) \(state)"
            if state == "active" || state == "renewed" {
                text += " until \(end) (lease \(lease.leaseTime) s, T1 \(lease.renewalTime) s, T2 \(lease.rebindingTime) s)"
                if let mask = lease.subnetMask { text += " mask \(mask)" }
                if !lease.routers.isEmpty { text += " router \(lease.routers.map(\.description).joined(separator: ","))" }
                if !lease.domainNameServers.isEmpty {
                    text += " dns \(lease.domainNameServers.map(\.description).joined(separator: ","))"
                }
                if let domain = lease.domainName { text += " domain \(domain)" }
            }
            output.write(line: text)
        }
    }

    func informed(_ ack: DHCPMessage, client: DHCPClientSettings, address: IPv4Address?) {
        let options = ack.options.filter { $0.code != .messageType && $0.code != .serverIdentifier }
        if json {
            var line = JSONLine(event: "inform")
            line.field("mac", client.hardwareAddress.description)
            line.key("ip")
            if let address { line.address(address) } else { line.null() }
            line.key("server")
            if let server = ack.serverIdentifier { line.address(server) } else { line.null() }
            line.options("options", options)
            output.event(line)
        } else {
            output.write(line: "inform \(address?.description ?? "?") answered by \(ack.serverIdentifier?.description ?? "?"): "
                + "options \(options.map { String($0.code.rawValue) }.joined(separator: ","))")
        }
    }

    mutating func problem(_ problem: DHCPClientProblem, client: DHCPClientSettings?, ip: IPv4Address? = nil) {
        problems.add(problem.severity.rawValue)
        metrics?.problem(code: problem.code, severity: problem.severity.rawValue)
        if json {
            output.event(Events.problem(Events.Problem(
                code: problem.code, severity: problem.severity.rawValue, rfc: problem.rfc,
                mac: client?.hardwareAddress.description, ip: ip, xid: problem.xid, text: problem.text)))
        } else {
            let who = client.map { " \($0.hardwareAddress)" } ?? ""
            output.write(line: "problem \(problem.code)\(who): \(problem.text)")
        }
    }

    func summary(clients: Int, bound: Int, holding: Int) {
        if json {
            output.event(Events.summary(problems: problems) { line in
                line.field("clients", clients)
                line.field("bound", bound)
                line.field("holding", holding)
                line.field("leases", leases)
                line.field("transitions", transitions)
                line.field("sent", sent)
                line.field("received", received)
                let gap = outage.report
                Events.number("longest_gap_s", gap?.seconds, &line)
                line.field("gap_clients", gap?.crossed)
                line.field("gap_kept", gap?.kept)
            })
        } else {
            let count = problems.total
            output.write(line: "\(clients) client\(clients == 1 ? "" : "s"), \(bound) bound, \(holding) holding a lease; "
                + "\(leases) lease events, \(transitions) transitions; \(sent) frames sent, \(received) received; \(count) problems")
            if let gap = outage.report {
                output.write(line: "longest gap without a lease bound or renewed: \(String(format: "%.3f", gap.seconds)) s; "
                    + "\(gap.kept) of \(gap.crossed) clients with a lease on both sides kept their address")
            }
        }
        output.flush()
    }

    /// -v in text: a line per frame sent or received, DHCP or ARP.
    static func frameLine(_ frame: [UInt8], sent: Bool, to output: OutputStream) {
        let direction = sent ? "sent" : "received"
        if let arp = ARPPacket(frame: frame) {
            let what = arp.operation == ARPPacket.request
                ? "who-has \(arp.targetIP) tell \(arp.senderIP) (\(arp.senderMAC))"
                : "\(arp.senderIP) is-at \(arp.senderMAC)"
            return output.write(line: "\(direction) ARP \(what)")
        }
        let parsed = frame.withUnsafeBytes { FrameParser.parse($0, linkType: .ethernet) }
        guard case .udp(let ip, let udp, _) = parsed.payload else { return }
        messageLine(Array(frame[udp.payload]), sent: sent,
                    route: "\(ip.source):\(udp.sourcePort) → \(ip.destination):\(udp.destinationPort)", to: output)
    }

    /// -v in text: a DHCP message sent to or received from `peer` in a UDP datagram (relay mode).
    static func datagramLine(_ payload: [UInt8], peer: IPv4Address, sent: Bool, to output: OutputStream) {
        messageLine(payload, sent: sent, route: sent ? "→ \(peer):67" : "← \(peer):67", to: output)
    }

    private static func messageLine(_ payload: [UInt8], sent: Bool, route: String, to output: OutputStream) {
        let message = DHCPMessage.parse(payload).message
        let xid = message.map { " xid \(Hex.xid($0.xid))" } ?? ""
        output.write(line: "\(sent ? "sent" : "received") \(message?.typeName ?? "malformed message")\(xid) \(route) "
            + "chaddr \(message.map { Hex.colonSeparated($0.hardwareAddress) } ?? "?")")
    }
}
