import DHCPCore

/// Every lease seen, by address and client: a map from each address to its newest entry, and from each entry to the
/// one before it for the same address (an address is leased to few clients over a capture). Four times smaller than
/// a map keyed by address and client (a client key is 40 bytes): the lease table is the analysis's largest. Leases are
/// removed only past --max-leases (`forget`), an eighth at a time.
struct LeaseTable {
    typealias Key = DHCPAnalyzer.LeaseKey

    private var newest: [IPv4Address: Int32] = [:]
    private var keys = ChunkedArray<Key>()
    private var values = ChunkedArray<LeaseRecord>()
    /// The entry before each one for the same address; -1 for none.
    private var previous = ChunkedArray<Int32>()

    var count: Int { values.count }

    private func position(of key: Key) -> Int? {
        var position = newest[key.ip] ?? -1
        while position >= 0 {
            if keys[Int(position)].client == key.client { return Int(position) }
            position = previous[Int(position)]
        }
        return nil
    }

    subscript(key: Key) -> LeaseRecord? {
        get { position(of: key).map { values[$0] } }
        set {
            guard let newValue else { return }
            if let position = position(of: key) {
                values[position] = newValue
            } else {
                previous.append(newest[key.ip] ?? -1)
                newest[key.ip] = Int32(values.count)
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// Stores `record` for `key`: one lookup, an old entry replaced in place. Returns where the entry lies (entries
    /// never move) and whether the entry it replaced was held.
    mutating func store(_ key: Key, _ record: LeaseRecord) -> (position: Int, replacedHeld: Bool) {
        guard let position = position(of: key) else {
            self[key] = record
            return (values.count - 1, false)
        }
        let replacedHeld = values[position].isHeld
        values[position] = record
        return (position, replacedHeld)
    }

    /// Changes the entry at `position` in place.
    mutating func modify(at position: Int, _ body: (inout LeaseRecord) -> Void) { body(&values[position]) }

    /// The key and the entry at `position`.
    func key(at position: Int) -> Key { keys[position] }
    subscript(position position: Int) -> LeaseRecord { values[position] }

    /// Forgets all but `keeping` entries: first those no longer held, then held ones, the oldest first in each. The
    /// others keep their order but move: `moved` is told each kept entry's old and new position. Returns how many
    /// were forgotten.
    mutating func forget(keeping: Int, moved: (_ old: Int, _ new: Int) -> Void) -> Int {
        let total = values.count
        guard total > keeping else { return 0 }
        var order = (0..<Int32(total)).map { $0 }
        order.sort { first, second in
            let a = values[Int(first)], b = values[Int(second)]
            return a.isHeld != b.isHeld ? !a.isHeld : a.start < b.start
        }
        var dropped = [Bool](repeating: false, count: total)
        for position in order.prefix(total - keeping) { dropped[Int(position)] = true }
        order = []
        var kept = LeaseTable()
        for position in 0..<total where !dropped[position] {
            kept[keys[position]] = values[position]
            moved(position, kept.count - 1)
        }
        self = kept
        return total - keeping
    }

    /// Changes an entry in place, without copying it out.
    mutating func modify(_ key: Key, _ body: (inout LeaseRecord) -> Void) {
        guard let position = position(of: key) else { return }
        body(&values[position])
    }

    /// Changes every entry in place.
    mutating func modifyAll(_ body: (Key, inout LeaseRecord) -> Void) {
        for position in values.indices { body(keys[position], &values[position]) }
    }

    /// Every entry in the order of `areInIncreasingOrder`, sorting positions rather than copies.
    func forEachSorted(by areInIncreasingOrder: (LeaseRecord, Key, LeaseRecord, Key) -> Bool, _ body: (Key, LeaseRecord) -> Void) {
        ChunkedArray.forEachSorted(keys, values, by: areInIncreasingOrder, body)
    }
}
