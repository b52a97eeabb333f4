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
    public var holdsLease: Bool { [.bound, .renewing, .rebinding].contains(self) }
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
