import DHCPProtocol
import Testing

/// Every event the machine knows, for exhaustive state × event sweeps.
let allEvents: [DHCPClientEvent] = [
    .sendDiscover, .receiveOffer, .sendRequest(.selecting), .sendRequest(.initReboot), .sendRequest(.renewing),
    .sendRequest(.rebinding), .receiveAck, .receiveNak, .sendDecline, .sendRelease, .sendInform, .reboot, .restart,
    .t1Expired, .t2Expired, .leaseExpired,
]

/// One arrow: from, event → to, and the RFC 2131 section that draws it.
struct Arrow: CustomTestStringConvertible, Sendable {
    let from: DHCPClientState
    let event: DHCPClientEvent
    let to: DHCPClientState
    let rfc: String
    var testDescription: String { "\(from.rawValue) --\(event)--> \(to.rawValue) [RFC \(rfc)]" }
}

/// RFC 2131 Figure 5, written out arrow by arrow from the figure and the text of §4.4, independently of the
/// machine's own table. The RELEASE (§4.4.6) and INFORM (§4.4.3) paths and the implicit restart / reboot steps
/// (§4.4.1, §4.4.2) are the ones dhcpscope(1) adds.
let figure5: [Arrow] = {
    var arrows: [Arrow] = [
        // §4.4.1: INIT -/Send DHCPDISCOVER-> SELECTING; retransmitting DISCOVER stays in SELECTING (§4.1).
        Arrow(from: .initial, event: .sendDiscover, to: .selecting, rfc: "2131 4.4.1"),
        Arrow(from: .selecting, event: .sendDiscover, to: .selecting, rfc: "2131 4.1"),
        // §4.4.1: SELECTING -Select offer/send DHCPREQUEST-> REQUESTING; a retransmitted REQUEST stays (§4.1).
        Arrow(from: .selecting, event: .sendRequest(.selecting), to: .requesting, rfc: "2131 4.4.1"),
        Arrow(from: .requesting, event: .sendRequest(.selecting), to: .requesting, rfc: "2131 4.1"),
        // §4.4.2: INIT-REBOOT -/Send DHCPREQUEST-> REBOOTING; retransmission stays (§4.1).
        Arrow(from: .initReboot, event: .sendRequest(.initReboot), to: .rebooting, rfc: "2131 4.4.2"),
        Arrow(from: .rebooting, event: .sendRequest(.initReboot), to: .rebooting, rfc: "2131 4.1"),
        // §4.4.5: BOUND -T1 expires-> RENEWING -T2 expires-> REBINDING; their REQUESTs keep the state.
        Arrow(from: .bound, event: .t1Expired, to: .renewing, rfc: "2131 4.4.5"),
        Arrow(from: .renewing, event: .sendRequest(.renewing), to: .renewing, rfc: "2131 4.4.5"),
        Arrow(from: .renewing, event: .t2Expired, to: .rebinding, rfc: "2131 4.4.5"),
        Arrow(from: .rebinding, event: .sendRequest(.rebinding), to: .rebinding, rfc: "2131 4.4.5"),
        // §4.4.5: lease expired / halt network -> INIT.
        Arrow(from: .renewing, event: .leaseExpired, to: .initial, rfc: "2131 4.4.5"),
        Arrow(from: .rebinding, event: .leaseExpired, to: .initial, rfc: "2131 4.4.5"),
    ]
    // DHCPACK / record lease, set timers -> BOUND; DHCPNAK -> INIT (Figure 5, §4.4.1).
    for from in [DHCPClientState.requesting, .rebooting, .renewing, .rebinding] {
        arrows.append(Arrow(from: from, event: .receiveAck, to: .bound, rfc: "2131 4.4.1"))
        arrows.append(Arrow(from: from, event: .receiveNak, to: .initial, rfc: "2131 4.4.1"))
    }
    // DHCPACK (not accept.) / send DHCPDECLINE -> INIT (§4.4.1; the ARP check may come after binding).
    for from in [DHCPClientState.requesting, .rebooting, .bound] {
        arrows.append(Arrow(from: from, event: .sendDecline, to: .initial, rfc: "2131 4.4.1"))
    }
    // §4.4.6: DHCPRELEASE gives the lease up.
    for from in [DHCPClientState.bound, .renewing, .rebinding] {
        arrows.append(Arrow(from: from, event: .sendRelease, to: .released, rfc: "2131 4.4.6"))
    }
    // §4.4.3, §3.4: DHCPINFORM from a client configured by other means. A client holding a lease that asks
    // INFORM keeps it: no arrow (see the ignored events).
    for from in [DHCPClientState.initial, .informed] {
        arrows.append(Arrow(from: from, event: .sendInform, to: .informed, rfc: "2131 4.4.3"))
    }
    // §4.4.2: restarting with a remembered address.
    for from in [DHCPClientState.initial, .selecting, .requesting, .bound, .renewing, .rebinding, .rebooting, .released,
                 .informed] {
        arrows.append(Arrow(from: from, event: .reboot, to: .initReboot, rfc: "2131 4.4.2"))
    }
    // §4.4.1: starting again from INIT.
    for from in [DHCPClientState.selecting, .requesting, .bound, .renewing, .rebinding, .initReboot, .rebooting,
                 .released, .informed] {
        arrows.append(Arrow(from: from, event: .restart, to: .initial, rfc: "2131 4.4.1"))
    }
    return arrows
}()

