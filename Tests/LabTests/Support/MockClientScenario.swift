import Foundation
import Glibc
import Testing

/// The real servers mock-client is tested against, started the same way in each scenario, and read back through their
/// own lease files as one vocabulary (active, released, declined). Facts behind each were learned running the peers in namespaces.
enum RealServer: String, CaseIterable, CustomStringConvertible {
    case dnsmasq, kea, dhcpd, udhcpd

    var description: String { rawValue }

    /// Lease time and T1/T2 (options 58/59) for the servers that take them: dnsmasq's leases are always 120 s (its
    /// minimum), udhcpd sends no 58/59 (the client takes 50 % and 87.5 %).
    struct Timers {
        var lease = 60, t1 = 30, t2 = 52
    }

    /// Starts the server on `interface` (holding host 1 of the lab's subnet), pool .100–.150.
    func start(_ lab: Lab, in namespace: String, interface: String = "srv0", timers: Timers = Timers()) async throws -> LabProcess {
        switch self {
        case .dnsmasq: try await lab.startDnsmasq(in: namespace, interface: interface, subnet: lab.subnet)
        case .kea: try await lab.startKea(in: namespace, interface: interface, subnets: [lab.subnet], validLifetime: timers.lease,
                                          renewTimer: timers.t1, rebindTimer: timers.t2)
        case .dhcpd: try await lab.startDhcpd(in: namespace, interface: interface, subnet: lab.subnet, leaseTime: timers.lease,
                                              t1: timers.t1, t2: timers.t2)
        case .udhcpd: try await lab.startUdhcpd(in: namespace, interface: interface, subnet: lab.subnet, leaseTime: timers.lease)
        }
    }

    struct Lease: CustomStringConvertible {
        enum State: String { case active, released, declined }
        var address: String
        /// The client's MAC; nil where the server forgot it (Kea and udhcpd clear it when an address is declined).
        var mac: String?
        var state: State
        var description: String { "\(address) \(mac ?? "-") \(state)" }
    }

    /// The server's latest word on each address, from its lease file: dnsmasq's leasefile (a released lease is gone
    /// from it), Kea's memfile CSV (valid_lifetime 0: released; state 1: declined), dhcpd.leases (binding state free or
    /// released; abandoned), udhcpd's binary file, which `server` (udhcpd) is first asked to write with SIGUSR1 (no
    /// time left: released; MAC zeroed with time left: declined).
    func leases(_ lab: Lab, _ server: LabProcess) -> [Lease] {
        switch self {
        case .dnsmasq:
            return lab.read("dnsmasq.leases").split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ").map(String.init)
                return fields.count >= 3 ? Lease(address: fields[2], mac: fields[1], state: .active) : nil
            }
        case .kea:
            return Self.latest(lab.keaRows().map { row in
                Lease(address: row.address, mac: row.mac.isEmpty ? nil : row.mac,
                      state: row.state == 1 ? .declined : row.validLifetime == 0 ? .released : .active)
            })
        case .dhcpd:
            return Self.latest(lab.dhcpdLeases().compactMap { block in
                let state: Lease.State? = switch block.state {
                case "active": .active
                case "free", "released": .released
                case "abandoned": .declined
                default: nil
                }
                return state.map { Lease(address: block.address, mac: block.mac, state: $0) }
            })
        case .udhcpd:
            server.signal(SIGUSR1)
            usleep(100_000)
            return lab.udhcpdLeases().map { record in
                let forgotten = record.mac == "00:00:00:00:00:00"
                return Lease(address: record.address, mac: forgotten ? nil : record.mac,
                             state: record.secondsLeft == 0 ? .released : forgotten ? .declined : .active)
            }
        }
    }

    /// The last entry for each address, in the order the addresses first appear.
    private static func latest(_ entries: [Lease]) -> [Lease] {
        var order: [String] = [], last: [String: Lease] = [:]
        for entry in entries {
            if last[entry.address] == nil { order.append(entry.address) }
            last[entry.address] = entry
        }
        return order.compactMap { last[$0] }
    }
}

/// What the mock-client scenarios share: a client and a server namespace per server (the server on a bridge, so that
/// a bridge-family nft rule can drop frames before the servers' packet sockets see them), mock-client runs and their
/// JSON events.
protocol MockClientScenario: MockServerScenario {}

extension MockClientScenario {
    /// A client namespace (cli0, no address, MAC `mac`) and a server namespace whose bridge srv0 holds host 1 of the
    /// lab's subnet, joined by a veth to a bridge port; `tag` names the namespaces (one segment per server).
    static func segment(_ lab: Lab, _ tag: String, link: Int) async throws -> (client: String, server: String, mac: String) {
        let client = try lab.namespace("cli-\(tag)"), server = try lab.namespace("srv-\(tag)")
        let mac = lab.mac(link: link, side: 2)
        try bridge(lab, in: server, mac: lab.mac(link: link, side: 3), address: lab.subnet.host(1))
        try await attach(lab, (client, "cli0", mac, nil), to: server, port: "p-cli", portMAC: lab.mac(link: link, side: 1))
        return (client, server, mac)
    }

