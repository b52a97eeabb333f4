import Foundation
import Glibc
import Testing

/// Issue 6: `dhcpscope mock-client` against dnsmasq, kea-dhcp4, ISC dhcpd and udhcpd (and our own mock-server), each
/// server in its own pair of namespaces beside the others. Every scenario checks the client's own view (its JSON events
/// and exit status), the wire (tcpdump on the client's side, read by `decode` and `analyse`) and the server's lease
/// file. Scenario indices 30–37; 39's subnet is the "other network" of the INIT-REBOOT NAK (never configured).
///
/// What the servers do, as these scenarios found:
/// - Short leases: dnsmasq refuses less than 120 s, so renew and rebind use Kea, dhcpd (lease 20 s, T1/T2 set) and
///   udhcpd (lease 8 s; it sends no T1/T2, the client takes 50 % and 87.5 %). `--time-scale` compresses only the
///   client's timers, so against a real server it would renew before the server expects; it is used with mock-server.
/// - Rebind: Kea and dhcpd read frames through packet sockets, which see a frame before iptables' INPUT would; the
///   server serves on a bridge and a bridge-family nft rule drops unicast to its port 67 before the bridge passes the
///   frame up. Every server then ACKs the broadcast REQUEST with ciaddr.
/// - DECLINE: Kea keeps the address declined (state 1, MAC and client id cleared, probation 24 h); dhcpd marks it
///   `binding state abandoned`; udhcpd zeroes the lease's MAC and keeps the address for `decline_time` (1 h).
///   dnsmasq quarantines nothing for a dynamic address: it drops the lease and moves the client's address hash on, so
///   the client gets another address but anyone else could be given the declined one (only a dhcp-host address is
///   disabled, for 10 minutes).
/// - Renewal: dhcpd ACKs a renewal within `dhcp-cache-threshold` (25 %) of the lease's age with the lease unaltered,
///   and writes nothing to dhcpd.leases; Kea appends a row.
/// - INFORM: all four answer with an ACK to ciaddr; none records a lease.
/// - INIT-REBOOT for an address of another network: all four NAK it (dnsmasq and dhcpd authoritative; Kea and udhcpd
///   NAK an INIT-REBOOT they cannot honour without that).
@Suite("Lab: mock-client with real servers", .enabled(if: LabGate.enabled, LabGate.skipReason), .timeLimit(.minutes(2)))
struct MockClientInteropTests: MockClientScenario {
    // MARK: DORA, release

    /// `--once`: DORA, exit 0, the server's lease file holds the lease; then `--once --release`: the same address
    /// again, RELEASE, and the server's lease file shows it released.
    @Test("mock-client + dnsmasq, kea, dhcpd, udhcpd: DORA, then DORA and release")
    func doraRelease() async throws {
        try await Lab.run("mock-client-dora-release", index: 30) { lab in
            let cells = try await Self.setUp(lab, RealServer.allCases)
            let first = try cells.map { try Self.startMockClient(lab, "mc-\($0.server)-1", in: $0.client, ["--once", "--mac", $0.mac]) }
            try await Self.finish(lab, first)
            var addresses: [String] = []
            for (cell, run) in zip(cells, first) {
                let address = try Self.checkBound(lab, run, server: cell.server)
                try Self.checkClientStates(lab, run, ["SELECTING", "REQUESTING", "BOUND"])
                try await Self.waitForServerLease(lab, cell.server, cell.process, address: address, mac: cell.mac, .active)
                addresses.append(address)
            }
            let second = try cells.map {
                try Self.startMockClient(lab, "mc-\($0.server)-2", in: $0.client, ["--once", "--release", "--mac", $0.mac])
            }
            try await Self.finish(lab, second)
            for (cell, (run, address)) in zip(cells, zip(second, addresses)) {
                let leases = Self.clientLeases(run).map { "\($0.ip) \($0.state)" }
                try lab.check(leases == ["\(address) active", "\(address) released"], "\(cell.server): the client's leases \(leases)")
                try Self.checkClientStates(lab, run, ["BOUND", "RELEASED"])
                try await Self.waitForServerLease(lab, cell.server, cell.process, address: address, mac: cell.mac, .released)
            }
            for (cell, address) in zip(cells, addresses) {
                try await lab.stopCapture(cell.capture)
                let messages = try lab.decodedMessages([cell.captureFile])
                try lab.checkDORA(messages, mac: cell.mac, address: address, then: ["DISCOVER", "OFFER", "REQUEST", "ACK", "RELEASE"])
                let release = try #require(messages.last)
                try lab.check(release.dhcp["ciaddr"] as? String == address && release.string("dst") == "\(lab.subnet.host(1)):67"
                              && Self.option(release, 54) as? String == lab.subnet.host(1), "\(cell.server): RELEASE \(release.object)")
                let events = try Self.analyse(lab, [cell.captureFile], errors: false)
                try Self.checkStory(lab, cell, events, ["dora ack", "dora ack", "release released"])
                try lab.checkLease(events, address: address, mac: cell.mac, state: "released")
            }
        }
    }

