/// Bytes appended without Array's per-append uniqueness and capacity checks (they were a third of `decode --json`):
/// room is made in one step, then bytes are stored through a pointer.
final class ByteBuffer {
    // One owner, one thread: the run-time exclusivity checks of a class's stored properties (a call on every
    // access, so several per byte) are left out.
    @exclusivity(unchecked) private(set) var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// Makes room for `more` bytes.
    @inline(__always)
    func reserve(_ more: Int) {
        if count + more > capacity { grow(to: count + more) }
    }

    private func grow(to needed: Int) {
        var larger = capacity * 2
        while larger < needed { larger *= 2 }
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        storage.update(from: base, count: count)
        base.deallocate()
        base = storage
        capacity = larger
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    /// Stores a byte where room was made with `reserve`.
    @inline(__always)
    func appendReserved(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        appendReserved(source, count: bytes.count)
    }

    /// Stores `count` bytes where room was made with `reserve`; short runs (keys, names) byte by byte, without a
    /// call to memmove.
    @inline(__always)
    func appendReserved(_ source: UnsafePointer<UInt8>, count length: Int) {
        let destination = base + count
        if length <= 16 {
            for index in 0..<length { destination[index] = source[index] }
        } else {
            destination.update(from: source, count: length)
        }
        count += length
    }

    /// Makes room for `maximum` bytes and lets `body` store up to that many at the pointer it gets; `body` returns how
    /// many it stored. One capacity check and one count update for a whole token.
    @inline(__always)
    func write(upTo maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maximum)
        count &+= body(base + count)
    }

    /// Forgets the bytes after the first `count`.
    func truncate(to count: Int) { self.count = min(count, self.count) }

    func append(contentsOf text: StaticString) { text.withUTF8Buffer { append(contentsOf: $0) } }
}
