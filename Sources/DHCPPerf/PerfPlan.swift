/// One exchange perf starts for a synthetic client.
public enum PerfExchangeKind: String, CaseIterable, Hashable, Sendable, Codable {
    /// DISCOVER → OFFER, REQUEST → ACK: a new lease (`--exchange 4way`).
    case dora
    /// DISCOVER → OFFER only (`--exchange 2way`); the client goes back to INIT.
    case discoverOffer = "2way"
    /// REQUEST → ACK for the lease the client holds, unicast (RENEWING).
    case renew
    /// RELEASE of the lease the client holds: no answer is expected.
    case release
    /// REQUEST → ACK for the remembered lease, broadcast (INIT-REBOOT).
    case initReboot = "init-reboot"

    /// Whether the exchange needs a client that holds a lease.
    var needsLease: Bool { self == .renew || self == .release || self == .initReboot }
}

/// What share of the exchanges is of each kind (`--mix dora:70,renew:20,release:10`), picked by smooth weighted
/// round robin: deterministic, and every kind spread evenly through the run rather than in runs of one kind.
public struct PerfMix: Hashable, Sendable {
    public private(set) var weights: [(kind: PerfExchangeKind, weight: Int)]
    private var current: [Int]

    public init(_ weights: [(PerfExchangeKind, Int)]) {
        self.weights = weights.filter { $0.1 > 0 }.map { (kind: $0.0, weight: $0.1) }
        current = Array(repeating: 0, count: self.weights.count)
    }

    /// Only `kind`.
    public init(only kind: PerfExchangeKind) { self.init([(kind, 1)]) }

    /// Parses `kind:weight,…`; kinds are dora (or 4way), 2way, renew, release, init-reboot; nil names what is wrong.
    public static func parse(_ text: String) -> Result<PerfMix, PerfPlanError> {
        var weights: [(PerfExchangeKind, Int)] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            let name = parts[0] == "4way" ? "dora" : String(parts[0])
            guard parts.count == 2, let kind = PerfExchangeKind(rawValue: name) else {
                return .failure(PerfPlanError("'\(item)' is not kind:weight with a kind of dora, 2way, renew, release, init-reboot"))
            }
            guard let weight = Int(parts[1]), weight >= 0 else {
                return .failure(PerfPlanError("'\(item)': the weight must be a whole number ≥ 0"))
            }
            guard !weights.contains(where: { $0.0 == kind }) else { return .failure(PerfPlanError("\(name) is given twice")) }
            weights.append((kind, weight))
        }
        let mix = PerfMix(weights)
        guard !mix.weights.isEmpty else { return .failure(PerfPlanError("no kind has a weight above 0")) }
        guard mix.weights.contains(where: { !$0.kind.needsLease }) else {
            return .failure(PerfPlanError("renew, release and init-reboot need leases: add dora"))
        }
        return .success(mix)
    }

    public mutating func next() -> PerfExchangeKind {
        let total = weights.reduce(0) { $0 + $1.weight }
        var best = 0
        for index in weights.indices {
            current[index] += weights[index].weight
            if current[index] > current[best] { best = index }
        }
        current[best] -= total
        return weights[best].kind
    }

    public var description: String { weights.map { "\($0.kind.rawValue):\($0.weight)" }.joined(separator: ",") }

    public static func == (lhs: PerfMix, rhs: PerfMix) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }
}

/// `--shard i/N`: this process is shard i (1-based) of N; it takes the clients whose number is i-1 modulo N, and
/// its share of the rate and of the count, so that N hosts together load one server as one would.
public struct PerfShard: Hashable, Sendable {
    /// 0-based.
    public var index: Int
    public var count: Int

    public static let whole = PerfShard(index: 0, count: 1)

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    public static func parse(_ text: String) -> Result<PerfShard, PerfPlanError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let number = Int(parts[0]), let count = Int(parts[1]), count >= 1, (1...count).contains(number)
        else { return .failure(PerfPlanError("'\(text)' is not i/N with 1 ≤ i ≤ N")) }
        return .success(PerfShard(index: number - 1, count: count))
    }

    /// The client numbers (0-based, of `total`) this shard drives.
    public func clientNumbers(of total: Int) -> StrideTo<Int> { stride(from: index, to: total, by: count) }

    /// This shard's share of `total` (the first `total % count` shards take one more).
    public func share(of total: Int) -> Int { total / count + (index < total % count ? 1 : 0) }
}

/// `--max-drops N` or `--max-drops P%`: how many failed exchanges (no answer in time, or a NAK) a run may have
/// and still succeed.
public enum PerfDropLimit: Hashable, Sendable {
    case count(Int)
    case percent(Double)

    public static func parse(_ text: String) -> Result<PerfDropLimit, PerfPlanError> {
        if text.hasSuffix("%") {
            guard let value = Double(text.dropLast()), value >= 0, value <= 100 else {
                return .failure(PerfPlanError("'\(text)' is not a percentage 0…100%"))
            }
            return .success(.percent(value))
        }
        guard let value = Int(text), value >= 0 else { return .failure(PerfPlanError("'\(text)' is neither a count ≥ 0 nor P%")) }
        return .success(.count(value))
    }

    /// Whether `failed` of `started` exchanges is more than allowed.
    public func isExceeded(failed: UInt64, of started: UInt64) -> Bool {
        switch self {
        case .count(let limit): failed > UInt64(limit)
        case .percent(let limit): started > 0 && Double(failed) * 100 > limit * Double(started)
        }
    }
}

public struct PerfPlanError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// How a run is paced and what it does.
public struct PerfPlan: Hashable, Sendable {
    /// Exchanges started per second, by the clock (open loop).
    public var rate: Double
    /// Seconds of sending; nil: until `count` exchanges have started.
    public var duration: Double?
    /// Exchanges to start; nil: until `duration`.
    public var count: Int?
    /// Exchanges started in the first `warmup` seconds run but are not counted.
    public var warmup: Double
    /// Seconds a step waits for its answer before the exchange counts as dropped (perfdhcp's -d, 1 s). Below the
    /// client machine's first retransmission (4 s ± 1), so that a dropped exchange is never retried.
    public var dropTime: Double
    public var mix: PerfMix

    public static let longestDropTime = 2.5

    public init(rate: Double, duration: Double? = nil, count: Int? = nil, warmup: Double = 0, dropTime: Double = 1,
                mix: PerfMix = PerfMix(only: .dora)) {
        self.rate = rate; self.duration = duration; self.count = count; self.warmup = warmup
        self.dropTime = dropTime; self.mix = mix
    }
}
