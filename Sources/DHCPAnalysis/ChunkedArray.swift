/// An array kept in chunks of 4,096 elements: growing never copies what is already stored, so a table of a million
/// entries never holds its old and its new storage at once (a plain array doubles, and for a moment needs three
/// times its size). Chunks fill in order; only the last is ever partly full.
struct ChunkedArray<Element> {
    private static var chunkShift: Int { 12 }
    private static var chunkSize: Int { 1 << chunkShift }
    private var chunks: [[Element]] = []
    private(set) var count = 0

    var indices: Range<Int> { 0..<count }

    subscript(position: Int) -> Element {
        _read { yield chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] }
        _modify { yield &chunks[position >> Self.chunkShift][position & (Self.chunkSize - 1)] }
    }

    mutating func append(_ element: Element) {
        if count == chunks.count << Self.chunkShift {
            var chunk = [Element]()
            // The first chunk grows as an array does, so that a small table stays small.
            if !chunks.isEmpty { chunk.reserveCapacity(Self.chunkSize) }
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    @discardableResult
    mutating func removeLast() -> Element {
        let element = chunks[chunks.count - 1].removeLast()
        if chunks[chunks.count - 1].isEmpty { chunks.removeLast() }
        count -= 1
        return element
    }

    mutating func removeLast(_ k: Int) {
        for _ in 0..<k { removeLast() }
    }

    mutating func swapAt(_ i: Int, _ j: Int) {
        guard i != j else { return }
        let first = self[i]
        self[i] = self[j]
        self[j] = first
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
