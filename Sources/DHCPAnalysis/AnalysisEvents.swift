import DHCPCore
import DHCPProtocol

/// The kinds of transaction (dhcpscope(1)), by the client message that opens them.
public enum TransactionKind: String, Sendable {
    case dora, renew, rebind
    case initReboot = "init_reboot"
    case inform, release, decline
    /// A reply whose request was not seen.
    case unknown
}

/// How a transaction ended (dhcpscope(1)).
public enum TransactionOutcome: String, Sendable, CaseIterable {
    case ack, nak
    case noOffer = "no_offer"
    case noAck = "no_ack"
    case timeout, released, declined

    /// Its place in `allCases`.
    var index: Int {
        switch self {
        case .ack: 0
        case .nak: 1
        case .noOffer: 2
        case .noAck: 3
        case .timeout: 4
        case .released: 5
        case .declined: 6
        }
    }
}

/// A finished transaction: the `transaction` event.
public struct TransactionReport: Sendable {
    public var xid: UInt32
    public var client: ClientKey
    public var clientID: [UInt8]?
    public var kind: TransactionKind
    public var servers: [IPv4Address]
    public var messages: [FrameReference]
    public var outcome: TransactionOutcome
    public var address: IPv4Address?
    public var discoverOfferMilliseconds: Double?
    public var requestAckMilliseconds: Double?
    public var totalMilliseconds: Double
    public var relayed: Bool
}

/// A client's step through Figure 5: the `transition` event.
public struct TransitionReport: Sendable {
    public var client: ClientKey
    public var clientID: [UInt8]?
    public var transition: DHCPClientTransition
    public var frame: FrameReference?
    /// False when Figure 5 draws no such arrow and the step was inferred from what was seen.
    public var inRFC: Bool
}

public enum LeaseState: String, Sendable {
    case active, renewed, expired, released, declined, nak
}

/// One lease per (address, client): the `lease` event.
public struct LeaseReport: Sendable {
    public var ip: IPv4Address
    public var client: ClientKey
    public var clientID: [UInt8]?
    public var hostname: String?
    public var server: IPv4Address?
    public var start: Timestamp
    public var end: Timestamp?
    public var leaseTime: UInt32?
    public var t1: Double?
    public var t2: Double?
    public var router: IPv4Address?
    public var dns: [IPv4Address]
    public var domain: String?
    public var state: LeaseState
    /// The frame of the ACK that last granted it.
    public var frame: FrameReference
}

/// A server seen answering: the `server` event.
public struct ServerReport: Sendable {
    public var id: IPv4Address
    public var ip: IPv4Address
    public var mac: MACAddress?
    /// The relay agent its first reply came through (then `ip` and `mac` are the relay's); nil when it answered itself.
    public var relay: IPv4Address?
    public var offers: Int
    public var acks: Int
    public var naks: Int
    public var expected: Bool
    public var p50Milliseconds: Double?
    public var p90Milliseconds: Double?
    public var p99Milliseconds: Double?
    public var maxMilliseconds: Double?
}

/// A client's final view, for reports.
public struct ClientReport: Sendable {
    public var client: ClientKey
    public var clientID: [UInt8]?
    public var hostname: String?
    public var state: DHCPClientState
    public var address: IPv4Address?
    /// The state of the client's latest lease, if it ever had one.
    public var leaseState: LeaseState?
    public var transitions: Int
    public var lastSeen: Timestamp
}

/// What the analyzers say as they go (DHCPv4's and DHCPv6's).
public enum AnalysisEvent: Sendable {
    case transaction(TransactionReport)
    case transition(TransitionReport)
    case problem(Problem)
    case transaction6(DHCPv6TransactionReport)
    case transition6(DHCPv6TransitionReport)
}
