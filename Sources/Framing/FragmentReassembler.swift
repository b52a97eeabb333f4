import NetworkPrimitives

/// The header of one fragment, as a reassembler needs it: which datagram it belongs to and where it goes.
public protocol FragmentHeader: Sendable {
    associatedtype Key: Hashable & Sendable
    /// The fields that name the datagram (RFC 791 §3.2: addresses, protocol, identification; RFC 8200 §4.5:
    /// addresses and identification).
    var reassemblyKey: Key { get }
    var fragmentOffset: Int { get }
    var moreFragments: Bool { get set }
    /// The identification field, for what is said about a failed datagram.
    var datagramIdentification: UInt32 { get }
}

extension IPv4Info: FragmentHeader {
    public struct Key: Hashable, Sendable {
        var source: IPv4Address, destination: IPv4Address, identification: UInt16, protocolNumber: UInt8
    }
    public var reassemblyKey: Key {
        Key(source: source, destination: destination, identification: identification, protocolNumber: protocolNumber)
    }
    public var datagramIdentification: UInt32 { UInt32(identification) }
}

extension IPv6FragmentInfo: FragmentHeader {
    public struct Key: Hashable, Sendable {
        var source: IPv6Address, destination: IPv6Address, identification: UInt32
    }
    public var reassemblyKey: Key { Key(source: ip.source, destination: ip.destination, identification: identification) }
    public var datagramIdentification: UInt32 { identification }
}

/// IPv4 fragments (RFC 791 §3.2).
public typealias IPv4Reassembler = FragmentReassembler<IPv4Info>
/// IPv6 fragments (RFC 8200 §4.5).
public typealias IPv6Reassembler = FragmentReassembler<IPv6FragmentInfo>

/// Reassembles fragmented datagrams with bounded memory: at most `maximumPending` datagrams in progress, each at
/// most 65,535 bytes, dropped after `timeout` seconds. One rule for both families; `Header` says how a fragment
/// names its datagram.
public struct FragmentReassembler<Header: FragmentHeader>: Sendable {
    struct Pending: Sendable {
        var firstSeen: Double
        var first: Header?
        /// Sorted by offset, never overlapping, never empty: a new piece is checked against its two neighbours
        /// only, so a datagram sent as 8,000 eight-byte fragments costs O(n log n), not O(n²).
        var pieces: [(offset: Int, bytes: [UInt8])] = []
        /// Bytes in `pieces`.
        var received = 0
        var totalLength: Int?
    }

    public let maximumPending: Int
    public let timeout: Double
    private var pending: [Header.Key: Pending] = [:]

    public init(maximumPending: Int = 256, timeout: Double = 30) {
        self.maximumPending = maximumPending
        self.timeout = timeout
    }

    /// A whole datagram: the first fragment's header and the reassembled IP payload.
    public struct Datagram: Sendable {
        public var ip: Header
        public var payload: [UInt8]
    }

    public enum Outcome: Sendable {
        case incomplete
        case complete(Datagram)
        case failed(FramingError)
    }

    /// Adds one fragment seen at `time`.
    public mutating func add(_ ip: Header, payload: UnsafeRawBufferPointer, time: Double) -> Outcome {
        let key = ip.reassemblyKey
        if pending[key] == nil, pending.count >= maximumPending {
            evictOldest()
        }
        // Taken out of the table while it changes, so that inserting a piece does not copy the others; a failed
        // datagram is simply not put back.
        var entry = pending.removeValue(forKey: key) ?? Pending(firstSeen: time)
        let end = ip.fragmentOffset + payload.count
        guard end <= 65_535 else {
            return .failed(FramingError(.fragmentsPastMaximum, offset: 0))
        }
        var low = 0, high = entry.pieces.count
        while low < high {
            let middle = (low + high) / 2
            if entry.pieces[middle].offset < ip.fragmentOffset { low = middle + 1 } else { high = middle }
        }
        let before = low > 0 ? entry.pieces[low - 1] : nil
        let after = low < entry.pieces.count ? entry.pieces[low] : nil
        if let before, before.offset + before.bytes.count > ip.fragmentOffset {
            return .failed(overlap(ip))
        }
        if let after, after.offset < end {
            return .failed(overlap(ip))
        }
        if ip.fragmentOffset == 0 { entry.first = ip }
        if !ip.moreFragments { entry.totalLength = end }
        if !payload.isEmpty {
            entry.pieces.insert((ip.fragmentOffset, Array(payload)), at: low)
            entry.received += payload.count
        }
        // A piece past the last fragment's end would make the byte count lie about the gaps (and index out of range).
        if let total = entry.totalLength, let last = entry.pieces.last, last.offset + last.bytes.count > total {
            return .failed(FramingError(.fragmentPastLast(identification: ip.datagramIdentification), offset: 0))
        }
        if let total = entry.totalLength, let first = entry.first,
           entry.received == total {
            var bytes = [UInt8](repeating: 0, count: total)
            for piece in entry.pieces { bytes.replaceSubrange(piece.offset..<(piece.offset + piece.bytes.count), with: piece.bytes) }
            var header = first
            header.moreFragments = false
            return .complete(Datagram(ip: header, payload: bytes))
        }
        pending[key] = entry
        return .incomplete
    }

    /// Drops datagrams older than the timeout; returns how many.
    public mutating func expire(now: Double) -> Int {
        let before = pending.count
        pending = pending.filter { now - $0.value.firstSeen <= timeout }
        return before - pending.count
    }

    public var pendingCount: Int { pending.count }

    private func overlap(_ ip: Header) -> FramingError {
        FramingError(.fragmentOverlap(identification: ip.datagramIdentification), offset: 0)
    }

    private mutating func evictOldest() {
        if let oldest = pending.min(by: { $0.value.firstSeen < $1.value.firstSeen })?.key { pending[oldest] = nil }
    }
}
