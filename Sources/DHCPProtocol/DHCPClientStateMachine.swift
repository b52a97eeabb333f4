/// RFC 2131 Figure 5 as data: the one definition of a client's states and transitions. `analyse` replays observed
/// messages through it; the client roles (mock-client, perf, probe) drive it for real.
public struct DHCPClientStateMachine: Hashable, Sendable {
    public private(set) var state: DHCPClientState

    public init(state: DHCPClientState = .initial) { self.state = state }

    struct Arrow {
        let from: Set<DHCPClientState>
        let event: DHCPClientEvent
        let to: DHCPClientState
        let rfc: String
    }

    /// Every arrow of Figure 5 (and the RELEASE / INFORM paths of §4.4.6 and §3.4), as (from, event) → to.
    /// Self-loops that only discard a message (an OFFER in BOUND …) are not arrows: they change nothing.
    static let arrows: [Arrow] = [
        Arrow(from: [.initial], event: .sendDiscover, to: .selecting, rfc: "2131 4.4.1"),
        Arrow(from: [.selecting], event: .sendDiscover, to: .selecting, rfc: "2131 4.1"),
        Arrow(from: [.selecting], event: .sendRequest(.selecting), to: .requesting, rfc: "2131 4.4.1"),
        Arrow(from: [.requesting], event: .sendRequest(.selecting), to: .requesting, rfc: "2131 4.1"),
        Arrow(from: [.requesting, .rebooting, .renewing, .rebinding], event: .receiveAck, to: .bound, rfc: "2131 4.4.1"),
        Arrow(from: [.requesting, .rebooting, .renewing, .rebinding], event: .receiveNak, to: .initial, rfc: "2131 4.4.1"),
        Arrow(from: [.requesting, .rebooting, .bound], event: .sendDecline, to: .initial, rfc: "2131 4.4.1"),
        Arrow(from: [.initial, .selecting, .requesting, .bound, .renewing, .rebinding, .rebooting, .released, .informed],
              event: .reboot, to: .initReboot, rfc: "2131 4.4.2"),
        Arrow(from: [.selecting, .requesting, .bound, .renewing, .rebinding, .initReboot, .rebooting, .released, .informed],
              event: .restart, to: .initial, rfc: "2131 4.4.1"),
        Arrow(from: [.initReboot], event: .sendRequest(.initReboot), to: .rebooting, rfc: "2131 4.4.2"),
        Arrow(from: [.rebooting], event: .sendRequest(.initReboot), to: .rebooting, rfc: "2131 4.1"),
        Arrow(from: [.bound], event: .t1Expired, to: .renewing, rfc: "2131 4.4.5"),
        Arrow(from: [.renewing], event: .sendRequest(.renewing), to: .renewing, rfc: "2131 4.4.5"),
        Arrow(from: [.renewing], event: .t2Expired, to: .rebinding, rfc: "2131 4.4.5"),
        Arrow(from: [.rebinding], event: .sendRequest(.rebinding), to: .rebinding, rfc: "2131 4.4.5"),
        Arrow(from: [.renewing, .rebinding], event: .leaseExpired, to: .initial, rfc: "2131 4.4.5"),
        Arrow(from: [.bound, .renewing, .rebinding], event: .sendRelease, to: .released, rfc: "2131 4.4.6"),
        // §4.4.3 / §3.4: INFORM is for a client configured by other means; a client holding a lease that also
        // asks INFORM (for more options) keeps its lease and stays where it is (see isIgnored).
        Arrow(from: [.initial, .informed], event: .sendInform, to: .informed, rfc: "2131 4.4.3"),
    ]

    /// The arrow for `event` from `state`, nil when Figure 5 has none: looked up in a table indexed by state and
    /// event, made once from `arrows`.
    public static func transition(from state: DHCPClientState, on event: DHCPClientEvent) -> DHCPClientTransition? {
        steps[cell(state, event)]
    }

    /// The first arrow of `arrows` for each (state, event).
    private static func arrow(from state: DHCPClientState, on event: DHCPClientEvent) -> DHCPClientTransition? {
        guard let arrow = arrows.first(where: { $0.event == event && $0.from.contains(state) }) else { return nil }
        return DHCPClientTransition(from: state, to: arrow.to, event: event, rfc: arrow.rfc)
    }

    private static func cell(_ state: DHCPClientState, _ event: DHCPClientEvent) -> Int {
        state.index * DHCPClientEvent.all.count + event.index
    }

