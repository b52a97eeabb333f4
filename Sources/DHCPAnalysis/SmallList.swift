/// A list that keeps its first two elements inline and only the rest in an array: a transaction mostly sees one
/// server, one offer and two replies, and each array would be a heap allocation with its retains and releases.
struct SmallList<Element>: Sequence {
    private(set) var first: Element?
    private var second: Element?
    private var rest: [Element] = []

    init() {}

    var isEmpty: Bool { first == nil }
    var hasMoreThanOne: Bool { second != nil }
    var count: Int { first == nil ? 0 : second == nil ? 1 : 2 + rest.count }

    mutating func append(_ element: Element) {
        if first == nil { first = element } else if second == nil { second = element } else { rest.append(element) }
    }

    /// The last element that satisfies `predicate`.
    func last(where predicate: (Element) -> Bool) -> Element? {
        for element in rest.reversed() where predicate(element) { return element }
        if let second, predicate(second) { return second }
        if let first, predicate(first) { return first }
        return nil
    }

    struct Iterator: IteratorProtocol {
        fileprivate let list: SmallList
        fileprivate var position = 0

        mutating func next() -> Element? {
            defer { position += 1 }
            switch position {
            case 0: return list.first
            case 1: return list.second
            default: return position - 2 < list.rest.count ? list.rest[position - 2] : nil
            }
        }
    }

    func makeIterator() -> Iterator { Iterator(list: self) }
}

/// A set of option codes in four words: what a client asked for (option 55), tested against what a reply carries.
struct OptionCodeSet {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    /// The codes listed in `bytes` (option 55's data).
    init(_ bytes: UnsafeRawBufferPointer) {
        for code in bytes { insert(code) }
    }

    var isEmpty: Bool { words.0 | words.1 | words.2 | words.3 == 0 }

    func contains(_ code: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(code & 63)
        switch code >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    mutating func insert(_ code: UInt8) {
        let bit = UInt64(1) << UInt64(code & 63)
        switch code >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    /// Each code in the set, in ascending order.
    func forEach(_ body: (UInt8) -> Void) {
        func each(_ word: UInt64, from base: Int) {
            var rest = word
            while rest != 0 {
                body(UInt8(base + rest.trailingZeroBitCount))
                rest &= rest - 1
            }
        }
        each(words.0, from: 0); each(words.1, from: 64); each(words.2, from: 128); each(words.3, from: 192)
    }
}
