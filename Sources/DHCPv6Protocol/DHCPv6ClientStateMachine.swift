/// A DHCPv6 client's state (RFC 8415 §18), named like the DHCPv4 states where the RFCs mean the same: INIT, then
/// SELECTING while it solicits, REQUESTING, BOUND, RENEWING, REBINDING; CONFIRMING after a link change;
/// RELEASED, INFORMED (stateless: INFORMATION-REQUEST only); UNKNOWN for a client first seen mid-life.
public enum DHCPv6ClientState: String, Hashable, Sendable, CaseIterable {
    case initial = "INIT"
    case selecting = "SELECTING"
    case requesting = "REQUESTING"
    case bound = "BOUND"
    case renewing = "RENEWING"
    case rebinding = "REBINDING"
    case confirming = "CONFIRMING"
    case released = "RELEASED"
    case informed = "INFORMED"
    case unknown = "UNKNOWN"

    /// States in which the client holds leases.
    public var holdsLeases: Bool { self == .bound || self == .renewing || self == .rebinding || self == .confirming }
}

/// What moves a DHCPv6 client: what it sends, what the REPLY it gets says, its timers.
public enum DHCPv6ClientEvent: Hashable, Sendable, CustomStringConvertible {
    case sendSolicit, receiveAdvertise, sendRequest, sendRenew, sendRebind, sendConfirm, sendRelease, sendDecline
    case sendInformationRequest
    /// A REPLY that gives the client leases (an IA with addresses or prefixes whose valid lifetime is not 0).
    case receiveBindings
    /// A REPLY whose IAs give nothing (NoAddrsAvail, NoPrefixAvail, NoBinding).
    case receiveNoBindings
    /// A REPLY of Success without leases: to CONFIRM (the addresses are still on link), RELEASE, DECLINE or
    /// INFORMATION-REQUEST.
    case receiveSuccess
    /// A REPLY of NotOnLink to CONFIRM or REQUEST.
    case receiveNotOnLink
    /// Every valid lifetime ran out (§18.2.5: the client stops using its addresses).
    case validLifetimesExpired

    public var description: String {
        switch self {
        case .sendSolicit: "sent SOLICIT"
        case .receiveAdvertise: "received ADVERTISE"
        case .sendRequest: "sent REQUEST"
        case .sendRenew: "sent RENEW"
        case .sendRebind: "sent REBIND"
        case .sendConfirm: "sent CONFIRM"
        case .sendRelease: "sent RELEASE"
        case .sendDecline: "sent DECLINE"
        case .sendInformationRequest: "sent INFORMATION-REQUEST"
        case .receiveBindings: "received REPLY with leases"
        case .receiveNoBindings: "received REPLY without leases"
        case .receiveSuccess: "received REPLY (Success)"
        case .receiveNotOnLink: "received REPLY (NotOnLink)"
        case .validLifetimesExpired: "valid lifetimes expired"
        }
    }
}

/// One step of a DHCPv6 client, and the clause of RFC 8415 that makes it.
public struct DHCPv6ClientTransition: Hashable, Sendable {
    public var from: DHCPv6ClientState
    public var to: DHCPv6ClientState
    public var event: DHCPv6ClientEvent
    public var rfc: String

    public init(from: DHCPv6ClientState, to: DHCPv6ClientState, event: DHCPv6ClientEvent, rfc: String) {
        self.from = from; self.to = to; self.event = event; self.rfc = rfc
    }
}

/// RFC 8415 §18's client behaviour as data: the one definition of a DHCPv6 client's states and steps. `analyse`
/// replays observed messages through it; the DHCPv6 client roles will drive it.
public struct DHCPv6ClientStateMachine: Hashable, Sendable {
    public private(set) var state: DHCPv6ClientState

    public init(state: DHCPv6ClientState = .initial) { self.state = state }

    private struct Arrow {
        let from: Set<DHCPv6ClientState>
        let event: DHCPv6ClientEvent
        let to: DHCPv6ClientState
        let rfc: String
    }

