import CNetShim
import Dispatch

/// Work spread over the machine's other cores with its results kept in order: `submit` hands a batch to a worker
/// thread, and the results come back to `deliver`, on the submitting thread, in the order the batches were
/// submitted. What a command writes from them is byte-for-byte what one thread would write.
///
/// At most `2 × width` batches are in flight: `submit` delivers the oldest results (waiting for them) before it
/// takes more, so memory stays bounded however fast the input comes. Used from one thread.
public final class OrderedWorkers<Batch: Sendable, Result: Sendable> {
    /// One submitted batch: its result once a worker has made it.
    private final class Slot: @unchecked Sendable {
        // Written by the worker before `done` is signalled, read by the submitting thread after the wait.
        var result: Result?
        let done = DispatchSemaphore(value: 0)
    }

    private let work: @Sendable (Batch) -> Result
    private let deliver: (Result) -> Void
    private let queue = DispatchQueue(label: "dhcpscope.workers", qos: .userInitiated, attributes: .concurrent)
    /// In submission order; a few at most, so taking the first is cheap.
    private var pending: [Slot] = []
    private let depth: Int

    /// - Parameters:
    ///   - width: the worker threads wanted (Dispatch's pool provides them, up to the CPU count).
    ///   - work: runs on a worker thread; it must not touch the submitter's state.
    ///   - deliver: runs on the submitting thread, in submission order.
    public init(width: Int, work: @escaping @Sendable (Batch) -> Result, deliver: @escaping (Result) -> Void) {
        self.work = work
        self.deliver = deliver
        depth = 2 * max(1, width)
    }

    public func submit(_ batch: Batch) {
        let slot = Slot()
        let work = self.work
        queue.async {
            slot.result = work(batch)
            slot.done.signal()
        }
        pending.append(slot)
        while pending.count > depth { deliverOldest() }
    }

    /// Delivers every result still in flight, waiting for each.
    public func finish() {
        while !pending.isEmpty { deliverOldest() }
    }

    private func deliverOldest() {
        let slot = pending.removeFirst()
        slot.done.wait()
        if let result = slot.result { deliver(result) }
    }
}

public enum Processors {
    /// The CPUs this process may run on (its affinity mask: `taskset` and cpusets count).
    public static var available: Int { Int(cns_available_cpus()) }
}
