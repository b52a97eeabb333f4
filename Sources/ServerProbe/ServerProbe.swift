import DHCPAnalysis
import DHCPClients
import DHCPNetwork
import DHCPCore
import DHCPProtocol
import Framing

/// One probe of a segment: client machines send the probe messages (one machine per probe type, all with one
/// chaddr), every answer until the timeout is collected per server, and the servers are judged against the
/// expectation — `ServerExpectation`, the one `analyse --expect` and `sniff --expect` use.
public struct ServerProbe {
    public enum Kind: String, CaseIterable, Sendable {
        case discover, bootp, request
        case initReboot = "init-reboot"
        case rebinding
    }

    public struct Settings: Sendable {
        public var kinds: [Kind] = [.discover]
        public var client: DHCPClientSettings
        /// Total seconds to wait for answers.
        public var timeout: Double = 3
        /// Probes sent again, evenly within the timeout.
        public var retries = 0
        /// Address named in REQUEST, INIT-REBOOT and REBINDING probes.
        public var probeAddress = IPv4Address(198, 18, 255, 254)
        /// Server named by the REQUEST probe.
        public var probeServer = IPv4Address(198, 18, 255, 253)
        /// Also send INFORM as a client holding this address (the interface's).
        public var informAddress: IPv4Address?
        /// DORA then RELEASE instead of only asking.
        public var full = false
        public var expectation = ServerExpectation()
        /// An expected server slower than this is a WARNING.
        public var warnMilliseconds: Double?

        public init(client: DHCPClientSettings) { self.client = client }
    }

    /// Everything one server said.
    public struct Server: Sendable {
        public var id: IPv4Address
        public var sourceIP: IPv4Address
        public var mac: MACAddress?
        public var giaddr: IPv4Address?
        public var offered: IPv4Address?
        public var leaseTime: UInt32?
        public var subnetMask: IPv4Address?
        public var routers: [IPv4Address] = []
        public var dns: [IPv4Address] = []
        public var domain: String?
        /// The options of its first answer.
        public var options: [DHCPOption] = []
        /// Milliseconds from the probe to each answer.
        public var responseTimes: [Double] = []
        /// Message types of its answers, and which probe kinds they answered.
        public var answers: [String: Int] = [:]
        public var kinds: Set<String> = []
        public var expected = true
    }

    public enum Status: Int, Sendable, Comparable {
        case ok = 0, warning = 1, critical = 2, unknown = 3

        public var name: String { ["OK", "WARNING", "CRITICAL", "UNKNOWN"][rawValue] }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public struct Result: Sendable {
        public var servers: [Server]
        public var status: Status
        public var statusText: String
        /// Expected servers that did not answer: by address (`--expect`), and by MAC (`--expect-mac`; a server
        /// reached through a relay shows no MAC of its own, so it can be expected by MAC only on the link).
        public var missing: [IPv4Address]
        public var missingMACs: [MACAddress] = []
        public var elapsed: Double
        /// The socket was stopped (a signal) before the timeout.
        public var stopped = false
        /// The verdict's parts as problems, each with the server it is about: `unexpected-server` (error) for each
        /// rogue, `no-server` (error) when nobody answered, `server-missing` (warning) for each expected server that
        /// did not, `slow-server` (warning) for each slower than --warn-ms.
        public var findings: [Finding] = []
    }

    public struct Finding: Sendable {
        public var problem: DHCPClientProblem
        /// The server's identifier (or the MAC expected), nil for `no-server`.
        public var server: String?
    }

    public enum Event {
        case fleet(DHCPClientFleet.Event)
        /// A server's first answer.
        case answered(Server)
    }

    public let settings: Settings
    public init(settings: Settings) { self.settings = settings }

    /// The client machines a probe runs: one per kind, and one for INFORM.
    public var clientSettings: [DHCPClientSettings] {
        var client = settings.client
        // A probe only asks: the machine never chooses an offer before the probe ends, unless --full.
        client.offerWindow = settings.full ? 0 : settings.timeout + 60
        return Array(repeating: client, count: settings.kinds.count + (settings.informAddress == nil ? 0 : 1))
    }

