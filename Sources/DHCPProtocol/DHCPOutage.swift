import DHCPCore

/// A failover drill's measure, for any client role (perf, mock-client): the longest stretch without a completed
/// exchange (an ACK), and how many clients kept their address across it. Pure: the role reports each completed
/// exchange with its time, client and address; `report` reads the result.
public struct DHCPOutageTracker: Sendable {
    /// One completed exchange: when, which client (the role's index), which address.
    struct Completion: Sendable {
        var time: Double
        var client: UInt32
        var address: IPv4Address
    }

    private var completions: [Completion] = []
    /// Completions kept at most: the oldest half is dropped past it (16 bytes each: 64 MiB).
    public let capacity: Int
    public private(set) var dropped = 0

    public init(capacity: Int = 4 << 20) { self.capacity = max(2, capacity) }

    /// An exchange of `client` completed at `time` with `address` (times in order, any epoch).
    public mutating func completed(client: Int, address: IPv4Address, at time: Double) {
        if completions.count >= capacity {
            let half = completions.count / 2
            completions.removeFirst(half)
            dropped += half
        }
        completions.append(Completion(time: time, client: UInt32(truncatingIfNeeded: client), address: address))
    }

    /// The longest stretch between two completed exchanges, and the clients on either side of it.
    public struct Report: Sendable, Equatable {
        /// The last completion before the stretch and the first after it.
        public var from: Double
        public var to: Double
        public var seconds: Double { to - from }
        /// Clients with a completed exchange both before and after the stretch …
        public var crossed: Int
        /// … of which these had the same address after it as before.
        public var kept: Int
    }

    /// Nil until two exchanges completed.
    public var report: Report? {
        guard completions.count >= 2 else { return nil }
        var gapEnd = 1
        for index in 2..<completions.count
        where completions[index].time - completions[index - 1].time > completions[gapEnd].time - completions[gapEnd - 1].time {
            gapEnd = index
        }
        var before: [UInt32: IPv4Address] = [:]
        for completion in completions[..<gapEnd] { before[completion.client] = completion.address }
        var after: [UInt32: IPv4Address] = [:]
        for completion in completions[gapEnd...] where after[completion.client] == nil { after[completion.client] = completion.address }
        var crossed = 0, kept = 0
        for (client, address) in after {
            guard let earlier = before[client] else { continue }
            crossed += 1
            if earlier == address { kept += 1 }
        }
        return Report(from: completions[gapEnd - 1].time, to: completions[gapEnd].time, crossed: crossed, kept: kept)
    }
}