    /// Starts `dhcpscope mock-client -i cli0 --json ARGUMENTS` in `namespace` (at most `timeout` s).
    static func startMockClient(_ lab: Lab, _ name: String, in namespace: String, _ arguments: [String],
                                timeout: Int = 90) throws -> LabProcess {
        try lab.start(name, in: namespace, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json"] + arguments, timeout: timeout)
    }

    /// Waits for every run to end, then checks each exited with `status`, reported no problem but those `allowed`,
    /// and printed its summary last.
    static func finish(_ lab: Lab, _ runs: [LabProcess], status: Int32 = 0, allowed: Set<String> = [],
                       seconds: Double = 40) async throws {
        try await lab.wait(for: "\(runs.map(\.name).joined(separator: ", ")) to end", seconds: seconds) { !runs.contains(where: \.isRunning) }
        for run in runs {
            try lab.check(run.exitStatus == status, "\(run.name) exited \(run.exitStatus ?? -1), expected \(status):\n\(run.output)")
            let codes = Set(problems(run).compactMap { $0.string("code") })
            try lab.check(codes.isSubset(of: allowed), "\(run.name) reports problems \(codes.subtracting(allowed).sorted()):\n\(run.output)")
            try lab.check(events(run).last?.name == "summary", "\(run.name)'s last line is not its summary:\n\(run.output)")
        }
    }

    /// The client's `lease` events (ip and state) in order.
    static func clientLeases(_ run: LabProcess) -> [(ip: String, state: String)] {
        events(run).filter { $0.name == "lease" }.map { ($0.string("ip") ?? "?", $0.string("state") ?? "?") }
    }

    /// The client's states (`to` of its transition events) in order.
    static func clientStates(_ run: LabProcess) -> [String] {
        events(run).filter { $0.name == "transition" }.compactMap { $0.string("to") }
    }

    /// The client went through `expected` in that order (others may come between).
    static func checkClientStates(_ lab: Lab, _ run: LabProcess, _ expected: [String]) throws {
        var remaining = expected[...]
        for state in clientStates(run) where state == remaining.first { remaining.removeFirst() }
        try lab.check(remaining.isEmpty, "\(run.name) went through \(clientStates(run)), expected \(expected) in order")
    }

    /// Waits until `server`'s lease file says `state` for `address` (and, when given, for `mac`). dnsmasq says
    /// `released` by dropping the lease from its file.
    static func waitForServerLease(_ lab: Lab, _ server: RealServer, _ process: LabProcess, address: String, mac: String?,
                                   _ state: RealServer.Lease.State) async throws {
        do {
            try await lab.wait(for: "\(server)'s lease file to show \(address) \(state)", seconds: 5) {
                guard let found = server.leases(lab, process).first(where: { $0.address == address }) else {
                    return server == .dnsmasq && state == .released
                }
                return found.state == state && (mac == nil || found.mac == mac)
            }
        } catch let error as LabError {
            throw error.adding("its leases: \(server.leases(lab, process))")
        }
    }

    /// Drops, in `namespace`, UDP to port 67 of `address` arriving on any bridge port (a bridge-family nft rule: it
    /// runs before the bridge passes the frame up, so before Kea's and dhcpd's packet sockets see it); broadcasts pass.
    static func blockUnicast(_ lab: Lab, in namespace: String, to address: String) throws {
        let rules = try lab.write("nft-\(namespace.suffix(8)).conf", """
            table bridge dhcpscope_lab {
              chain input {
                type filter hook input priority 0; policy accept;
                ip daddr \(address) udp dport 67 counter drop
              }
            }

            """)
        try lab.run("nft-\(namespace.suffix(8))", in: namespace, ["/usr/sbin/nft", "-f", rules])
    }

    /// How many frames the rule of `blockUnicast` dropped.
    static func unicastDropped(_ lab: Lab, in namespace: String) throws -> Int {
        let text = try lab.run("nft-list-\(namespace.suffix(8))", in: namespace, ["/usr/sbin/nft", "list", "table", "bridge", "dhcpscope_lab"])
        guard let range = text.range(of: #"counter packets \d+"#, options: .regularExpression) else { return 0 }
        return Int(text[range].split(separator: " ").last!) ?? 0
    }
}

extension LabError {
    /// The same timeout with what was found appended.
    func adding(_ text: String) -> LabError {
        if case .timeout(let what, let seconds) = self { return .timeout("\(what); \(text)", seconds: seconds) }
        return self
    }
}
