import DHCPAnalysis
import DHCPv6Core
import DHCPv6Protocol
import NetworkPrimitives
import Testing

/// DHCPv6Analyzer on scripted exchanges: each finding is triggered by the exchange that breaks its RFC 8415 clause
/// and not by the one that keeps it.
@Suite("DHCPv6 analysis")
struct DHCPv6AnalyzerTests {
    let client = V6Net.client(1)

    @Test("SARR: one transaction from SOLICIT to REPLY, the client BOUND, one active lease, the server timed, no problem")
    func sarr() throws {
        var scenario = V6Scenario()
        scenario.sarr(client, address: V6Net.address(5))
        scenario.finish()
        #expect(scenario.problems.isEmpty, "\(scenario.problems.map(\.text))")
        let transaction = try #require(scenario.transactions.first)
        #expect(scenario.transactions.count == 1)
        #expect(transaction.kind == .solicit && transaction.outcome == .reply && transaction.requestXID == 0x101)
        #expect(transaction.messages.map(\.frame) == [1, 2, 3, 4] && transaction.servers == [V6Net.server.duid])
        #expect(abs((transaction.solicitAdvertiseMilliseconds ?? 0) - 10) < 0.01)
        #expect(abs((transaction.requestReplyMilliseconds ?? 0) - 10) < 0.01)
        #expect(transaction.client.mac == client.mac)
        #expect(scenario.transitions.map(\.transition.to) == [.selecting, .requesting, .bound])
        let lease = try #require(scenario.analyzer.leaseTable.first)
        #expect(lease.address == V6Net.address(5) && lease.ia == .na && lease.state == .active && lease.t1 == 1000)
        #expect(lease.validLifetime == 4000 && lease.server == V6Net.server.duid)
        let server = try #require(scenario.analyzer.serverTable.first)
        #expect(server.advertises == 1 && server.replies == 1 && server.ip == V6Net.server.address)
        #expect(scenario.analyzer.clientTable.first?.state == .bound)
    }

    @Test("A SOLICIT never answered: no_advertise and solicit-unanswered; its retransmissions on §15's schedule are no finding")
    func solicitUnanswered() throws {
        var scenario = V6Scenario()
        for (time, elapsed) in [(0.0, UInt16(0)), (1.05, 105), (3.2, 320), (7.5, 750)] {
            scenario.client(client, .solicit, xid: 7, at: time, elapsed: elapsed, [O6.iaNA()])
        }
        scenario.finish()
        #expect(scenario.problems.map(\.code.rawValue) == ["solicit-unanswered"])
        #expect(scenario.problems.first?.rfc == "8415 18.2.1")
        #expect(scenario.transactions.first?.outcome == .noAdvertise)
    }

    @Test("Retransmission too soon (§15) and elapsed time that does not grow (§21.9)")
    func retransmission() {
        var early = V6Scenario()
        early.client(client, .solicit, xid: 7, at: 0, elapsed: 0)
        early.client(client, .solicit, xid: 7, at: 0.3, elapsed: 30)
        #expect(early.problems("retransmission-timing").count == 1)
        #expect(early.problems("elapsed-time-not-growing").isEmpty)
        var stuck = V6Scenario()
        stuck.client(client, .solicit, xid: 7, at: 0, elapsed: 0)
        stuck.client(client, .solicit, xid: 7, at: 1.05, elapsed: 0)
        #expect(stuck.problems("elapsed-time-not-growing").count == 1)
        #expect(stuck.problems("retransmission-timing").isEmpty)
    }

    @Test("An ADVERTISE never followed by a REQUEST; one followed is no finding")
    func advertiseNotRequested() {
        var scenario = V6Scenario()
        scenario.client(client, .solicit, xid: 7, at: 0, [O6.iaNA()])
        scenario.server(V6Net.server, .advertise, to: client, xid: 7, at: 0.01, [O6.iaNA(t1: 10, t2: 16, [O6.address(V6Net.address(9))])])
        scenario.finish()
        #expect(scenario.problems.map(\.code.rawValue) == ["advertise-not-requested"])
        #expect(scenario.transactions.first?.outcome == .timeout)
    }

