@testable import DHCPAnalysis
import NetworkPrimitives
import Testing

/// ChunkedArray keeps its elements in raw chunks: it must behave exactly as an Array does, across chunk boundaries,
/// through the first chunk's growth, and when a copy is changed (copy on write).
@Suite("ChunkedArray")
struct ChunkedArrayTests {
    @Test("Random appends, removals, swaps and writes match an Array, copies included", arguments: [1, 2, 3, 4])
    func matchesArray(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var chunked = ChunkedArray<String>()
        var model = [String]()
        var snapshots: [(ChunkedArray<String>, [String])] = []
        for step in 0..<30_000 {
            let roll = random.next() % 100
            if roll < 60 || model.isEmpty {
                // Long runs of appends cross several 4,096-element chunks.
                let value = "v\(step)"
                chunked.append(value)
                model.append(value)
            } else if roll < 70 {
                let k = Int(random.next() % UInt64(min(model.count, 3))) + 1
                chunked.removeLast(k)
                model.removeLast(k)
            } else if roll < 85 {
                let i = Int(random.next() % UInt64(model.count)), j = Int(random.next() % UInt64(model.count))
                chunked.swapAt(i, j)
                model.swapAt(i, j)
            } else if roll < 98 {
                let i = Int(random.next() % UInt64(model.count))
                chunked[i] = "w\(step)"
                model[i] = "w\(step)"
            } else {
                snapshots.append((chunked, model))
            }
            #expect(chunked.count == model.count)
        }
        #expect(model.count > 2 * 4_096)
        #expect(Array(chunked.indices.map { chunked[$0] }) == model)
        // Emptied chunks are given back on the way down, and the array grows again from empty.
        while !model.isEmpty {
            let k = Int(random.next() % UInt64(min(model.count, 3_000))) + 1
            chunked.removeLast(k)
            model.removeLast(k)
            #expect(chunked.count == model.count && (model.isEmpty || chunked[model.count - 1] == model[model.count - 1]))
        }
        for step in 0..<5_000 {
            chunked.append("x\(step)")
            model.append("x\(step)")
        }
        #expect(Array(chunked.indices.map { chunked[$0] }) == model)
        // Every copy kept its elements although the original changed after it was taken.
        for (copy, expected) in snapshots {
            #expect(copy.indices.map { copy[$0] } == expected)
        }
    }
}
