/// An array kept in chunks of 4,096 elements: growing never copies what is already stored, so a table of a million
/// entries never holds its old and its new storage at once (a plain array doubles, and for a moment needs three
/// times its size). Chunks fill in order; only the last is ever partly full.
///
/// The chunks are raw allocations, reached by address: an element is read or changed in place with a shift, a mask
/// and a bounds check. Chunks held as nested arrays cost about 80 instructions a read (a coroutine, two bounds checks
/// and a retain of the inner array), and the analysis reads its tables several times a message. A copy shares the
/// chunks until either side changes (copy on write).
struct ChunkedArray<Element> {
    private static var chunkShift: Int { 12 }
    private static var chunkSize: Int { 1 << chunkShift }

    /// Used by one thread at a time and never reentered: no run-time exclusivity checks.
    private final class Storage {
        @exclusivity(unchecked) var chunks: [UnsafeMutablePointer<Element>] = []
        /// Capacity of the first chunk, which grows as an array does so that a small table stays small.
        @exclusivity(unchecked) var firstCapacity = 0
        @exclusivity(unchecked) var count = 0

        init() {}

        func copy() -> Storage {
            let copy = Storage()
            copy.firstCapacity = firstCapacity
            copy.count = count
            copy.chunks = chunks.indices.map { index in
                let capacity = index == 0 ? firstCapacity : chunkSize
                let chunk = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
                chunk.initialize(from: chunks[index], count: filled(index))
                return chunk
            }
            return copy
        }

        /// How many elements chunk `index` holds.
        func filled(_ index: Int) -> Int { min(chunkSize, count - index << chunkShift) }

        deinit {
            for index in chunks.indices {
                chunks[index].deinitialize(count: filled(index))
                chunks[index].deallocate()
            }
        }
    }

    private var storage = Storage()

    var count: Int { storage.count }
    var indices: Range<Int> { 0..<storage.count }

    /// Where element `position` lies; valid until the array next changes its storage.
    @inline(__always)
    private func address(_ position: Int) -> UnsafeMutablePointer<Element> {
        precondition(position >= 0 && position < storage.count, "ChunkedArray index out of range")
        return storage.chunks[position >> Self.chunkShift] + (position & (Self.chunkSize - 1))
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    subscript(position: Int) -> Element {
        unsafeAddress { UnsafePointer(address(position)) }
        unsafeMutableAddress {
            makeUnique()
            return address(position)
        }
    }

    mutating func append(_ element: Element) {
        makeUnique()
        let count = storage.count
        if count == 0 && storage.chunks.isEmpty {
            storage.chunks.append(.allocate(capacity: 16))
            storage.firstCapacity = 16
        } else if count < Self.chunkSize && count == storage.firstCapacity {
            let grown = UnsafeMutablePointer<Element>.allocate(capacity: min(Self.chunkSize, 2 * count))
            grown.moveInitialize(from: storage.chunks[0], count: count)
            storage.chunks[0].deallocate()
            storage.chunks[0] = grown
            storage.firstCapacity = min(Self.chunkSize, 2 * count)
        } else if count >= Self.chunkSize && count == storage.chunks.count << Self.chunkShift {
            storage.chunks.append(.allocate(capacity: Self.chunkSize))
        }
        (storage.chunks[count >> Self.chunkShift] + (count & (Self.chunkSize - 1))).initialize(to: element)
        storage.count = count + 1
    }

    @discardableResult
    mutating func removeLast() -> Element {
        makeUnique()
        let element = address(storage.count - 1).move()
        storage.count -= 1
        // An emptied chunk goes, except the first (it keeps its grown capacity).
        if storage.count > 0, storage.count & (Self.chunkSize - 1) == 0 {
            storage.chunks.removeLast().deallocate()
        }
        return element
    }

    mutating func removeLast(_ k: Int) {
        for _ in 0..<k { removeLast() }
    }

    mutating func swapAt(_ i: Int, _ j: Int) {
        guard i != j else { return }
        makeUnique()
        swap(&address(i).pointee, &address(j).pointee)
    }
}

extension ChunkedArray {
    /// The pairs (keys[i], values[i]) in the order of `areInIncreasingOrder`, one at a time: only positions are
    /// sorted (four bytes a pair), the entries are not copied.
    static func forEachSorted<Value>(_ keys: ChunkedArray<Element>, _ values: ChunkedArray<Value>,
                                     by areInIncreasingOrder: (Value, Element, Value, Element) -> Bool,
                                     _ body: (Element, Value) -> Void) {
        var positions = (0..<Int32(values.count)).map { $0 }
        positions.sort { areInIncreasingOrder(values[Int($0)], keys[Int($0)], values[Int($1)], keys[Int($1)]) }
        for position in positions { body(keys[Int(position)], values[Int(position)]) }
    }
}