    // MARK: Renew, rebind

    /// Short leases: the client renews at T1 (Kea, dhcpd: 3 s; udhcpd: half of 8 s) with a unicast REQUEST from its
    /// address, and the server ACKs it.
    @Test("mock-client + kea, dhcpd, udhcpd: renew at T1")
    func renew() async throws {
        try await Lab.run("mock-client-renew", index: 31) { lab in
            let timers = RealServer.Timers(lease: 20, t1: 3, t2: 15)
            let cells = try await Self.setUp(lab, [.kea, .dhcpd, .udhcpd]) { $0 == .udhcpd ? RealServer.Timers(lease: 8) : timers }
            let runs = try cells.map { try Self.startMockClient(lab, "mc-\($0.server)", in: $0.client, ["--duration", "6", "--mac", $0.mac]) }
            try await Self.finish(lab, runs)
            // Every server's view first, while the short leases (udhcpd: 8 s) still run, udhcpd's first of all (on a
            // loaded machine the others' checks took long enough for its lease to end); then the captures.
            var addresses = [String: String]()
            for (cell, run) in zip(cells, runs).sorted(by: { first, _ in first.0.server == .udhcpd }) {
                let t1 = cell.server == .udhcpd ? 4.0 : 3.0
                let address = try Self.checkBound(lab, run, server: cell.server, renewed: true)
                addresses[cell.mac] = address
                try lab.check(Self.events(run).first { $0.name == "lease" }?["t1"] as? Int == Int(t1), "\(cell.server): T1 is not \(t1)")
                try Self.checkClientStates(lab, run, ["BOUND", "RENEWING", "BOUND"])
                try await Self.waitForServerLease(lab, cell.server, cell.process, address: address, mac: cell.mac, .active)
                if cell.server == .kea {
                    try lab.check(lab.keaLeases(mac: cell.mac).count >= 2, "Kea wrote no row for the renewal: \(lab.keaLeases(mac: cell.mac))")
                } else if cell.server == .dhcpd {
                    // A renewal within dhcp-cache-threshold (25 %) of the lease's age leaves dhcpd.leases as it was.
                    try lab.check(cell.process.output.contains("reuse_lease: lease age 3 (secs) under 25% threshold")
                                  || lab.dhcpdLeases().filter { $0.address == address }.count >= 2, "dhcpd's log has no renewal")
                }
            }
            for cell in cells {
                let address = try #require(addresses[cell.mac])
                let t1 = cell.server == .udhcpd ? 4.0 : 3.0
                try await lab.stopCapture(cell.capture)
                let messages = try lab.decodedMessages([cell.captureFile])
                try lab.checkDORA(messages, mac: cell.mac, address: address, then: ["REQUEST", "ACK"], repeats: 1...2)
                let ack = try #require(messages.first { $0.messageType == "ACK" })
                let renewal = try #require(messages.dropFirst(4).first { $0.messageType == "REQUEST" })
                try Self.checkExtending(lab, renewal, address: address, destination: "\(lab.subnet.host(1)):67")
                try lab.check(renewal.string("src") == "\(address):68", "\(cell.server): renewal from \(renewal.string("src") ?? "nil")")
                let after = try #require(renewal.date).timeIntervalSince(try #require(ack.date))
                try lab.check((t1 - 1...t1 + 1.5).contains(after), "\(cell.server): renewed \(after) s after the ACK, T1 is \(t1) s")
                let renewACK = try #require(messages.dropFirst(4).first { $0.messageType == "ACK" })
                try lab.check(renewACK.dhcp["yiaddr"] as? String == address && renewACK.string("dst") == "\(address):68",
                              "\(cell.server): the renewal's ACK \(renewACK.object)")
                let events = try Self.analyse(lab, [cell.captureFile], errors: false)
                try lab.checkOneDORA(events, mac: cell.mac, address: address)
                let renews = Self.transactions(events, "renew")
                try lab.check(!renews.isEmpty && renews.allSatisfy { $0.string("outcome") == "ack" }, "renews: \(renews.map(\.object))")
                try lab.checkStates(events, mac: cell.mac, ["BOUND", "RENEWING", "BOUND"])
                try lab.checkLease(events, address: address, mac: cell.mac, state: "renewed")
            }
        }
    }