    @Test("A REQUEST never answered: no_reply and request-unanswered with §18.2.2")
    func requestUnanswered() {
        var scenario = V6Scenario()
        let ia = O6.iaNA(t1: 10, t2: 16, [O6.address(V6Net.address(9))])
        scenario.client(client, .solicit, xid: 7, at: 0, [O6.iaNA()])
        scenario.server(V6Net.server, .advertise, to: client, xid: 7, at: 0.01, [ia])
        scenario.client(client, .request, xid: 8, at: 0.02, [O6.serverID(V6Net.server), ia])
        scenario.finish()
        #expect(scenario.problems.map(\.code.rawValue) == ["request-unanswered"])
        #expect(scenario.problems.first?.rfc == "8415 18.2.2")
        #expect(scenario.transactions.first?.outcome == .noReply)
    }

    @Test("Status codes NoAddrsAvail, NoBinding, NotOnLink, UseMulticast, NoPrefixAvail are problems and outcomes", arguments: [
        (UInt16(2), "no-addrs-avail"), (3, "no-binding"), (4, "not-on-link"), (5, "use-multicast"), (6, "no-prefix-avail"),
    ])
    func statuses(code: UInt16, name: String) {
        var scenario = V6Scenario()
        scenario.client(client, .request, xid: 7, at: 0, [O6.serverID(V6Net.server), O6.iaNA()])
        scenario.server(V6Net.server, .reply, to: client, xid: 7, at: 0.01, [O6.iaNA(1, [O6.status(code, "sorry")])])
        scenario.finish()
        #expect(scenario.problems.map(\.code.rawValue) == [name])
        #expect(scenario.problems.first?.rfc == "8415 21.13")
        #expect(scenario.transactions.first?.outcome.rawValue == name)
        #expect(scenario.analyzer.serverTable.first?.statuses == [DHCPv6OptionValue.statusName(code): 1])
        var fine = V6Scenario()
        fine.sarr(client, address: V6Net.address(3))
        #expect(fine.problems.isEmpty)
    }

    @Test("Several servers advertising: multiple-servers; an unexpected one (--expect by DUID) is an error")
    func servers() {
        var scenario = V6Scenario { $0.expectation.duids = [V6Net.server.duid] }
        let ia = O6.iaNA(t1: 10, t2: 16, [O6.address(V6Net.address(9))])
        scenario.client(client, .solicit, xid: 7, at: 0, [O6.iaNA()])
        scenario.server(V6Net.server, .advertise, to: client, xid: 7, at: 0.01, [ia])
        scenario.server(V6Net.server2, .advertise, to: client, xid: 7, at: 0.02, [ia])
        #expect(scenario.problems.map(\.code.rawValue) == ["unexpected-server", "multiple-servers"])
        #expect(scenario.problems.first?.v6?.address == V6Net.server2.address)
        #expect(scenario.analyzer.serverTable.map(\.expected) == [true, false])
        var one = V6Scenario { $0.expectation.duids = [V6Net.server.duid] }
        one.sarr(client, address: V6Net.address(9))
        #expect(one.problems.isEmpty)
        var byAddress = V6Scenario { $0.expectation.addresses6 = [V6Net.server.address] }
        byAddress.sarr(client, address: V6Net.address(9))
        #expect(byAddress.problems.isEmpty)
        var v4Only = V6Scenario { $0.expectation.addresses = [IPv4Address(198, 18, 0, 1)] }
        v4Only.sarr(client, address: V6Net.address(9), server: V6Net.server2)
        #expect(v4Only.problems.isEmpty, "IPv4 addresses alone say nothing of DHCPv6 servers")
    }

    @Test("T1 > T2 (§21.4) and preferred > valid (§21.6, §21.22) are errors; T2 past the preferred lifetime is information")
    func lifetimes() {
        var inverted = V6Scenario()
        inverted.sarr(client, address: V6Net.address(5), t1: 2000, t2: 1000)
        #expect(inverted.problems("bad-timers").map(\.severity) == [.error])
        #expect(inverted.problems("bad-timers").first?.rfc == "8415 21.4")
        var late = V6Scenario()
        late.sarr(client, address: V6Net.address(5), t1: 1000, t2: 3500, preferred: 3000)
        #expect(late.problems("bad-timers").map(\.severity) == [.info])
        var address = V6Scenario()
        address.sarr(client, address: V6Net.address(5), preferred: 5000, valid: 4000)
        #expect(address.problems("bad-lifetimes").map(\.rfc) == ["8415 21.6"])
        var prefix = V6Scenario()
        prefix.client(client, .request, xid: 7, at: 0, [O6.serverID(V6Net.server), O6.iaPD()])
        prefix.server(V6Net.server, .reply, to: client, xid: 7, at: 0.01,
                      [O6.iaPD(t1: 100, t2: 160, [O6.prefix(V6Net.prefix, preferred: 5000, valid: 4000)])])
        #expect(prefix.problems("bad-lifetimes").map(\.rfc) == ["8415 21.22"])
        var fine = V6Scenario()
        fine.sarr(client, address: V6Net.address(5), t1: 1000, t2: 1600, preferred: 3000, valid: 4000)
        #expect(fine.problems.isEmpty)
    }

