import NetworkPrimitives

/// What the link layer says about a frame.
public struct LinkInfo: Hashable, Sendable {
    public var source: MACAddress?
    public var destination: MACAddress?
    /// VLAN IDs, outermost first (802.1ad / 802.1Q tags).
    public var vlans: [UInt16] = []
}

/// The IPv4 header fields that matter to DHCP.
public struct IPv4Info: Hashable, Sendable {
    public var source: IPv4Address
    public var destination: IPv4Address
    public var identification: UInt16
    public var ttl: UInt8
    public var protocolNumber: UInt8
    public var headerLength: Int
    /// Fragment offset in bytes.
    public var fragmentOffset: Int
    public var moreFragments: Bool
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }
}

/// A UDP datagram found in a frame: ports and where its payload sits in the frame's bytes.
public struct UDPInfo: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var payload: Range<Int>
}

/// A problem in the framing layers, with its byte offset in the frame.
public struct FramingError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public static let truncatedLinkHeader = Self(rawValue: "truncated-link-header")
        public static let truncatedIPv4Header = Self(rawValue: "truncated-ipv4-header")
        public static let badIPv4HeaderLength = Self(rawValue: "bad-ipv4-header-length")
        public static let badIPv4TotalLength = Self(rawValue: "bad-ipv4-total-length")
        public static let truncatedUDPHeader = Self(rawValue: "truncated-udp-header")
        public static let badUDPLength = Self(rawValue: "bad-udp-length")
        public static let unsupportedLinkType = Self(rawValue: "unsupported-link-type")
        public static let fragmentOverlap = Self(rawValue: "fragment-overlap")
        public static let fragmentTimeout = Self(rawValue: "fragment-timeout")
    }
    public var code: Code
    public var offset: Int
    public var reason: String
    public init(_ code: Code, offset: Int, _ reason: String) { self.code = code; self.offset = offset; self.reason = reason }
    public var description: String { "\(code) at byte \(offset): \(reason)" }
}

/// What a frame carries, as far as DHCP cares.
public enum FramePayload: Hashable, Sendable {
    /// A UDP datagram over IPv4, whole in this frame. `lengthMismatch` notes a UDP length field that lied.
    case udp(IPv4Info, UDPInfo, lengthError: FramingError?)
    /// One fragment of an IPv4 datagram; reassemble with `IPv4Reassembler`.
    case ipv4Fragment(IPv4Info, payload: Range<Int>)
    /// UDP over IPv6 (counted for DHCPv6, ports 546/547).
    case ipv6UDP(sourcePort: UInt16, destinationPort: UInt16)
    /// Something else: another protocol, ARP, ICMP …
    case other
    /// A header that cannot be read.
    case malformed(FramingError)
}

public struct Frame: Hashable, Sendable {
    public var link: LinkInfo
    public var payload: FramePayload
}