    /// Unicast to the server's port 67 is dropped in its namespace: the renewal at T1 goes unanswered, the client
    /// broadcasts its REQUEST at T2 (Kea, dhcpd: 4 s; udhcpd: 7 s of 8) and the same server ACKs it.
    @Test("mock-client + kea, dhcpd, udhcpd: rebind when unicast is blocked")
    func rebind() async throws {
        try await Lab.run("mock-client-rebind", index: 32) { lab in
            let timers = RealServer.Timers(lease: 20, t1: 2, t2: 4)
            let cells = try await Self.setUp(lab, [.kea, .dhcpd, .udhcpd]) { $0 == .udhcpd ? RealServer.Timers(lease: 8) : timers }
            for cell in cells { try Self.blockUnicast(lab, in: cell.serverNamespace, to: lab.subnet.host(1)) }
            let runs = try cells.map {
                try Self.startMockClient(lab, "mc-\($0.server)", in: $0.client, ["--duration", $0.server == .udhcpd ? "8.5" : "6", "--mac", $0.mac])
            }
            try await Self.finish(lab, runs)
            let server = lab.subnet.host(1)
            // Every server's view first, while the short leases (udhcpd: 8 s) still run; then the captures.
            var addresses = [String]()
            for (cell, run) in zip(cells, runs) {
                let address = try Self.checkBound(lab, run, server: cell.server, renewed: true)
                addresses.append(address)
                try Self.checkClientStates(lab, run, ["BOUND", "RENEWING", "REBINDING", "BOUND"])
                try await Self.waitForServerLease(lab, cell.server, cell.process, address: address, mac: cell.mac, .active)
                try lab.check(try Self.unicastDropped(lab, in: cell.serverNamespace) >= 1, "\(cell.server): nft dropped nothing")
            }
            for (cell, address) in zip(cells, addresses) {
                try await lab.stopCapture(cell.capture)
                let messages = try lab.decodedMessages([cell.captureFile])
                try lab.checkDORA(Array(messages.prefix(4)), mac: cell.mac, address: address)
                let after = Array(messages.dropFirst(4))
                let summary = after.map { "\($0.messageType ?? "?") \($0.string("dst") ?? "?")" }
                try lab.check(after.count >= 3, "\(cell.server): after the DORA \(summary)")
                try Self.checkExtending(lab, after[0], address: address, destination: "\(server):67")
                try Self.checkExtending(lab, after[1], address: address, destination: "255.255.255.255:67")
                try lab.check(after[2].messageType == "ACK" && after[2].dhcp["yiaddr"] as? String == address
                              && Self.option(after[2], 54) as? String == server, "\(cell.server): the rebinding's answer \(after[2].object)")
                let events = try Self.analyse(lab, [cell.captureFile], errors: false)
                try lab.checkOneDORA(events, mac: cell.mac, address: address)
                try lab.checkStates(events, mac: cell.mac, ["BOUND", "RENEWING", "REBINDING", "BOUND"])
                try lab.checkLease(events, address: address, mac: cell.mac, state: "renewed")
            }
        }
    }

    // MARK: INIT-REBOOT

