import DHCPv6Core
import DHCPv6Protocol
import Testing

/// RFC 8415's shared rules: §7.6/§15 retransmission, §21.13 names, §21.4/§21.6 lifetimes, §18 client steps.
@Suite("RFC 8415 rules")
struct ProtocolTests {
    @Test("§15: the first RT is IRT ± 10 % (SOLICIT's strictly above IRT), each next 2·RT ± 10 %, capped near MRT")
    func retransmission() throws {
        let solicit = try #require(DHCPv6Retransmission.of(.solicit))
        #expect(solicit.range(after: nil, solicit: true) == 1...1.1)
        #expect(solicit.range(after: 1) == 1.9...2.1)
        let capped = solicit.range(after: 3000)
        #expect(abs(capped.lowerBound - 3240) < 1e-9 && abs(capped.upperBound - 3960) < 1e-9, "capped at SOL_MAX_RT 3600 ± 10 %")
        let request = try #require(DHCPv6Retransmission.of(.request))
        #expect(request.range(after: nil) == 0.9...1.1 && request.count == 10 && request.maximum == 30)
        #expect(DHCPv6Retransmission.of(.renew)?.initial == 10 && DHCPv6Retransmission.of(.release)?.count == 4)
        #expect(DHCPv6Retransmission.of(.reply) == nil)
    }

    @Test("Status names in kebab case; transaction kinds by the message that opens them")
    func names() {
        #expect(DHCPv6Status.kebabName(2) == "no-addrs-avail" && DHCPv6Status.kebabName(5) == "use-multicast")
        #expect(DHCPv6Status.kebabName(99) == "99")
        #expect(DHCPv6TransactionKind(opening: .informationRequest) == .informationRequest)
        #expect(DHCPv6TransactionKind(opening: .reply) == nil && DHCPv6TransactionKind(opening: .relayForward) == nil)
        #expect(DHCPv6MessageType.advertise.isFromServer && !DHCPv6MessageType.solicit.isFromServer)
    }

    @Test("Lifetimes: T1 > T2 and preferred > valid are discarded by the client; T2 past the preferred lifetime is advice")
    func lifetimes() {
        #expect(DHCPv6Lifetimes.check(t1: 20, t2: 10, shortestPreferred: 100, prefixes: false).map(\.discarded) == [true])
        #expect(DHCPv6Lifetimes.check(t1: 0, t2: 10, shortestPreferred: 100, prefixes: false).isEmpty, "0 lets the client choose")
        #expect(DHCPv6Lifetimes.check(t1: 50, t2: 150, shortestPreferred: 100, prefixes: true).map(\.rfc) == ["8415 21.21"])
        #expect(DHCPv6Lifetimes.check(t1: 50, t2: 150, shortestPreferred: nil, prefixes: true).isEmpty, "no lease to compare")
        #expect(DHCPv6Lifetimes.check(preferred: 10, valid: 5, prefix: false)?.rfc == "8415 21.6")
        #expect(DHCPv6Lifetimes.check(preferred: 5, valid: 5, prefix: true) == nil)
    }

    @Test("§18: SARR, renew, rebind, release; rapid commit binds from SELECTING; a REPLY in BOUND changes nothing")
    func machine() {
        var machine = DHCPv6ClientStateMachine()
        let path: [DHCPv6ClientEvent] = [.sendSolicit, .receiveAdvertise, .sendRequest, .receiveBindings, .sendRenew,
                                         .sendRebind, .receiveBindings, .sendRelease]
        let states = path.map { event -> DHCPv6ClientState in
            _ = machine.apply(event)
            return machine.state
        }
        #expect(states == [.selecting, .selecting, .requesting, .bound, .renewing, .rebinding, .bound, .released])
        var rapid = DHCPv6ClientStateMachine()
        _ = rapid.apply(.sendSolicit)
        #expect(rapid.apply(.receiveBindings)?.to == .bound)
        #expect(rapid.apply(.receiveBindings) == nil && rapid.state == .bound)
        #expect(DHCPv6ClientStateMachine.stateAfter(.sendRebind) == .rebinding)
    }
}
