import Foundation
import Glibc
import Testing

/// Issue 5: `dhcpscope mock-server` against real clients (udhcpc, dhcpcd, dhclient, dhcrelay), each scenario checked
/// from the client's own view (its script log or lease file), from the mock's JSON events, and on the wire (a
/// capture read by `dhcpscope decode` / `analyse`). One wire test per fault. Scenario indices 8–20.
@Suite("Lab: mock-server interop and faults", .enabled(if: LabGate.enabled, LabGate.skipReason), .timeLimit(.minutes(2)))
struct MockServerInteropTests: MockServerScenario {
    // MARK: DORA then release with other clients

    @Test("mock-server + udhcpc: DORA then release")
    func mockServerUdhcpc() async throws {
        try await Lab.run("mock-server-udhcpc", index: 8) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let mock = try await Self.startMock(lab, in: pair.server, ["--range", Self.range(lab.subnet, 100, 110),
                                                                      "--router", lab.subnet.host(1), "--lease-time", "120"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            let udhcpc = try Self.startUdhcpc(lab, "u", in: pair.client)

            try await lab.wait(for: "udhcpc's bound and the mock's lease") {
                Self.bound(lab, "u") != nil && Self.leases(mock).contains { $0.string("state") == "active" }
            }
            let address = try #require(Self.bound(lab, "u"))
            try Self.checkMockLease(lab, mock, address: address, mac: pair.mac, state: "active")
            try lab.check((100...110).map { lab.subnet.host($0) }.contains(address), "\(address) is outside --range")
            try lab.check(try lab.addresses(in: pair.client, interface: "cli0").contains(address + "/24"), "the script did not add \(address)")
            let replies = Self.replies(mock)
            try lab.check(replies.map { $0.string("type") ?? "?" } == ["OFFER", "ACK"]
                          && replies.allSatisfy { $0.string("yiaddr") == address && $0.string("mac") == pair.mac },
                          "the mock's replies: \(replies.map(\.object))")

            udhcpc.signal(SIGUSR2)  // release, and stay
            try await lab.wait(for: "the mock to free the released lease") {
                Self.leases(mock).last.map { $0.string("ip") == address && $0.string("state") == "released" } ?? false
            }
            try await lab.wait(for: "udhcpc's deconfig after the release") { Self.scriptLog(lab, "u").last?.hasPrefix("deconfig") == true }
            try await lab.stopCapture(capture)
            try Self.stopMock(lab, mock)
            try lab.checkDORAThenRelease(capture: "client.pcap", mac: pair.mac, address: address)
        }
    }

    @Test("mock-server + dhcpcd: DORA then release")
    func mockServerDhcpcd() async throws {
        try await Lab.run("mock-server-dhcpcd", index: 9) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let mock = try await Self.startMock(lab, in: pair.server, ["--range", Self.range(lab.subnet, 100, 110),
                                                                      "--router", lab.subnet.host(1), "--lease-time", "120"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            let dhcpcd = try lab.startDhcpcd(in: pair.client, interface: "cli0")

            try await lab.wait(for: "dhcpcd's BOUND, its lease file and the mock's lease") {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND ") } && lab.dhcpcdLeaseAddress(interface: "cli0") != nil
                    && Self.leases(mock).contains { $0.string("state") == "active" }
            }
            let bound = try #require(lab.clientScriptLog.first { $0.hasPrefix("BOUND ") })
            let address = String(bound.split(separator: " ")[1])
            try lab.check(lab.dhcpcdLeaseAddress(interface: "cli0") == address,
                          "dhcpcd's lease file has \(lab.dhcpcdLeaseAddress(interface: "cli0") ?? "nothing"), its script \(address)")
            let lease = try Self.checkMockLease(lab, mock, address: address, mac: pair.mac, state: "active")
            // dhcpcd sends option 61 = 01 + MAC: the mock keys the lease on it.
            try lab.check(lease.string("client_id") == "01:" + pair.mac, "the mock's lease client_id \(lease.string("client_id") ?? "nil")")

            try lab.releaseDhcpcd(in: pair.client, interface: "cli0")
            try await lab.wait(for: "dhcpcd's end and the mock freeing the lease") {
                !dhcpcd.isRunning && Self.leases(mock).last.map { $0.string("ip") == address && $0.string("state") == "released" } ?? false
            }
            try lab.check(dhcpcd.output.contains("releasing lease of \(address)"), "dhcpcd did not release \(address)")
            try await lab.stopCapture(capture)
            try Self.stopMock(lab, mock)
            try lab.checkDORAThenRelease(capture: "client.pcap", mac: pair.mac, address: address)
        }
    }

    // MARK: Renew, rebind

    /// T1 = 3 s: dhclient renews by unicast (ciaddr set, to the server) and the mock ACKs to ciaddr.
    @Test("mock-server + dhclient: renew at T1")
    func mockServerRenew() async throws {
        try await Lab.run("mock-server-renew", index: 10) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let server = lab.subnet.host(1)
            let mock = try await Self.startMock(lab, in: pair.server, ["--range", Self.range(lab.subnet, 100, 110),
                                                                      "--lease-time", "20", "--t1", "3", "--t2", "6"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            let dhclient = try Self.startDhclient(lab, "dhclient", in: pair.client)

            try await lab.wait(for: "dhclient's BOUND") { lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.dhclientAddress != nil }
            let address = try #require(lab.dhclientAddress)
            try await lab.wait(for: "dhclient's RENEW and the mock's renewed lease", seconds: 8) {
                lab.clientScriptLog.contains { $0.hasPrefix("RENEW") }
                    && Self.leases(mock).filter { $0.string("ip") == address && $0.string("state") == "active" }.count >= 2
            }
            try lab.check(dhclient.output.contains("DHCPREQUEST for \(address) on cli0 to \(server) port 67"),
                          "dhclient did not unicast its renewing REQUEST")
            try await lab.stopCapture(capture)
            dhclient.stop()
            let acks = Self.replies(mock).filter { $0.string("type") == "ACK" }
            try lab.check(acks.count >= 2 && acks.dropFirst().allSatisfy { $0.string("destination") == "\(address):68" },
                          "the renewal ACKs are not unicast to ciaddr: \(acks.map(\.object))")
            try Self.stopMock(lab, mock)

            let messages = try lab.decodedMessages(["client.pcap"])
            try lab.checkDORA(messages, mac: pair.mac, address: address, then: ["REQUEST", "ACK"], repeats: lab.renewals(messages, every: 3))
            let renew = try #require(messages.dropFirst(4).first { $0.messageType == "REQUEST" })
            try lab.check(renew.dhcp["ciaddr"] as? String == address && renew.string("dst") == "\(server):67"
                          && !renew.optionCodes.contains(54) && !renew.optionCodes.contains(50),
                          "renewing REQUEST: ciaddr \(renew.dhcp["ciaddr"] ?? "nil"), dst \(renew.string("dst") ?? "nil"), options \(renew.optionCodes)")
            let renewACK = try #require(messages.dropFirst(4).first { $0.messageType == "ACK" })
            try lab.check(renewACK.string("dst") == "\(address):68" && renewACK.dhcp["yiaddr"] as? String == address,
                          "renewal ACK to \(renewACK.string("dst") ?? "nil"), yiaddr \(renewACK.dhcp["yiaddr"] ?? "nil")")
            let events = try lab.analysed(["client.pcap"])
            try lab.checkRenewed(events, mac: pair.mac, address: address)
        }
    }

    /// `--ignore-renew`: the unicast renewals go unanswered; once T2 (3 s) has passed dhclient broadcasts its REQUEST
    /// (rebinding) and gets an ACK. dhclient keeps the one xid from renewing to rebinding and calls its script with
    /// RENEW for the rebinding ACK; analyse shows one transaction: RENEWING, then REBINDING at T2, then BOUND.
    @Test("mock-server --ignore-renew + dhclient: rebind at T2")
    func mockServerRebind() async throws {
        try await Lab.run("mock-server-rebind", index: 11) { lab in
            // srv0's address is added without `brd`, as everywhere in the lab: the unicast renewals must still be
            // told from the broadcast rebinding (a bug once made every unicast look like a broadcast).
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let mock = try await Self.startMock(lab, in: pair.server, ["--range", Self.range(lab.subnet, 100, 110), "--ignore-renew",
                                                                      "--lease-time", "30", "--t1", "1", "--t2", "3"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            let dhclient = try Self.startDhclient(lab, "dhclient", in: pair.client)

            try await lab.wait(for: "dhclient's BOUND") { lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.dhclientAddress != nil }
            let address = try #require(lab.dhclientAddress)
            try await lab.wait(for: "the rebinding ACK (the mock's second ACK, dhclient's next script call)", seconds: 9) {
                Self.replies(mock).filter { $0.string("type") == "ACK" }.count >= 2
                    && lab.clientScriptLog.contains { $0.hasPrefix("RENEW \(address)") || $0.hasPrefix("REBIND \(address)") }
            }
            try await lab.stopCapture(capture)
            dhclient.stop()
            try lab.check(dhclient.output.contains("DHCPREQUEST for \(address) on cli0 to \(lab.subnet.host(1)) port 67"),
                          "dhclient did not unicast a renewing REQUEST")
            let ignored = Self.problems(mock).filter { $0.string("text")?.contains("(ignore-renew)") == true }
            try lab.check(!ignored.isEmpty, "the mock reports no ignored renewal")
            let acks = Self.replies(mock).filter { $0.string("type") == "ACK" }
            // Two ACKs at least (a loaded machine may see the next rebinding answered before the wait ends): every one
            // after the first answers a broadcast REQUEST with ciaddr, so it goes to the address, not in a raw frame.
            try lab.check(acks.count >= 2 && acks.dropFirst().allSatisfy { $0.string("destination") == "\(address):68" },
                          "the mock's ACKs: \(acks.map(\.object))")
            try Self.stopMock(lab, mock)

            let messages = try lab.decodedMessages(["client.pcap"])
            let afterDORA = Array(messages.dropFirst(4))
            let summary = afterDORA.map { "\($0.messageType ?? "?") \($0.string("dst") ?? "?")" }
            let renewals = afterDORA.prefix { $0.messageType == "REQUEST" && $0.string("dst") == "\(lab.subnet.host(1)):67" }
            // dhclient keeps renewing at T1 after the rebinding ACK, and the capture stops a moment before the mock's
            // events are read: every unicast renewal on the wire was ignored, and the mock may have ignored more.
            let unicastRequests = afterDORA.filter { $0.messageType == "REQUEST" && $0.string("dst") == "\(lab.subnet.host(1)):67" }
            try lab.check(!renewals.isEmpty && ignored.count >= unicastRequests.count
                              && unicastRequests.allSatisfy { $0.dhcp["ciaddr"] as? String == address },
                          "the mock ignored \(ignored.count) renewals; after the DORA: \(summary)")
            let rebind = try #require(afterDORA.dropFirst(renewals.count).first, "nothing after the renewals")
            try lab.check(rebind.messageType == "REQUEST" && rebind.string("dst") == "255.255.255.255:67"
                          && rebind.dhcp["ciaddr"] as? String == address && !rebind.optionCodes.contains(54)
                          && !rebind.optionCodes.contains(50), "rebinding REQUEST: \(rebind.object)")
            try lab.check(afterDORA.filter { $0.messageType == "ACK" }.count >= 1, "after the DORA: \(summary)")
            let events = try lab.analysed(["client.pcap"])
            try lab.checkOneDORA(events, mac: pair.mac, address: address)
            let extensions = events.filter { $0.name == "transaction" && ["renew", "rebind"].contains($0.string("kind") ?? "") }
            // One renew-then-rebind exchange ends in the ACK; the capture may also hold the start of the next T1
            // renewal (ignored again), or on a loaded machine whole further cycles (each a renew transaction that
            // ends in the rebinding ACK): every one that ends in an ACK extends the same address.
            try lab.check(extensions.first?.string("outcome") == "ack"
                              && extensions.allSatisfy { $0.string("outcome") != "ack" || $0.string("ip") == address },
                          "renew/rebind transactions: \(extensions.map(\.object))")
            try lab.checkStates(events, mac: pair.mac, ["BOUND", "RENEWING", "REBINDING", "BOUND"])
            let toRebinding = events.first { $0.name == "transition" && $0.string("to") == "REBINDING" }
            try lab.check(toRebinding?.string("reason") == "T2 expired", "REBINDING for \(toRebinding?.string("reason") ?? "nil")")
            try lab.checkLease(events, address: address, mac: pair.mac, state: "renewed")
        }
    }

    // MARK: Address reuse, INIT-REBOOT, relay

    /// A range of one address: client A (dhclient) takes it and releases it; client B (udhcpc) then gets it.
    @Test("mock-server: a released address goes to the next client")
    func mockServerReleaseReuse() async throws {
        try await Lab.run("mock-server-release-reuse", index: 12) { lab in
            let server = try lab.namespace("srv"), clientA = try lab.namespace("cli-a"), clientB = try lab.namespace("cli-b")
            let macA = lab.mac(link: 0, side: 2), macB = lab.mac(link: 1, side: 2)
            try Self.bridge(lab, in: server, mac: lab.mac(link: 9, side: 1), address: lab.subnet.host(1))
            try await Self.attach(lab, (clientA, "cli0", macA, nil), to: server, port: "p-a", portMAC: lab.mac(link: 0, side: 1))
            try await Self.attach(lab, (clientB, "cli0", macB, nil), to: server, port: "p-b", portMAC: lab.mac(link: 1, side: 1))
            let only = lab.subnet.host(100)
            let mock = try await Self.startMock(lab, in: server, ["--range", "\(only)-\(only)", "--lease-time", "120"])
            let capture = try await lab.capture("tcpdump-server", in: server, interface: "srv0", to: "server.pcap")

            _ = try Self.startDhclient(lab, "dhclient", in: clientA)
            try await lab.wait(for: "dhclient's BOUND and the mock's lease to A") {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && Self.leases(mock).contains { $0.string("state") == "active" }
            }
            try lab.check(lab.dhclientAddress == only, "client A got \(lab.dhclientAddress ?? "nothing"), not \(only)")
            try Self.checkMockLease(lab, mock, address: only, mac: macA, state: "active")
            try lab.releaseDhclient(in: clientA, interface: "cli0")
            try await lab.wait(for: "the mock to free A's lease") {
                Self.leases(mock).last.map { $0.string("mac") == macA && $0.string("state") == "released" } ?? false
            }

            _ = try Self.startUdhcpc(lab, "b", in: clientB)
            try await lab.wait(for: "udhcpc (B) bound and the mock's lease to B") {
                Self.bound(lab, "b") != nil && Self.leases(mock).last.map { $0.string("mac") == macB } ?? false
            }
            try lab.check(Self.bound(lab, "b") == only, "client B got \(Self.bound(lab, "b") ?? "nothing"), not \(only)")
            try Self.checkMockLease(lab, mock, address: only, mac: macB, state: "active")
            let story = Self.leases(mock).map { "\($0.string("ip") ?? "?") \($0.string("mac") ?? "?") \($0.string("state") ?? "?")" }
            try lab.check(story == ["\(only) \(macA) active", "\(only) \(macA) released", "\(only) \(macB) active"],
                          "the mock's lease events: \(story)")
            try await lab.stopCapture(capture)
            try Self.stopMock(lab, mock)

            let events = try lab.analysed(["server.pcap"])
            try lab.checkLease(events, address: only, mac: macA, state: "released")
            try lab.checkLease(events, address: only, mac: macB, state: "active")
            try lab.check(!events.contains { $0.name == "problem" && $0.string("code") == "address-conflict" },
                          "analyse reports an address conflict")
        }
    }

    /// dhclient restarted with its lease file asks for its address (INIT-REBOOT) and gets it; then the mock moves to
    /// another subnet (--authoritative): the same restart gets a NAK, and dhclient takes an address of the new subnet.
    @Test("mock-server + dhclient: INIT-REBOOT ACK, then NAK after a subnet change")
    func mockServerInitReboot() async throws {
        try await Lab.run("mock-server-init-reboot", index: 13) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            var mock = try await Self.startMock(lab, "mock-server-1", in: pair.server,
                                                ["--range", Self.range(lab.subnet, 100, 110), "--lease-time", "120"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            var dhclient = try Self.startDhclient(lab, "dhclient-1", in: pair.client)
            try await lab.wait(for: "dhclient's BOUND") { lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.dhclientAddress != nil }
            let address = try #require(lab.dhclientAddress)
            dhclient.stop()  // SIGTERM: no RELEASE, the lease file keeps the lease

            dhclient = try Self.startDhclient(lab, "dhclient-2", in: pair.client)
            try await lab.wait(for: "dhclient's REBOOT (INIT-REBOOT acknowledged)") {
                lab.clientScriptLog.contains { $0.hasPrefix("REBOOT \(address)") }
            }
            try lab.check(dhclient.output.contains("DHCPREQUEST for \(address) on cli0 to 255.255.255.255"),
                          "dhclient did not broadcast an INIT-REBOOT REQUEST")
            dhclient.stop()
            let firstReplies = Self.replies(mock).map { $0.string("type") ?? "?" }
            try lab.check(firstReplies == ["OFFER", "ACK", "ACK"], "the first mock's replies: \(firstReplies)")

            // The server moves to the second subnet; the client keeps its old address and lease file.
            let newSubnet = lab.secondSubnet
            mock = try await Self.restartOnSecondSubnet(lab, in: pair.server, stopping: mock)
            dhclient = try Self.startDhclient(lab, "dhclient-3", in: pair.client)
            try await lab.wait(for: "dhclient's BOUND in \(newSubnet.cidr)") {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND \(newSubnet.prefix).") }
            }
            let newAddress = try #require(lab.dhclientAddress)
            try lab.check(newSubnet.contains(newAddress), "dhclient's lease file ends with \(newAddress)")
            try lab.check(dhclient.output.contains("DHCPNAK"), "dhclient did not log the NAK")
            try await lab.stopCapture(capture)
            dhclient.stop()
            let secondReplies = Self.replies(mock).map { $0.string("type") ?? "?" }
            try lab.check(secondReplies == ["NAK", "OFFER", "ACK"], "the second mock's replies: \(secondReplies)")
            try lab.check(Self.problems(mock).contains { $0.string("text")?.contains("NAK: \(address) is not on") == true },
                          "the second mock does not say why it NAKed")
            try Self.checkMockLease(lab, mock, address: newAddress, mac: pair.mac, state: "active")
            try Self.stopMock(lab, mock)

            let messages = try lab.decodedMessages(["client.pcap"])
            let rebootRequests = messages.filter {
                $0.messageType == "REQUEST" && $0.dhcp["ciaddr"] as? String == "0.0.0.0" && !$0.optionCodes.contains(54)
            }
            try lab.check(rebootRequests.count >= 2, "expected two INIT-REBOOT REQUESTs (no option 54, ciaddr 0)")
            let nak = try #require(messages.first { $0.messageType == "NAK" })
            try lab.check(nak.dhcp["yiaddr"] as? String == "0.0.0.0" && nak.string("dst") == "255.255.255.255:68",
                          "NAK yiaddr \(nak.dhcp["yiaddr"] ?? "nil") to \(nak.string("dst") ?? "nil")")
            let events = try lab.analysed(["client.pcap"])
            let story = events.filter { $0.name == "transaction" }.map { "\($0.string("kind") ?? "?") \($0.string("outcome") ?? "?")" }
            try lab.check(story == ["dora ack", "init_reboot ack", "init_reboot nak", "dora ack"], "transactions: \(story)")
            let reboots = Self.transactions(events, "init_reboot")
            try lab.check(reboots.first?.string("ip") == address, "INIT-REBOOT ACK for \(reboots.first?.string("ip") ?? "nil")")
            try lab.check(Self.transactions(events, "dora").last?.string("ip") == newAddress, "the last DORA is not for \(newAddress)")
        }
    }

    /// client — dhcrelay (option 82) — mock-server on the relay's upstream subnet, serving the client's subnet
    /// (`--subnet`): giaddr selects it, replies go to the relay, option 82 is echoed.
    @Test("dhclient — dhcrelay — mock-server: relayed DORA")
    func mockServerRelay() async throws {
        try await Lab.run("mock-server-relay", index: 14) { lab in
            let client = try lab.namespace("cli"), relay = try lab.namespace("rly"), server = try lab.namespace("srv")
            let clientMAC = lab.mac(link: 0, side: 2)
            let giaddr = lab.subnet.host(1), serverAddress = lab.secondSubnet.host(2)
            try lab.link((client, "cli0", clientMAC, nil), (relay, "rly-dn", lab.mac(link: 0, side: 1), "\(giaddr)/24"))
            try lab.link((relay, "rly-up", lab.mac(link: 1, side: 1), "\(lab.secondSubnet.host(1))/24"),
                         (server, "srv0", lab.mac(link: 1, side: 2), "\(serverAddress)/24"))
            try lab.ip(server, "route", "add", lab.subnet.cidr, "via", lab.secondSubnet.host(1))  // replies to giaddr
            let mock = try await Self.startMock(lab, in: server, ["--subnet", lab.subnet.cidr, "--range", Self.range(lab.subnet, 100, 110),
                                                                 "--router", giaddr, "--lease-time", "120"])
            _ = try await lab.startDhcrelay(in: relay, downstream: "rly-dn", upstreams: ["rly-up"], servers: [serverAddress])
            let clientCapture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap")
            let serverCapture = try await lab.capture("tcpdump-server", in: server, interface: "srv0", to: "server.pcap")
            _ = try Self.startDhclient(lab, "dhclient", in: client)

            try await lab.wait(for: "dhclient's BOUND and the mock's lease") {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && Self.leases(mock).contains { $0.string("state") == "active" }
            }
            let address = try #require(lab.dhclientAddress)
            try lab.check(lab.subnet.contains(address), "dhclient got \(address), outside giaddr's subnet \(lab.subnet.cidr)")
            try Self.checkMockLease(lab, mock, address: address, mac: clientMAC, state: "active")
            let replies = Self.replies(mock)
            try lab.check(replies.count == 2 && replies.allSatisfy { $0.string("destination") == "relay \(giaddr):67" },
                          "the mock's replies: \(replies.map(\.object))")
            try await lab.stopCapture(clientCapture)
            try await lab.stopCapture(serverCapture)
            try Self.stopMock(lab, mock)

            let clientLeg = try lab.decodedMessages(["client.pcap"])
            let xid = try lab.checkDORA(clientLeg, mac: clientMAC, address: address)
            let serverLeg = try lab.decodedMessages(["server.pcap"])
            try lab.checkDORA(serverLeg, mac: clientMAC, address: address)
            try lab.check(serverLeg.allSatisfy { $0.xid == xid && $0.dhcp["giaddr"] as? String == giaddr },
                          "server leg: xid/giaddr \(serverLeg.map { "\($0.xid ?? "?") \($0.dhcp["giaddr"] ?? "?")" })")
            let serverReplies = serverLeg.filter { $0.dhcp["op"] as? Int == 2 }
            try lab.check(serverReplies.allSatisfy { $0.optionCodes.last == 82 && $0.string("dst") == "\(giaddr):67" },
                          "the mock's replies do not echo option 82 last, to giaddr:67")
            try lab.check(serverReplies.allSatisfy { Self.option($0, 54) as? String == serverAddress },
                          "the mock's replies' server identifier is not \(serverAddress)")
            try lab.check(clientLeg.filter { $0.dhcp["op"] as? Int == 2 }.allSatisfy { !$0.optionCodes.contains(82) },
                          "option 82 reached the client")
            let events = try lab.analysed(["client.pcap", "server.pcap"])
            try lab.checkOneDORA(events, mac: clientMAC, address: address, xid: xid, relayed: true)
            let transactions = events.filter { $0.name == "transaction" }
            try lab.check(transactions.count == 1, "merged legs give \(transactions.count) transactions, expected one")
        }
    }

    // MARK: Faults

    /// --nak-all, --offer-only, --exhaust, --drop 100: four client/server pairs side by side, udhcpc on each.
    @Test("mock-server faults: nak-all, offer-only, exhaust, drop 100")
    func mockServerFaults1() async throws {
        try await Lab.run("mock-server-faults-1", index: 15) { lab in
            let faults: [(tag: String, flags: [String])] = [
                ("nak", ["--nak-all"]), ("offer", ["--offer-only"]), ("exhaust", ["--exhaust"]), ("drop", ["--drop", "100"]),
            ]
            var pairList: [String: (client: String, server: String, mac: String)] = [:]
            var mockList: [String: LabProcess] = [:], captureList: [LabProcess] = [], clientList: [String: LabProcess] = [:]
            for (link, fault) in faults.enumerated() {
                let pair = try Self.pair(lab, fault.tag, link: link, serverAddress: lab.subnet.host(1))
                pairList[fault.tag] = pair
                mockList[fault.tag] = try await Self.startMock(lab, "mock-\(fault.tag)", in: pair.server,
                                                            ["--range", Self.range(lab.subnet, 100, 110)] + fault.flags)
                captureList.append(try await lab.capture("tcpdump-\(fault.tag)", in: pair.client, interface: "cli0", to: "\(fault.tag).pcap"))
            }
            for fault in faults {
                clientList[fault.tag] = try Self.startUdhcpc(lab, fault.tag, in: pairList[fault.tag]!.client, ["-n", "-t", "2", "-T", "1"])
            }
            let mocks = mockList, captures = captureList, clients = clientList
            let server = lab.subnet.host(1)

            // Each client's end: a NAK seen; two REQUESTs unanswered; udhcpc giving up (-n) after its DISCOVERs.
            try await lab.wait(for: "the NAK, the unanswered REQUESTs and both udhcpc giving up", seconds: 10) {
                Self.replies(mocks["nak"]!).contains { $0.string("type") == "NAK" }
                    && Self.problems(mocks["offer"]!).filter { $0.string("text")?.contains("offer-only") == true }.count >= 2
                    && !clients["exhaust"]!.isRunning && !clients["drop"]!.isRunning
            }
            LabProcess.stop(Array(clients.values))
            for capture in captures { try await lab.stopCapture(capture) }
            for fault in faults {
                try lab.check(Self.bound(lab, fault.tag) == nil, "\(fault.tag): udhcpc bound: \(Self.scriptLog(lab, fault.tag))")
                try lab.check(Self.leases(mocks[fault.tag]!).isEmpty, "\(fault.tag): the mock leased an address")
            }
            for tag in ["exhaust", "drop"] {
                try lab.check(clients[tag]!.exitStatus == 1 && clients[tag]!.output.contains("no lease, failing"),
                              "\(tag): udhcpc -n did not fail: \(clients[tag]!.output)")
            }

            // --nak-all: DISCOVER, OFFER, REQUEST, NAK (yiaddr 0, option 54 the server, option 56), broadcast.
            let nakWire = try lab.decodedMessages(["nak.pcap"])
            try lab.check(Array(lab.typeSequence(nakWire).prefix(4)) == ["DISCOVER", "OFFER", "REQUEST", "NAK"],
                          "nak-all wire: \(lab.typeSequence(nakWire))")
            let nak = try #require(nakWire.first { $0.messageType == "NAK" })
            try lab.check(nak.dhcp["yiaddr"] as? String == "0.0.0.0" && Self.option(nak, 54) as? String == server
                          && nak.optionCodes.contains(56) && nak.string("dst") == "255.255.255.255:68",
                          "NAK: \(nak.object)")
            try lab.check(!nakWire.contains { $0.messageType == "ACK" }, "nak-all sent an ACK")
            let nakEvents = try Self.analyse(lab, ["nak.pcap"], errors: false)
            try lab.check(Self.transactions(nakEvents, "dora").first?.string("outcome") == "nak", "nak-all: the DORA's outcome is not nak")
            try lab.check(Self.problemCodes(nakEvents).contains("nak"), "nak-all: analyse reports no nak")

            // --offer-only: OFFERs, REQUESTs, never an ACK or NAK.
            let offerWire = try lab.decodedMessages(["offer.pcap"])
            let offerTypes = Set(offerWire.compactMap(\.messageType))
            try lab.check(offerTypes == ["DISCOVER", "OFFER", "REQUEST"], "offer-only wire: \(lab.typeSequence(offerWire))")
            try lab.check(offerWire.filter { $0.messageType == "REQUEST" }.count >= 2, "offer-only: fewer than two REQUESTs")
            let offerEvents = try Self.analyse(lab, ["offer.pcap"], errors: false)
            let offerDORAs = Self.transactions(offerEvents, "dora")
            try lab.check(!offerDORAs.isEmpty && offerDORAs.allSatisfy { $0.string("outcome") == "no_ack" },
                          "offer-only transactions: \(offerDORAs.map(\.object))")
            try lab.check(Self.problemCodes(offerEvents).contains("offer-not-acked"), "offer-only: no offer-not-acked")
            try lab.check(Self.replies(mocks["offer"]!).allSatisfy { $0.string("type") == "OFFER" }, "offer-only: the mock sent more than OFFERs")

            // --exhaust and --drop 100: DISCOVERs only, each received one reported by the mock.
            for (tag, text) in [("exhaust", "(exhaust)"), ("drop", "(drop 100.0 %)")] {
                let wire = try lab.decodedMessages(["\(tag).pcap"])
                try lab.check(wire.count >= 2 && wire.allSatisfy { $0.messageType == "DISCOVER" },
                              "\(tag) wire: \(wire.map { $0.messageType ?? "?" })")
                let problems = Self.problems(mocks[tag]!).filter { $0.string("text")?.contains(text) == true }
                try lab.check(problems.count == wire.count && Self.replies(mocks[tag]!).isEmpty,
                              "\(tag): \(wire.count) DISCOVERs, the mock reports \(problems.map { $0.string("text") ?? "" })")
                let events = try Self.analyse(lab, ["\(tag).pcap"], errors: false)
                let doras = Self.transactions(events, "dora")
                try lab.check(!doras.isEmpty && doras.allSatisfy { $0.string("outcome") == "no_offer" },
                              "\(tag) transactions: \(doras.map(\.object))")
                try lab.check(Self.problemCodes(events).contains("discover-unanswered"), "\(tag): no discover-unanswered")
            }
            for mock in mocks.values { try Self.stopMock(lab, mock) }
        }
    }

    /// --delay 300, --wrong-server-id, --drop discover:50: three pairs side by side, udhcpc on each, all bound.
    @Test("mock-server faults: delay, wrong-server-id, drop discover:50")
    func mockServerFaults2() async throws {
        try await Lab.run("mock-server-faults-2", index: 16) { lab in
            // wrong-server-id: the server is .2, so its wrong identifier (last bit flipped) is .3.
            let faults: [(tag: String, host: Int, flags: [String], tries: String)] = [
                ("delay", 1, ["--delay", "300"], "5"), ("wrongid", 2, ["--wrong-server-id"], "5"),
                ("dropdisc", 1, ["--drop", "discover:50"], "14"),
            ]
            var pairList: [String: (client: String, server: String, mac: String)] = [:]
            var mockList: [String: LabProcess] = [:], captureList: [LabProcess] = [], clientList: [LabProcess] = []
            for (link, fault) in faults.enumerated() {
                let pair = try Self.pair(lab, fault.tag, link: link, serverAddress: lab.subnet.host(fault.host))
                pairList[fault.tag] = pair
                mockList[fault.tag] = try await Self.startMock(lab, "mock-\(fault.tag)", in: pair.server,
                                                            ["--range", Self.range(lab.subnet, 100, 110)] + fault.flags)
                captureList.append(try await lab.capture("tcpdump-\(fault.tag)", in: pair.client, interface: "cli0", to: "\(fault.tag).pcap"))
            }
            for fault in faults {
                clientList.append(try Self.startUdhcpc(lab, fault.tag, in: pairList[fault.tag]!.client, ["-t", fault.tries, "-T", "1"]))
            }
            let mocks = mockList, captures = captureList, clients = clientList, pairs = pairList
            try await lab.wait(for: "every udhcpc bound and every mock's lease", seconds: 16) {
                faults.allSatisfy { Self.bound(lab, $0.tag) != nil && !Self.leases(mocks[$0.tag]!).isEmpty }
            }
            LabProcess.stop(clients)
            for capture in captures { try await lab.stopCapture(capture) }
            try Self.checkFaults2(lab, mocks: mocks, pairs: pairs, tags: faults.map(\.tag))
            for mock in mocks.values { try Self.stopMock(lab, mock) }
        }
    }

    /// --rogue: a second mock on the same segment answers as another server; the client sees OFFERs from two server
    /// identifiers, and `analyse --expect <real server>` reports the rogue as unexpected-server.
    @Test("mock-server --rogue beside a normal mock-server")
    func mockServerRogue() async throws {
        try await Lab.run("mock-server-rogue", index: 17) { lab in
            let server = try lab.namespace("srv"), client = try lab.namespace("cli"), rogue = try lab.namespace("rogue")
            let clientMAC = lab.mac(link: 0, side: 2)
            let real = lab.subnet.host(1), rogueAddress = lab.subnet.host(2), rogueID = lab.subnet.host(3)
            try Self.bridge(lab, in: server, mac: lab.mac(link: 9, side: 1), address: real)
            try await Self.attach(lab, (client, "cli0", clientMAC, nil), to: server, port: "p-cli", portMAC: lab.mac(link: 0, side: 1))
            try await Self.attach(lab, (rogue, "srv0", lab.mac(link: 1, side: 2), "\(rogueAddress)/24"), to: server, port: "p-rogue",
                                  portMAC: lab.mac(link: 1, side: 1))
            let mock = try await Self.startMock(lab, in: server, ["--range", Self.range(lab.subnet, 100, 149), "--router", real])
            let rogueMock = try await Self.startMock(lab, "mock-rogue", in: rogue, ["--range", Self.range(lab.subnet, 150, 199), "--rogue"])
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap")
            _ = try Self.startUdhcpc(lab, "c", in: client)
            try await lab.wait(for: "udhcpc bound and an OFFER from each mock") {
                Self.bound(lab, "c") != nil && Self.replies(mock).contains { $0.string("type") == "OFFER" }
                    && Self.replies(rogueMock).contains { $0.string("type") == "OFFER" }
            }
            try await lab.stopCapture(capture)
            let address = try #require(Self.bound(lab, "c"))
            let chosen = Self.leases(mock).isEmpty ? rogueMock : mock
            try Self.checkMockLease(lab, chosen, address: address, mac: clientMAC, state: "active")
            try lab.check(Self.leases(mock).isEmpty != Self.leases(rogueMock).isEmpty, "both mocks or neither leased an address")

            let offers = try lab.decodedMessages(["client.pcap"]).filter { $0.messageType == "OFFER" }
            let identifiers = Set(offers.compactMap { Self.option($0, 54) as? String })
            try lab.check(identifiers == [real, rogueID], "OFFERs from server identifiers \(identifiers.sorted())")
            let rogueOffer = try #require(offers.first { Self.option($0, 54) as? String == rogueID })
            try lab.check(Self.option(rogueOffer, 3) as? [String] == [rogueID] && rogueOffer.string("src") == "\(rogueAddress):67",
                          "the rogue's OFFER: router \(Self.option(rogueOffer, 3) ?? "none"), from \(rogueOffer.string("src") ?? "?")")
            let events = try Self.analyse(lab, ["client.pcap"], ["--expect", real], errors: true)
            let unexpected = events.filter { $0.name == "problem" && $0.string("code") == "unexpected-server" }
            try lab.check(unexpected.count == 1 && unexpected[0].string("ip") == rogueID,
                          "unexpected-server problems: \(unexpected.map(\.object))")
            let servers = events.filter { $0.name == "server" }.map { "\($0.string("id") ?? "?") \($0["expected"] as? Bool ?? false)" }
            try lab.check(Set(servers) == ["\(real) true", "\(rogueID) false"], "analyse's servers: \(servers)")
            try Self.stopMock(lab, mock)
            try Self.stopMock(lab, rogueMock)
        }
    }

    /// --duplicate-ip: client A (udhcpc) takes an address; client B (udhcpc) is offered and ACKed the same one;
    /// analyse reports the address conflict.
    @Test("mock-server --duplicate-ip: two clients, one address")
    func mockServerDuplicateIP() async throws {
        try await Lab.run("mock-server-duplicate-ip", index: 18) { lab in
            let server = try lab.namespace("srv"), clientA = try lab.namespace("cli-a"), clientB = try lab.namespace("cli-b")
            let macA = lab.mac(link: 0, side: 2), macB = lab.mac(link: 1, side: 2)
            try Self.bridge(lab, in: server, mac: lab.mac(link: 9, side: 1), address: lab.subnet.host(1))
            try await Self.attach(lab, (clientA, "cli0", macA, nil), to: server, port: "p-a", portMAC: lab.mac(link: 0, side: 1))
            try await Self.attach(lab, (clientB, "cli0", macB, nil), to: server, port: "p-b", portMAC: lab.mac(link: 1, side: 1))
            let mock = try await Self.startMock(lab, in: server, ["--range", Self.range(lab.subnet, 100, 110), "--duplicate-ip"])
            let capture = try await lab.capture("tcpdump-server", in: server, interface: "srv0", to: "server.pcap")

            _ = try Self.startUdhcpc(lab, "a", in: clientA)
            try await lab.wait(for: "udhcpc (A) bound") { Self.bound(lab, "a") != nil && !Self.leases(mock).isEmpty }
            _ = try Self.startUdhcpc(lab, "b", in: clientB)
            try await lab.wait(for: "udhcpc (B) bound") { Self.bound(lab, "b") != nil && Self.leases(mock).count >= 2 }
            try await lab.stopCapture(capture)
            let address = try #require(Self.bound(lab, "a"))
            try lab.check(Self.bound(lab, "b") == address, "B got \(Self.bound(lab, "b") ?? "nothing"), A has \(address)")
            let story = Self.leases(mock).map { "\($0.string("ip") ?? "?") \($0.string("mac") ?? "?") \($0.string("state") ?? "?")" }
            try lab.check(story == ["\(address) \(macA) active", "\(address) \(macB) active"], "the mock's lease events: \(story)")
            try lab.check(Self.problems(mock).contains { $0.string("text")?.contains("(duplicate-ip)") == true },
                          "the mock does not report the duplicate")
            try Self.stopMock(lab, mock)

            let events = try Self.analyse(lab, ["server.pcap"], errors: true)
            let conflicts = events.filter { $0.name == "problem" && $0.string("code") == "address-conflict" }
            try lab.check(conflicts.count == 1 && conflicts[0].string("ip") == address && conflicts[0].string("mac") == macB,
                          "address-conflict problems: \(conflicts.map(\.object))")
        }
    }

    /// --authoritative --answer-only init-reboot: dhclient starts from a lease file for an address of another subnet;
    /// its INIT-REBOOT REQUEST gets a NAK, its DISCOVERs get nothing.
    @Test("mock-server --answer-only init-reboot: NAK, then silence")
    func mockServerAnswerOnly() async throws {
        try await Lab.run("mock-server-answer-only", index: 19) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let stale = lab.secondSubnet.host(50)
            try Self.writeDhclientLease(lab, address: stale, server: lab.secondSubnet.host(1))
            let mock = try await Self.startMock(lab, in: pair.server, ["--range", Self.range(lab.subnet, 100, 110), "--authoritative",
                                                                      "--answer-only", "init-reboot"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            let dhclient = try Self.startDhclient(lab, "dhclient", in: pair.client)
            try await lab.wait(for: "the NAK, then an unanswered DISCOVER", seconds: 10) {
                Self.problems(mock).contains { $0.string("text")?.hasPrefix("not answering DISCOVER") == true }
            }
            try await lab.stopCapture(capture)
            dhclient.stop()
            try lab.check(dhclient.output.contains("DHCPREQUEST for \(stale)") && dhclient.output.contains("DHCPNAK"),
                          "dhclient did not ask for \(stale) and get a NAK: \(dhclient.output)")
            try lab.check(!lab.clientScriptLog.contains { $0.hasPrefix("BOUND") || $0.hasPrefix("REBOOT") }, "dhclient bound")
            try lab.check(Self.replies(mock).map { $0.string("type") ?? "?" } == ["NAK"], "the mock's replies: \(Self.replies(mock).map(\.object))")
            try Self.stopMock(lab, mock)

            let messages = try lab.decodedMessages(["client.pcap"])
            let types = lab.typeSequence(messages)
            try lab.check(Array(types.prefix(3)) == ["REQUEST", "NAK", "DISCOVER"] && types.count == 3, "wire: \(types)")
            let request = messages[0]
            try lab.check(Self.option(request, 50) as? String == stale && request.dhcp["ciaddr"] as? String == "0.0.0.0"
                          && !request.optionCodes.contains(54), "INIT-REBOOT REQUEST: \(request.object)")
            let events = try lab.analysed(["client.pcap"])
            let reboots = Self.transactions(events, "init_reboot")
            try lab.check(reboots.count == 1 && reboots[0].string("outcome") == "nak", "init_reboot transactions: \(reboots.map(\.object))")
            try lab.check(Self.transactions(events, "dora").allSatisfy { $0.string("outcome") == "no_offer" }, "a DORA got an answer")
        }
    }

    /// The INFORM policy of the configuration file: dhcpcd --inform from 198.18.x.50 (in the allowed /25) is ACKed,
    /// without the router (the default inform-options); from .200 (outside it) it is refused: no ACK, and an
    /// inform-refused problem naming the address.
    @Test("mock-server INFORM policy: dhcpcd --inform from an allowed and a refused subnet")
    func mockServerInformPolicy() async throws {
        try await Lab.run("mock-server-inform-policy", index: 72) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let server = lab.subnet.host(1)
            let config = try lab.write("mock.conf", """
                server-id \(server)
                inform-allow-subnets \(lab.subnet.host(0))/25
                subnet \(lab.subnet.cidr) {
                  pool \(Self.range(lab.subnet, 100, 110))
                  option routers \(server)
                  option domain-name-servers \(server)
                }

                """)
            let mock = try await Self.startMock(lab, in: pair.server, ["--config", config])
            let allowed = lab.subnet.host(50), refused = lab.subnet.host(200)
            try lab.ip(pair.client, "addr", "add", "\(allowed)/24", "dev", "cli0")
            let first = try Self.startDhcpcdInform(lab, "dhcpcd-allowed", in: pair.client, address: "\(allowed)/24")
            try await lab.wait(for: "the mock's ACK to \(allowed)") {
                Self.replies(mock).contains { $0.string("type") == "ACK" && $0.string("destination") == "\(allowed):68" }
            }
            first.stop()
            try lab.ip(pair.client, "addr", "flush", "dev", "cli0")
            try lab.ip(pair.client, "addr", "add", "\(refused)/24", "dev", "cli0")
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            let second = try Self.startDhcpcdInform(lab, "dhcpcd-refused", in: pair.client, address: "\(refused)/24")
            try await lab.wait(for: "the mock's inform-refused problem for \(refused)") {
                Self.problems(mock).contains { $0.string("code") == "server-inform-refused" && $0.string("text")?.contains(refused) == true }
            }
            try await Task.sleep(for: .seconds(1))
            second.stop()
            try await lab.stopCapture(capture)
            try lab.check(!Self.replies(mock).contains { $0.string("destination") == "\(refused):68" }, "the mock answered \(refused)")
            let messages = try lab.decodedMessages(["client.pcap"])
            try lab.check(messages.contains { $0.messageType == "INFORM" } && !messages.contains { $0.messageType == "ACK" },
                          "wire from \(refused): \(lab.typeSequence(messages))")
            try Self.stopMock(lab, mock)
        }
    }

    /// dhcpcd --inform with a configured address: the mock ACKs with parameters, yiaddr 0 and no lease times.
    @Test("mock-server + dhcpcd --inform: ACK without a lease")
    func mockServerInform() async throws {
        try await Lab.run("mock-server-inform", index: 20) { lab in
            let pair = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let address = lab.subnet.host(50), server = lab.subnet.host(1)
            try lab.ip(pair.client, "addr", "add", "\(address)/24", "dev", "cli0")
            let mock = try await Self.startMock(lab, in: pair.server, ["--range", Self.range(lab.subnet, 100, 110), "--router", server,
                                                                      "--dns", server, "--domain", "lab.test", "--lease-time", "120"])
            let capture = try await lab.capture("tcpdump-client", in: pair.client, interface: "cli0", to: "client.pcap")
            let dhcpcd = try Self.startDhcpcdInform(lab, in: pair.client, address: "\(address)/24")
            try await lab.wait(for: "dhcpcd's INFORM script call and the mock's ACK") {
                lab.clientScriptLog.contains { $0.hasPrefix("INFORM") } && Self.replies(mock).contains { $0.string("type") == "ACK" }
            }
            try await lab.stopCapture(capture)
            dhcpcd.stop()
            let replies = Self.replies(mock)
            try lab.check(replies.count == 1 && replies[0].string("yiaddr") == "0.0.0.0" && replies[0].string("destination") == "\(address):68",
                          "the mock's replies: \(replies.map(\.object))")
            try lab.check(Self.leases(mock).isEmpty, "the mock recorded a lease for an INFORM")
            try Self.stopMock(lab, mock)

            let messages = try lab.decodedMessages(["client.pcap"])
            try lab.check(lab.typeSequence(messages) == ["INFORM", "ACK"], "wire: \(lab.typeSequence(messages))")
            let inform = try #require(messages.first)
            try lab.check(inform.dhcp["ciaddr"] as? String == address, "INFORM ciaddr \(inform.dhcp["ciaddr"] ?? "nil")")
            let ack = try #require(messages.last)
            try lab.check(ack.dhcp["yiaddr"] as? String == "0.0.0.0" && ack.dhcp["ciaddr"] as? String == address
                          && ack.string("dst") == "\(address):68", "ACK: yiaddr, ciaddr, dst \(ack.object)")
            try lab.check(!ack.optionCodes.contains(51) && !ack.optionCodes.contains(58) && !ack.optionCodes.contains(59),
                          "the INFORM's ACK has lease times: \(ack.optionCodes)")
            // The INFORM policy's default: every configured option but the router (the host has its own).
            try lab.check(Self.option(ack, 54) as? String == server && !ack.optionCodes.contains(3)
                          && Self.option(ack, 1) as? String == "255.255.255.0", "the INFORM's ACK lacks 54 or 1, or has 3: \(ack.object)")
            let events = try lab.analysed(["client.pcap"])
            let informs = Self.transactions(events, "inform")
            try lab.check(informs.count == 1 && informs[0].string("outcome") == "ack", "inform transactions: \(informs.map(\.object))")
            try lab.check(!events.contains { $0.name == "lease" }, "analyse made a lease of an INFORM")
        }
    }

    /// The wire, the mock and analyse for faults-2 (delay, wrong-server-id, drop discover:50).
    static func checkFaults2(_ lab: Lab, mocks: [String: LabProcess], pairs: [String: (client: String, server: String, mac: String)],
                             tags: [String]) throws {
        for tag in tags {
            let address = try #require(Self.bound(lab, tag))
            try Self.checkMockLease(lab, mocks[tag]!, address: address, mac: pairs[tag]!.mac, state: "active")
        }

        // --delay 300: each reply at least 300 ms after its request, on the wire and for analyse.
        let delayed = try lab.decodedMessages(["delay.pcap"])
        try lab.check(lab.typeSequence(delayed) == ["DISCOVER", "OFFER", "REQUEST", "ACK"], "delay wire: \(lab.typeSequence(delayed))")
        for (request, reply) in [("DISCOVER", "OFFER"), ("REQUEST", "ACK")] {
            let sent = try #require(delayed.last { $0.messageType == request }?.date)
            let answered = try #require(delayed.first { $0.messageType == reply }?.date)
            let gap = answered.timeIntervalSince(sent)
            // The capture's timestamps are the kernel's, not the mock's clock: a millisecond of slack.
            try lab.check(gap >= 0.299 && gap < 1.0, "delay: \(reply) \(Int(gap * 1000)) ms after \(request), expected 300–1000")
        }
        let delayEvents = try Self.analyse(lab, ["delay.pcap"], errors: false)
        let dora = try #require(Self.transactions(delayEvents, "dora").first)
        let offerMS = dora["discover_offer_ms"] as? Double ?? 0, ackMS = dora["request_ack_ms"] as? Double ?? 0
        try lab.check(offerMS >= 299 && ackMS >= 299, "analyse: discover→offer \(offerMS) ms, request→ack \(ackMS) ms")

        // --wrong-server-id: option 54 is .3 while the replies come from .2; the client echoes .3.
        let server = lab.subnet.host(2), wrong = lab.subnet.host(3)
        let wrongWire = try lab.decodedMessages(["wrongid.pcap"])
        let replies = wrongWire.filter { $0.dhcp["op"] as? Int == 2 }
        try lab.check(replies.count == 2 && replies.allSatisfy { Self.option($0, 54) as? String == wrong && $0.string("src") == "\(server):67" },
                      "wrong-server-id replies: \(replies.map { "\($0.string("src") ?? "?") id \(Self.option($0, 54) ?? "none")" })")
        let selecting = try #require(wrongWire.first { $0.messageType == "REQUEST" })
        try lab.check(Self.option(selecting, 54) as? String == wrong, "the client's REQUEST names \(Self.option(selecting, 54) ?? "nothing")")
        let wrongEvents = try Self.analyse(lab, ["wrongid.pcap"], errors: false)
        let serverEvent = try #require(wrongEvents.first { $0.name == "server" })
        try lab.check(serverEvent.string("id") == wrong && serverEvent.string("ip") == server,
                      "analyse's server: id \(serverEvent.string("id") ?? "nil"), ip \(serverEvent.string("ip") ?? "nil")")

        // --drop discover:50: only DISCOVERs dropped; every DISCOVER on the wire either dropped or offered.
        let dropWire = try lab.decodedMessages(["dropdisc.pcap"])
        let dropped = Self.problems(mocks["dropdisc"]!).filter { $0.string("text")?.hasPrefix("dropped") == true }
        try lab.check(dropped.allSatisfy { $0.string("text")?.hasPrefix("dropped DISCOVER") == true }, "dropped: \(dropped.map(\.object))")
        let discovers = dropWire.filter { $0.messageType == "DISCOVER" }.count
        let offers = Self.replies(mocks["dropdisc"]!).filter { $0.string("type") == "OFFER" }.count
        try lab.check(discovers == dropped.count + offers && offers >= 1,
                      "drop discover:50: \(discovers) DISCOVERs, \(dropped.count) dropped, \(offers) OFFERs")
        try lab.check(dropWire.filter { $0.messageType == "REQUEST" }.count == dropWire.filter { $0.messageType == "ACK" }.count,
                      "drop discover:50: a REQUEST went unanswered")
    }
}
