import DHCPv6Core
import DHCPv6Protocol
import Framing
import NetworkPrimitives

/// A DHCPv6 client as the contract names it: its DUID (option 1's bytes), and the MAC the DUID (LL, LLT) or
/// option 79 gives, if any.
public struct DHCPv6ClientName: Hashable, Sendable {
    public var duid: [UInt8]
    public var mac: MACAddress?
    public init(duid: [UInt8], mac: MACAddress?) { self.duid = duid; self.mac = mac }
}

/// How a DHCPv6 transaction ended (dhcpscope(1)): a REPLY, no ADVERTISE, no REPLY, an ADVERTISE the client never
/// requested (`timeout`), or the status code of a REPLY that gave nothing, in kebab case (`no-addrs-avail`).
public struct DHCPv6TransactionOutcome: RawRepresentable, Hashable, Sendable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let reply = Self(rawValue: "reply")
    public static let noAdvertise = Self(rawValue: "no_advertise")
    public static let noReply = Self(rawValue: "no_reply")
    public static let timeout = Self(rawValue: "timeout")
    public static func status(_ code: UInt16) -> Self { Self(rawValue: DHCPv6Status.kebabName(code)) }
}

/// A finished DHCPv6 transaction: the v6 `transaction` event. A SOLICIT's transaction goes on through the REQUEST
/// that follows its ADVERTISE (a new xid, `requestXID`) to the REPLY.
public struct DHCPv6TransactionReport: Sendable {
    public var xid: UInt32
    public var requestXID: UInt32?
    public var client: DHCPv6ClientName
    public var kind: DHCPv6TransactionKind
    /// Server DUIDs, in the order they answered.
    public var servers: [[UInt8]]
    public var messages: [FrameReference]
    public var outcome: DHCPv6TransactionOutcome
    public var rapidCommit: Bool
    public var relayed: Bool
    public var solicitAdvertiseMilliseconds: Double?
    public var requestReplyMilliseconds: Double?
    public var totalMilliseconds: Double
}

/// A DHCPv6 client's step: the v6 `transition` event.
public struct DHCPv6TransitionReport: Sendable {
    public var client: DHCPv6ClientName
    public var transition: DHCPv6ClientTransition
    public var frame: FrameReference?
    /// False when no step of RFC 8415 §18 leads there and the analyzer moved the client to what it saw.
    public var inRFC: Bool
}

/// Which kind of IA a lease is in.
public enum DHCPv6IAType: String, Hashable, Sendable {
    case na, ta, pd

    /// A byte for hashing.
    var hashByte: UInt8 { self == .na ? 1 : self == .ta ? 2 : 3 }

    init?(code: UInt16) {
        switch code {
        case 3: self = .na
        case 4: self = .ta
        case 25: self = .pd
        default: return nil
        }
    }
}

/// One lease per (client, IA, address or prefix): the v6 `lease` event.
public struct DHCPv6LeaseReport: Sendable {
    public var client: DHCPv6ClientName
    public var iaid: UInt32
    public var ia: DHCPv6IAType
    public var address: IPv6Address
    /// The prefix length of a delegated prefix; nil for an address.
    public var prefixLength: UInt8?
    /// The server's DUID.
    public var server: [UInt8]?
    public var start: Timestamp
    public var preferredLifetime: UInt32
    public var validLifetime: UInt32
    public var t1: UInt32?
    public var t2: UInt32?
    public var state: LeaseState
    /// The REPLY that last granted it.
    public var frame: FrameReference

    /// When the valid lifetime ends; nil when it is infinite (0xffffffff).
    public var end: Timestamp? {
        validLifetime == .max ? nil : Timestamp(seconds: start.seconds + Int64(validLifetime), nanoseconds: start.nanoseconds)
    }

    /// "2001:db8::5" or "2001:db8:1::/56".
    public var text: String { prefixLength.map { "\(address)/\($0)" } ?? address.description }
}

/// A DHCPv6 server seen answering: the v6 `server` event.
public struct DHCPv6ServerReport: Sendable {
    /// The server's DUID (empty when its messages carried none).
    public var id: [UInt8]
    /// Its address: the source of its RELAY-REPL when it was seen through a relay, else of its messages.
    public var ip: IPv6Address
    public var mac: MACAddress?
    public var advertises: Int
    public var replies: Int
    /// Status codes it sent (top level and inside IAs), by name.
    public var statuses: [String: Int]
    public var expected: Bool
    public var p50Milliseconds: Double?
    public var p90Milliseconds: Double?
    public var p99Milliseconds: Double?
    public var maxMilliseconds: Double?
}

/// An address, or a prefix with its length.
public struct DHCPv6LeaseAddress: Hashable, Sendable {
    public var address: IPv6Address
    public var prefixLength: UInt8?

    /// "2001:db8::5" or "2001:db8:1::/56", appended as UTF-8.
    public func appendText(to out: inout [UInt8]) {
        address.appendText(to: &out)
        if let prefixLength { out.append(UInt8(ascii: "/")); out.append(contentsOf: String(prefixLength).utf8) }
    }
}

/// A DHCPv6 client's final view, for reports.
public struct DHCPv6ClientReport: Sendable {
    public var client: DHCPv6ClientName
    public var state: DHCPv6ClientState
    /// Its leases now active (addresses and prefixes).
    public var leases: [DHCPv6LeaseAddress]
    public var transitions: Int
    public var lastSeen: Timestamp
}