    private static let everywhere = Set(DHCPv6ClientState.allCases)

    /// Each arrow: the first whose `from` holds the state is taken. Retransmissions are arrows to the same state.
    private static let arrows: [Arrow] = [
        // A client solicits whenever it needs leases: at start, after losing them, or starting over (§18.2.1).
        Arrow(from: everywhere, event: .sendSolicit, to: .selecting, rfc: "8415 18.2.1"),
        Arrow(from: [.selecting, .requesting], event: .sendRequest, to: .requesting, rfc: "8415 18.2.2"),
        Arrow(from: [.bound, .renewing], event: .sendRenew, to: .renewing, rfc: "8415 18.2.4"),
        Arrow(from: [.renewing, .rebinding, .bound], event: .sendRebind, to: .rebinding, rfc: "8415 18.2.5"),
        Arrow(from: [.initial, .bound, .renewing, .rebinding, .released, .informed, .confirming], event: .sendConfirm,
              to: .confirming, rfc: "8415 18.2.3"),
        Arrow(from: [.bound, .renewing, .rebinding, .confirming, .released], event: .sendRelease, to: .released,
              rfc: "8415 18.2.7"),
        Arrow(from: [.requesting, .bound, .renewing, .rebinding, .confirming], event: .sendDecline, to: .initial,
              rfc: "8415 18.2.8"),
        Arrow(from: [.initial, .informed, .released], event: .sendInformationRequest, to: .informed, rfc: "8415 18.2.6"),
        // Rapid commit (§18.2.1) binds from SELECTING.
        Arrow(from: [.selecting, .requesting, .renewing, .rebinding, .confirming], event: .receiveBindings, to: .bound,
              rfc: "8415 18.2.10.1"),
        Arrow(from: [.selecting, .requesting, .renewing, .rebinding], event: .receiveNoBindings, to: .initial,
              rfc: "8415 18.2.10.1"),
        Arrow(from: [.confirming], event: .receiveSuccess, to: .bound, rfc: "8415 18.2.10.1"),
        Arrow(from: [.confirming, .requesting, .renewing, .rebinding], event: .receiveNotOnLink, to: .initial,
              rfc: "8415 18.2.10.1"),
        Arrow(from: [.bound, .renewing, .rebinding], event: .validLifetimesExpired, to: .initial, rfc: "8415 18.2.5"),
    ]

    /// The step `event` makes from `state`; nil when RFC 8415 has the client ignore it there.
    public static func transition(from state: DHCPv6ClientState, on event: DHCPv6ClientEvent) -> DHCPv6ClientTransition? {
        guard let arrow = arrows.first(where: { $0.event == event && $0.from.contains(state) }) else { return nil }
        return DHCPv6ClientTransition(from: state, to: arrow.to, event: event, rfc: arrow.rfc)
    }

    /// Applies `event`: the step taken, or nil (state unchanged) when there is none from here.
    public mutating func apply(_ event: DHCPv6ClientEvent) -> DHCPv6ClientTransition? {
        guard let transition = Self.transition(from: state, on: event) else { return nil }
        state = transition.to
        return transition
    }

    /// Where a client first seen with `event` is after it: the state the event shows it in.
    public static func stateAfter(_ event: DHCPv6ClientEvent) -> DHCPv6ClientState {
        switch event {
        case .sendSolicit, .receiveAdvertise: .selecting
        case .sendRequest: .requesting
        case .sendRenew: .renewing
        case .sendRebind: .rebinding
        case .sendConfirm: .confirming
        case .sendRelease: .released
        case .sendDecline, .receiveNoBindings, .receiveNotOnLink, .validLifetimesExpired: .initial
        case .sendInformationRequest: .informed
        case .receiveBindings, .receiveSuccess: .bound
        }
    }

    /// Moves to `state` without a step: for a client first seen mid-life in a capture (UNKNOWN, then what its
    /// first message shows). A client role never calls it.
    public mutating func force(_ state: DHCPv6ClientState) { self.state = state }
}
