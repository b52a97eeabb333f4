import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Testing

// One positive and one negative test per Problem.Code. Each pair runs the same script; `fault` adds (or keeps)
// the one thing wrong, so a negative test is the positive scenario minus its fault.

/// The problem codes of a finished scenario, sorted, as strings.
func codes(_ scenario: Scenario) -> [String] { scenario.problemCodes.sorted() }

/// The single problem of `code`, checked for severity and RFC clause.
@discardableResult
func expectOne(_ scenario: Scenario, _ code: Problem.Code, _ severity: Problem.Severity, rfc: String?,
               sourceLocation: SourceLocation = #_sourceLocation) -> Problem? {
    let found = scenario.problems(code)
    #expect(found.count == 1, "\(code): \(scenario.problems.map { "\($0.code) \($0.text)" })", sourceLocation: sourceLocation)
    guard let problem = found.first else { return nil }
    #expect(problem.severity == severity, sourceLocation: sourceLocation)
    #expect(problem.rfc == rfc, sourceLocation: sourceLocation)
    #expect(!problem.text.isEmpty, sourceLocation: sourceLocation)
    return problem
}

let alice = Client(1)
let bob = Client(2)
let carol = Client(3)

@Suite("Diagnostics: one positive, one negative each")
struct DiagnosticTests {
    // MARK: discover-unanswered