    /// `--lease-file F --mac M` twice: the second run asks for its address (INIT-REBOOT) and is ACKed. With the
    /// lease file's address changed to one of another network, the third run is NAKed, starts again from INIT and binds.
    @Test("mock-client + dnsmasq, kea, dhcpd, udhcpd: INIT-REBOOT ACK, and NAK for another network's address")
    func initReboot() async throws {
        try await Lab.run("mock-client-init-reboot", index: 33) { lab in
            let cells = try await Self.setUp(lab, RealServer.allCases)
            func runAll(_ number: Int) async throws -> [LabProcess] {
                let runs = try cells.map {
                    try Self.startMockClient(lab, "mc-\($0.server)-\(number)", in: $0.client,
                                             ["--once", "--mac", $0.mac, "--lease-file", lab.path("leases-\($0.server)")])
                }
                try await Self.finish(lab, runs, allowed: number == 3 ? ["nak"] : [])
                return runs
            }
            let first = try await runAll(1)
            let addresses = try zip(cells, first).map { try Self.checkBound(lab, $1, server: $0.server) }
            let second = try await runAll(2)
            for (cell, (run, address)) in zip(cells, zip(second, addresses)) {
                try lab.check(Self.events(run).first?.string("mode")?.hasPrefix("INIT-REBOOT") == true, "\(run.name): \(run.output)")
                try lab.check(Self.clientLeases(run).map { "\($0.ip) \($0.state)" } == ["\(address) active"], "\(run.name): \(run.output)")
                try Self.checkClientStates(lab, run, ["INIT-REBOOT", "REBOOTING", "BOUND"])
                try lab.check(!Self.clientStates(run).contains("SELECTING"), "\(run.name) went through SELECTING: \(Self.clientStates(run))")
                try await Self.waitForServerLease(lab, cell.server, cell.process, address: address, mac: cell.mac, .active)
                let file = lab.read("leases-\(cell.server)")
                try lab.check(file.contains("ip=\(address) "), "\(cell.server): the client's lease file \(file)")
                try lab.write("leases-\(cell.server)", file.replacingOccurrences(of: "ip=\(address) ", with: "ip=\(Self.otherNetwork) "))
            }
            let third = try await runAll(3)
            for (cell, (run, address)) in zip(cells, zip(third, addresses)) {
                let leases = Self.clientLeases(run)
                try lab.check(leases.count == 2 && leases[0] == (Self.otherNetwork, "nak") && leases[1].state == "active"
                              && lab.subnet.contains(leases[1].ip), "\(run.name): leases \(leases)")
                try Self.checkClientStates(lab, run, ["REBOOTING", "INIT", "SELECTING", "REQUESTING", "BOUND"])
                try lab.check(Self.problems(run).contains { $0.string("code") == "nak" }, "\(run.name) reports no NAK")
                try await Self.waitForServerLease(lab, cell.server, cell.process, address: leases[1].ip, mac: cell.mac, .active)

                try await lab.stopCapture(cell.capture)
                let messages = try lab.decodedMessages([cell.captureFile])
                let reboots = messages.filter { Self.isInitReboot($0) }.compactMap { Self.option($0, 50) as? String }
                try lab.check(Set(reboots) == [address, Self.otherNetwork], "\(cell.server): INIT-REBOOT REQUESTs for \(reboots)")
                let events = try Self.analyse(lab, [cell.captureFile], errors: false)
                try Self.checkStory(lab, cell, events, ["dora ack", "init_reboot ack", "init_reboot nak", "dora ack"])
            }
        }
    }

    // MARK: INFORM, DECLINE