    /// Sends the probes on `fleet` (made from `clientSettings`), collects answers until the timeout, then gives
    /// back any lease a probe was handed (a client BOUND by an ACK; one still pretending to rebind holds nothing).
    public func run(on fleet: DHCPClientFleet, _ handler: (Event) -> Void) throws(DHCPNetworkError) -> Result {
        let started = fleet.clock()
        let end = started + settings.timeout
        var sentAt: [UInt32: (time: Double, kind: String)] = [:]
        var servers: [IPv4Address: Server] = [:]
        var order: [IPv4Address] = []
        let mac = settings.client.hardwareAddress

        func observe(_ event: DHCPClientFleet.Event) {
            switch event {
            case .action(let index, .send(let message, _)):
                let kind = index < settings.kinds.count ? settings.kinds[index].rawValue : "inform"
                if sentAt[message.xid] == nil { sentAt[message.xid] = (fleet.clock(), kind) }
            case .frame(let frame, sent: false):
                let parsed = frame.withUnsafeBytes { FrameParser.parse($0, linkType: .ethernet) }
                if case .udp(let ip, let udp, _) = parsed.payload, udp.sourcePort == 67 {
                    record(Array(frame[udp.payload]), from: ip.source, mac: parsed.link.source)
                }
            case .datagram(let payload, let peer, sent: false):
                record(payload, from: peer, mac: nil)
            case .action(_, .problem(let problem)) where problem.code == "unexpected-xid":
                return  // an answer to an earlier retry: counted from the frame, not a problem
            default:
                break
            }
            handler(.fleet(event))
        }

        /// An answer from `source` (from `sourceMAC` on the link, to port 68; nil when it came by UDP to port 67,
        /// in relay mode).
        func record(_ payload: [UInt8], from source: IPv4Address, mac sourceMAC: MACAddress?) {
            guard let reply = DHCPMessage.parse(payload).message, reply.op == DHCPMessage.bootReply,
                  reply.clientMAC == mac, let probe = sentAt[reply.xid] else { return }
            let origin = DHCPReplyOrigin(reply, sourceIP: source, toClient: sourceMAC != nil)
            let id = origin.server
            var server = servers[id] ?? Server(id: id, sourceIP: source)
            let isNew = servers[id] == nil
            if isNew {
                server.mac = sourceMAC
                server.giaddr = reply.relayAddress == .any ? nil : reply.relayAddress
                server.options = reply.options
                // Behind a relay agent the source address and MAC are the relay's: the server is judged by its own name.
                server.expected = origin.relay == nil
                    ? settings.expectation.isExpected(serverID: reply.serverIdentifier, sourceIP: source, sourceMAC: sourceMAC)
                    : settings.expectation.isExpected(serverID: id, sourceIP: id, sourceMAC: nil)
            }
            if server.offered == nil, reply.yourAddress != .any {
                server.offered = reply.yourAddress
                server.leaseTime = reply.leaseTime
                if case .ipv4(let mask)? = reply.value(.subnetMask) { server.subnetMask = mask }
                server.routers = DHCPClient.addresses(reply.value(.routers))
                server.dns = DHCPClient.addresses(reply.value(.domainNameServers))
                if case .text(let name)? = reply.value(.domainName) { server.domain = name }
            }
            server.responseTimes.append((fleet.clock() - probe.time) * 1000)
            server.answers[reply.typeName, default: 0] += 1
            server.kinds.insert(probe.kind)
            servers[id] = server
            if isNew {
                order.append(id)
                handler(.answered(server))
            }
        }

        let rounds = settings.retries + 1
        for round in 0..<rounds {
            let now = fleet.clock()
            for (index, kind) in settings.kinds.enumerated() { fleet.probe(index, probe(kind), now: now, observe) }
            if let address = settings.informAddress {
                fleet.inform(settings.kinds.count, address: address, now: now, observe)
            }
            let roundEnd = started + settings.timeout * Double(round + 1) / Double(rounds)
            while fleet.clock() < min(roundEnd, end) {
                guard try fleet.step(until: min(roundEnd, end), observe) else {
                    var result = judge(servers, order, started, now: fleet.clock())
                    result.stopped = true
                    return result
                }
            }
        }
        // A probe leaves no lease behind: what a probe was given (--full, or an ACK to a REQUEST) is released.
        let now = fleet.clock()
        for index in fleet.clients.indices where fleet.clients[index].state == .bound {
            fleet.release(index, now: now, observe)
        }
        return judge(servers, order, started, now: fleet.clock())
    }

