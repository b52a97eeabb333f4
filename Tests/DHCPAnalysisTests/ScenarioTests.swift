import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Testing

/// "FROM>TO (rfc)" for each transition of `client`.
func steps(_ s: Scenario, _ client: Client) -> [String] {
    s.transitionReports.filter { $0.client == client.key }
        .map { "\($0.transition.from.rawValue)>\($0.transition.to.rawValue) (\($0.transition.rfc))" }
}

let doraSteps = ["INIT>SELECTING (2131 4.4.1)", "SELECTING>REQUESTING (2131 4.4.1)", "REQUESTING>BOUND (2131 4.4.1)"]

@Suite("Scenarios: transactions, transitions, leases, servers")
struct ScenarioTests {
    @Test("DORA")
    func dora() throws {
        var s = Scenario()
        s.dora(alice, xid: 0x3001, at: 0, address: Net.address(100))
        #expect(s.analyzer.openTransactionCount == 0)
        s.finish()
        #expect(s.problems.isEmpty)

        let transaction = try #require(s.transactions.first)
        #expect(s.transactions.count == 1)
        #expect(transaction.xid == 0x3001)
        #expect(transaction.client == alice.key)
        #expect(transaction.kind == .dora)
        #expect(transaction.outcome == .ack)
        #expect(transaction.servers == [Net.server.ip])
        #expect(transaction.messages.map(\.frame) == [1, 2, 3, 4])
        #expect(transaction.address == Net.address(100))
        #expect(near(transaction.discoverOfferMilliseconds, 10))
        #expect(near(transaction.requestAckMilliseconds, 10))
        #expect(near(transaction.totalMilliseconds, 30))
        #expect(!transaction.relayed)

        #expect(steps(s, alice) == doraSteps)
        #expect(s.transitionReports.allSatisfy { $0.inRFC })
        #expect(s.transitionReports.map { $0.frame?.frame } == [1, 3, 4])
        #expect(s.transitionReports.map(\.transition.event) == [.sendDiscover, .sendRequest(.selecting), .receiveAck])

        let lease = try #require(s.lease(Net.address(100), alice))
        #expect(s.analyzer.leaseTable.count == 1)
        #expect(lease.state == .active)
        #expect(lease.start == Scenario.time(0.03))
        #expect(lease.end == Scenario.time(3600.03))
        #expect(lease.leaseTime == 3600)
        #expect(lease.t1 == 1800) // RFC 2131 §4.4.5: 50 %
        #expect(lease.t2 == 3150) // 87.5 %
        #expect(lease.server == Net.server.ip)
        #expect(lease.router == IPv4Address(198, 18, 0, 254))
        #expect(lease.dns == [IPv4Address(198, 18, 0, 53)])
        #expect(lease.frame.frame == 4)

        let server = try #require(s.server(Net.server.ip))
        #expect(s.analyzer.serverTable.count == 1)
        #expect(server.ip == Net.server.ip)
        #expect(server.mac == Net.server.mac)
        #expect((server.offers, server.acks, server.naks) == (1, 1, 0))
        #expect(server.expected)
        #expect(near(server.p50Milliseconds, 10, within: 0.1))
        #expect(near(server.p90Milliseconds, 10, within: 0.1))
        #expect(near(server.p99Milliseconds, 10, within: 0.1))
        #expect(near(server.maxMilliseconds, 10, within: 0.1))

        let client = try #require(s.analyzer.clientTable.first)
        #expect(client.state == .bound)
        #expect(client.address == Net.address(100))
        #expect(client.transitions == 3)
        #expect(s.analyzer.messageCount == 4)
        #expect(s.analyzer.transactionCount == 1)
    }

