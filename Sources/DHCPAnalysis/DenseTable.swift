/// A map whose values live in one contiguous store, found through a small index: for the per-client table, which
/// holds one entry for everything ever seen. A Dictionary of large values keeps up to 2.6 empty buckets per entry at
/// its load factor, and twice that while it grows; here only the four-byte index pays that. Entries leave in a batch
/// (`removeSmallest`), which compacts the store and rebuilds the index: the order of the entries is not kept.
struct DenseTable<Key: Hashable, Value> {
    private var index: [Key: Int32] = [:]
    private var keys = ChunkedArray<Key>()
    private var values = ChunkedArray<Value>()

    var count: Int { values.count }

    /// Where the entry of `key` lies, added as `make()` when there is none. Valid until entries are removed.
    mutating func position(of key: Key, orAdding make: () -> Value) -> Int {
        if let position = index[key] { return Int(position) }
        index[key] = Int32(values.count)
        keys.append(key)
        values.append(make())
        return values.count - 1
    }

    /// Where the entry of `key` lies; nil when there is none.
    func position(of key: Key) -> Int? { index[key].map { Int($0) } }

    /// The key of the entry at `position`.
    func key(at position: Int) -> Key { keys[position] }

    /// Every entry in the order added (while none was removed).
    func forEach(_ body: (Key, Value) -> Void) {
        for position in values.indices { body(keys[position], values[position]) }
    }

    /// The entry at `position`, read and changed in place.
    subscript(position position: Int) -> Value {
        _read { yield values[position] }
        _modify { yield &values[position] }
    }

    /// Changes the entry at `position` in place: one access to the storage for all the changes.
    mutating func update<Result>(at position: Int, _ body: (inout Value) -> Result) -> Result {
        body(&values[position])
    }

    /// Every entry in the order of `areInIncreasingOrder`, one at a time: only positions are sorted (four bytes an
    /// entry), the entries are not copied.
    func forEachSorted(by areInIncreasingOrder: (Value, Key, Value, Key) -> Bool, _ body: (Key, Value) -> Void) {
        ChunkedArray.forEachSorted(keys, values, by: areInIncreasingOrder, body)
    }

    /// Removes the `count` entries that come first in the order of `areInIncreasingOrder`, in one pass.
    mutating func removeSmallest(_ count: Int, by areInIncreasingOrder: (Value, Value) -> Bool) {
        guard count > 0 else { return }
        guard count < values.count else {
            self = DenseTable()
            return
        }
        var removed = [Bool](repeating: false, count: values.count)
        for position in values.indices.sorted(by: { areInIncreasingOrder(values[$0], values[$1]) }).prefix(count) {
            removed[position] = true
        }
        var kept = 0
        for position in values.indices where !removed[position] {
            keys.swapAt(kept, position)
            values.swapAt(kept, position)
            kept += 1
        }
        keys.removeLast(keys.count - kept)
        values.removeLast(values.count - kept)
        index.removeAll(keepingCapacity: true)
        for position in keys.indices { index[keys[position]] = Int32(position) }
    }
}