    /// probe's rounds: `run` on a new fleet each round; with `pause`, again that many seconds after each round ends,
    /// until a signal or `limit` rounds. Frames that come during a pause answer nothing and are dropped. `round` is
    /// given each round's number and result; the last result is returned.
    public func rounds(on socket: any DHCPClientLink, vlan: UInt16?, seed: UInt64, pause: Double?, limit: Int?,
                       clock: @escaping () -> Double = { RoleClock.process.now() },
                       _ handler: (Event) -> Void, round: (_ number: Int, _ result: Result) -> Void) throws(DHCPNetworkError) -> Result {
        var number = 0
        while true {
            number += 1
            let fleet = DHCPClientFleet(socket: socket, clients: clientSettings, seed: seed &+ UInt64(number), vlan: vlan)
            fleet.clock = clock
            let result = try run(on: fleet, handler)
            round(number, result)
            guard let pause, !result.stopped, limit.map({ number < $0 }) ?? true else { return result }
            let next = clock() + pause
            while clock() < next {
                if case .stopped = try socket.receive(timeout: .nanoseconds(Int64((next - clock()) * 1e9))) {
                    var stopped = result
                    stopped.stopped = true
                    return stopped
                }
            }
        }
    }

    private func probe(_ kind: Kind) -> DHCPProbe {
        switch kind {
        case .discover: .discover
        case .bootp: .bootp
        case .request: .selecting(server: settings.probeServer, address: settings.probeAddress)
        case .initReboot: .initReboot(settings.probeAddress)
        case .rebinding: .rebinding(settings.probeAddress)
        }
    }

    /// The Nagios plugin verdict (as check_dhcp): CRITICAL when nobody answered or a rogue did, WARNING when an
    /// expected server is missing or slower than the warning threshold, else OK.
    func judge(_ servers: [IPv4Address: Server], _ order: [IPv4Address], _ started: Double, now: Double) -> Result {
        let list = order.compactMap { servers[$0] }
        let elapsed = now - started
        let missing = settings.expectation.addresses.sorted().filter { address in
            !list.contains { $0.id == address || $0.sourceIP == address }
        }
        let missingMACs = settings.expectation.macs.sorted().filter { mac in !list.contains { $0.mac == mac } }
        let rogues = list.filter { !$0.expected }
        let slow = settings.warnMilliseconds.map { limit in
            list.filter { $0.expected && ($0.responseTimes.min() ?? 0) > limit }
        } ?? []
        var findings: [Finding] = list.isEmpty
            ? [Finding(problem: DHCPClientProblem("no-server", .error, rfc: "", xid: nil, "no DHCP server answered"), server: nil)] : []
        for rogue in rogues {
            var text = "unexpected server \(rogue.id) (source \(rogue.sourceIP), MAC \(rogue.mac?.description ?? "unknown")"
            if let relay = rogue.giaddr { text += ", relayed by \(relay)" }
            findings.append(Finding(problem: DHCPClientProblem("unexpected-server", .error, rfc: "", xid: nil, text + ") answered: possible rogue"),
                                    server: rogue.id.description))
        }
        for name in missing.map(\.description) + missingMACs.map(\.description) {
            findings.append(Finding(problem: DHCPClientProblem("server-missing", .warning, rfc: "", xid: nil,
                                                               "expected server \(name) did not answer"), server: name))
        }
        for server in slow {
            findings.append(Finding(problem: DHCPClientProblem("slow-server", .warning, rfc: "", xid: nil,
                                                               "\(server.id) answered in \(server.responseTimes.min() ?? 0) ms, slower than \(settings.warnMilliseconds ?? 0) ms"),
                                    server: server.id.description))
        }
        let (status, text): (Status, String)
        if list.isEmpty {
            (status, text) = (.critical, "no DHCP server answered")
        } else if !rogues.isEmpty {
            (status, text) = (.critical, "rogue server\(rogues.count == 1 ? "" : "s") \(rogues.map(\.id.description).joined(separator: ", ")) answered")
        } else if !missing.isEmpty || !missingMACs.isEmpty {
            let names = missing.map(\.description) + missingMACs.map(\.description)
            (status, text) = (.warning, "expected server\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")) did not answer")
        } else if !slow.isEmpty {
            (status, text) = (.warning, "\(slow.map(\.id.description).joined(separator: ", ")) slower than \(settings.warnMilliseconds ?? 0) ms")
        } else {
            (status, text) = (.ok, "\(list.count) server\(list.count == 1 ? "" : "s") answered: \(list.map(\.id.description).joined(separator: ", "))")
        }
        return Result(servers: list, status: status, statusText: text, missing: missing, missingMACs: missingMACs, elapsed: elapsed,
                      findings: findings)
    }
}