/// A state and an event Figure 5 draws no arrow for.
struct NoArrow: CustomTestStringConvertible, Sendable {
    let state: DHCPClientState
    let event: DHCPClientEvent
    var testDescription: String { "\(state.rawValue) + \(event)" }
}

let noArrows: [NoArrow] = DHCPClientState.allCases.flatMap { state in
    allEvents.filter { event in !figure5.contains { $0.from == state && $0.event == event } }
        .map { NoArrow(state: state, event: $0) }
}

@Suite("RFC 2131 Figure 5: the client state machine")
struct ClientStateMachineTests {
    @Test("Every arrow of Figure 5", arguments: figure5)
    func arrow(_ arrow: Arrow) throws {
        let transition = try #require(DHCPClientStateMachine.transition(from: arrow.from, on: arrow.event))
        #expect(transition == DHCPClientTransition(from: arrow.from, to: arrow.to, event: arrow.event, rfc: arrow.rfc))
        var machine = DHCPClientStateMachine(state: arrow.from)
        #expect(machine.apply(arrow.event) == transition)
        #expect(machine.state == arrow.to)
        #expect(!DHCPClientStateMachine.isIgnored(arrow.event, in: arrow.from))
    }

    @Test("The table has no arrow the figure lacks")
    func tableSize() {
        #expect(figure5.count == 46)
        #expect(noArrows.count == DHCPClientState.allCases.count * allEvents.count - figure5.count)
        // No arrow is listed twice (one state, one event, one destination).
        let pairs = Set(figure5.map { "\($0.from.rawValue)|\($0.event)" })
        #expect(pairs.count == figure5.count)
    }

    @Test("No arrow: nil, state unchanged", arguments: noArrows)
    func noArrow(_ case: NoArrow) {
        #expect(DHCPClientStateMachine.transition(from: `case`.state, on: `case`.event) == nil)
        var machine = DHCPClientStateMachine(state: `case`.state)
        #expect(machine.apply(`case`.event) == nil)
        #expect(machine.state == `case`.state)
    }

    @Test("UNKNOWN has no arrows at all: it is left only by force")
    func unknownHasNoArrows() {
        for event in allEvents {
            #expect(DHCPClientStateMachine.transition(from: .unknown, on: event) == nil)
        }
        var machine = DHCPClientStateMachine(state: .unknown)
        machine.force(.bound)
        #expect(machine.state == .bound)
        #expect(DHCPClientStateMachine().state == .initial)
    }

