import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Testing

/// The battery's rules that traffic alone can judge, reported by the analysis under the checks' own ids.
@Suite("conformance checks in the analysis")
struct ConformanceInAnalysisTests {
    @Test func aNAKWithALeaseTimeOrAnAddressIsANakFormProblem() throws {
        var good = Scenario()
        good.request(alice, xid: 0x7001, at: 0, address: Net.address(50))
        good.nak(alice, xid: 0x7001, at: 0.01)
        good.finish()
        #expect(good.problems(.nakForm).isEmpty)

        var bad = Scenario()
        bad.request(alice, xid: 0x7002, at: 0, address: Net.address(50))
        var nak = Scenario.message(.nak, xid: 0x7002, client: alice, yiaddr: Net.address(50),
                                   options: [Opt.serverID(Net.server.ip), Opt.lease(60)])
        nak.flags = 0
        bad.send(nak, at: 0.01, from: (Net.server.mac, Net.server.ip, 67), to: (alice.mac, Net.address(50), 68))
        bad.finish()
        let problem = try #require(expectOne(bad, .nakForm, .error, rfc: "2131 4.3.2"))
        #expect(problem.check == "nak-form")
        #expect(problem.text.contains("yiaddr 198.18.0.50") && problem.text.contains("a lease time") && problem.text.contains("not broadcast"))
    }

    @Test func anINFORMsACKWithALeaseTimeIsAnInformNoLeaseProblem() throws {
        var scenario = Scenario()
        scenario.inform(alice, xid: 0x7003, at: 0, ciaddr: Net.address(60))
        scenario.ack(alice, xid: 0x7003, at: 0.01, yiaddr: .any, ciaddr: Net.address(60), lease: 3600, destination: Net.address(60))
        scenario.finish()
        let problem = try #require(expectOne(scenario, .informNoLease, .error, rfc: "2131 4.3.5"))
        #expect(problem.check == "inform-no-lease")

        var clean = Scenario()
        clean.inform(alice, xid: 0x7004, at: 0, ciaddr: Net.address(61))
        clean.ack(alice, xid: 0x7004, at: 0.01, yiaddr: .any, ciaddr: Net.address(61), lease: nil, destination: Net.address(61))
        clean.finish()
        #expect(clean.problems(.informNoLease).isEmpty)
    }

    @Test func theAnalysisOwnCodesNameTheirCheck() throws {
        var scenario = Scenario()
        scenario.discover(alice, xid: 0x7005, at: 0)
        scenario.offer(alice, xid: 0x7005, at: 0.01, yiaddr: Net.address(70), serverID: .any, lease: nil)
        scenario.finish()
        #expect(scenario.problems(.serverIDMissing).first?.check == "offer-server-id")
        #expect(scenario.problems(.leaseTimeMissing).first?.check == "offer-lease-time")

        var timers = Scenario()
        timers.dora(alice, xid: 0x7006, at: 0, address: Net.address(71), lease: 100)
        timers.ack(alice, xid: 0x7007, at: 50, yiaddr: Net.address(71), ciaddr: Net.address(71), lease: 100, t1: 90)
        timers.finish()
        // T1 90 s without T2: the default T2 (87 s) comes first, the same rule the battery's timers-ordered judges by.
        let disorder = try #require(timers.problems(.badTimers).first)
        #expect(disorder.check == "timers-ordered" && disorder.text == "T1 90 s is not below T2 (default) 87 s")
    }
}