    @Test("A REPLY without a server identifier; a REPLY naming another client")
    func identifiers() {
        var missing = V6Scenario()
        missing.client(client, .informationRequest, xid: 7, at: 0)
        missing.server(V6Net.server, .reply, to: client, xid: 7, at: 0.01, serverID: false)
        #expect(missing.problems.map(\.code.rawValue) == ["server-id-missing"])
        #expect(missing.problems.first?.rfc == "8415 16.10")
        var other = V6Scenario()
        other.client(client, .informationRequest, xid: 7, at: 0)
        other.server(V6Net.server, .reply, to: client, xid: 7, at: 0.01, clientID: V6Net.client(2))
        #expect(other.problems.map(\.code.rawValue) == ["client-id-mismatch"])
        var fine = V6Scenario()
        fine.client(client, .informationRequest, xid: 7, at: 0)
        fine.server(V6Net.server, .reply, to: client, xid: 7, at: 0.01)
        fine.finish()
        #expect(fine.problems.isEmpty)
        #expect(fine.transactions.first?.kind == .informationRequest && fine.transactions.first?.outcome == .reply)
        #expect(fine.analyzer.clientTable.first?.state == .informed)
    }

    @Test("A RENEW far from T1 (§18.2.4); one at T1 renews the lease")
    func renewTiming() throws {
        let address = V6Net.address(5)
        let ia = O6.iaNA(t1: 100, t2: 160, [O6.address(address)])
        var late = V6Scenario()
        late.sarr(client, address: address, t1: 100, t2: 160)
        late.client(client, .renew, xid: 0x200, at: 300, [O6.serverID(V6Net.server), ia])
        #expect(late.problems("renew-timing").count == 1)
        var onTime = V6Scenario()
        onTime.sarr(client, address: address, t1: 100, t2: 160)
        onTime.client(client, .renew, xid: 0x200, at: 100.5, [O6.serverID(V6Net.server), ia])
        onTime.server(V6Net.server, .reply, to: client, xid: 0x200, at: 100.51, [ia])
        #expect(onTime.problems.isEmpty)
        #expect(onTime.analyzer.leaseTable.first?.state == .renewed)
        #expect(onTime.transitions.map(\.transition.to) == [.selecting, .requesting, .bound, .renewing, .bound])
        onTime.client(client, .release, xid: 0x300, at: 200, [O6.serverID(V6Net.server), ia])
        onTime.server(V6Net.server, .reply, to: client, xid: 0x300, at: 200.01, [O6.status(0)])
        #expect(onTime.analyzer.leaseTable.first?.state == .released)
        #expect(onTime.analyzer.clientTable.first?.state == .released)
    }

    @Test("Rapid commit: a REPLY to a rapid-commit SOLICIT binds from SELECTING; without option 14 it is a problem")
    func rapidCommit() {
        let ia = O6.iaNA(t1: 100, t2: 160, [O6.address(V6Net.address(5))])
        var good = V6Scenario()
        good.client(client, .solicit, xid: 7, at: 0, [O6.rapidCommit, O6.iaNA()])
        good.server(V6Net.server, .reply, to: client, xid: 7, at: 0.01, [O6.rapidCommit, ia])
        good.finish()
        #expect(good.problems.isEmpty)
        #expect(good.transactions.first?.rapidCommit == true && good.transactions.first?.outcome == .reply)
        #expect(good.transitions.map(\.transition.to) == [.selecting, .bound])
        var bad = V6Scenario()
        bad.client(client, .solicit, xid: 7, at: 0, [O6.rapidCommit, O6.iaNA()])
        bad.server(V6Net.server, .reply, to: client, xid: 7, at: 0.01, [ia])
        #expect(bad.problems.map(\.code.rawValue) == ["rapid-commit-missing"])
    }