    @Test("Messages Figure 5 discards (self-loops that change nothing)")
    func ignored() {
        // DHCPOFFER / collect replies (SELECTING), DHCPOFFER / discard (REQUESTING), DHCPOFFER, DHCPACK,
        // DHCPNAK / discard (BOUND): Figure 5; late replies in INIT, RELEASED, INFORMED (§4.4.1, §4.4.6, §4.4.3);
        // an INFORM from a client holding a lease (§3.4: it keeps the lease).
        let expected: Set<String> = [
            "SELECTING|received OFFER", "REQUESTING|received OFFER", "BOUND|received OFFER",
            "RENEWING|received OFFER", "REBINDING|received OFFER", "INIT-REBOOT|received OFFER",
            "REBOOTING|received OFFER", "RELEASED|received OFFER", "INFORMED|received OFFER",
            "BOUND|received ACK", "BOUND|received NAK", "INIT|received ACK", "INIT|received NAK",
            "INFORMED|received ACK", "SELECTING|received ACK", "SELECTING|received NAK",
            "RELEASED|received ACK", "RELEASED|received NAK",
            "BOUND|sent INFORM", "RENEWING|sent INFORM", "REBINDING|sent INFORM",
        ]
        var found = Set<String>()
        for state in DHCPClientState.allCases {
            for event in allEvents where DHCPClientStateMachine.isIgnored(event, in: state) {
                found.insert("\(state.rawValue)|\(event)")
            }
        }
        #expect(found == expected)
        // An ignored event never also has an arrow.
        for arrow in figure5 { #expect(!DHCPClientStateMachine.isIgnored(arrow.event, in: arrow.from)) }
    }

    /// (from, event, the expected path as (from, to, event) steps).
    struct PathCase: CustomTestStringConvertible, Sendable {
        let from: DHCPClientState
        let event: DHCPClientEvent
        let steps: [(DHCPClientState, DHCPClientState, DHCPClientEvent)]
        let why: String
        var testDescription: String { "\(from.rawValue) + \(event): \(why)" }
    }

    static let pathCases: [PathCase] = [
        PathCase(from: .bound, event: .sendRequest(.renewing),
                 steps: [(.bound, .renewing, .t1Expired), (.renewing, .renewing, .sendRequest(.renewing))],
                 why: "T1 expired unseen (2131 4.4.5)"),
        PathCase(from: .bound, event: .sendRequest(.rebinding),
                 steps: [(.bound, .renewing, .t1Expired), (.renewing, .rebinding, .t2Expired),
                         (.rebinding, .rebinding, .sendRequest(.rebinding))],
                 why: "T1 then T2 expired unseen (2131 4.4.5)"),
        PathCase(from: .bound, event: .sendDiscover,
                 steps: [(.bound, .initial, .restart), (.initial, .selecting, .sendDiscover)],
                 why: "the client gave up its lease and restarted (2131 4.4.1)"),
        PathCase(from: .initial, event: .sendRequest(.initReboot),
                 steps: [(.initial, .initReboot, .reboot), (.initReboot, .rebooting, .sendRequest(.initReboot))],
                 why: "rebooted remembering an address (2131 4.4.2)"),
        PathCase(from: .renewing, event: .sendRequest(.rebinding),
                 steps: [(.renewing, .rebinding, .t2Expired), (.rebinding, .rebinding, .sendRequest(.rebinding))],
                 why: "T2 expired unseen (2131 4.4.5)"),
        PathCase(from: .released, event: .sendDiscover,
                 steps: [(.released, .initial, .restart), (.initial, .selecting, .sendDiscover)],
                 why: "starts again after RELEASE (2131 4.4.6)"),
        PathCase(from: .selecting, event: .sendRequest(.initReboot),
                 steps: [(.selecting, .initReboot, .reboot), (.initReboot, .rebooting, .sendRequest(.initReboot))],
                 why: "rebooted mid-DISCOVER (2131 4.4.2)"),
        PathCase(from: .selecting, event: .receiveAck,
                 steps: [], why: "no path: ACK without a REQUEST"),
        PathCase(from: .released, event: .sendRequest(.renewing),
                 steps: [], why: "no path: a released client renewing"),
        PathCase(from: .initial, event: .receiveOffer,
                 steps: [], why: "no arrow of Figure 5 receives an OFFER"),
    ]

    @Test("path(from:to:) infers the steps a capture cannot show", arguments: pathCases)
    func path(_ c: PathCase) {
        let path = DHCPClientStateMachine.path(from: c.from, to: c.event)
        #expect(path.map(\.from) == c.steps.map(\.0))
        #expect(path.map(\.to) == c.steps.map(\.1))
        #expect(path.map(\.event) == c.steps.map(\.2))
        // Every step is a real arrow, and the steps chain.
        for (index, step) in path.enumerated() {
            #expect(DHCPClientStateMachine.transition(from: step.from, on: step.event) == step)
            if index > 0 { #expect(path[index - 1].to == step.from) }
        }
    }

    @Test("path(from:to:) is the direct arrow when there is one", arguments: figure5)
    func directPath(_ arrow: Arrow) {
        let path = DHCPClientStateMachine.path(from: arrow.from, to: arrow.event)
        #expect(path.count == 1)
        #expect(path.first?.to == arrow.to)
    }

    @Test("initialState(before:): INIT or INIT-REBOOT for events that start an exchange, else UNKNOWN")
    func initialState() {
        let expected: [(DHCPClientEvent, DHCPClientState)] = [
            (.sendDiscover, .initial), // §4.4.1: DISCOVER is sent from INIT
            (.sendInform, .initial), // §4.4.3: INFORM needs no lease
            (.sendRequest(.initReboot), .initReboot), // §4.4.2
            (.sendRequest(.selecting), .unknown), (.sendRequest(.renewing), .unknown),
            (.sendRequest(.rebinding), .unknown), (.receiveOffer, .unknown), (.receiveAck, .unknown),
            (.receiveNak, .unknown), (.sendDecline, .unknown), (.sendRelease, .unknown), (.reboot, .unknown),
            (.restart, .unknown), (.t1Expired, .unknown), (.t2Expired, .unknown), (.leaseExpired, .unknown),
        ]
        #expect(expected.count == allEvents.count)
        for (event, state) in expected {
            #expect(DHCPClientStateMachine.initialState(before: event) == state, "\(event)")
        }
    }

    @Test("stateAfter(_:): where an event leaves a client first seen mid-life")
    func stateAfter() {
        let expected: [(DHCPClientEvent, DHCPClientState)] = [
            (.sendDiscover, .selecting), (.receiveOffer, .selecting), (.sendRequest(.selecting), .requesting),
            (.sendRequest(.initReboot), .rebooting), (.sendRequest(.renewing), .renewing), (.t1Expired, .renewing),
            (.sendRequest(.rebinding), .rebinding), (.t2Expired, .rebinding), (.receiveAck, .bound),
            (.receiveNak, .initial), (.sendDecline, .initial), (.leaseExpired, .initial), (.restart, .initial),
            (.sendRelease, .released), (.sendInform, .informed), (.reboot, .initReboot),
        ]
        #expect(expected.count == allEvents.count)
        for (event, state) in expected {
            #expect(DHCPClientStateMachine.stateAfter(event) == state, "\(event)")
        }
        // Agrees with Figure 5 wherever the event has an arrow into a single state.
        for event in allEvents {
            let targets = Set(figure5.filter { $0.event == event && $0.from != $0.to }.map(\.to))
            if targets.count == 1 { #expect(targets.first == DHCPClientStateMachine.stateAfter(event), "\(event)") }
        }
    }

    @Test("State names are RFC 2131's")
    func names() {
        #expect(DHCPClientState.allCases.map(\.rawValue) == [
            "INIT", "SELECTING", "REQUESTING", "BOUND", "RENEWING", "REBINDING", "INIT-REBOOT", "REBOOTING",
            "UNKNOWN", "RELEASED", "INFORMED",
        ])
        #expect(Set(DHCPClientState.allCases.filter(\.holdsLease)) == [.bound, .renewing, .rebinding])
    }

    @Test("A whole life: DORA, renew, rebind, NAK, reboot, release")
    func wholeLife() {
        var machine = DHCPClientStateMachine()
        let events: [DHCPClientEvent] = [
            .sendDiscover, .sendDiscover, .sendRequest(.selecting), .receiveAck, .t1Expired, .sendRequest(.renewing),
            .t2Expired, .sendRequest(.rebinding), .receiveAck, .reboot, .sendRequest(.initReboot), .receiveNak,
            .sendDiscover, .sendRequest(.selecting), .receiveAck, .sendRelease,
        ]
        var states = [machine.state]
        for event in events {
            #expect(machine.apply(event) != nil, "\(event) from \(machine.state.rawValue)")
            states.append(machine.state)
        }
        #expect(states.map(\.rawValue) == [
            "INIT", "SELECTING", "SELECTING", "REQUESTING", "BOUND", "RENEWING", "RENEWING", "REBINDING", "REBINDING",
            "BOUND", "INIT-REBOOT", "REBOOTING", "INIT", "SELECTING", "REQUESTING", "BOUND", "RELEASED",
        ])
    }
}
