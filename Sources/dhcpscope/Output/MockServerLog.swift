import Capture
import DHCPAnalysis
import DHCPCore
import DHCPMetrics
import DHCPNetwork
import DHCPProtocol
import DHCPRuntime
import Framing

/// What mock-server says: a line per reply and lease change (with -v, per message received too), or the JSON Lines
/// events with --json.
final class MockServerLog: ServerObserver {
    let output: OutputStream
    let json: Bool
    /// In text, a line per message received.
    let receivedLines: Bool
    let server: IPv4Address
    private var received = 0
    private var replies: [String: Int] = [:]
    private var problems = Events.ProblemCounts()
    private var leases: [IPv4Address: DHCPLease.State] = [:]
    /// --metrics: what the endpoint exposes.
    var metrics: ServerMetrics?

    init(output: OutputStream, json: Bool, verbose: Bool, server: IPv4Address) {
        self.output = output; self.json = json; receivedLines = verbose && !json; self.server = server
    }

    var hasPendingOutput: Bool { output.hasPendingBytes }

    func flush() { output.flush() }

    /// `subnet` and `range` name the first subnet and its first pool (the fields of the first version); `subnets`
    /// lists every subnet with all its pools.
    func ready(interface: String, configuration: DHCPServerConfiguration, ha: DHCPHAPeer?, metrics: String?) {
        let subnets = configuration.subnets
        if json {
            output.append(Events.ready(interface: interface) { line in
            line.key("server"); line.address(configuration.serverIdentifier)
            line.field("subnet", subnets.first.map { "\($0.network)/\($0.prefixLength)" })
            line.field("range", subnets.first?.pools.first?.description)
            line.beginArray("subnets")
            for subnet in subnets {
                line.beginObject()
                line.field("subnet", "\(subnet.network)/\(subnet.prefixLength)")
                line.beginArray("pools")
                for pool in subnet.pools { line.string(pool.description) }
                line.endArray()
                line.endObject()
            }
            line.endArray()
            line.field("authoritative", configuration.authoritative)
            line.field("faults", !configuration.faults.isEmpty)
            line.field("metrics", metrics)
            if let ha {
                line.beginObject("ha")
                Self.haFields(&line, ha, state: ha.state)
                line.endObject()
            }
            })
            output.endLine()
        } else {
            let pools = subnets.flatMap(\.pools).map(\.description)
            Diagnostics.error("serving \(pools.isEmpty ? "nothing" : pools.joined(separator: ", ")) on \(interface) as \(configuration.serverIdentifier)"
                + (configuration.faults.isEmpty ? "" : " (with faults)")
                + (ha.map { " as the \($0.configuration.mode.rawValue) \($0.configuration.role.rawValue), partner \($0.configuration.partner): \($0.state.rawValue)" } ?? ""))
        }
    }

    func received(_ datagram: UDPDatagram) {
        received += 1
        metrics?.received(type: DHCPMessage.parse(datagram.bytes).message?.typeName ?? "MALFORMED")
        guard receivedLines else { return }
        let parsed = DHCPMessage.parse(datagram.bytes).message
        let type = parsed?.typeName ?? "malformed message"
        let xid = parsed.map { " xid \(Hex.xid($0.xid))" } ?? ""
        output.write(line: "received \(type) from \(datagram.source):\(datagram.sourcePort)\(xid)")
    }

    func sent(_ message: DHCPMessage, to destination: DHCPServerDestination) {
        let type = message.typeName
        replies[type, default: 0] += 1
        metrics?.sent(type: type)
        if json {
            var line = JSONLine(event: "reply")
            line.field("type", type)
            line.key("xid"); line.hex32(message.xid)
            line.field("mac", Hex.colonSeparated(message.hardwareAddress))
            line.key("yiaddr"); line.address(message.yourAddress)
            line.field("destination", destination.description)
            output.append(line.finish())
            output.endLine()
        } else {
            // "OFFER 198.18.1.0 to 06:00:00:00:00:01 xid 0x00003d1d via relay 198.18.0.2:67", built in place: a
            // line per reply is on the hot path.
            output.writeLine { line in
                line.append(contentsOf: type.utf8)
                if message.yourAddress != .any {
                    line.append(UInt8(ascii: " "))
                    message.yourAddress.appendDottedQuad(to: &line)
                }
                line.append(contentsOf: " to ".utf8)
                Hex.appendColonSeparated(message.hardwareAddress, to: &line)
                line.append(contentsOf: " xid ".utf8)
                Hex.appendXID(message.xid, to: &line)
                line.append(contentsOf: " via ".utf8)
                destination.appendDescription(to: &line)
            }
        }
    }

