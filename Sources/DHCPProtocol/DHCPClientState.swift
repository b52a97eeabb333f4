/// A DHCP client's state: RFC 2131 Figure 5, plus UNKNOWN (first seen mid-life), RELEASED and INFORMED
/// (dhcpscope(1)). Names are the RFC's, upper case with hyphens.
public enum DHCPClientState: String, Hashable, Sendable, CaseIterable {
    case initial = "INIT"
    case selecting = "SELECTING"
    case requesting = "REQUESTING"
    case bound = "BOUND"
    case renewing = "RENEWING"
    case rebinding = "REBINDING"
    case initReboot = "INIT-REBOOT"
    case rebooting = "REBOOTING"
    case unknown = "UNKNOWN"
    case released = "RELEASED"
    case informed = "INFORMED"

    /// States in which the client holds a lease.
    public var holdsLease: Bool { self == .bound || self == .renewing || self == .rebinding }

    /// Position in `allCases`: a row of the state machine's tables.
    var index: Int {
        switch self {
        case .initial: 0
        case .selecting: 1
        case .requesting: 2
        case .bound: 3
        case .renewing: 4
        case .rebinding: 5
        case .initReboot: 6
        case .rebooting: 7
        case .unknown: 8
        case .released: 9
        case .informed: 10
        }
    }
}

/// Which REQUEST a client sends: RFC 2131 §4.3.2 tells them apart by server identifier, requested address and ciaddr.
public enum DHCPRequestKind: String, Hashable, Sendable {
    /// Answering an OFFER: server identifier and requested address, ciaddr 0.
    case selecting
    /// Verifying a remembered address: requested address, no server identifier, ciaddr 0.
    case initReboot = "init-reboot"
    /// Extending the lease with its server: ciaddr, unicast.
    case renewing
    /// Extending the lease with any server: ciaddr, broadcast.
    case rebinding
}

/// Everything that moves a client along Figure 5: what it sends, what it receives, its timers.
public enum DHCPClientEvent: Hashable, Sendable, CustomStringConvertible {
    case sendDiscover
    case receiveOffer
    case sendRequest(DHCPRequestKind)
    case receiveAck
    case receiveNak
    case sendDecline
    case sendRelease
    case sendInform
    /// The client starts again remembering an address (reboot, link up).
    case reboot
    /// The client starts again from scratch, without an address (reboot without a saved lease, gave up).
    case restart
    case t1Expired
    case t2Expired
    case leaseExpired

    /// Every event, in `index` order: the columns of the state machine's tables.
    static let all: [DHCPClientEvent] = [
        .sendDiscover, .receiveOffer, .sendRequest(.selecting), .sendRequest(.initReboot), .sendRequest(.renewing),
        .sendRequest(.rebinding), .receiveAck, .receiveNak, .sendDecline, .sendRelease, .sendInform, .reboot, .restart,
        .t1Expired, .t2Expired, .leaseExpired,
    ]

    /// Position in `all`.
    var index: Int {
        switch self {
        case .sendDiscover: 0
        case .receiveOffer: 1
        case .sendRequest(.selecting): 2
        case .sendRequest(.initReboot): 3
        case .sendRequest(.renewing): 4
        case .sendRequest(.rebinding): 5
        case .receiveAck: 6
        case .receiveNak: 7
        case .sendDecline: 8
        case .sendRelease: 9
        case .sendInform: 10
        case .reboot: 11
        case .restart: 12
        case .t1Expired: 13
        case .t2Expired: 14
        case .leaseExpired: 15
        }
    }

    public var description: String {
        switch self {
        case .sendDiscover: "sent DISCOVER"
        case .receiveOffer: "received OFFER"
        case .sendRequest(let kind): "sent REQUEST (\(kind.rawValue))"
        case .receiveAck: "received ACK"
        case .receiveNak: "received NAK"
        case .sendDecline: "sent DECLINE"
        case .sendRelease: "sent RELEASE"
        case .sendInform: "sent INFORM"
        case .reboot: "restarted with a remembered address"
        case .restart: "restarted without an address"
        case .t1Expired: "T1 expired"
        case .t2Expired: "T2 expired"
        case .leaseExpired: "lease expired"
        }
    }
}

/// One step of a client: from, to, why, and the RFC clause that draws that arrow.
public struct DHCPClientTransition: Hashable, Sendable {
    public var from: DHCPClientState
    public var to: DHCPClientState
    public var event: DHCPClientEvent
    public var rfc: String

    public init(from: DHCPClientState, to: DHCPClientState, event: DHCPClientEvent, rfc: String) {
        self.from = from; self.to = to; self.event = event; self.rfc = rfc
    }
}
