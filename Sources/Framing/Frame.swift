import NetworkPrimitives

/// What the link layer says about a frame.
public struct LinkInfo: Hashable, Sendable, BitwiseCopyable {
    public var source: MACAddress?
    public var destination: MACAddress?
    /// VLAN IDs, outermost first (802.1ad / 802.1Q tags).
    public var vlans = VLANTags()
}

/// Up to `capacity` VLAN IDs kept in line, so that a frame's description is copied without touching the heap (it is
/// copied for every frame read).
public struct VLANTags: RandomAccessCollection, Hashable, Sendable, ExpressibleByArrayLiteral, BitwiseCopyable {
    public static let capacity = 8
    private var tags: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
    public private(set) var count = 0

    public init() {}
    public init(arrayLiteral elements: UInt16...) { for element in elements.prefix(Self.capacity) { append(element) } }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> UInt16 {
        precondition(position >= 0 && position < count, "VLAN tag index out of range")
        return withUnsafeBytes(of: tags) { $0.load(fromByteOffset: 2 * position, as: UInt16.self) }
    }

    /// Adds a tag; false (and nothing kept) when `capacity` tags are already there.
    @discardableResult
    public mutating func append(_ tag: UInt16) -> Bool {
        guard count < Self.capacity else { return false }
        withUnsafeMutableBytes(of: &tags) { $0.storeBytes(of: tag, toByteOffset: 2 * count, as: UInt16.self) }
        count += 1
        return true
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.elementsEqual(rhs) }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for tag in self { hasher.combine(tag) }
    }
}

/// The IPv4 header fields that matter to DHCP.
public struct IPv4Info: Hashable, Sendable, BitwiseCopyable {
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

/// The IPv6 header of a frame (RFC 8200), and where its upper-layer header starts after any extension headers.
public struct IPv6Info: Hashable, Sendable, BitwiseCopyable {
    public var source: IPv6Address
    public var destination: IPv6Address
    public var hopLimit: UInt8
    /// The last next-header value: the upper-layer protocol (17 for UDP).
    public var nextHeader: UInt8
}

/// An IPv6 Fragment header (RFC 8200 §4.5) and the header it follows; `ip.nextHeader` is the fragment header's
/// next header (what the reassembled payload starts with).
public struct IPv6FragmentInfo: Hashable, Sendable, BitwiseCopyable {
    public var ip: IPv6Info
    public var identification: UInt32
    /// Fragment offset in bytes.
    public var fragmentOffset: Int
    public var moreFragments: Bool
}

/// A UDP datagram found in a frame: ports and where its payload sits in the frame's bytes.
public struct UDPInfo: Hashable, Sendable {
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var payload: Range<Int>
}

/// A problem in the framing layers, with its byte offset in the frame. Kept as numbers (no text, no heap): its reason
/// is written only when someone reads it.
public struct FramingError: Error, Hashable, Sendable, CustomStringConvertible, BitwiseCopyable {
    public enum Code: UInt8, Hashable, Sendable, CustomStringConvertible {
        case truncatedLinkHeader, truncatedIPv4Header, badIPv4HeaderLength, badIPv4TotalLength, truncatedUDPHeader
        case badUDPLength, unsupportedLinkType, fragmentOverlap

        /// The code's name in output (`truncated-link-header` …).
        public var description: String {
            switch self {
            case .truncatedLinkHeader: "truncated-link-header"
            case .truncatedIPv4Header: "truncated-ipv4-header"
            case .badIPv4HeaderLength: "bad-ipv4-header-length"
            case .badIPv4TotalLength: "bad-ipv4-total-length"
            case .truncatedUDPHeader: "truncated-udp-header"
            case .badUDPLength: "bad-udp-length"
            case .unsupportedLinkType: "unsupported-link-type"
            case .fragmentOverlap: "fragment-overlap"
            }
        }
    }

    /// What was wrong, with the numbers its reason is written from.
    public enum Detail: Hashable, Sendable, BitwiseCopyable {
        case linkHeaderShort(bytes: Int, linkType: LinkType, needed: Int)
        case unsupportedLinkType(LinkType)
        case ipv4HeaderShort
        case ipv4HeaderLength(Int, present: Int)
        case ipv4TotalLength(Int, headerLength: Int)
        case udpHeaderShort
        case udpLengthUnderHeader(Int)
        case udpLengthPastData(Int, present: Int)
        case fragmentsPastMaximum
        case fragmentPastLast(identification: UInt32)
        case fragmentOverlap(identification: UInt32)
    }

    public var detail: Detail
    public var offset: Int
    public init(_ detail: Detail, offset: Int) { self.detail = detail; self.offset = offset }

    public var code: Code {
        switch detail {
        case .linkHeaderShort: .truncatedLinkHeader
        case .unsupportedLinkType: .unsupportedLinkType
        case .ipv4HeaderShort: .truncatedIPv4Header
        case .ipv4HeaderLength: .badIPv4HeaderLength
        case .ipv4TotalLength, .fragmentsPastMaximum, .fragmentPastLast: .badIPv4TotalLength
        case .udpHeaderShort: .truncatedUDPHeader
        case .udpLengthUnderHeader, .udpLengthPastData: .badUDPLength
        case .fragmentOverlap: .fragmentOverlap
        }
    }

    public var reason: String {
        switch detail {
        case .linkHeaderShort(let bytes, let linkType, let needed): "\(bytes) bytes, the \(linkType) header needs \(needed)"
        case .unsupportedLinkType(let linkType): "link type \(linkType.rawValue) is not supported"
        case .ipv4HeaderShort: "fewer than 20 bytes of IPv4 header"
        case .ipv4HeaderLength(let length, let present): "IPv4 header length \(length) with \(present) bytes present"
        case .ipv4TotalLength(let length, let header): "IPv4 total length \(length) is shorter than its header (\(header))"
        case .udpHeaderShort: "fewer than 8 bytes of UDP header"
        case .udpLengthUnderHeader(let length): "UDP length \(length) is shorter than its header"
        case .udpLengthPastData(let length, let present): "UDP length \(length) but only \(present) bytes present"
        case .fragmentsPastMaximum: "fragments reach past 65,535 bytes"
        case .fragmentPastLast(let id):
            "a fragment of datagram id 0x\(String(id, radix: 16)) lies past its last fragment"
        case .fragmentOverlap(let id): "overlapping fragments of datagram id 0x\(String(id, radix: 16))"
        }
    }

    public var description: String { "\(code) at byte \(offset): \(reason)" }
}

/// What a frame carries, as far as DHCP cares.
public enum FramePayload: Hashable, Sendable {
    /// A UDP datagram over IPv4, whole in this frame. `lengthMismatch` notes a UDP length field that lied.
    case udp(IPv4Info, UDPInfo, lengthError: FramingError?)
    /// One fragment of an IPv4 datagram; reassemble with `IPv4Reassembler`.
    case ipv4Fragment(IPv4Info, payload: Range<Int>)
    /// One fragment of an IPv6 datagram; reassemble with `IPv6Reassembler`.
    case ipv6Fragment(IPv6FragmentInfo, payload: Range<Int>)
    /// A UDP datagram over IPv6, whole in this frame. `lengthError` notes a UDP length field that lied.
    case ipv6UDP(IPv6Info, UDPInfo, lengthError: FramingError?)
    /// Something else: another protocol, ARP, ICMP …
    case other
    /// A header that cannot be read.
    case malformed(FramingError)
}

public struct Frame: Hashable, Sendable {
    public var link: LinkInfo
    public var payload: FramePayload
}
