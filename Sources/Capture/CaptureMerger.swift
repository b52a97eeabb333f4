/// Reads several capture files at once and hands out their packets in timestamp order, as mergecap does.
/// A file that fails is reported once and dropped; the others go on.
public final class CaptureMerger {
    public enum Item {
        case packet(fileIndex: Int, CapturedPacket)
        case failure(fileIndex: Int, CaptureError)
    }

    public let readers: [PCAPFileReader]
    /// The reader when there is only one (read without touching the array).
    private let single: PCAPFileReader?
    private var heads: [CapturedPacket?]
    private var started = false
    /// A single file that ended or failed.
    private var finished = false
    private var consumed: Int?
    private var failures: [(Int, CaptureError)] = []

    public init(readers: [PCAPFileReader]) {
        self.readers = readers
        single = readers.count == 1 ? readers[0] : nil
        heads = Array(repeating: nil, count: readers.count)
    }

    public func next() -> Item? {
        if let single {
            // One file: nothing to merge.
            guard !finished else { return nil }
            do {
                if let packet = try single.next() { return .packet(fileIndex: 0, packet) }
                finished = true
                return nil
            } catch {
                finished = true
                return .failure(fileIndex: 0, error)
            }
        }
        if !started {
            started = true
            for index in readers.indices { advance(index) }
        } else if let consumed {
            advance(consumed)
            self.consumed = nil
        }
        if !failures.isEmpty {
            let (index, error) = failures.removeFirst()
            return .failure(fileIndex: index, error)
        }
        var best: Int?
        for index in heads.indices {
            guard let head = heads[index] else { continue }
            if let current = best, let bestHead = heads[current], !(head.timestamp < bestHead.timestamp) { continue }
            best = index
        }
        guard let best, let packet = heads[best] else { return nil }
        consumed = best
        return .packet(fileIndex: best, packet)
    }

    private func advance(_ index: Int) {
        do {
            heads[index] = try readers[index].next()
        } catch {
            heads[index] = nil
            failures.append((index, error))
        }
    }
}