    @Test("DORA whose REQUEST has a new xid: one transaction")
    func doraNewXid() throws {
        var s = Scenario()
        s.discover(alice, xid: 0x3002, at: 0)
        s.offer(alice, xid: 0x3002, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x4002, at: 0.02, address: Net.address(100))
        #expect(s.analyzer.openTransactionCount == 1)
        s.ack(alice, xid: 0x4002, at: 0.03, yiaddr: Net.address(100))
        #expect(s.analyzer.openTransactionCount == 0)
        s.finish()
        #expect(s.problems.isEmpty)
        let transaction = try #require(s.transactions.first)
        #expect(s.transactions.count == 1)
        #expect(transaction.xid == 0x3002)
        #expect(transaction.outcome == .ack)
        #expect(transaction.messages.count == 4)
        #expect(near(transaction.requestAckMilliseconds, 10))
        #expect(steps(s, alice) == doraSteps)
        #expect(s.analyzer.transactionCount == 1)
        #expect(s.lease(Net.address(100), alice)?.state == .active)
    }

    @Test("A new-xid REQUEST for a server that did not offer is its own transaction")
    func newXidOtherServer() {
        var s = Scenario()
        s.discover(alice, xid: 0x3003, at: 0)
        s.offer(alice, xid: 0x3003, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x4003, at: 0.02, address: Net.address(100), server: Net.server2.ip)
        s.finish()
        #expect(s.transactions.count == 2)
    }

    @Test("Renew at T1, then ACK: lease renewed")
    func renew() throws {
        var s = Scenario()
        s.dora(alice, xid: 0x3004, at: 0, address: Net.address(100))
        s.renew(alice, xid: 0x4004, at: 1800.03, ciaddr: Net.address(100))
        s.ack(alice, xid: 0x4004, at: 1800.04, yiaddr: Net.address(100), ciaddr: Net.address(100))
        s.finish()
        #expect(s.problems.isEmpty)
        #expect(s.transactions.map(\.kind) == [.dora, .renew])
        let renewal = try #require(s.transactions.last)
        #expect(renewal.outcome == .ack)
        #expect(renewal.discoverOfferMilliseconds == nil)
        #expect(near(renewal.requestAckMilliseconds, 10))
        #expect(renewal.messages.map(\.frame) == [5, 6])
        #expect(steps(s, alice) == doraSteps + ["BOUND>RENEWING (2131 4.4.5)", "RENEWING>BOUND (2131 4.4.1)"])
        #expect(s.transitionReports.last?.transition.event == .receiveAck)
        #expect(s.transitionReports.dropLast().last?.transition.event == .t1Expired)

        #expect(s.analyzer.leaseTable.count == 1)
        let lease = try #require(s.lease(Net.address(100), alice))
        #expect(lease.state == .renewed)
        #expect(lease.start == Scenario.time(1800.04))
        #expect(lease.end == Scenario.time(5400.04))
        #expect(lease.frame.frame == 6)
        #expect(s.server(Net.server.ip)?.acks == 2)
        #expect(s.clientState(alice) == .bound)
    }