    static func discoverUnanswered(fault: Bool) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x1001, at: 0)
        s.discover(alice, xid: 0x1001, at: 4)
        if !fault {
            s.offer(alice, xid: 0x1001, at: 4.01, yiaddr: Net.address(100))
            s.request(alice, xid: 0x1001, at: 4.02, address: Net.address(100))
            s.ack(alice, xid: 0x1001, at: 4.03, yiaddr: Net.address(100))
        }
        s.finish()
        return s
    }

    @Test func discoverUnansweredFires() throws {
        let s = Self.discoverUnanswered(fault: true)
        #expect(codes(s) == ["discover-unanswered"])
        let problem = try #require(expectOne(s, .discoverUnanswered, .warning, rfc: "2131 4.4.1"))
        #expect(problem.client == alice.key)
        #expect(problem.xid == 0x1001)
        #expect(problem.frames.map(\.frame) == [1, 2])
        #expect(s.transactions.map(\.outcome) == [.noOffer])
    }

    @Test func discoverUnansweredSilent() {
        let s = Self.discoverUnanswered(fault: false)
        #expect(codes(s) == [])
        #expect(s.transactions.map(\.outcome) == [.ack])
    }

    // MARK: offer-not-acked

    static func offerNotAcked(fault: Bool, requestSent: Bool = false) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x1002, at: 0)
        s.offer(alice, xid: 0x1002, at: 0.01, yiaddr: Net.address(100))
        if !fault || requestSent { s.request(alice, xid: 0x1002, at: 0.02, address: Net.address(100)) }
        if !fault { s.ack(alice, xid: 0x1002, at: 0.03, yiaddr: Net.address(100)) }
        s.finish()
        return s
    }

    @Test func offerNotAckedFiresWithoutRequest() throws {
        let s = Self.offerNotAcked(fault: true)
        #expect(codes(s) == ["offer-not-acked"])
        let problem = try #require(expectOne(s, .offerNotAcked, .warning, rfc: "2131 4.4.1"))
        #expect(problem.ip == Net.address(100))
        #expect(problem.text.contains("198.18.0.1"))
        #expect(problem.text.contains("never followed by a REQUEST"))
        #expect(s.transactions.map(\.outcome) == [.noAck])
    }

    @Test func offerNotAckedFiresWithoutAck() throws {
        // The REQUEST went unanswered: one finding (offer-not-acked), not two.
        let s = Self.offerNotAcked(fault: true, requestSent: true)
        #expect(codes(s) == ["offer-not-acked"])
        let problem = try #require(expectOne(s, .offerNotAcked, .warning, rfc: "2131 4.4.1"))
        #expect(problem.text.contains("never followed by an ACK"))
    }

    @Test func offerNotAckedSilent() {
        #expect(codes(Self.offerNotAcked(fault: false)) == [])
    }

    // MARK: request-unanswered

    static func requestUnanswered(fault: Bool) -> Scenario {
        var s = Scenario()
        s.dora(alice, xid: 0x1003, at: 0, address: Net.address(100))
        s.renew(alice, xid: 0x2003, at: 1800, ciaddr: Net.address(100))
        if !fault { s.ack(alice, xid: 0x2003, at: 1800.01, yiaddr: Net.address(100), ciaddr: Net.address(100)) }
        s.finish()
        return s
    }

    @Test func requestUnansweredFires() throws {
        let s = Self.requestUnanswered(fault: true)
        #expect(codes(s) == ["request-unanswered"])
        let problem = try #require(expectOne(s, .requestUnanswered, .warning, rfc: "2131 4.4.5"))
        #expect(problem.ip == Net.address(100))
        #expect(problem.xid == 0x2003)
        #expect(s.transactions.map(\.outcome) == [.ack, .timeout])
        #expect(s.transactions.map(\.kind) == [.dora, .renew])
    }

    @Test func requestUnansweredSilent() {
        #expect(codes(Self.requestUnanswered(fault: false)) == [])
    }

    @Test func initRebootRequestUnanswered() throws {
        var s = Scenario()
        s.rebootRequest(alice, xid: 0x1013, at: 0, address: Net.address(100))
        s.finish()
        #expect(codes(s) == ["request-unanswered"])
        #expect(s.transactions.map(\.kind) == [.initReboot])
    }

    // MARK: nak

    static func nak(fault: Bool) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x1004, at: 0)
        s.offer(alice, xid: 0x1004, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x1004, at: 0.02, address: Net.address(100))
        if fault {
            s.nak(alice, xid: 0x1004, at: 0.03, text: "requested address is not available")
        } else {
            s.ack(alice, xid: 0x1004, at: 0.03, yiaddr: Net.address(100))
        }
        s.finish()
        return s
    }

    @Test func nakFires() throws {
        let s = Self.nak(fault: true)
        #expect(codes(s) == ["nak"])
        let problem = try #require(expectOne(s, .nak, .warning, rfc: "2131 4.3.2"))
        #expect(problem.text.contains("requested address is not available"))
        #expect(problem.text.contains("198.18.0.1"))
        #expect(problem.ip == Net.address(100))
    }

    @Test func nakSilent() {
        #expect(codes(Self.nak(fault: false)) == [])
    }

    // MARK: multiple-servers

    static func multipleServers(fault: Bool) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x1005, at: 0)
        s.offer(alice, xid: 0x1005, at: 0.01, yiaddr: Net.address(100))
        if fault { s.offer(alice, xid: 0x1005, at: 0.015, yiaddr: Net.address(200), server: Net.server2) }
        s.request(alice, xid: 0x1005, at: 0.02, address: Net.address(100))
        s.ack(alice, xid: 0x1005, at: 0.03, yiaddr: Net.address(100))
        s.finish()
        return s
    }

    @Test func multipleServersFires() throws {
        let s = Self.multipleServers(fault: true)
        #expect(codes(s) == ["multiple-servers"])
        let problem = try #require(expectOne(s, .multipleServers, .info, rfc: "2131 4.4.1"))
        #expect(problem.text.contains("198.18.0.1") && problem.text.contains("198.18.0.2"))
        #expect(s.transactions.first?.servers == [Net.server.ip, Net.server2.ip])
    }

    @Test func multipleServersSilent() {
        let s = Self.multipleServers(fault: false)
        #expect(codes(s) == [])
        #expect(s.transactions.first?.servers == [Net.server.ip])
    }

    /// A server that pings or ARPs an address before offering it answers seconds after the client took the other
    /// server's offer: its OFFER, `delay` seconds after the ACK, belongs to the finished exchange.
    static func lateOffer(after delay: Double, expect: Bool = false) -> Scenario {
        var s = Scenario {
            $0.transactionTimeout = 30
            if expect { $0.expectation = ServerExpectation(addresses: [Net.server.ip]) }
        }
        s.discover(alice, xid: 0x1015, at: 0)
        s.offer(alice, xid: 0x1015, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x1015, at: 0.02, address: Net.address(100))
        s.ack(alice, xid: 0x1015, at: 0.03, yiaddr: Net.address(100))
        s.offer(alice, xid: 0x1015, at: 0.03 + delay, yiaddr: Net.address(200), server: Net.server2)
        s.finish()
        return s
    }

    @Test("A late OFFER joins its finished transaction while within --txn-timeout", arguments: [0.5, 2.5, 25.0])
    func lateOfferJoins(delay: Double) throws {
        let s = Self.lateOffer(after: delay)
        #expect(codes(s) == ["multiple-servers"])
        let problem = try #require(expectOne(s, .multipleServers, .info, rfc: "2131 4.4.1"))
        #expect(problem.text.contains("198.18.0.1") && problem.text.contains("198.18.0.2") && problem.text.contains("after the exchange ended"))
        #expect(s.transactions.count == 1, "the late OFFER must not open a transaction of its own")
        #expect(s.server(Net.server2.ip)?.offers == 1)
        // The late server's response time runs from the DISCOVER it answers.
        let p50 = try #require(s.server(Net.server2.ip)?.p50Milliseconds)
        #expect(abs(p50 - (0.03 + delay) * 1000) < (0.03 + delay) * 10 + 1)
    }

    @Test func lateOfferFromAnUnexpectedServer() {
        #expect(Set(codes(Self.lateOffer(after: 2.5, expect: true))) == ["multiple-servers", "unexpected-server"])
    }

    @Test("An OFFER later than --txn-timeout is a transaction of its own")
    func offerPastTheTimeout() {
        let s = Self.lateOffer(after: 40)
        #expect(!codes(s).contains("multiple-servers"))
        #expect(s.transactions.count == 2)
    }

    // MARK: unexpected-server

    static func unexpectedServer(fault: Bool) -> Scenario {
        var s = Scenario { $0.expectation = ServerExpectation(addresses: [Net.server.ip]) }
        s.dora(alice, xid: 0x1006, at: 0, address: Net.address(100), server: fault ? Net.server2 : Net.server)
        s.finish()
        return s
    }

    @Test func unexpectedServerFires() throws {
        let s = Self.unexpectedServer(fault: true)
        #expect(codes(s) == ["unexpected-server"])
        let problem = try #require(expectOne(s, .unexpectedServer, .error, rfc: nil))
        #expect(problem.ip == Net.server2.ip)
        #expect(problem.text.contains("06:00:00:00:00:02"))
        #expect(s.server(Net.server2.ip)?.expected == false)
    }

    @Test func unexpectedServerSilent() {
        let s = Self.unexpectedServer(fault: false)
        #expect(codes(s) == [])
        #expect(s.server(Net.server.ip)?.expected == true)
    }

    @Test func expectedByMAC() {
        var s = Scenario { $0.expectation = ServerExpectation(macs: [Net.server2.mac]) }
        s.dora(alice, xid: 0x1016, at: 0, address: Net.address(100), server: Net.server2)
        s.finish()
        #expect(codes(s) == [])
        #expect(s.server(Net.server2.ip)?.expected == true)
    }

    // MARK: ack-address-mismatch

    static func ackAddressMismatch(fault: Bool) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x1007, at: 0)
        s.offer(alice, xid: 0x1007, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x1007, at: 0.02, address: Net.address(100))
        s.ack(alice, xid: 0x1007, at: 0.03, yiaddr: Net.address(fault ? 101 : 100))
        s.finish()
        return s
    }

    @Test func ackAddressMismatchFires() throws {
        let s = Self.ackAddressMismatch(fault: true)
        #expect(codes(s) == ["ack-address-mismatch"])
        let problem = try #require(expectOne(s, .ackAddressMismatch, .warning, rfc: "2131 4.3.2"))
        #expect(problem.ip == Net.address(101))
        #expect(problem.text.contains("198.18.0.100"))
    }

    @Test func ackAddressMismatchSilent() {
        #expect(codes(Self.ackAddressMismatch(fault: false)) == [])
    }

    // MARK: server-id-missing

    static func serverIDMissing(fault: Bool) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x1008, at: 0)
        s.offer(alice, xid: 0x1008, at: 0.01, yiaddr: Net.address(100), serverID: fault ? .any : nil)
        s.request(alice, xid: 0x1008, at: 0.02, address: Net.address(100))
        s.ack(alice, xid: 0x1008, at: 0.03, yiaddr: Net.address(100))
        s.finish()
        return s
    }

    @Test func serverIDMissingFires() throws {
        let s = Self.serverIDMissing(fault: true)
        #expect(codes(s) == ["server-id-missing"])
        let problem = try #require(expectOne(s, .serverIDMissing, .error, rfc: "2131 4.3.1"))
        #expect(problem.text.contains("OFFER"))
        // Without option 54 the server is known by its source address: still one server.
        #expect(s.analyzer.serverTable.map(\.id) == [Net.server.ip])
    }

    @Test func serverIDMissingSilent() {
        #expect(codes(Self.serverIDMissing(fault: false)) == [])
    }

    // MARK: server-id-changed

    static func serverIDChanged(fault: Bool) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x1009, at: 0)
        s.offer(alice, xid: 0x1009, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x1009, at: 0.02, address: Net.address(100))
        s.ack(alice, xid: 0x1009, at: 0.03, yiaddr: Net.address(100), serverID: fault ? Net.address(9) : nil)
        s.finish()
        return s
    }

    @Test func serverIDChangedFires() throws {
        let s = Self.serverIDChanged(fault: true)
        #expect(codes(s) == ["server-id-changed"])
        let problem = try #require(expectOne(s, .serverIDChanged, .warning, rfc: "2131 4.3.2"))
        #expect(problem.text.contains("198.18.0.9") && problem.text.contains("198.18.0.1"))
    }

    @Test func serverIDChangedSilent() {
        #expect(codes(Self.serverIDChanged(fault: false)) == [])
    }

    // MARK: lease-time-missing

    static func leaseTimeMissing(offerLease: Bool, ackLease: Bool) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x100A, at: 0)
        s.offer(alice, xid: 0x100A, at: 0.01, yiaddr: Net.address(100), lease: offerLease ? 3600 : nil)
        s.request(alice, xid: 0x100A, at: 0.02, address: Net.address(100))
        s.ack(alice, xid: 0x100A, at: 0.03, yiaddr: Net.address(100), lease: ackLease ? 3600 : nil)
        s.finish()
        return s
    }

    @Test func leaseTimeMissingInOffer() throws {
        let s = Self.leaseTimeMissing(offerLease: false, ackLease: true)
        #expect(codes(s) == ["lease-time-missing"])
        let problem = try #require(expectOne(s, .leaseTimeMissing, .error, rfc: "2131 4.3.1"))
        #expect(problem.text.contains("OFFER"))
    }

    @Test func leaseTimeMissingInAck() throws {
        let s = Self.leaseTimeMissing(offerLease: true, ackLease: false)
        #expect(codes(s) == ["lease-time-missing"])
        let problem = try #require(expectOne(s, .leaseTimeMissing, .error, rfc: "2131 4.3.1"))
        #expect(problem.text.contains("ACK"))
    }

    @Test func leaseTimeMissingSilent() {
        #expect(codes(Self.leaseTimeMissing(offerLease: true, ackLease: true)) == [])
    }

    @Test func leaseTimeNotAskedOfInformAck() {
        // RFC 2131 §4.3.5: the ACK to an INFORM carries no lease time.
        var s = Scenario()
        s.inform(alice, xid: 0x101A, at: 0, ciaddr: Net.address(50))
        s.ack(alice, xid: 0x101A, at: 0.01, yiaddr: .any, ciaddr: Net.address(50), lease: nil)
        s.finish()
        #expect(codes(s) == [])
    }

    // MARK: bad-timers

    enum TimerFault { case none, t1NotBelowT2, t2NotBelowLease, t1NotBelowLease }

    static func badTimers(_ fault: TimerFault) -> Scenario {
        let (t1, t2): (UInt32?, UInt32?) = switch fault {
        case .none: (1800, 3150)
        case .t1NotBelowT2: (3000, 2000)
        case .t2NotBelowLease: (1800, 3600)
        case .t1NotBelowLease: (3600, nil)
        }
        var s = Scenario()
        s.discover(alice, xid: 0x100B, at: 0)
        s.offer(alice, xid: 0x100B, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x100B, at: 0.02, address: Net.address(100))
        s.ack(alice, xid: 0x100B, at: 0.03, yiaddr: Net.address(100), lease: 3600, t1: t1, t2: t2)
        s.finish()
        return s
    }

    @Test func badTimersT1NotBelowT2() throws {
        let s = Self.badTimers(.t1NotBelowT2)
        #expect(codes(s) == ["bad-timers"])
        let problem = try #require(expectOne(s, .badTimers, .error, rfc: "2131 4.4.5"))
        #expect(problem.text.contains("T1 3000") && problem.text.contains("T2 2000"))
    }

    @Test func badTimersT2NotBelowLease() throws {
        let s = Self.badTimers(.t2NotBelowLease)
        #expect(codes(s) == ["bad-timers"])
        let problem = try #require(expectOne(s, .badTimers, .error, rfc: "2131 4.4.5"))
        #expect(problem.text.contains("T2 3600"))
    }

    @Test func badTimersT1NotBelowLease() throws {
        let s = Self.badTimers(.t1NotBelowLease)
        #expect(codes(s) == ["bad-timers"])
        expectOne(s, .badTimers, .error, rfc: "2131 4.4.5")
    }

    @Test func badTimersSilent() {
        let s = Self.badTimers(.none)
        #expect(codes(s) == [])
        #expect(s.lease(Net.address(100), alice)?.t1 == 1800)
        #expect(s.lease(Net.address(100), alice)?.t2 == 3150)
    }

    // MARK: renew-timing

    /// DORA at 0 (bound at 0.03 s, lease 3600: T1 1800, T2 3150, tolerance max(2, 360) = 360 s), then a renewal
    /// (or rebinding) at `at`.
    static func renewTiming(at time: Double, rebind: Bool = false, tolerance: Double? = nil) -> Scenario {
        var s = Scenario { $0.timerTolerance = tolerance }
        s.dora(alice, xid: 0x100C, at: 0, address: Net.address(100))
        if rebind {
            s.rebind(alice, xid: 0x200C, at: time, ciaddr: Net.address(100))
        } else {
            s.renew(alice, xid: 0x200C, at: time, ciaddr: Net.address(100))
        }
        s.ack(alice, xid: 0x200C, at: time + 0.01, yiaddr: Net.address(100), ciaddr: Net.address(100))
        s.finish()
        return s
    }

    @Test func renewTooEarly() throws {
        let s = Self.renewTiming(at: 1000)
        #expect(codes(s) == ["renew-timing"])
        let problem = try #require(expectOne(s, .renewTiming, .warning, rfc: "2131 4.4.5"))
        #expect(problem.text.contains("T1 is 1800"))
        #expect(problem.ip == Net.address(100))
    }

    @Test func renewTooLate() {
        let s = Self.renewTiming(at: 2400)
        #expect(codes(s) == ["renew-timing"])
        expectOne(s, .renewTiming, .warning, rfc: "2131 4.4.5")
    }

    @Test func renewOnTime() {
        #expect(codes(Self.renewTiming(at: 1800)) == [])
        // Within the default tolerance of 10 % of the lease.
        #expect(codes(Self.renewTiming(at: 2100)) == [])
    }

    @Test func renewToleranceOption() {
        #expect(codes(Self.renewTiming(at: 1830, tolerance: 10)) == ["renew-timing"])
        #expect(codes(Self.renewTiming(at: 1805, tolerance: 10)) == [])
    }

    @Test func rebindTiming() throws {
        let early = Self.renewTiming(at: 2000, rebind: true)
        #expect(codes(early) == ["renew-timing"])
        let problem = try #require(expectOne(early, .renewTiming, .warning, rfc: "2131 4.4.5"))
        #expect(problem.text.contains("T2 is 3150"))
        #expect(codes(Self.renewTiming(at: 3150, rebind: true)) == [])
    }

    // MARK: retransmission-timing

    static func retransmission(_ times: [Double]) -> Scenario {
        var s = Scenario()
        for time in times { s.discover(alice, xid: 0x100D, at: time) }
        let last = times.last!
        s.offer(alice, xid: 0x100D, at: last + 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x100D, at: last + 0.02, address: Net.address(100))
        s.ack(alice, xid: 0x100D, at: last + 0.03, yiaddr: Net.address(100))
        s.finish()
        return s
    }

    @Test func retransmissionTooSoon() throws {
        let s = Self.retransmission([0, 1])
        #expect(codes(s) == ["retransmission-timing"])
        let problem = try #require(expectOne(s, .retransmissionTiming, .info, rfc: "2131 4.1"))
        #expect(problem.text.contains("after 1 s") || problem.text.contains("after 1.0"))
        #expect(problem.text.contains("4 ±1 s"))
    }

    @Test func retransmissionSecondIntervalWrong() {
        // 4 s is right, then 10 s where 8 ±1 s is expected.
        #expect(codes(Self.retransmission([0, 4, 14])) == ["retransmission-timing"])
    }

    @Test func retransmissionBackoffRight() {
        #expect(codes(Self.retransmission([0, 4, 12])) == [])
        #expect(codes(Self.retransmission([0, 3.1, 11.9, 27.5])) == [])
    }

    @Test func retransmissionReportedOncePerTransaction() {
        #expect(codes(Self.retransmission([0, 1, 2, 3])) == ["retransmission-timing"])
    }

    @Test func requestBackoffStartsAgainAt4Seconds() {
        // RFC 2131 §4.1: each message starts its own back-off; a REQUEST retransmitted after 4 s is right even when
        // the DISCOVER before it was retransmitted too.
        var s = Scenario()
        s.discover(alice, xid: 0x101D, at: 0)
        s.discover(alice, xid: 0x101D, at: 4)
        s.offer(alice, xid: 0x101D, at: 4.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x101D, at: 4.02, address: Net.address(100))
        s.request(alice, xid: 0x101D, at: 8.02, address: Net.address(100))
        s.ack(alice, xid: 0x101D, at: 8.03, yiaddr: Net.address(100))
        s.finish()
        #expect(codes(s) == [])
    }

    @Test func renewalRetransmissionIsNotBackoffTimed() {
        // RFC 2131 §4.4.5: RENEWING retransmits after half the time to T2, at least 60 s; not 4, 8, 16 s.
        var s = Scenario()
        s.dora(alice, xid: 0x102D, at: 0, address: Net.address(100), lease: 120)
        s.renew(alice, xid: 0x202D, at: 60, ciaddr: Net.address(100))
        s.renew(alice, xid: 0x202D, at: 100, ciaddr: Net.address(100))
        s.ack(alice, xid: 0x202D, at: 100.01, yiaddr: Net.address(100), ciaddr: Net.address(100), lease: 120)
        s.finish()
        #expect(codes(s) == [])
    }

    // MARK: xid-reused

    static func xidReused(fault: Bool) -> Scenario {
        var s = Scenario()
        s.discover(alice, xid: 0x100E, at: 0)
        s.discover(bob, xid: fault ? 0x100E : 0x200E, at: 0.5)
        s.offer(alice, xid: 0x100E, at: 0.51, yiaddr: Net.address(100))
        s.offer(bob, xid: fault ? 0x100E : 0x200E, at: 0.52, yiaddr: Net.address(101))
        s.request(alice, xid: 0x100E, at: 0.6, address: Net.address(100))
        s.ack(alice, xid: 0x100E, at: 0.61, yiaddr: Net.address(100))
        s.request(bob, xid: fault ? 0x100E : 0x200E, at: 0.7, address: Net.address(101))
        s.ack(bob, xid: fault ? 0x100E : 0x200E, at: 0.71, yiaddr: Net.address(101))
        s.finish()
        return s
    }

    @Test func xidReusedFires() throws {
        let s = Self.xidReused(fault: true)
        #expect(codes(s) == ["xid-reused"])
        let problem = try #require(expectOne(s, .xidReused, .warning, rfc: "2131 4.4.1"))
        #expect(problem.client == bob.key)
        #expect(problem.text.contains("0x0000100e"))
        // Still two transactions, one per client.
        #expect(s.transactions.map(\.client) == [alice.key, bob.key])
        #expect(s.transactions.map(\.outcome) == [.ack, .ack])
    }

    @Test func xidReusedSilent() {
        #expect(codes(Self.xidReused(fault: false)) == [])
    }

    // MARK: broadcast-ignored

    static func broadcastIgnored(fault: Bool) -> Scenario {
        var s = Scenario()
        let destination: IPv4Address? = fault ? nil : .broadcast // nil: unicast to yiaddr
        s.discover(alice, xid: 0x100F, at: 0, flags: 0x8000)
        s.offer(alice, xid: 0x100F, at: 0.01, yiaddr: Net.address(100), destination: destination)
        s.request(alice, xid: 0x100F, at: 0.02, address: Net.address(100), flags: 0x8000)
        s.ack(alice, xid: 0x100F, at: 0.03, yiaddr: Net.address(100), destination: destination)
        s.finish()
        return s
    }

    @Test func broadcastIgnoredFires() {
        let s = Self.broadcastIgnored(fault: true)
        #expect(codes(s) == ["broadcast-ignored", "broadcast-ignored"])
        for problem in s.problems {
            #expect(problem.severity == .warning)
            #expect(problem.rfc == "2131 4.1")
            #expect(problem.ip == Net.address(100))
        }
    }

    @Test func broadcastIgnoredSilent() {
        #expect(codes(Self.broadcastIgnored(fault: false)) == [])
    }

    // MARK: parameters-not-supplied

    static func parametersNotSupplied(fault: Bool) -> Scenario {
        var s = Scenario()
        let asked = [Opt.parameters([1, 3, 6, 15])]
        s.discover(alice, xid: 0x1010, at: 0, options: asked)
        s.offer(alice, xid: 0x1010, at: 0.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x1010, at: 0.02, address: Net.address(100), options: asked)
        s.ack(alice, xid: 0x1010, at: 0.03, yiaddr: Net.address(100),
              options: [Opt.subnet, Opt.router, Opt.dns] + (fault ? [] : [Opt.domain]))
        s.finish()
        return s
    }

    @Test func parametersNotSuppliedFires() throws {
        let s = Self.parametersNotSupplied(fault: true)
        #expect(codes(s) == ["parameters-not-supplied"])
        let problem = try #require(expectOne(s, .parametersNotSupplied, .info, rfc: "2131 4.3.1"))
        #expect(problem.text.hasSuffix(": 15"))
    }

    @Test("The missing codes are listed once each, in ascending order, whatever the order asked in")
    func parametersNotSuppliedListsEachCodeOnceInOrder() throws {
        var s = Scenario()
        let asked = [Opt.parameters([121, 15, 6, 15, 1])]
        s.request(alice, xid: 0x1011, at: 0, address: Net.address(100), options: asked)
        s.ack(alice, xid: 0x1011, at: 0.01, yiaddr: Net.address(100), options: [Opt.subnet, Opt.router, Opt.dns])
        s.finish()
        let problem = try #require(expectOne(s, .parametersNotSupplied, .info, rfc: "2131 4.3.1"))
        #expect(problem.text == "asked for options the ACK lacks: 15, 121")
    }

    @Test func parametersNotSuppliedSilent() {
        let s = Self.parametersNotSupplied(fault: false)
        #expect(codes(s) == [])
        #expect(s.lease(Net.address(100), alice)?.domain == "lab.example")
    }

    // MARK: address-conflict

    static func addressConflict(fault: Bool) -> Scenario {
        var s = Scenario()
        s.dora(alice, xid: 0x1011, at: 0, address: Net.address(100))
        s.dora(bob, xid: 0x2011, at: 10, address: Net.address(fault ? 100 : 101))
        s.finish()
        return s
    }

    @Test func addressConflictFires() throws {
        let s = Self.addressConflict(fault: true)
        #expect(codes(s) == ["address-conflict"])
        let problem = try #require(expectOne(s, .addressConflict, .error, rfc: "2131 4.3.1"))
        #expect(problem.ip == Net.address(100))
        #expect(problem.client == bob.key)
        #expect(problem.frames.count == 2)
        #expect(problem.frames.map(\.time) == [Scenario.time(0.03), Scenario.time(10.03)])
    }

    @Test func addressConflictSilent() {
        #expect(codes(Self.addressConflict(fault: false)) == [])
    }

    @Test func noConflictAfterRelease() {
        var s = Scenario()
        s.dora(alice, xid: 0x1021, at: 0, address: Net.address(100))
        s.release(alice, xid: 0x1022, at: 5, ciaddr: Net.address(100))
        s.dora(bob, xid: 0x2021, at: 10, address: Net.address(100))
        s.finish()
        #expect(codes(s) == [])
    }

    @Test func noConflictAfterExpiry() {
        var s = Scenario()
        s.dora(alice, xid: 0x1023, at: 0, address: Net.address(100), lease: 60)
        s.dora(bob, xid: 0x2023, at: 100, address: Net.address(100))
        s.finish()
        #expect(codes(s) == [])
    }

    // MARK: decline

    static func decline(fault: Bool) -> Scenario {
        var s = Scenario()
        s.dora(alice, xid: 0x1012, at: 0, address: Net.address(100))
        if fault { s.decline(alice, xid: 0x1012, at: 1, address: Net.address(100)) }
        s.finish()
        return s
    }

    @Test func declineFires() throws {
        let s = Self.decline(fault: true)
        #expect(codes(s) == ["decline"])
        let problem = try #require(expectOne(s, .decline, .warning, rfc: "2131 4.4.1"))
        #expect(problem.ip == Net.address(100))
        #expect(s.lease(Net.address(100), alice)?.state == .declined)
    }

    @Test func declineSilent() {
        let s = Self.decline(fault: false)
        #expect(codes(s) == [])
        #expect(s.lease(Net.address(100), alice)?.state == .active)
    }

    // MARK: missing-address

    static func releaseWithoutAddress(fault: Bool) -> Scenario {
        var s = Scenario()
        s.dora(alice, xid: 0x1030, at: 0, address: Net.address(100))
        s.release(alice, xid: 0x1031, at: 5, ciaddr: fault ? .any : Net.address(100))
        s.finish()
        return s
    }

    @Test func missingAddressFiresForRelease() throws {
        let s = Self.releaseWithoutAddress(fault: true)
        #expect(codes(s) == ["missing-address"])
        let problem = try #require(expectOne(s, .missingAddress, .warning, rfc: "2131 4.4.6"))
        #expect(problem.ip == Net.address(100))
        // The lease the client held is the one it released.
        #expect(s.lease(Net.address(100), alice)?.state == .released)
    }

    @Test func missingAddressSilentForRelease() {
        let s = Self.releaseWithoutAddress(fault: false)
        #expect(codes(s) == [])
        #expect(s.lease(Net.address(100), alice)?.state == .released)
    }

    @Test func missingAddressFiresForDecline() throws {
        var s = Scenario()
        s.dora(alice, xid: 0x1032, at: 0, address: Net.address(100))
        s.decline(alice, xid: 0x1032, at: 1, address: nil)
        s.finish()
        #expect(codes(s) == ["decline", "missing-address"])
        _ = try #require(expectOne(s, .missingAddress, .warning, rfc: "2131 4.4.1"))
        #expect(s.lease(Net.address(100), alice)?.state == .declined)
    }

    // MARK: decline-restart-too-soon

    static func declineRestart(after delay: Double) -> Scenario {
        var s = Scenario()
        s.dora(alice, xid: 0x1014, at: 0, address: Net.address(100))
        s.decline(alice, xid: 0x1014, at: 1, address: Net.address(100))
        s.dora(alice, xid: 0x2014, at: 1 + delay, address: Net.address(101))
        s.finish()
        return s
    }

    @Test func declineRestartTooSoonFires() throws {
        let s = Self.declineRestart(after: 3)
        #expect(codes(s) == ["decline", "decline-restart-too-soon"])
        let problem = try #require(expectOne(s, .declineRestartTooSoon, .warning, rfc: "2131 3.1"))
        #expect(problem.xid == 0x2014)
        #expect(problem.text.hasPrefix("3"))
    }

    @Test func declineRestartTooSoonSilent() {
        #expect(codes(Self.declineRestart(after: 12)) == ["decline"])
    }

    // MARK: relay-hops

    static func relayHops(fault: Bool) -> Scenario {
        var s = Scenario()
        s.dora(alice, xid: 0x1015, at: 0, address: Net.relayed(100), relay: RelayPath(hops: fault ? 17 : 16))
        s.finish()
        return s
    }

    @Test func relayHopsFires() {
        let s = Self.relayHops(fault: true)
        // The DISCOVER's and the REQUEST's relay legs.
        #expect(codes(s) == ["relay-hops", "relay-hops"])
        for problem in s.problems {
            #expect(problem.severity == .warning && problem.rfc == "1542 4.1.1")
            #expect(problem.text.contains("17"))
        }
    }

    @Test func relayHopsSilent() {
        #expect(codes(Self.relayHops(fault: false)) == [])
    }

    // MARK: giaddr-mismatch

    static func giaddrMismatch(fault: Bool) -> Scenario {
        var s = Scenario()
        let relay = RelayPath()
        var replyRelay = RelayPath()
        if fault { replyRelay.giaddr = Net.relayed(2) }
        s.discover(alice, xid: 0x1017, at: 0, relay: relay)
        s.offer(alice, xid: 0x1017, at: 0.01, yiaddr: Net.relayed(100), relay: relay)
        s.request(alice, xid: 0x1017, at: 0.02, address: Net.relayed(100), relay: relay)
        s.ack(alice, xid: 0x1017, at: 0.03, yiaddr: Net.relayed(100), relay: replyRelay)
        s.finish()
        return s
    }

    @Test func giaddrMismatchFires() throws {
        let s = Self.giaddrMismatch(fault: true)
        #expect(codes(s) == ["giaddr-mismatch"])
        let problem = try #require(expectOne(s, .giaddrMismatch, .error, rfc: "1542 4.1.2"))
        #expect(problem.text.contains("198.18.1.2") && problem.text.contains("198.18.1.1"))
    }

    @Test func giaddrMismatchSilent() {
        #expect(codes(Self.giaddrMismatch(fault: false)) == [])
    }

    // MARK: malformed

    /// DORA whose first DISCOVER is cut to `cut` bytes (the client retransmits it whole 4 s later).
    static func malformed(cut: Int?) -> Scenario {
        var s = Scenario()
        var bytes = Scenario.message(.discover, xid: 0x1018, client: alice,
                                     options: [Opt.parameters([1, 3, 6, 15])]).serialize()
        if let cut { bytes = Array(bytes.prefix(cut)) }
        s.frame(bytes, at: 0, from: (alice.mac, .any, 68), to: (.broadcast, .broadcast, 67))
        s.discover(alice, xid: 0x1018, at: 4)
        s.offer(alice, xid: 0x1018, at: 4.01, yiaddr: Net.address(100))
        s.request(alice, xid: 0x1018, at: 4.02, address: Net.address(100))
        s.ack(alice, xid: 0x1018, at: 4.03, yiaddr: Net.address(100),
              options: [Opt.subnet, Opt.router, Opt.dns, Opt.domain])
        s.finish()
        return s
    }

    @Test func malformedTruncatedHeader() throws {
        let s = Self.malformed(cut: 200)
        // The DHCP analysis of the rest is unaffected: the whole DISCOVER 4 s later opens the transaction.
        #expect(codes(s).contains("malformed"))
        let problem = try #require(expectOne(s, .malformed, .error, rfc: "2131 2"))
        #expect(problem.client == nil)
        #expect(problem.text.contains("truncated-header"))
        #expect(problem.frames.map(\.frame) == [1])
        #expect(s.transactions.map(\.outcome) == [.ack])
    }

    @Test func malformedTruncatedOption() throws {
        // Cut inside option 55 (code at 243, length 4, data from 245): the message still parses (type DISCOVER), with an option-truncated error.
        let s = Self.malformed(cut: 246)
        #expect(codes(s) == ["malformed"])
        let problem = try #require(expectOne(s, .malformed, .error, rfc: "2131 2"))
        #expect(problem.client == alice.key)
        #expect(problem.text.contains("option-truncated"))
    }

    @Test func malformedSilent() {
        #expect(codes(Self.malformed(cut: nil)) == [])
    }

    // MARK: unexpected-transition

    static func unexpectedTransition(fault: Bool) -> Scenario {
        var s = Scenario()
        s.dora(alice, xid: 0x1019, at: 0, address: Net.address(100))
        if fault { s.release(alice, xid: 0x1119, at: 100, ciaddr: Net.address(100)) }
        s.renew(alice, xid: 0x2019, at: 1800, ciaddr: Net.address(100))
        s.ack(alice, xid: 0x2019, at: 1800.01, yiaddr: Net.address(100), ciaddr: Net.address(100))
        s.finish()
        return s
    }

    @Test func unexpectedTransitionFires() throws {
        // A client that released its lease renews it: Figure 5 has no way from RELEASED to RENEWING.
        let s = Self.unexpectedTransition(fault: true)
        #expect(codes(s) == ["unexpected-transition"])
        let problem = try #require(expectOne(s, .unexpectedTransition, .info, rfc: "2131 4.4"))
        #expect(problem.text.contains("RELEASED"))
        let step = try #require(s.transitionReports.first { $0.transition.from == .released })
        #expect(step.transition.to == .renewing)
        #expect(!step.inRFC)
        #expect(s.transitions(alice) == ["INIT>SELECTING", "SELECTING>REQUESTING", "REQUESTING>BOUND",
                                         "BOUND>RELEASED", "RELEASED>RENEWING", "RENEWING>BOUND"])
    }

    @Test func unexpectedTransitionSilent() {
        let s = Self.unexpectedTransition(fault: false)
        #expect(codes(s) == [])
        #expect(s.transitionReports.allSatisfy { $0.inRFC })
    }

    // MARK: transaction-cap

    static func transactionCap(maximum: Int) -> Scenario {
        var s = Scenario { $0.maximumTransactions = maximum }
        for number in 1...5 { s.discover(Client(UInt8(number)), xid: 0x1020 + UInt32(number), at: Double(number)) }
        s.finish()
        return s
    }

    @Test func transactionCapFires() throws {
        let s = Self.transactionCap(maximum: 3)
        #expect(s.problems(.transactionCap).count == 1)
        let problem = try #require(expectOne(s, .transactionCap, .warning, rfc: nil))
        #expect(problem.text.contains("3"))
        #expect(s.analyzer.evictedTransactions == 2)
        // Every DISCOVER still ends as a transaction, evicted or not.
        #expect(s.transactions.count == 5)
        #expect(s.problems(.discoverUnanswered).count == 5)
    }

    @Test func transactionCapSilent() {
        let s = Self.transactionCap(maximum: 5)
        #expect(s.problems(.transactionCap).isEmpty)
        #expect(s.analyzer.evictedTransactions == 0)
        #expect(s.transactions.count == 5)
        #expect(codes(s) == Array(repeating: "discover-unanswered", count: 5))
    }

    // MARK: client-cap

    /// 20 clients bound one after another under a cap of 8: the least recently seen are forgotten in batches (an
    /// eighth of the cap at a time), the newest stay, every lease stays.
    @Test func clientCapFires() throws {
        var s = Scenario { $0.maximumClients = 8 }
        for number in 1...20 { s.dora(Client(UInt8(number)), xid: 0x2000 + UInt32(number), at: Double(number), address: Net.address(UInt8(100 + number))) }
        s.finish()
        #expect(s.problems(.clientCap).count == 1)
        let problem = try #require(expectOne(s, .clientCap, .warning, rfc: nil))
        #expect(problem.text.contains("8"))
        #expect(s.analyzer.clientCount <= 8)
        #expect(s.analyzer.evictedClients == 20 - s.analyzer.clientCount)
        let kept = Set(s.analyzer.clientTable.map(\.client))
        #expect(kept.contains(Client(20).key) && !kept.contains(Client(1).key))
        #expect(s.analyzer.clientTable.allSatisfy { $0.state == .bound })
        #expect(s.analyzer.leaseCount == 20)
    }

    @Test func clientCapSilent() {
        var s = Scenario { $0.maximumClients = 20 }
        for number in 1...20 { s.dora(Client(UInt8(number)), xid: 0x2000 + UInt32(number), at: Double(number), address: Net.address(UInt8(100 + number))) }
        s.finish()
        #expect(s.problems(.clientCap).isEmpty)
        #expect(s.analyzer.evictedClients == 0)
        #expect(s.analyzer.clientCount == 20)
    }

    @Test("Every Problem.Code the analyzer emits is covered here")
    func allCodesCovered() {
        let covered: Set<String> = [
            "discover-unanswered", "offer-not-acked", "request-unanswered", "nak", "multiple-servers",
            "unexpected-server", "ack-address-mismatch", "server-id-missing", "server-id-changed",
            "lease-time-missing", "bad-timers", "renew-timing", "retransmission-timing", "xid-reused",
            "broadcast-ignored", "parameters-not-supplied", "address-conflict", "decline", "missing-address",
            "decline-restart-too-soon",
            "relay-hops", "giaddr-mismatch", "malformed", "unexpected-transition", "transaction-cap",
            "client-cap",
        ]
        let all: [Problem.Code] = [
            .discoverUnanswered, .offerNotAcked, .requestUnanswered, .nak, .multipleServers, .unexpectedServer,
            .ackAddressMismatch, .serverIDMissing, .serverIDChanged, .leaseTimeMissing, .badTimers, .renewTiming,
            .retransmissionTiming, .xidReused, .broadcastIgnored, .parametersNotSupplied, .addressConflict, .decline,
            .missingAddress,
            .declineRestartTooSoon, .relayHops, .giaddrMismatch, .malformed, .unexpectedTransition, .transactionCap,
            .clientCap,
        ]
        #expect(Set(all.map(\.rawValue)) == covered)
    }
}