    /// `--inform .50` (a client configured by hand): the INFORM goes out with ciaddr .50, the server's ACK comes to
    /// .50:68, the client exits 0 having printed the options; no server records a lease for .50.
    @Test("mock-client + dnsmasq, kea, dhcpd, udhcpd: INFORM answered")
    func inform() async throws {
        try await Lab.run("mock-client-inform", index: 34) { lab in
            let cells = try await Self.setUp(lab, RealServer.allCases)
            let address = lab.subnet.host(50), server = lab.subnet.host(1)
            let runs = try cells.map {
                try Self.startMockClient(lab, "mc-\($0.server)", in: $0.client, ["--inform", address, "--timeout", "10", "--mac", $0.mac])
            }
            try await Self.finish(lab, runs)
            for (cell, run) in zip(cells, runs) {
                let informed = try #require(Self.events(run).first { $0.name == "inform" }, "\(run.name): no inform event: \(run.output)")
                try lab.check(informed.string("ip") == address && informed.string("server") == server, "\(run.name): \(informed.object)")
                try lab.check(Self.clientLeases(run).isEmpty, "\(run.name) reports a lease")
                try lab.check(!cell.server.leases(lab, cell.process).contains { $0.address == address },
                              "\(cell.server) recorded a lease for the INFORM: \(cell.server.leases(lab, cell.process))")

                try await lab.stopCapture(cell.capture)
                let messages = try lab.decodedMessages([cell.captureFile])
                try lab.check(lab.typeSequence(messages) == ["INFORM", "ACK"], "\(cell.server): \(lab.typeSequence(messages))")
                let request = messages[0], ack = try #require(messages.last)
                try lab.check(request.dhcp["ciaddr"] as? String == address && request.string("src") == "\(address):68"
                              && !request.optionCodes.contains(50) && !request.optionCodes.contains(51), "INFORM: \(request.object)")
                try lab.check(ack.dhcp["yiaddr"] as? String == "0.0.0.0" && ack.string("dst") == "\(address):68"
                              && ack.xid == request.xid && !ack.optionCodes.contains(51), "\(cell.server): ACK \(ack.object)")
                let events = try Self.analyse(lab, [cell.captureFile], errors: false)
                try Self.checkStory(lab, cell, events, ["inform ack"])
            }
        }
    }

    /// `--decline --once --time-scale 10`: the first address is declined, the client starts again 1 s later and binds
    /// another; each server keeps the declined address out of use in its own way (see the suite's note).
    @Test("mock-client + dnsmasq, kea, dhcpd, udhcpd: DECLINE quarantines the address")
    func decline() async throws {
        try await Lab.run("mock-client-decline", index: 35) { lab in
            let cells = try await Self.setUp(lab, RealServer.allCases)
            let runs = try cells.map {
                try Self.startMockClient(lab, "mc-\($0.server)", in: $0.client, ["--decline", "--once", "--time-scale", "10", "--mac", $0.mac])
            }
            try await Self.finish(lab, runs)
            let server = lab.subnet.host(1)
            for (cell, run) in zip(cells, runs) {
                let leases = Self.clientLeases(run)
                try lab.check(leases.count == 2 && leases[0].state == "declined" && leases[1].state == "active"
                              && leases[1].ip != leases[0].ip && lab.subnet.contains(leases[1].ip), "\(run.name): leases \(leases)")
                let declined = leases[0].ip, bound = leases[1].ip
                try Self.checkClientStates(lab, run, ["REQUESTING", "INIT", "SELECTING", "REQUESTING", "BOUND"])
                try await Self.waitForServerLease(lab, cell.server, cell.process, address: bound, mac: cell.mac, .active)
                if cell.server == .dnsmasq {
                    try await Self.waitForServerLease(lab, cell.server, cell.process, address: declined, mac: nil, .released)
                } else {
                    try await Self.waitForServerLease(lab, cell.server, cell.process, address: declined, mac: nil, .declined)
                }

                try await lab.stopCapture(cell.capture)
                let messages = try lab.decodedMessages([cell.captureFile])
                try lab.checkDORA(messages, mac: cell.mac, address: declined, then: ["DECLINE", "DISCOVER", "OFFER", "REQUEST", "ACK"])
                let decline = try #require(messages.first { $0.messageType == "DECLINE" })
                try lab.check(Self.option(decline, 50) as? String == declined && Self.option(decline, 54) as? String == server
                              && decline.dhcp["ciaddr"] as? String == "0.0.0.0", "\(cell.server): DECLINE \(decline.object)")
                try lab.check(messages.last?.dhcp["yiaddr"] as? String == bound, "\(cell.server): the last ACK is not for \(bound)")
                let events = try Self.analyse(lab, [cell.captureFile], errors: false)
                try Self.checkStory(lab, cell, events, ["dora ack", "dora ack"], declines: 1)
                try lab.checkLease(events, address: declined, mac: cell.mac, state: "declined")
            }
        }
    }