    @Test("Rebind at T2 (broadcast, ciaddr): BOUND → RENEWING → REBINDING → BOUND")
    func rebind() throws {
        var s = Scenario()
        s.dora(alice, xid: 0x3005, at: 0, address: Net.address(100))
        s.rebind(alice, xid: 0x4005, at: 3150.03, ciaddr: Net.address(100))
        s.ack(alice, xid: 0x4005, at: 3150.04, yiaddr: Net.address(100), ciaddr: Net.address(100))
        s.finish()
        #expect(s.problems.isEmpty)
        #expect(s.transactions.map(\.kind) == [.dora, .rebind])
        #expect(s.transactions.last?.outcome == .ack)
        #expect(steps(s, alice) == doraSteps + [
            "BOUND>RENEWING (2131 4.4.5)", "RENEWING>REBINDING (2131 4.4.5)", "REBINDING>BOUND (2131 4.4.1)",
        ])
        #expect(s.lease(Net.address(100), alice)?.state == .renewed)
    }

    @Test("Renewal answered by NAK: RENEWING → INIT, lease nak")
    func renewNak() {
        var s = Scenario()
        s.dora(alice, xid: 0x3006, at: 0, address: Net.address(100))
        s.renew(alice, xid: 0x4006, at: 1800.03, ciaddr: Net.address(100))
        s.nak(alice, xid: 0x4006, at: 1800.04, text: "lease revoked")
        s.finish()
        #expect(codes(s) == ["nak"])
        #expect(steps(s, alice).suffix(2) == ["BOUND>RENEWING (2131 4.4.5)", "RENEWING>INIT (2131 4.4.1)"])
        #expect(s.lease(Net.address(100), alice)?.state == .nak)
        #expect(s.clientState(alice) == .initial)
        #expect(s.server(Net.server.ip)?.naks == 1)
    }

    @Test("INIT-REBOOT answered by ACK")
    func initRebootAck() throws {
        var s = Scenario()
        s.rebootRequest(alice, xid: 0x3007, at: 0, address: Net.address(100))
        s.ack(alice, xid: 0x3007, at: 0.01, yiaddr: Net.address(100), destination: .broadcast)
        s.finish()
        #expect(s.problems.isEmpty)
        let transaction = try #require(s.transactions.first)
        #expect(transaction.kind == .initReboot)
        #expect(transaction.outcome == .ack)
        #expect(transaction.address == Net.address(100))
        #expect(near(transaction.requestAckMilliseconds, 10))
        #expect(transaction.discoverOfferMilliseconds == nil)
        #expect(steps(s, alice) == ["INIT-REBOOT>REBOOTING (2131 4.4.2)", "REBOOTING>BOUND (2131 4.4.1)"])
        #expect(s.lease(Net.address(100), alice)?.state == .active)
        #expect(s.clientState(alice) == .bound)
    }

    @Test("INIT-REBOOT answered by NAK, then DORA")
    func initRebootNak() throws {
        var s = Scenario()
        s.rebootRequest(alice, xid: 0x3008, at: 0, address: Net.address(100))
        s.nak(alice, xid: 0x3008, at: 0.01, text: "wrong network")
        s.dora(alice, xid: 0x4008, at: 1, address: Net.address(101))
        s.finish()
        #expect(codes(s) == ["nak"])
        #expect(s.problems.first?.text.contains("wrong network") == true)
        #expect(s.transactions.map(\.kind) == [.initReboot, .dora])
        #expect(s.transactions.map(\.outcome) == [.nak, .ack])
        #expect(near(s.transactions.first?.requestAckMilliseconds, 10))
        #expect(steps(s, alice) == ["INIT-REBOOT>REBOOTING (2131 4.4.2)", "REBOOTING>INIT (2131 4.4.1)"] + doraSteps)
        #expect(s.lease(Net.address(100), alice) == nil)
        #expect(s.lease(Net.address(101), alice)?.state == .active)
    }

    @Test("NAK to a SELECTING REQUEST")
    func nakSelecting() throws {
        var s = Scenario()
        s.discover(alice, xid: 0x3009, at: 0)
        s.offer(alice, xid: 0x3009, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x3009, at: 0.02, address: Net.address(100))
        s.nak(alice, xid: 0x3009, at: 0.05)
        s.finish()
        #expect(codes(s) == ["nak"])
        let transaction = try #require(s.transactions.first)
        #expect(transaction.outcome == .nak)
        #expect(near(transaction.requestAckMilliseconds, 30))
        #expect(near(transaction.discoverOfferMilliseconds, 10))
        #expect(steps(s, alice) == [
            "INIT>SELECTING (2131 4.4.1)", "SELECTING>REQUESTING (2131 4.4.1)", "REQUESTING>INIT (2131 4.4.1)",
        ])
        #expect(s.analyzer.leaseTable.isEmpty)
        let server = try #require(s.server(Net.server.ip))
        #expect((server.offers, server.acks, server.naks) == (1, 0, 1))
    }

    static func relayedDORA(clientSideFile: Int, serverSideFile: Int) -> Scenario {
        var s = Scenario()
        let relay = RelayPath(clientSideFile: clientSideFile, serverSideFile: serverSideFile)
        s.dora(alice, xid: 0x300A, at: 0, address: Net.relayed(100), relay: relay)
        s.finish()
        return s
    }

    func expectRelayedDORA(_ s: Scenario) throws {
        #expect(s.problems.isEmpty, "\(s.problems.map(\.text))")
        #expect(s.analyzer.messageCount == 8)
        #expect(s.analyzer.transactionCount == 1)
        let transaction = try #require(s.transactions.first)
        #expect(s.transactions.count == 1)
        #expect(transaction.relayed)
        #expect(transaction.outcome == .ack)
        #expect(transaction.servers == [Net.server.ip])
        // The relay's leg of the ACK comes after the transaction closed: seven frames are in its report.
        #expect(transaction.messages.count == 7)
        #expect(near(transaction.discoverOfferMilliseconds, 10))
        #expect(near(transaction.requestAckMilliseconds, 10))
        #expect(steps(s, alice) == doraSteps)
        let server = try #require(s.server(Net.server.ip))
        #expect((server.offers, server.acks, server.naks) == (1, 1, 0))
        #expect(server.mac == Net.server.mac)
        #expect(s.analyzer.serverTable.count == 1)
        #expect(s.lease(Net.relayed(100), alice)?.state == .active)
    }

    @Test("Relayed DORA: both legs of each message, counted once")
    func relayed() throws {
        let s = Self.relayedDORA(clientSideFile: 0, serverSideFile: 0)
        try expectRelayedDORA(s)
        #expect(s.transactions.first?.messages.map(\.frame) == [1, 2, 3, 4, 5, 6, 7])
    }

    @Test("Relayed DORA from two captures (client side file 0, server side file 1), interleaved by time")
    func relayedTwoFiles() throws {
        let s = Self.relayedDORA(clientSideFile: 0, serverSideFile: 1)
        try expectRelayedDORA(s)
        let frames = s.transactions.first?.messages.map { "\($0.file):\($0.frame)" }
        #expect(frames == ["0:1", "1:1", "1:2", "0:2", "0:3", "1:3", "1:4"])
    }

    @Test("Two servers offer; the client takes the first")
    func twoServers() throws {
        var s = Scenario()
        s.discover(alice, xid: 0x300B, at: 0)
        s.offer(alice, xid: 0x300B, at: 0.01, yiaddr: Net.address(100))
        s.offer(alice, xid: 0x300B, at: 0.02, yiaddr: Net.address(200), server: Net.server2)
        s.request(alice, xid: 0x300B, at: 0.03, address: Net.address(100))
        s.ack(alice, xid: 0x300B, at: 0.04, yiaddr: Net.address(100))
        s.finish()
        #expect(codes(s) == ["multiple-servers"])
        let transaction = try #require(s.transactions.first)
        #expect(transaction.servers == [Net.server.ip, Net.server2.ip])
        #expect(transaction.outcome == .ack)
        #expect(near(transaction.discoverOfferMilliseconds, 10))
        #expect(s.analyzer.serverTable.map(\.id) == [Net.server.ip, Net.server2.ip])
        let first = try #require(s.server(Net.server.ip))
        let second = try #require(s.server(Net.server2.ip))
        #expect((first.offers, first.acks) == (1, 1))
        #expect((second.offers, second.acks) == (1, 0))
        #expect(near(second.p50Milliseconds, 20, within: 0.2))
        #expect(second.mac == Net.server2.mac)
        #expect(steps(s, alice) == doraSteps)
        #expect(s.analyzer.leaseTable.count == 1)
    }

    @Test("Retransmitted DISCOVER")
    func retransmittedDiscover() throws {
        var s = Scenario()
        s.discover(alice, xid: 0x300C, at: 0)
        s.discover(alice, xid: 0x300C, at: 4)
        s.offer(alice, xid: 0x300C, at: 4.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x300C, at: 4.02, address: Net.address(100))
        s.ack(alice, xid: 0x300C, at: 4.03, yiaddr: Net.address(100))
        s.finish()
        #expect(s.problems.isEmpty)
        let transaction = try #require(s.transactions.first)
        #expect(s.transactions.count == 1)
        #expect(transaction.messages.count == 5)
        #expect(near(transaction.discoverOfferMilliseconds, 4010)) // from the first DISCOVER
        #expect(near(transaction.totalMilliseconds, 4030))
        #expect(near(s.server(Net.server.ip)?.p50Milliseconds, 10, within: 0.1)) // the server answered the second
        #expect(steps(s, alice) == doraSteps)
    }

    @Test("RELEASE: lease released, client RELEASED")
    func release() throws {
        var s = Scenario()
        s.dora(alice, xid: 0x300D, at: 0, address: Net.address(100))
        s.release(alice, xid: 0x400D, at: 100, ciaddr: Net.address(100))
        s.finish()
        #expect(s.problems.isEmpty)
        #expect(s.transactions.map(\.kind) == [.dora, .release])
        #expect(s.transactions.map(\.outcome) == [.ack, .released])
        #expect(steps(s, alice) == doraSteps + ["BOUND>RELEASED (2131 4.4.6)"])
        #expect(s.lease(Net.address(100), alice)?.state == .released)
        #expect(s.clientState(alice) == .released)
    }

    @Test("DECLINE: lease declined, client back in INIT")
    func decline() throws {
        var s = Scenario()
        s.dora(alice, xid: 0x300E, at: 0, address: Net.address(100))
        s.decline(alice, xid: 0x300E, at: 0.5, address: Net.address(100))
        s.finish()
        #expect(codes(s) == ["decline"])
        #expect(s.transactions.map(\.kind) == [.dora, .decline])
        #expect(s.transactions.map(\.outcome) == [.ack, .declined])
        #expect(steps(s, alice) == doraSteps + ["BOUND>INIT (2131 4.4.1)"])
        #expect(s.lease(Net.address(100), alice)?.state == .declined)
        #expect(s.clientState(alice) == .initial)
    }

    @Test("INFORM: client INFORMED, no lease")
    func inform() throws {
        var s = Scenario()
        s.inform(alice, xid: 0x300F, at: 0, ciaddr: Net.address(50), options: [Opt.parameters([1, 3, 6])])
        s.ack(alice, xid: 0x300F, at: 0.01, yiaddr: .any, ciaddr: Net.address(50), lease: nil)
        s.finish()
        #expect(s.problems.isEmpty)
        let transaction = try #require(s.transactions.first)
        #expect(transaction.kind == .inform)
        #expect(transaction.outcome == .ack)
        #expect(transaction.discoverOfferMilliseconds == nil)
        #expect(steps(s, alice) == ["INIT>INFORMED (2131 4.4.3)"])
        #expect(s.analyzer.leaseTable.isEmpty)
        #expect(s.clientState(alice) == .informed)
        let server = try #require(s.server(Net.server.ip))
        #expect(server.acks == 1)
        #expect(near(server.p50Milliseconds, 10, within: 0.1))
    }

    @Test("Transactions time out: advance(to:) past the timeout ends them as no_offer / no_ack")
    func timeouts() throws {
        var s = Scenario()
        s.discover(alice, xid: 0x3010, at: 0)
        s.discover(bob, xid: 0x4010, at: 0.5)
        s.offer(bob, xid: 0x4010, at: 0.51, yiaddr: Net.address(101))
        #expect(s.advance(to: 30).isEmpty)
        let events = s.advance(to: 61)
        let reports = events.compactMap { if case .transaction(let report) = $0 { report } else { nil } }
        #expect(reports.map(\.client) == [alice.key, bob.key])
        #expect(reports.map(\.outcome) == [.noOffer, .noAck])
        #expect(near(reports.first?.totalMilliseconds, 0))
        #expect(near(reports.last?.totalMilliseconds, 10))
        #expect(codes(s) == ["discover-unanswered", "offer-not-acked"])
        #expect(s.analyzer.openTransactionCount == 0)
        s.finish()
        #expect(s.transactions.count == 2)
        // Timeout: the clients stay where they were.
        #expect(s.clientState(alice) == .selecting)
        #expect(s.clientState(bob) == .selecting)
    }

    @Test("Transactions shorter than the timeout stay open")
    func noEarlyTimeout() {
        var s = Scenario { $0.transactionTimeout = 10 }
        s.discover(alice, xid: 0x3011, at: 0)
        s.advance(to: 9)
        #expect(s.transactions.isEmpty)
        s.advance(to: 20)
        #expect(s.transactions.map(\.outcome) == [.noOffer])
    }

    @Test("Lease expiry at finish")
    func leaseExpiry() throws {
        var s = Scenario()
        s.dora(alice, xid: 0x3012, at: 0, address: Net.address(100), lease: 60)
        s.dora(bob, xid: 0x4012, at: 100, address: Net.address(101), lease: 3600)
        s.finish()
        #expect(s.problems.isEmpty)
        let expired = try #require(s.lease(Net.address(100), alice))
        #expect(expired.state == .expired)
        #expect(expired.t1 == 30 && expired.t2 == 52.5)
        #expect(expired.end == Scenario.time(60.03))
        #expect(s.lease(Net.address(101), bob)?.state == .active)
    }

    @Test("A client first seen mid-life: UNKNOWN → RENEWING → BOUND")
    func midLife() throws {
        var s = Scenario()
        s.renew(alice, xid: 0x3013, at: 0, ciaddr: Net.address(100))
        s.ack(alice, xid: 0x3013, at: 0.01, yiaddr: Net.address(100), ciaddr: Net.address(100))
        s.finish()
        #expect(s.problems.isEmpty)
        #expect(steps(s, alice) == ["UNKNOWN>RENEWING (2131 4.4)", "RENEWING>BOUND (2131 4.4.1)"])
        #expect(s.transactions.map(\.kind) == [.renew])
        #expect(s.lease(Net.address(100), alice)?.state == .active)
        #expect(s.clientState(alice) == .bound)
    }

    @Test("A client first seen by its ACK: UNKNOWN → BOUND")
    func midLifeAckOnly() throws {
        var s = Scenario()
        s.ack(alice, xid: 0x3014, at: 0, yiaddr: Net.address(100))
        s.finish()
        #expect(s.problems.isEmpty)
        #expect(steps(s, alice) == ["UNKNOWN>BOUND (2131 4.4)"])
        #expect(s.transactions.map(\.outcome) == [.ack])
        #expect(s.lease(Net.address(100), alice)?.state == .active)
    }

    @Test("Restart from BOUND: DISCOVER while holding a lease goes through INIT")
    func restartFromBound() {
        var s = Scenario()
        s.dora(alice, xid: 0x3015, at: 0, address: Net.address(100))
        s.dora(alice, xid: 0x4015, at: 100, address: Net.address(100))
        s.finish()
        #expect(s.problems.isEmpty)
        #expect(steps(s, alice) == doraSteps + ["BOUND>INIT (2131 4.4.1)"] + doraSteps)
        #expect(s.lease(Net.address(100), alice)?.state == .renewed)
    }

    @Test("Renewal in the capture after the lease ran out: timers, then a restart")
    func expiredThenDiscover() {
        var s = Scenario()
        s.dora(alice, xid: 0x3016, at: 0, address: Net.address(100), lease: 60)
        s.dora(alice, xid: 0x4016, at: 200, address: Net.address(100), lease: 60)
        s.finish()
        #expect(s.problems.isEmpty)
        #expect(steps(s, alice) == doraSteps + [
            "BOUND>RENEWING (2131 4.4.5)", "RENEWING>REBINDING (2131 4.4.5)", "REBINDING>INIT (2131 4.4.5)",
        ] + doraSteps)
    }

    @Test("The transaction cap counts only transactions in progress, not finished ones kept for late relay legs")
    func capIgnoresFinished() {
        var s = Scenario { $0.maximumTransactions = 3 }
        for number in 1...4 {
            s.dora(Client(UInt8(number)), xid: 0x3020 + UInt32(number), at: Double(number) * 0.1,
                   address: Net.address(100 + UInt8(number)))
        }
        s.finish()
        #expect(s.problems.isEmpty, "\(s.problems.map(\.text))")
        #expect(s.analyzer.evictedTransactions == 0)
        #expect(s.transactions.map(\.outcome) == [.ack, .ack, .ack, .ack])
    }

    @Test("Summary counters: messages, transactions, problems by severity, clients, leases")
    func counters() {
        var s = Scenario()
        s.dora(alice, xid: 0x3030, at: 0, address: Net.address(100))
        s.dora(bob, xid: 0x4030, at: 1, address: Net.address(101))
        s.discover(carol, xid: 0x5030, at: 2)
        s.finish()
        #expect(s.analyzer.messageCount == 9)
        #expect(s.analyzer.transactionCount == 3)
        #expect(s.analyzer.problemCounts[.warning] == 1)
        #expect(s.analyzer.problemCounts[.error] == 0)
        #expect(s.analyzer.clientTable.map(\.client) == [alice.key, bob.key, carol.key])
        #expect(s.analyzer.leaseTable.map(\.ip) == [Net.address(100), Net.address(101)])
    }

    @Test("A bound client that asks INFORM keeps its lease and renews normally")
    func informWhileBound() {
        var s = Scenario()
        s.dora(alice, xid: 0x3040, at: 0, address: Net.address(100))
        s.inform(alice, xid: 0x4040, at: 100, ciaddr: Net.address(100), options: [Opt.parameters([252])])
        s.ack(alice, xid: 0x4040, at: 100.01, yiaddr: .any, ciaddr: Net.address(100), lease: nil,
              options: [DHCPOption(.wpad, Array("http://wpad.lab.example/wpad.dat".utf8))])
        s.renew(alice, xid: 0x5040, at: 1800.03, ciaddr: Net.address(100))
        s.ack(alice, xid: 0x5040, at: 1800.04, yiaddr: Net.address(100), ciaddr: Net.address(100))
        s.finish()
        #expect(s.problems.isEmpty, "\(s.problems.map(\.text))")
        #expect(s.transactions.map(\.kind) == [.dora, .inform, .renew])
        #expect(steps(s, alice) == doraSteps + ["BOUND>RENEWING (2131 4.4.5)", "RENEWING>BOUND (2131 4.4.1)"])
        #expect(s.lease(Net.address(100), alice)?.state == .renewed)
    }

    @Test("A relayed DISCOVER retransmitted after 4 s: two retries, not four, and no timing finding")
    func relayedRetransmission() throws {
        var s = Scenario()
        let relay = RelayPath()
        s.discover(alice, xid: 0x3041, at: 0, relay: relay)
        s.discover(alice, xid: 0x3041, at: 4, relay: relay)
        s.offer(alice, xid: 0x3041, at: 4.01, yiaddr: Net.relayed(100), relay: relay)
        s.request(alice, xid: 0x3041, at: 4.02, address: Net.relayed(100), relay: relay)
        s.ack(alice, xid: 0x3041, at: 4.03, yiaddr: Net.relayed(100), relay: relay)
        s.finish()
        #expect(s.problems.isEmpty, "\(s.problems.map(\.text))")
        let transaction = try #require(s.transactions.first)
        #expect(s.transactions.count == 1)
        #expect(transaction.relayed)
        #expect(near(transaction.discoverOfferMilliseconds, 4010))
        #expect(near(s.server(Net.server.ip)?.p50Milliseconds, 10, within: 0.1))
    }

    @Test("A bound client reboots: BOUND → INIT-REBOOT → REBOOTING → BOUND")
    func rebootFromBound() {
        var s = Scenario()
        s.dora(alice, xid: 0x3042, at: 0, address: Net.address(100))
        s.rebootRequest(alice, xid: 0x4042, at: 500, address: Net.address(100))
        s.ack(alice, xid: 0x4042, at: 500.01, yiaddr: Net.address(100), destination: .broadcast)
        s.finish()
        #expect(s.problems.isEmpty)
        #expect(steps(s, alice) == doraSteps + [
            "BOUND>INIT-REBOOT (2131 4.4.2)", "INIT-REBOOT>REBOOTING (2131 4.4.2)", "REBOOTING>BOUND (2131 4.4.1)",
        ])
        #expect(s.transactions.map(\.kind) == [.dora, .initReboot])
        #expect(s.lease(Net.address(100), alice)?.state == .renewed)
    }
}

