import Foundation
import Glibc
import Testing

/// Issue 5, the rest of the interop matrix: renew, rebind, INIT-REBOOT and relay with udhcpc and dhcpcd (dhclient's are
/// in MockServerInteropTests), DECLINE after an ARP conflict, and a `--lease-db` restart after `kill -9`. Each scenario
/// checks the client's own view (its script log, lease file, interface), the mock's events and the capture.
/// Scenario indices 21–28.
///
/// What the clients can and cannot do here:
/// - udhcpc renews at half the lease whatever T1 (option 58) says, and counts a lease shorter than 30 s as 30 s;
///   after one unanswered renewal (and `-T` seconds) it rebinds once less than 30 s of the lease remain.
/// - udhcpc has no INIT-REBOOT: it keeps no lease across a restart, and `-r IP` only puts option 50 in its DISCOVER,
///   after which a SELECTING exchange follows; so it is never NAKed for a stale address, it is offered another one.
///   `mock-server-requested-ip-udhcpc` tests that instead.
/// - dhclient does no ARP check of the address it is given, so it never sends DECLINE: the DECLINE
///   scenarios use dhcpcd (ARP probe unless `noarp`) and udhcpc -a (arping).
@Suite("Lab: mock-server with udhcpc and dhcpcd, DECLINE, lease database", .enabled(if: LabGate.enabled, LabGate.skipReason),
       .timeLimit(.minutes(2)))
struct MockServerInteropMatrixTests: MockServerScenario {
    // MARK: Renew, rebind

    /// udhcpc (half the lease, taken as 30 s: 15 s) and dhcpcd (T1: 3 s) renew by unicast; the mock ACKs to ciaddr.
    @Test("mock-server + udhcpc, dhcpcd: renew")
    func renew() async throws {
        try await Lab.run("mock-server-renew-udhcpc-dhcpcd", index: 21) { lab in
            let runs = try await Self.startClients(lab, ["--lease-time", "20", "--t1", "3", "--t2", "15"])
            try await lab.wait(for: "each client's renewal and the mock's second ACK", seconds: 20) {
                runs.allSatisfy { run in
                    run.client.address(lab).map { run.client.called(lab, run.client.renewed, $0) } == true
                        && run.client.settled(lab, run.process) && Self.acks(run.mock).count >= 2
                }
            }
            try await Self.stop(lab, runs)
            for run in runs {
                let address = try #require(run.client.address(lab))
                let acks = Self.acks(run.mock)
                try lab.check(acks.dropFirst().allSatisfy { $0.string("destination") == "\(address):68" },
                              "\(run.client): the renewal ACKs are not unicast to ciaddr: \(acks.map(\.object))")
                try Self.checkMockLease(lab, run.mock, address: address, mac: run.mac, state: "active")
                try Self.stopMock(lab, run.mock)

                let messages = try lab.decodedMessages([run.capture])
                try lab.checkDORA(messages, mac: run.mac, address: address, then: ["REQUEST", "ACK"],
                                  repeats: lab.renewals(messages, every: run.client.renewsAt.lowerBound))
                let ack = try #require(messages.first { $0.messageType == "ACK" })
                let renew = try #require(messages.dropFirst(4).first { $0.messageType == "REQUEST" })
                try Self.checkExtending(lab, renew, address: address, destination: "\(lab.subnet.host(1)):67")
                let renewACK = try #require(messages.dropFirst(4).first { $0.messageType == "ACK" })
                try lab.check(renewACK.string("dst") == "\(address):68" && renewACK.dhcp["yiaddr"] as? String == address,
                              "\(run.client): renewal ACK to \(renewACK.string("dst") ?? "nil"), yiaddr \(renewACK.dhcp["yiaddr"] ?? "nil")")
                let acked = try #require(ack.date), renewed = try #require(renew.date)
                let after = renewed.timeIntervalSince(acked)
                try lab.check(run.client.renewsAt.contains(after),
                              "\(run.client) renewed \(String(format: "%.1f", after)) s after its ACK, expected \(run.client.renewsAt)")
                let events = try lab.analysed([run.capture])
                try lab.checkRenewed(events, mac: run.mac, address: address, who: "\(run.client)")
            }
        }
    }

