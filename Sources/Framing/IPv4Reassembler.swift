import NetworkPrimitives

/// Reassembles fragmented IPv4 datagrams (RFC 791 §3.2) with bounded memory: at most `maximumPending`
/// datagrams in progress, each at most 65,535 bytes, dropped after `timeout` seconds.
public struct IPv4Reassembler: Sendable {
    struct Key: Hashable, Sendable {
        var source: IPv4Address, destination: IPv4Address, identification: UInt16, protocolNumber: UInt8
    }
    struct Pending: Sendable {
        var firstSeen: Double
        var first: IPv4Info?
        /// Sorted by offset, never overlapping, never empty: a new piece is checked against its two neighbours
        /// only, so a datagram sent as 8,000 eight-byte fragments costs O(n log n), not O(n²).
        var pieces: [(offset: Int, bytes: [UInt8])] = []
        /// Bytes in `pieces`.
        var received = 0
        var totalLength: Int?
    }

    public let maximumPending: Int
    public let timeout: Double
    private var pending: [Key: Pending] = [:]

    public init(maximumPending: Int = 256, timeout: Double = 30) {
        self.maximumPending = maximumPending
        self.timeout = timeout
    }

    /// A whole datagram: the first fragment's header and the reassembled IP payload.
    public struct Datagram: Sendable {
        public var ip: IPv4Info
        public var payload: [UInt8]
    }

    public enum Outcome: Sendable {
        case incomplete
        case complete(Datagram)
        case failed(FramingError)
    }

    /// Adds one fragment seen at `time`.
    public mutating func add(_ ip: IPv4Info, payload: UnsafeRawBufferPointer, time: Double) -> Outcome {
        let key = Key(source: ip.source, destination: ip.destination, identification: ip.identification,
                      protocolNumber: ip.protocolNumber)
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
            return .failed(FramingError(.fragmentPastLast(identification: ip.identification), offset: 0))
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

    private func overlap(_ ip: IPv4Info) -> FramingError {
        FramingError(.fragmentOverlap(identification: ip.identification), offset: 0)
    }

    private mutating func evictOldest() {
        if let oldest = pending.min(by: { $0.value.firstSeen < $1.value.firstSeen })?.key { pending[oldest] = nil }
    }
}