    // MARK: Many clients, mock-server

    /// 50 clients at once against Kea: all bound, exit 0, 50 distinct leases in Kea's memfile.
    @Test("mock-client --clients 50 + kea: all bound")
    func fiftyClientsKea() async throws {
        try await Lab.run("mock-client-kea-50", index: 36) { lab in
            let cell = try #require(try await Self.setUp(lab, [.kea], captureKiB: 16384).first)
            let firstMAC = String(format: "06:00:00:%02x:50:00", lab.index)
            let run = try Self.startMockClient(lab, "mc-kea-50", in: cell.client, ["--clients", "50", "--once", "--mac", firstMAC])
            try await Self.finish(lab, [run])
            let summary = try #require(Self.events(run).last)
            try lab.check(summary["bound"] as? Int == 50 && summary["holding"] as? Int == 50, "summary \(summary.object)")
            let leases = Self.events(run).filter { $0.name == "lease" }
            let clientView = Set(leases.compactMap { lease in lease.string("mac").map { "\($0) \(lease.string("ip") ?? "?")" } })
            try lab.check(leases.count == 50 && leases.allSatisfy { $0.string("state") == "active" } && clientView.count == 50
                          && Set(leases.compactMap { $0.string("ip") }).count == 50, "the clients' leases: \(leases.map(\.object))")
            var keaView = Set<String>()
            try await lab.wait(for: "Kea's memfile to hold 50 leases") {
                keaView = Set(RealServer.kea.leases(lab, cell.process).filter { $0.state == .active }.map { "\($0.mac ?? "-") \($0.address)" })
                return keaView.count == 50
            }
            try lab.check(keaView == clientView, "Kea's leases and the clients' differ: \(keaView.symmetricDifference(clientView).sorted())")

            try await lab.stopCapture(cell.capture)
            let events = try Self.analyse(lab, [cell.captureFile], errors: false)
            let doras = Self.transactions(events, "dora")
            try lab.check(doras.count == 50 && doras.allSatisfy { $0.string("outcome") == "ack" },
                          "analyse: \(doras.count) dora transactions, \(doras.filter { $0.string("outcome") != "ack" }.map(\.object))")
        }
    }

    /// Our own mock-server, lease 10 s, and the client at `--time-scale 5`: DORA, then a renewal every second (T1 5 s
    /// scaled), each ACKed by unicast; the mock keeps the lease active. Then, the mock stopped, a client that is never
    /// answered exits 1.
    @Test("mock-client + mock-server: DORA and time-scaled renewals; no server, exit 1")
    func mockServer() async throws {
        try await Lab.run("mock-client-mock-server", index: 37) { lab in
            let segment = try await Self.segment(lab, "mock", link: 0)
            // The server's lease runs in real time (20 s), the client's at ten times (T1 every second): the server's
            // view is still active when a loaded machine gets round to checking it.
            let mock = try await Self.startMock(lab, in: segment.server, ["--range", Self.range(lab.subnet, 100, 110), "--lease-time", "20"])
            let capture = try await lab.capture("tcpdump-client", in: segment.client, interface: "cli0", to: "client.pcap")
            let run = try Self.startMockClient(lab, "mc-mock", in: segment.client, ["--time-scale", "10", "--duration", "3.6", "--mac", segment.mac])
            try await Self.finish(lab, [run])
            let leases = Self.clientLeases(run)
            let address = try #require(leases.first?.ip)
            try lab.check(leases.first?.state == "active" && leases.count >= 3
                          && leases.dropFirst().allSatisfy { $0 == (address, "renewed") }, "the client's leases: \(leases)")
            try Self.checkClientStates(lab, run, ["BOUND", "RENEWING", "BOUND", "RENEWING", "BOUND"])
            try Self.checkMockLease(lab, mock, address: address, mac: segment.mac, state: "active")
            try Self.stopMock(lab, mock)

            try await lab.stopCapture(capture)
            let messages = try lab.decodedMessages(["client.pcap"])
            try lab.checkDORA(messages, mac: segment.mac, address: address, then: ["REQUEST", "ACK"], repeats: 2...4)
            let ack = try #require(messages.first { $0.messageType == "ACK" })
            let renewal = try #require(messages.dropFirst(4).first { $0.messageType == "REQUEST" })
            try Self.checkExtending(lab, renewal, address: address, destination: "\(lab.subnet.host(1)):67")
            let after = try #require(renewal.date).timeIntervalSince(try #require(ack.date))
            try lab.check((0.5...2.5).contains(after), "renewed \(after) s after the ACK, T1 is 10 s / 10")
            let events = try Self.analyse(lab, ["client.pcap"], errors: false)
            try lab.checkOneDORA(events, mac: segment.mac, address: address)
            let renews = Self.transactions(events, "renew")
            try lab.check(renews.count >= 2 && renews.allSatisfy { $0.string("outcome") == "ack" }, "renews: \(renews.map(\.object))")

            // With the mock gone nobody answers: the client gives up after --timeout with no lease and exits 1.
            let unanswered = try Self.startMockClient(lab, "mc-no-server", in: segment.client, ["--once", "--timeout", "2", "--mac", segment.mac])
            try await Self.finish(lab, [unanswered], status: 1)
            try lab.check(Self.events(unanswered).last?["bound"] as? Int == 0 && Self.clientLeases(unanswered).isEmpty
                          && Self.clientStates(unanswered) == ["SELECTING"], "mc-no-server: \(unanswered.output)")
        }
    }