    /// `--ignore-renew`: the unicast renewals go unanswered; the clients then broadcast their REQUEST (rebinding:
    /// dhcpcd at T2, 3 s; udhcpc 1 s after its one renewal at 15 s) and get an ACK.
    @Test("mock-server --ignore-renew + udhcpc, dhcpcd: rebind")
    func rebind() async throws {
        try await Lab.run("mock-server-rebind-udhcpc-dhcpcd", index: 22) { lab in
            let runs = try await Self.startClients(lab, ["--ignore-renew", "--lease-time", "20", "--t1", "1", "--t2", "3"])
            try await lab.wait(for: "each client's rebinding ACK", seconds: 22) {
                runs.allSatisfy { run in
                    run.client.address(lab).map { run.client.called(lab, run.client.rebound, $0) } == true
                        && run.client.settled(lab, run.process) && Self.acks(run.mock).count >= 2
                }
            }
            try await Self.stop(lab, runs)
            let server = lab.subnet.host(1)
            for run in runs {
                let address = try #require(run.client.address(lab))
                let ignored = Self.problems(run.mock).filter { $0.string("text")?.contains("(ignore-renew)") == true }
                try lab.check(Self.acks(run.mock)[1].string("destination") == "\(address):68",
                              "\(run.client): the mock's ACKs: \(Self.acks(run.mock).map(\.object))")
                try Self.stopMock(lab, run.mock)

                // The first cycle after the DORA: unicast renewals (ignored), then the broadcast REQUEST and its ACK.
                let messages = try lab.decodedMessages([run.capture])
                try lab.checkDORA(Array(messages.prefix(4)), mac: run.mac, address: address)
                let afterDORA = Array(messages.dropFirst(4))
                let summary = afterDORA.map { "\($0.messageType ?? "?") \($0.string("dst") ?? "?")" }
                let renewals = afterDORA.prefix { $0.messageType == "REQUEST" && $0.string("dst") == "\(server):67" }
                try lab.check(!renewals.isEmpty && ignored.count >= renewals.count,
                              "\(run.client): the mock ignored \(ignored.count) renewals; after the DORA: \(summary)")
                for renewal in renewals { try Self.checkExtending(lab, renewal, address: address, destination: "\(server):67") }
                let rest = afterDORA.dropFirst(renewals.count)
                let rebinding = try #require(rest.first, "\(run.client): nothing after the renewals: \(summary)")
                try Self.checkExtending(lab, rebinding, address: address, destination: "255.255.255.255:67")
                let ack = try #require(rest.dropFirst().first { $0.dhcp["op"] as? Int == 2 }, "no reply to the rebinding: \(summary)")
                try lab.check(ack.messageType == "ACK" && ack.dhcp["yiaddr"] as? String == address
                              && ack.string("dst") == "\(address):68", "\(run.client): rebinding reply \(ack.object)")
                let events = try lab.analysed([run.capture])
                try lab.checkOneDORA(events, mac: run.mac, address: address)
                try lab.checkStates(events, mac: run.mac, ["BOUND", "RENEWING", "REBINDING", "BOUND"])
                let extensions = events.filter { $0.name == "transaction" && ["renew", "rebind"].contains($0.string("kind") ?? "") }
                try lab.check(extensions.first?.string("outcome") == "ack" && extensions.first?.string("ip") == address,
                              "\(run.client): renew/rebind transactions: \(extensions.map(\.object))")
                try lab.checkLease(events, address: address, mac: run.mac, state: "renewed")
            }
        }
    }

    // MARK: INIT-REBOOT