    @Test("Relay legs: the client's side and the RELAY-FORW/RELAY-REPL are one transaction; the server is where its RELAY-REPL comes from")
    func relayLegs() throws {
        var scenario = V6Scenario()
        let solicit = V6Scenario.message(.solicit, xid: 7, [O6.clientID(client), O6.elapsed(0), O6.rapidCommit, O6.iaNA()])
        let reply = V6Scenario.message(.reply, xid: 7, [O6.clientID(client), O6.serverID(V6Net.relayedServer), O6.rapidCommit,
                                                        O6.iaNA(t1: 100, t2: 160, [O6.address(V6Net.address(5))])])
        func relay(_ type: DHCPv6MessageType, hops: UInt8, _ inner: DHCPv6Message) -> DHCPv6Message {
            DHCPv6Message(type: type, header: .relay(hopCount: hops, linkAddress: V6Net.relay.address, peerAddress: client.address),
                          options: [DHCPv6Option(9, inner.serialized()), DHCPv6Option(18, [0, 0, 0, 1])])
        }
        scenario.send(solicit, at: 0, from: client, to: nil)
        scenario.send(relay(.relayForward, hops: 0, solicit), at: 0.001, from: V6Net.relay, to: V6Net.relayedServer)
        scenario.send(relay(.relayReply, hops: 0, reply), at: 0.01, from: V6Net.relayedServer, to: V6Net.relay)
        scenario.send(reply, at: 0.011, from: V6Net.relay, to: client)
        scenario.finish()
        #expect(scenario.problems.isEmpty, "\(scenario.problems.map(\.text))")
        let transaction = try #require(scenario.transactions.first)
        #expect(scenario.transactions.count == 1 && transaction.relayed && transaction.messages.count == 4, "\(transaction.messages.map(\.frame))")
        #expect(scenario.analyzer.serverTable.first?.ip == V6Net.relayedServer.address)
        #expect(scenario.analyzer.serverTable.first?.replies == 1)
        var deep = V6Scenario()
        deep.send(relay(.relayForward, hops: 9, solicit), at: 0, from: V6Net.relay, to: V6Net.relayedServer)
        #expect(deep.problems.map(\.code.rawValue) == ["relay-hops"])
        var limit = V6Scenario()
        limit.send(relay(.relayForward, hops: 8, solicit), at: 0, from: V6Net.relay, to: V6Net.relayedServer)
        #expect(limit.problems.isEmpty)
    }

    @Test("A client first seen renewing starts UNKNOWN; a malformed message is a problem and the work goes on")
    func midLifeAndMalformed() throws {
        var scenario = V6Scenario()
        scenario.client(client, .renew, xid: 9, at: 0, [O6.serverID(V6Net.server), O6.iaNA()])
        let step = try #require(scenario.transitions.first)
        #expect(step.transition.from == .unknown && step.transition.to == .renewing && !step.inRFC)
        let broken = V6Scenario.frame([1, 0, 0, 7, 0, 1, 0, 40, 1], from: (client.mac, client.address, 546),
                                      to: (nil, V6Net.allServers, 547))
        let decoded = broken.withUnsafeBytes { scenario.decoder.decode($0, linkType: .ethernet, time: V6Scenario.time(1)) }
        guard case .dhcpv6(let record) = decoded.content else {
            Issue.record("not DHCPv6")
            return
        }
        var events = [AnalysisEvent]()
        scenario.analyzer.observe(record, link: decoded.link, frame: FrameReference(file: 0, frame: 2, time: V6Scenario.time(1)),
                                  into: &events)
        #expect(events.count == 1)
        if case .problem(let problem)? = events.first { #expect(problem.code == .malformed) }
        scenario.sarr(V6Net.client(2), address: V6Net.address(6), xid: 0x400, at: 2)
        #expect(scenario.analyzer.leaseCount == 1)
    }

    @Test("A flood of SOLICITs from new DUIDs stays within --max-transactions and --max-clients, in linear time")
    func flood() {
        var scenario = V6Scenario { $0.maximumTransactions = 100; $0.maximumClients = 500 }
        for number in 0..<20_000 {
            let mac = MACAddress(rawValue: 0x0600_1000_0000 | UInt64(number))
            let duid: [UInt8] = [0, 3, 0, 1] + mac.bytes
            let message = V6Scenario.message(.solicit, xid: UInt32(number), [DHCPv6Option(1, duid), O6.elapsed(0)])
            scenario.send(message, at: Double(number) / 10_000, from: V6Net.client(1), to: nil)
        }
        scenario.finish()
        #expect(scenario.analyzer.evictedTransactions >= 19_800)
        #expect(scenario.analyzer.clientCount <= 500 && scenario.analyzer.evictedClients >= 19_500)
        #expect(scenario.problems("client-cap").count == 1)
        #expect(scenario.transactions.count == 20_000, "every transaction still reported once")
    }
}