    // MARK: Scenario parts

    /// An address of another network for the NAK: scenario 39's subnet, never configured anywhere.
    static let otherNetwork = "198.18.49.7"

    /// One server in its own segment, with a capture on the client's side.
    struct Cell {
        let server: RealServer
        let client: String
        let serverNamespace: String
        let mac: String
        let process: LabProcess
        let capture: LabProcess
        var captureFile: String { "\(server).pcap" }
    }

    /// For each server: a segment, the server started with `timers`, tcpdump on the client's cli0.
    static func setUp(_ lab: Lab, _ servers: [RealServer], captureKiB: Int = 2048,
                      timers: (RealServer) -> RealServer.Timers = { _ in RealServer.Timers() }) async throws -> [Cell] {
        var cells: [Cell] = []
        for (link, server) in servers.enumerated() {
            let segment = try await segment(lab, server.rawValue, link: link)
            let process = try await server.start(lab, in: segment.server, timers: timers(server))
            let capture = try await lab.capture("tcpdump-\(server)", in: segment.client, interface: "cli0", to: "\(server).pcap",
                                                bufferKiB: captureKiB)
            cells.append(Cell(server: server, client: segment.client, serverNamespace: segment.server, mac: segment.mac,
                              process: process, capture: capture))
        }
        return cells
    }

    /// The run bound (and, when `renewed`, renewed) one address of the lab's subnet from host 1; returns it.
    static func checkBound(_ lab: Lab, _ run: LabProcess, server: RealServer, renewed: Bool = false) throws -> String {
        let leases = clientLeases(run)
        let address = try #require(leases.first?.ip, "\(run.name) reports no lease: \(run.output)")
        try lab.check(leases[0].state == "active" && lab.subnet.contains(address), "\(run.name): leases \(leases)")
        try lab.check(events(run).first { $0.name == "lease" }?.string("server") == lab.subnet.host(1), "\(run.name): not from \(server) at .1")
        if renewed {
            try lab.check(leases.count >= 2 && leases.dropFirst().allSatisfy { $0 == (address, "renewed") }, "\(run.name): leases \(leases)")
        }
        return address
    }

    /// analyse's transactions for the cell's client, "kind outcome" in order, are `expected`.
    static func checkStory(_ lab: Lab, _ cell: Cell, _ events: [Event], _ expected: [String], declines: Int = 0) throws {
        let story = events.filter { $0.name == "transaction" && $0.string("mac") == cell.mac && $0.string("kind") != "decline" }
            .map { "\($0.string("kind") ?? "?") \($0.string("outcome") ?? "?")" }
        try lab.check(story == expected, "\(cell.server): analyse's transactions \(story), expected \(expected)")
        let declined = transactions(events, "decline").filter { $0.string("outcome") == "declined" }
        try lab.check(declined.count == declines, "\(cell.server): \(declined.count) decline transactions, expected \(declines)")
    }
}