    /// dhcpcd restarted finds its lease file and asks for its address (INIT-REBOOT): ACK. Then the mock moves to
    /// another subnet (--authoritative): the same restart gets a NAK, and dhcpcd takes an address of the new subnet.
    @Test("mock-server + dhcpcd: INIT-REBOOT ACK, then NAK after a subnet change")
    func initRebootDhcpcd() async throws {
        try await Lab.run("mock-server-init-reboot-dhcpcd", index: 23) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            var mock = try await Self.startMock(lab, "mock-server-1", in: pair.server,
                                                ["--range", Self.range(lab.subnet, 100, 110), "--lease-time", "120"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            var dhcpcd = try lab.startDhcpcd("dhcpcd-1", in: pair.client, interface: "cli0")
            try await lab.wait(for: "dhcpcd's BOUND") { Client.dhcpcd.settled(lab, dhcpcd) }
            let address = try #require(Client.dhcpcd.address(lab))
            dhcpcd.stop()  // SIGTERM: no RELEASE, the lease file stays
            try lab.check(lab.dhcpcdLeaseAddress(interface: "cli0") == address, "dhcpcd's lease file is gone after SIGTERM")

            dhcpcd = try lab.startDhcpcd("dhcpcd-2", in: pair.client, interface: "cli0")
            try await lab.wait(for: "dhcpcd's REBOOT (INIT-REBOOT acknowledged) and the mock's third reply") {
                Client.dhcpcd.called(lab, "REBOOT", address) && Client.dhcpcd.settled(lab, dhcpcd) && Self.replies(mock).count >= 3
            }
            try lab.check(dhcpcd.output.contains("rebinding lease of \(address)"), "dhcpcd did not start from its lease: \(dhcpcd.output)")
            try Client.dhcpcd.checkOwnView(lab, in: pair.client, address: address)
            dhcpcd.stop()
            let firstReplies = Self.replies(mock).map { $0.string("type") ?? "?" }
            try lab.check(firstReplies == ["OFFER", "ACK", "ACK"], "the first mock's replies: \(firstReplies)")

            let newSubnet = lab.secondSubnet
            mock = try await Self.restartOnSecondSubnet(lab, in: pair.server, stopping: mock)
            dhcpcd = try lab.startDhcpcd("dhcpcd-3", in: pair.client, interface: "cli0")
            try await lab.wait(for: "dhcpcd's NAK, then BOUND in \(newSubnet.cidr), and the mock's ACK") {
                lab.clientScriptLog.contains { $0.hasPrefix("NAK") } && lab.clientScriptLog.contains { $0.hasPrefix("BOUND \(newSubnet.prefix).") }
                    && Client.dhcpcd.settled(lab, dhcpcd) && !Self.acks(mock).isEmpty
            }
            try await lab.stopCapture(capture)
            dhcpcd.stop()
            let newAddress = try #require(lab.dhcpcdLeaseAddress(interface: "cli0"))
            try lab.check(newSubnet.contains(newAddress) && lab.clientScriptLog.last { $0.hasPrefix("BOUND") } == "BOUND \(newAddress) ",
                          "dhcpcd's lease file has \(newAddress), its script: \(lab.clientScriptLog)")
            let secondReplies = Self.replies(mock).map { $0.string("type") ?? "?" }
            try lab.check(secondReplies == ["NAK", "OFFER", "ACK"], "the second mock's replies: \(secondReplies)")
            try lab.check(Self.problems(mock).contains { $0.string("text")?.contains("NAK: \(address) is not on") == true },
                          "the second mock does not say why it NAKed")
            try Self.checkMockLease(lab, mock, address: newAddress, mac: pair.mac, state: "active")
            try Self.stopMock(lab, mock)

            let messages = try lab.decodedMessages(["client.pcap"])
            let reboots = messages.filter { Self.isInitReboot($0) }
            try lab.check(reboots.count >= 2 && reboots.allSatisfy { Self.option($0, 50) as? String == address },
                          "INIT-REBOOT REQUESTs (option 50, no option 54, ciaddr 0): \(reboots.map(\.object))")
            let nak = try #require(messages.first { $0.messageType == "NAK" })
            try lab.check(nak.dhcp["yiaddr"] as? String == "0.0.0.0" && nak.string("dst") == "255.255.255.255:68",
                          "NAK yiaddr \(nak.dhcp["yiaddr"] ?? "nil") to \(nak.string("dst") ?? "nil")")
            let events = try lab.analysed(["client.pcap"])
            let story = events.filter { $0.name == "transaction" }.map { "\($0.string("kind") ?? "?") \($0.string("outcome") ?? "?")" }
            try lab.check(story == ["dora ack", "init_reboot ack", "init_reboot nak", "dora ack"], "transactions: \(story)")
            try lab.check(Self.transactions(events, "init_reboot").first?.string("ip") == address, "the INIT-REBOOT ACK is not for \(address)")
            try lab.check(Self.transactions(events, "dora").last?.string("ip") == newAddress, "the last DORA is not for \(newAddress)")
        }
    }

    /// udhcpc cannot INIT-REBOOT (see the suite's note): `-r IP` is a DISCOVER with option 50. A fresh client asking for
    /// .105 is offered .105 (not the first free .100); restarted with `-r`, it is offered its address again through a
    /// full DORA; after the mock moves to another subnet (--authoritative), `-r` with the old address is not NAKed: the
    /// client is offered an address of the new subnet.
    @Test("mock-server + udhcpc -r: requested address in DISCOVER, no INIT-REBOOT")
    func requestedAddressUdhcpc() async throws {
        try await Lab.run("mock-server-requested-ip-udhcpc", index: 24) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let wanted = lab.subnet.host(105), newSubnet = lab.secondSubnet
            var mock = try await Self.startMock(lab, "mock-server-1", in: pair.server,
                                                ["--range", Self.range(lab.subnet, 100, 110), "--lease-time", "120"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            let options = ["-r", wanted, "-t", "5", "-T", "1", "-A", "1"]
            for run in 1...2 {
                let udhcpc = try Self.startUdhcpc(lab, "u", name: "udhcpc-\(run)", in: pair.client, options)
                try await lab.wait(for: "udhcpc run \(run) bound and the mock's ACK") {
                    Self.scriptLog(lab, "u").filter { $0.hasPrefix("bound ") }.count == run && Self.acks(mock).count == run
                }
                udhcpc.stop()  // SIGTERM: no RELEASE (that takes -R)
            }
            try lab.check(Self.scriptLog(lab, "u").filter { $0.hasPrefix("bound ") }.allSatisfy { $0.hasPrefix("bound \(wanted) ") },
                          "udhcpc -r \(wanted): \(Self.scriptLog(lab, "u"))")
            try lab.check(Self.replies(mock).map { "\($0.string("type") ?? "?") \($0.string("yiaddr") ?? "?")" }
                          == Array(repeating: ["OFFER \(wanted)", "ACK \(wanted)"], count: 2).flatMap { $0 },
                          "the first mock's replies: \(Self.replies(mock).map(\.object))")
            try Self.checkMockLease(lab, mock, address: wanted, mac: pair.mac, state: "active")

            mock = try await Self.restartOnSecondSubnet(lab, in: pair.server, stopping: mock)
            let udhcpc = try Self.startUdhcpc(lab, "u", name: "udhcpc-3", in: pair.client, options)
            try await lab.wait(for: "udhcpc bound in \(newSubnet.cidr) and the mock's ACK") {
                Self.scriptLog(lab, "u").contains { $0.hasPrefix("bound \(newSubnet.prefix).") } && !Self.acks(mock).isEmpty
            }
            try await lab.stopCapture(capture)
            udhcpc.stop()
            let newAddress = String(try #require(Self.scriptLog(lab, "u").last { $0.hasPrefix("bound ") }).split(separator: " ")[1])
            try lab.check(try lab.addresses(in: pair.client, interface: "cli0").contains(newAddress + "/24"),
                          "the script did not add \(newAddress)")
            try lab.check(Self.replies(mock).map { $0.string("type") ?? "?" } == ["OFFER", "ACK"],
                          "the second mock's replies: \(Self.replies(mock).map(\.object))")
            try Self.checkMockLease(lab, mock, address: newAddress, mac: pair.mac, state: "active")
            try Self.stopMock(lab, mock)

            let messages = try lab.decodedMessages(["client.pcap"])
            let types = lab.typeSequence(messages)
            try lab.check(types == Array(repeating: ["DISCOVER", "OFFER", "REQUEST", "ACK"], count: 3).flatMap { $0 }, "wire: \(types)")
            let discovers = messages.filter { $0.messageType == "DISCOVER" }
            try lab.check(discovers.allSatisfy { Self.option($0, 50) as? String == wanted }, "a DISCOVER lacks option 50 \(wanted)")
            let requests = messages.filter { $0.messageType == "REQUEST" }
            try lab.check(requests.allSatisfy { $0.optionCodes.contains(54) }, "udhcpc sent a REQUEST without option 54 (INIT-REBOOT)")
            let offers = messages.filter { $0.messageType == "OFFER" }.compactMap { $0.dhcp["yiaddr"] as? String }
            try lab.check(offers.first == wanted && offers.last == newAddress, "OFFERs for \(offers)")
            let events = try lab.analysed(["client.pcap"])
            let story = events.filter { $0.name == "transaction" }.map { "\($0.string("kind") ?? "?") \($0.string("outcome") ?? "?")" }
            try lab.check(story == ["dora ack", "dora ack", "dora ack"], "transactions: \(story)")
        }
    }

    // MARK: Relay

    /// udhcpc and dhcpcd on one segment — dhcrelay (option 82) — mock-server on the relay's upstream subnet, serving the
    /// clients' subnet (`--subnet`): both get an address of giaddr's subnet, through the relay both ways.
    @Test("udhcpc, dhcpcd — dhcrelay — mock-server: relayed DORA")
    func relay() async throws {
        try await Lab.run("mock-server-relay-udhcpc-dhcpcd", index: 25) { lab in
            let relay = try lab.namespace("rly"), server = try lab.namespace("srv")
            let giaddr = lab.subnet.host(1), serverAddress = lab.secondSubnet.host(2)
            try Self.bridge(lab, "rly-dn", in: relay, mac: lab.mac(link: 9, side: 1), address: giaddr)
            var clients: [(client: Client, namespace: String, mac: String)] = []
            for (link, client) in Client.allCases.enumerated() {
                let namespace = try lab.namespace("cli-\(client)"), mac = lab.mac(link: link, side: 2)
                try await Self.attach(lab, (namespace, "cli0", mac, nil), to: relay, bridge: "rly-dn", port: "p-\(client)",
                                      portMAC: lab.mac(link: link, side: 1))
                clients.append((client, namespace, mac))
            }
            try lab.link((relay, "rly-up", lab.mac(link: 8, side: 1), "\(lab.secondSubnet.host(1))/24"),
                         (server, "srv0", lab.mac(link: 8, side: 2), "\(serverAddress)/24"))
            try lab.ip(server, "route", "add", lab.subnet.cidr, "via", lab.secondSubnet.host(1))  // replies to giaddr
            let mock = try await Self.startMock(lab, in: server, ["--subnet", lab.subnet.cidr, "--range", Self.range(lab.subnet, 100, 110),
                                                                 "--router", giaddr, "--lease-time", "120"])
            _ = try await lab.startDhcrelay(in: relay, downstream: "rly-dn", upstreams: ["rly-up"], servers: [serverAddress])
            let clientCapture = try await lab.capture("tcpdump-clients", in: relay, interface: "rly-dn", to: "clients.pcap")
            let serverCapture = try await lab.capture("tcpdump-server", in: server, interface: "srv0", to: "server.pcap")
            let processes = try clients.map { try $0.client.start(lab, in: $0.namespace) }
            try await lab.wait(for: "both clients bound and the mock's two leases", seconds: 15) {
                zip(clients, processes).allSatisfy { $0.client.settled(lab, $1) } && Self.acks(mock).count >= 2
            }
            for (client, namespace, _) in clients {
                try client.checkOwnView(lab, in: namespace, address: try #require(client.address(lab)))
            }
            LabProcess.stop(processes)
            try await lab.stopCapture(clientCapture)
            try await lab.stopCapture(serverCapture)
            try lab.check(Self.replies(mock).count == 4 && Self.replies(mock).allSatisfy { $0.string("destination") == "relay \(giaddr):67" },
                          "the mock's replies: \(Self.replies(mock).map(\.object))")
            let clientLeg = try lab.decodedMessages(["clients.pcap"]), serverLeg = try lab.decodedMessages(["server.pcap"])
            let events = try lab.analysed(["clients.pcap", "server.pcap"])
            for (client, _, mac) in clients {
                let address = try #require(client.address(lab))
                try lab.check(lab.subnet.contains(address), "\(client) got \(address), outside giaddr's subnet \(lab.subnet.cidr)")
                try Self.checkMockLease(lab, mock, address: address, mac: mac, state: "active")
                let downstream = clientLeg.filter { $0.chaddr == mac }, upstream = serverLeg.filter { $0.chaddr == mac }
                let xid = try lab.checkDORA(downstream, mac: mac, address: address)
                try lab.checkDORA(upstream, mac: mac, address: address)
                try lab.check(upstream.allSatisfy { $0.xid == xid && $0.dhcp["giaddr"] as? String == giaddr },
                              "\(client) server leg: xid/giaddr \(upstream.map { "\($0.xid ?? "?") \($0.dhcp["giaddr"] ?? "?")" })")
                let replies = upstream.filter { $0.dhcp["op"] as? Int == 2 }
                try lab.check(replies.allSatisfy { $0.optionCodes.last == 82 && $0.string("dst") == "\(giaddr):67"
                                                   && Self.option($0, 54) as? String == serverAddress },
                              "\(client): the mock's replies do not echo option 82 last, to giaddr:67, from \(serverAddress)")
                try lab.check(downstream.filter { $0.dhcp["op"] as? Int == 2 }.allSatisfy { !$0.optionCodes.contains(82) },
                              "\(client): option 82 reached the client")
                try lab.checkOneDORA(events.filter { $0.string("mac") == mac }, mac: mac, address: address, xid: xid, relayed: true)
            }
            try lab.check(Self.transactions(events, "dora").count == 2, "merged legs: \(Self.transactions(events, "dora").map(\.object))")
            try Self.stopMock(lab, mock)
        }
    }

    // MARK: DECLINE

    /// dhcpcd (ARP probe on) is given .100, which a squatter on the segment already holds: it DECLINEs it, the mock
    /// quarantines it, and dhcpcd's next DISCOVER is offered the other address of the pool of two.
    @Test("mock-server + dhcpcd: DECLINE after an ARP conflict, the other address next")
    func declineDhcpcd() async throws {
        try await Lab.run("mock-server-decline-dhcpcd", index: 26) { lab in
            let segment = try await Self.conflictSegment(lab, poolSize: 2)
            let dhcpcd = try lab.startDhcpcd(in: segment.client, interface: "cli0", arp: true)
            let other = lab.subnet.host(101)
            try await lab.wait(for: "the mock's declined lease, then dhcpcd BOUND to \(other)", seconds: 25) {
                Self.leases(segment.mock).contains { $0.string("state") == "declined" } && Client.dhcpcd.address(lab) == other
                    && Client.dhcpcd.settled(lab, dhcpcd)
            }
            try Client.dhcpcd.checkOwnView(lab, in: segment.client, address: other)
            try await lab.stopCapture(segment.capture)
            dhcpcd.stop()
            try lab.check(dhcpcd.output.contains("DAD detected \(segment.squatted)") && lab.clientScriptLog.filter { $0.hasPrefix("BOUND") } == ["BOUND \(other) "],
                          "dhcpcd did not find \(segment.squatted) in use, or bound it: \(lab.clientScriptLog)\n\(dhcpcd.output)")
            try Self.checkDecline(lab, segment, then: other)
        }
    }

    /// udhcpc -a (arping) is given the only address of the pool, which a squatter holds: it DECLINEs it, and while
    /// the address is quarantined its DISCOVERs are offered nothing.
    @Test("mock-server + udhcpc -a: DECLINE after an ARP conflict, then no offer")
    func declineUdhcpc() async throws {
        try await Lab.run("mock-server-decline-udhcpc", index: 27) { lab in
            let segment = try await Self.conflictSegment(lab, poolSize: 1)
            let udhcpc = try Self.startUdhcpc(lab, "u", in: segment.client, ["-a", "-t", "3", "-T", "1", "-A", "1"])
            try await lab.wait(for: "the mock's declined lease, then a DISCOVER it cannot offer to", seconds: 15) {
                Self.leases(segment.mock).contains { $0.string("state") == "declined" }
                    && Self.problems(segment.mock).contains { $0.string("text")?.hasPrefix("no free address") == true }
            }
            try await lab.stopCapture(segment.capture)
            udhcpc.stop()
            try lab.check(udhcpc.output.contains("offered address is in use"), "udhcpc did not find the conflict: \(udhcpc.output)")
            try lab.check(!Self.scriptLog(lab, "u").contains { $0.hasPrefix("bound") }, "udhcpc bound: \(Self.scriptLog(lab, "u"))")
            try Self.checkDecline(lab, segment, then: nil)
        }
    }

    // MARK: Lease database

    /// --lease-db: dhclient, dhcpcd and udhcpc bound (pool of four), the mock killed with SIGKILL and started again on
    /// the same file: it knows the three leases at once; a new client gets the fourth address; dhclient's and dhcpcd's
    /// INIT-REBOOT and udhcpc's renewal (SIGUSR1) are ACKed with the same addresses; --export-leases lists all four.
    /// Under load a client may retransmit (udhcpc's renewal falls back to a broadcast after `-T 1` s), so the mock's
    /// ACKs are checked by address, never counted.
    @Test("mock-server --lease-db: leases survive kill -9")
    func leaseDatabaseRestart() async throws {
        try await Lab.run("mock-server-lease-db-restart", index: 28) { lab in
            let server = try lab.namespace("srv")
            try Self.bridge(lab, in: server, mac: lab.mac(link: 9, side: 1), address: lab.subnet.host(1))
            var namespaces: [String: String] = [:], macs: [String: String] = [:]
            for (link, tag) in ["dhclient", "dhcpcd", "udhcpc", "new"].enumerated() {
                namespaces[tag] = try lab.namespace("cli-\(tag)")
                macs[tag] = lab.mac(link: link, side: 2)
                try await Self.attach(lab, (namespaces[tag]!, "cli0", macs[tag]!, nil), to: server, port: "p-\(tag)",
                                      portMAC: lab.mac(link: link, side: 1))
            }
            let arguments = ["--range", Self.range(lab.subnet, 100, 103), "--lease-time", "120", "--lease-db", lab.path("leases.db")]
            let first = try await Self.startMock(lab, "mock-server-1", in: server, arguments)
            let capture = try await lab.capture("tcpdump-server", in: server, interface: "srv0", to: "server.pcap")
            var dhclient = try Self.startDhclient(lab, "dhclient-1", in: namespaces["dhclient"]!)
            var dhcpcd = try lab.startDhcpcd("dhcpcd-1", in: namespaces["dhcpcd"]!, interface: "cli0")
            let udhcpc = try Self.startUdhcpc(lab, "c", in: namespaces["udhcpc"]!)
            // dhclient's and dhcpcd's scripts both log to client-script.log: dhcpcd's address is read from its lease file.
            func dhcpcdSettled() -> Bool { lab.dhcpcdLeaseAddress(interface: "cli0").map { lab.dhcpcdSettled(dhcpcd, address: $0) } ?? false }
            try await lab.wait(for: "three clients bound and the mock's three leases", seconds: 15) {
                lab.dhclientAddress != nil && dhcpcdSettled() && Self.bound(lab, "c") != nil
                    && Set(Self.leases(first).filter { $0.string("state") == "active" }.compactMap { $0.string("ip") }).count == 3
            }
            let bound = ["dhclient": try #require(lab.dhclientAddress), "dhcpcd": try #require(lab.dhcpcdLeaseAddress(interface: "cli0")),
                         "udhcpc": try #require(Self.bound(lab, "c"))]
            try lab.check(Set(bound.values).count == 3, "two clients share an address: \(bound)")
            LabProcess.stop([dhclient, dhcpcd])  // SIGTERM: no RELEASE, their lease files stay
            first.stop(signal: SIGKILL)

            let second = try await Self.startMock(lab, "mock-server-2", in: server, arguments + ["--export-leases", lab.path("export.leases")])
            for (tag, address) in bound {
                try Self.checkMockLease(lab, second, address: address, mac: macs[tag]!, state: "active")  // read from the file
            }
            let newClient = try Self.startUdhcpc(lab, "n", in: namespaces["new"]!)
            try await lab.wait(for: "the new client bound and the mock's ACK") { Self.bound(lab, "n") != nil && !Self.acks(second).isEmpty }
            let fresh = try #require(Self.bound(lab, "n"))
            try lab.check(fresh == lab.subnet.host(103) && !bound.values.contains(fresh),
                          "the new client got \(fresh); bound before the restart: \(bound)")
            dhclient = try Self.startDhclient(lab, "dhclient-2", in: namespaces["dhclient"]!)
            dhcpcd = try lab.startDhcpcd("dhcpcd-2", in: namespaces["dhcpcd"]!, interface: "cli0")
            udhcpc.signal(SIGUSR1)  // renew now
            try await lab.wait(for: "dhclient's and dhcpcd's REBOOT, udhcpc's renew", seconds: 15) {
                ["dhclient", "dhcpcd"].allSatisfy { tag in lab.clientScriptLog.contains { $0.hasPrefix("REBOOT \(bound[tag]!) ") } }
                    && Self.scriptLog(lab, "c").contains { $0.hasPrefix("renew \(bound["udhcpc"]!) ") }
                    && dhcpcdSettled() && Set(bound.values).union([fresh]).isSubset(of: Self.acks(second).compactMap { $0.string("yiaddr") })
            }
            try await lab.stopCapture(capture)
            LabProcess.stop([dhclient, dhcpcd, udhcpc, newClient])
            try lab.check(Self.replies(second).allSatisfy { $0.string("type") != "NAK" }, "the restarted mock NAKed")
            try Self.stopMock(lab, second)

            // The clients' own files: the same addresses as before the restart.
            try lab.check(lab.dhclientAddress == bound["dhclient"] && lab.dhcpcdLeaseAddress(interface: "cli0") == bound["dhcpcd"],
                          "after the restart dhclient's lease file has \(lab.dhclientAddress ?? "nothing"), dhcpcd's \(lab.dhcpcdLeaseAddress(interface: "cli0") ?? "nothing")")
            // The export: the four leases, active, with their clients' MACs.
            let export = lab.read("export.leases")
            for (tag, address) in bound.merging(["new": fresh], uniquingKeysWith: { $1 }) {
                let block = export.components(separatedBy: "lease \(address) {").dropFirst().first?.components(separatedBy: "}").first ?? ""
                try lab.check(block.contains("binding state active;") && block.contains("hardware ethernet \(macs[tag]!);"),
                              "--export-leases has no active lease of \(address) to \(macs[tag]!):\n\(export)")
            }
            // The wire after the restart: INIT-REBOOT ACKed for dhclient and dhcpcd, the renewal for udhcpc, no NAK.
            let messages = try lab.decodedMessages(["server.pcap"])
            try lab.check(!messages.contains { $0.messageType == "NAK" }, "a NAK on the wire")
            for tag in ["dhclient", "dhcpcd", "udhcpc"] {
                let address = bound[tag]!, own = messages.filter { $0.chaddr == macs[tag]! }
                let request = tag == "udhcpc"
                    ? own.last { $0.messageType == "REQUEST" && $0.dhcp["ciaddr"] as? String == address }
                    : own.last { Self.isInitReboot($0) && Self.option($0, 50) as? String == address }
                let asked = try #require(request, "\(tag): no INIT-REBOOT or renewing REQUEST for \(address) on the wire")
                let answer = own.first { $0.messageType == "ACK" && $0.xid == asked.xid && $0.dhcp["yiaddr"] as? String == address }
                try lab.check(answer != nil, "\(tag): no ACK of \(address) to xid \(asked.xid ?? "?")")
            }
        }
    }

    // MARK: Scenario parts

    /// udhcpc or dhcpcd on cli0 as these scenarios run them (one of each per lab), seen through their own files.
    enum Client: String, CaseIterable, CustomStringConvertible {
        case udhcpc, dhcpcd

        var description: String { rawValue }

        func start(_ lab: Lab, in namespace: String) throws -> LabProcess {
            switch self {
            case .udhcpc: try MockServerInteropMatrixTests.startUdhcpc(lab, "u", in: namespace)
            case .dhcpcd: try lab.startDhcpcd(in: namespace, interface: "cli0")
            }
        }

        /// Its script calls: udhcpc's `script-u.log` ("event ip …"), dhcpcd's `client-script.log` ("REASON ip old").
        func scriptLog(_ lab: Lab) -> [String] {
            self == .udhcpc ? MockServerInteropMatrixTests.scriptLog(lab, "u") : lab.clientScriptLog
        }

        /// The address of its last binding, as its script was told.
        func address(_ lab: Lab) -> String? {
            let bound = self == .udhcpc ? "bound " : "BOUND "
            return scriptLog(lab).last { $0.hasPrefix(bound) }.map { String($0.split(separator: " ")[1]) }
        }

        /// Bound, and (dhcpcd) done binding, so that a SIGTERM stops it at once (see `Lab.dhcpcdSettled`).
        func settled(_ lab: Lab, _ process: LabProcess) -> Bool {
            guard let address = address(lab) else { return false }
            return self == .udhcpc || lab.dhcpcdSettled(process, address: address)
        }

        /// Whether its script was called for `reason` with `address`.
        func called(_ lab: Lab, _ reason: String, _ address: String) -> Bool {
            scriptLog(lab).contains { $0.hasPrefix("\(reason) \(address) ") }
        }

        /// The script reason of a renewal and of a rebinding (udhcpc says renew for both).
        var renewed: String { self == .udhcpc ? "renew" : "RENEW" }
        var rebound: String { self == .udhcpc ? "renew" : "REBIND" }

        /// When it renews, in seconds after its ACK, with a lease of 20 s and T1 3 s: udhcpc at half the lease (as 30 s).
        var renewsAt: ClosedRange<Double> { self == .udhcpc ? 14.5...16.5 : 2.5...4 }

        /// Its own view agrees with `address`: the script put it on cli0; dhcpcd's lease file holds it.
        func checkOwnView(_ lab: Lab, in namespace: String, address: String) throws {
            try lab.check(try lab.addresses(in: namespace, interface: "cli0").contains(address + "/24"),
                          "\(self): the script did not add \(address)")
            if self == .dhcpcd {
                try lab.check(lab.dhcpcdLeaseAddress(interface: "cli0") == address,
                              "dhcpcd's lease file has \(lab.dhcpcdLeaseAddress(interface: "cli0") ?? "nothing"), its script \(address)")
            }
        }
    }

    /// One client with its own mock (`flags`) and capture, side by side with the other.
    struct ClientRun {
        let client: Client
        let namespace: String
        let mac: String
        let mock: LabProcess
        let capture: String
        let captureProcess: LabProcess
        let process: LabProcess
    }

    /// For each client: a pair of namespaces (the server at .1), a mock with `flags` and range .100–.110, a capture on
    /// the client's side, and the client started.
    static func startClients(_ lab: Lab, _ flags: [String]) async throws -> [ClientRun] {
        var runs: [ClientRun] = []
        for (link, client) in Client.allCases.enumerated() {
            let pair = try pair(lab, client.rawValue, link: link, serverAddress: lab.subnet.host(1))
            let mock = try await startMock(lab, "mock-\(client)", in: pair.server, ["--range", range(lab.subnet, 100, 110)] + flags)
            let capture = try await lab.capture("tcpdump-\(client)", in: pair.client, interface: "cli0", to: "\(client).pcap")
            runs.append(ClientRun(client: client, namespace: pair.client, mac: pair.mac, mock: mock, capture: "\(client).pcap",
                                  captureProcess: capture, process: try client.start(lab, in: pair.client)))
        }
        return runs
    }

    /// Checks each client's own view (before a stop takes its address away), then stops the clients and the captures
    /// (the mocks run on, for their events).
    static func stop(_ lab: Lab, _ runs: [ClientRun]) async throws {
        for run in runs {
            try run.client.checkOwnView(lab, in: run.namespace, address: try #require(run.client.address(lab)))
        }
        LabProcess.stop(runs.map(\.process))
        for run in runs { try await lab.stopCapture(run.captureProcess) }
    }

    static func acks(_ mock: LabProcess) -> [Event] { replies(mock).filter { $0.string("type") == "ACK" } }

    /// A segment (bridge srv0 in the server's namespace) with the client's namespace, and a squatter's holding .100,
    /// the first address of the mock's pool of `poolSize`; the mock started, the segment captured at the bridge.
    static func conflictSegment(_ lab: Lab, poolSize: Int) async throws
        -> (client: String, mac: String, squatted: String, mock: LabProcess, capture: LabProcess) {
        let server = try lab.namespace("srv"), client = try lab.namespace("cli"), squatter = try lab.namespace("squatter")
        let mac = lab.mac(link: 0, side: 2), squatted = lab.subnet.host(100)
        try bridge(lab, in: server, mac: lab.mac(link: 9, side: 1), address: lab.subnet.host(1))
        try await attach(lab, (client, "cli0", mac, nil), to: server, port: "p-cli", portMAC: lab.mac(link: 0, side: 1))
        try await attach(lab, (squatter, "sq0", lab.mac(link: 1, side: 2), "\(squatted)/24"), to: server, port: "p-sq",
                         portMAC: lab.mac(link: 1, side: 1))
        let mock = try await startMock(lab, in: server, ["--range", range(lab.subnet, 100, 99 + poolSize), "--lease-time", "120"])
        let capture = try await lab.capture("tcpdump-server", in: server, interface: "srv0", to: "server.pcap")
        return (client, mac, squatted, mock, capture)
    }

    /// The mock and the wire after a DECLINE of the squatted address: DORA for it, DECLINE (options 50 and 54), the
    /// lease `declined`; then the next DISCOVER offered `next`, or nothing (the mock says why) when `next` is nil.
    static func checkDecline(_ lab: Lab, _ segment: (client: String, mac: String, squatted: String, mock: LabProcess, capture: LabProcess),
                             then next: String?) throws {
        let server = lab.subnet.host(1), squatted = segment.squatted, mock = segment.mock
        let declined = try #require(leases(mock).first { $0.string("state") == "declined" })
        try lab.check(declined.string("ip") == squatted && declined.string("mac") == segment.mac,
                      "the mock declined \(declined.string("ip") ?? "nil") for \(declined.string("mac") ?? "nil")")
        if let next { try checkMockLease(lab, mock, address: next, mac: segment.mac, state: "active") }
        try lab.check(!leases(mock).drop { $0.string("state") != "declined" }.contains { $0.string("ip") == squatted && $0.string("state") == "active" },
                      "the mock leased \(squatted) again while it was quarantined")
        try stopMock(lab, mock)

        let messages = try lab.decodedMessages(["server.pcap"])
        let declineIndex = try #require(messages.firstIndex { $0.messageType == "DECLINE" }, "no DECLINE on the wire")
        try lab.checkDORA(Array(messages[..<declineIndex]), mac: segment.mac, address: squatted)
        let decline = messages[declineIndex]
        try lab.check(option(decline, 50) as? String == squatted && option(decline, 54) as? String == server
                      && decline.chaddr == segment.mac, "DECLINE: \(decline.object)")
        let after = messages[(declineIndex + 1)...]
        try lab.check(after.first?.messageType == "DISCOVER", "after the DECLINE: \(lab.typeSequence(Array(after)))")
        let offers = after.filter { $0.messageType == "OFFER" }.compactMap { $0.dhcp["yiaddr"] as? String }
        if let next {
            try lab.check(!offers.isEmpty && offers.allSatisfy { $0 == next }, "offers after the DECLINE: \(offers), expected \(next)")
        } else {
            try lab.check(offers.isEmpty && after.allSatisfy { $0.messageType == "DISCOVER" },
                          "after the DECLINE: \(lab.typeSequence(Array(after))), expected unanswered DISCOVERs")
        }
        let events = try analyse(lab, ["server.pcap"], errors: false)
        let declines = transactions(events, "decline")
        try lab.check(declines.count == 1 && declines[0].string("outcome") == "declined", "decline transactions: \(declines.map(\.object))")
        try lab.check(events.contains { $0.name == "problem" && $0.string("code") == "decline" && $0.string("ip") == squatted },
                      "analyse reports no DECLINE of \(squatted)")
        try lab.checkLease(events, address: squatted, mac: segment.mac, state: "declined")
    }
}