    /// `transition(from:on:)` of every state and event.
    private static let steps: [DHCPClientTransition?] = DHCPClientState.allCases.flatMap { state in
        DHCPClientEvent.all.map { arrow(from: state, on: $0) }
    }

    /// `path(from:to:)` of every state and event.
    private static let paths: [[DHCPClientTransition]] = DHCPClientState.allCases.flatMap { state in
        DHCPClientEvent.all.map { search(from: state, to: $0) }
    }

    /// Whether `event` changes nothing in `state` (a message the RFC says to discard, a duplicate).
    public static func isIgnored(_ event: DHCPClientEvent, in state: DHCPClientState) -> Bool {
        switch (event, state) {
        case (.receiveOffer, _): state != .initial && state != .unknown
        case (.receiveAck, .bound), (.receiveNak, .bound), (.receiveAck, .initial), (.receiveNak, .initial),
             (.receiveAck, .informed), (.receiveAck, .selecting), (.receiveNak, .selecting), (.receiveAck, .released),
             (.receiveNak, .released), (.sendInform, .bound), (.sendInform, .renewing), (.sendInform, .rebinding):
            true
        default: false
        }
    }

    /// Applies `event`: the transition Figure 5 draws, or nil when it draws none (state unchanged).
    public mutating func apply(_ event: DHCPClientEvent) -> DHCPClientTransition? {
        guard let transition = Self.transition(from: state, on: event) else { return nil }
        state = transition.to
        return transition
    }

    /// The states the client passes through to make sense of `event` when it is seen without the steps before it
    /// (a client first seen mid-life, or whose earlier messages were not captured): the path through Figure 5
    /// from `state` that ends with `event`, shortest first. Empty when no path exists.
    public static func path(from state: DHCPClientState, to event: DHCPClientEvent) -> [DHCPClientTransition] {
        paths[cell(state, event)]
    }

    /// The breadth-first search behind `path(from:to:)`, run once for each state and event.
    private static func search(from state: DHCPClientState, to event: DHCPClientEvent) -> [DHCPClientTransition] {
        if let direct = transition(from: state, on: event) { return [direct] }
        // Implicit steps a capture cannot show: timers, and a client giving up on where it was.
        let implicit: [DHCPClientEvent] = [.restart, .reboot, .t1Expired, .t2Expired, .leaseExpired]
        var frontier: [(DHCPClientState, [DHCPClientTransition])] = [(state, [])]
        var seen: Set<DHCPClientState> = [state]
        while !frontier.isEmpty {
            var next = [(DHCPClientState, [DHCPClientTransition])]()
            for (current, steps) in frontier {
                for step in implicit {
                    guard let arrow = transition(from: current, on: step), !seen.contains(arrow.to) else { continue }
                    let path = steps + [arrow]
                    if let final = transition(from: arrow.to, on: event) { return path + [final] }
                    seen.insert(arrow.to)
                    next.append((arrow.to, path))
                }
            }
            frontier = next
        }
        return []
    }

    /// Where a client first seen with `event` begins: INIT or INIT-REBOOT when the event starts an exchange
    /// (the RFC's entry states), UNKNOWN when it is seen mid-exchange.
    public static func initialState(before event: DHCPClientEvent) -> DHCPClientState {
        switch event {
        case .sendDiscover, .sendInform: .initial
        case .sendRequest(.initReboot): .initReboot
        default: .unknown
        }
    }

    /// The state a client in UNKNOWN is in after `event`: what the event tells of where it must be.
    public static func stateAfter(_ event: DHCPClientEvent) -> DHCPClientState {
        switch event {
        case .sendDiscover, .receiveOffer: .selecting
        case .sendRequest(.selecting): .requesting
        case .sendRequest(.initReboot): .rebooting
        case .sendRequest(.renewing), .t1Expired: .renewing
        case .sendRequest(.rebinding), .t2Expired: .rebinding
        case .receiveAck: .bound
        case .receiveNak, .sendDecline, .leaseExpired, .restart: .initial
        case .sendRelease: .released
        case .sendInform: .informed
        case .reboot: .initReboot
        }
    }

    /// Moves to `state` without an arrow: for analysing a capture only — a client first seen mid-life (UNKNOWN),
    /// or a step the capture does not show, which the analyzer reports. A client role never calls it: its machine
    /// moves only along arrows.
    public mutating func force(_ state: DHCPClientState) { self.state = state }
}