    /// `ack`: the ACK that granted it, when the same batch sends one — its T1, T2, router, DNS servers and domain
    /// are the lease's.
    func lease(_ lease: DHCPLease, ack: DHCPMessage?) {
        leases[lease.address] = lease.state
        let end = Timestamp(secondsSince1970: lease.expires)
        let state = Self.contractState(lease.state)
        if json {
            let bound = lease.state == .bound
            let leaseTime = ack?.leaseTime ?? lease.leaseTime
            output.append(Events.lease(Events.Lease(
                ip: lease.address, mac: Hex.colonSeparated(lease.hardwareAddress),
                clientID: lease.client.kind == .clientIdentifier ? lease.client.bytes : nil, hostname: lease.hostName,
                server: server, start: Timestamp(secondsSince1970: lease.start), end: bound ? end : nil,
                leaseTime: bound ? leaseTime : nil,
                t1: ack.map { Double($0.renewalTime ?? DHCPLeaseTimers.renewalTime(leaseTime: leaseTime)) },
                t2: ack.map { Double($0.rebindingTime ?? DHCPLeaseTimers.rebindingTime(leaseTime: leaseTime)) },
                router: ack.flatMap { DHCPClient.addresses($0.value(.routers)).first },
                dns: ack.map { DHCPClient.addresses($0.value(.domainNameServers)) } ?? [],
                domain: ack.flatMap { if case .text(let name)? = $0.value(.domainName) { name } else { nil } },
                state: state, frame: nil)))
            output.endLine()
        } else {
            // "lease 198.18.1.0 06:00:00:00:00:01 active until 2025-01-01T00:00:00.000000Z", built in place.
            output.writeLine { line in
                line.append(contentsOf: "lease ".utf8)
                lease.address.appendDottedQuad(to: &line)
                line.append(UInt8(ascii: " "))
                Hex.appendColonSeparated(lease.hardwareAddress, to: &line)
                line.append(UInt8(ascii: " "))
                line.append(contentsOf: state.utf8)
                if lease.state == .bound {
                    line.append(contentsOf: " until ".utf8)
                    end.appendRFC3339(fractionDigits: 6, to: &line)
                }
            }
        }
    }

    func problem(_ kind: String, _ text: String, xid: UInt32?) {
        let severity = ["malformed", "socket", "send", "capture", "ldap"].contains(kind) ? "warning" : "info"
        problems.add(severity)
        metrics?.problem(code: "server-\(kind)")
        if json {
            output.append(Events.problem(Events.Problem(code: "server-\(kind)", severity: severity, xid: xid, text: text)))
            output.endLine()
        } else {
            Diagnostics.error("\(kind): \(text)")
        }
    }

    /// The `ha` object of `ready` and `summary`, and the `ha` event's fields.
    static func haFields(_ line: inout JSONLine, _ peer: DHCPHAPeer, state: DHCPHAPeer.State) {
        line.field("state", state.rawValue)
        line.field("mode", peer.configuration.mode.rawValue)
        line.field("role", peer.configuration.role.rawValue)
        line.key("partner"); line.address(peer.configuration.partner)
        line.field("partner_up", peer.partnerUp)
    }

    func periodic(_ engine: ServerEngine, ha: DHCPHAPeer?, now: Double) {
        metrics?.state(configuration: engine.configuration, leases: engine.leases, heldOffers: engine.heldOfferCount,
                       refusedAllocations: engine.refusedAllocations, partnerUp: ha?.partnerUp, now: now)
    }

    func reservations(_ count: Int, source: String) {
        if json {
            var line = JSONLine(event: "reservations")
            line.field("source", source)
            line.field("count", count)
            output.append(line.finish())
            output.endLine()
        } else {
            Diagnostics.error("\(count) reservations from \(source)")
        }
        output.flush()
    }

    func ha(_ state: DHCPHAPeer.State, peer: DHCPHAPeer) {
        if json {
            var line = JSONLine(event: "ha")
            Self.haFields(&line, peer, state: state)
            line.field("missed", peer.missed)
            output.append(line.finish())
            output.endLine()
        } else {
            output.write(line: "ha \(state.rawValue): partner \(peer.configuration.partner) \(peer.partnerUp ? "up" : "down after \(peer.missed) missed heartbeats")")
        }
        output.flush()
    }

    func summary(ha: DHCPHAPeer?, leftToPartner: Int) {
        let active = leases.values.filter { $0 == .bound }.count
        if json {
            output.append(Events.summary(problems: problems) { line in
                if let ha {
                    line.beginObject("ha")
                    Self.haFields(&line, ha, state: ha.state)
                    line.field("left_to_partner", leftToPartner)
                    line.endObject()
                }
                line.field("received", received)
                line.beginObject("replies")
                for (type, count) in replies.sorted(by: { $0.key < $1.key }) { line.key(text: type); line.number(count) }
                line.endObject()
                line.field("leases", leases.count)
                line.field("active_leases", active)
            })
            output.endLine()
        } else {
            let sent = replies.sorted(by: { $0.key < $1.key }).map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            output.write(line: "\(received) messages received; replies: \(sent.isEmpty ? "none" : sent); \(active) active leases; \(problems.total) problems")
        }
        output.flush()
    }

    /// The `lease` event's states.
    static func contractState(_ state: DHCPLease.State) -> String {
        switch state {
        case .bound: "active"
        case .released, .free: "released"
        case .expired: "expired"
        case .declined: "declined"
        }
    }
}