/// RFC 2131 §4.2, the rule `DHCPClientKey` holds and the server keys its leases by: option 61 names the client when
/// it sends one, else htype and chaddr.
@Suite("Client identity: option 61, else chaddr")
struct ClientIdentityTests {
    static func id(_ byte: UInt8) -> DHCPOption { DHCPOption(.clientIdentifier, [0xff, 0, 0, 0, byte, 0, 3, 0, 1, 6, 0, 0, 0, 0x10, byte]) }

    @Test("Two identifiers behind one chaddr are two clients with two leases; replies without option 61 join the client that sent it")
    func twoIdentifiersOneChaddr() {
        var s = Scenario()
        // Two virtual machines (or a dual-boot host) with one NIC: each DORA names itself with option 61; the
        // server's replies do not echo it (before RFC 6842).
        for (index, byte) in [UInt8(1), 2].enumerated() {
            let xid = UInt32(0x4000 + index), at = Double(index) * 10, address = Net.address(100 + UInt8(index))
            s.discover(alice, xid: xid, at: at, options: [Self.id(byte)])
            s.offer(alice, xid: xid, at: at + 0.01, yiaddr: address)
            s.request(alice, xid: xid, at: at + 0.02, address: address, options: [Self.id(byte)])
            s.ack(alice, xid: xid, at: at + 0.03, yiaddr: address)
        }
        s.finish()
        #expect(s.transactions.map(\.outcome) == [.ack, .ack])
        #expect(s.analyzer.clientTable.count == 2)
        #expect(s.analyzer.clientTable.map(\.state) == [.bound, .bound])
        #expect(s.analyzer.clientTable.allSatisfy { $0.client.description == alice.mac.description })
        #expect(s.analyzer.leaseTable.map(\.state) == [.active, .active])
        // Each bound its own address: no conflict, no address given to "the same client" twice.
        #expect(!s.problems.contains { $0.code == .addressConflict })
        #expect(Set(s.analyzer.leaseTable.map(\.clientID)).count == 2)
    }

    @Test("The analyzer's key and the server's key tell the same messages apart")
    func sameRuleAsTheServer() {
        let messages = [nil, [UInt8](), [1, 6, 0, 0, 0, 0x10, 1], [1, 6, 0, 0, 0, 0x10, 2]].flatMap { id in
            [alice, bob].map { client in
                Scenario.message(.discover, xid: 1, client: client,
                                 options: id.map { [DHCPOption(.clientIdentifier, $0)] } ?? [])
            }
        }
        for a in messages {
            for b in messages {
                let analyzerSame = ClientKey(a) == ClientKey(b)
                let serverSame = DHCPClientKey(a) == DHCPClientKey(b)
                #expect(analyzerSame == serverSame, "\(String(describing: DHCPClientKey(a))) vs \(String(describing: DHCPClientKey(b)))")
            }
        }
    }
}
