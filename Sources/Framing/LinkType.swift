import NetworkPrimitives

/// A capture's link-layer header type (the LINKTYPE_/DLT_ numbers of tcpdump.org/linktypes.html).
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible, BitwiseCopyable {
    public var rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null = Self(rawValue: 0)
    public static let ethernet = Self(rawValue: 1)
    /// DLT_RAW on OpenBSD (14) and others (12), as libpcap reports them.
    public static let rawDLT12 = Self(rawValue: 12)
    public static let rawDLT14 = Self(rawValue: 14)
    /// LINKTYPE_RAW: the packet begins with an IPv4 or IPv6 header.
    public static let raw = Self(rawValue: 101)
    /// OpenBSD loopback: the address family in network byte order.
    public static let loop = Self(rawValue: 108)
    public static let linuxSLL = Self(rawValue: 113)
    public static let ipv4 = Self(rawValue: 228)
    public static let linuxSLL2 = Self(rawValue: 276)

    public var isSupported: Bool {
        [.null, .ethernet, .rawDLT12, .rawDLT14, .raw, .loop, .linuxSLL, .ipv4, .linuxSLL2].contains(self)
    }

    public var description: String {
        switch self {
        case .null: "null"
        case .ethernet: "ethernet"
        case .raw, .rawDLT12, .rawDLT14: "raw"
        case .loop: "loop"
        case .linuxSLL: "linux-sll"
        case .ipv4: "ipv4"
        case .linuxSLL2: "linux-sll2"
        default: "linktype-\(rawValue)"
        }
    }
}
