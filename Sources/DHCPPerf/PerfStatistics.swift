import Histogram

/// The latency of one step (DISCOVER→OFFER, REQUEST→ACK, or a whole exchange) as an HDR histogram in
/// microseconds, 3 significant digits, up to 60 s. Its recorded values travel in the summary as
/// `[[microseconds, count], …]`, so that `perf --merge` adds the histograms of several runs together rather than
/// averaging their percentiles.
public struct PerfLatency: Sendable, Equatable {
    public private(set) var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000,
                                                          numberOfSignificantValueDigits: .three)

    public init() {}

    public var count: UInt64 { histogram.totalCount }

    public mutating func record(seconds: Double) {
        _ = histogram.record(UInt64(clamping: Int64((max(0, seconds) * 1e6).rounded())))
    }

    public mutating func add(_ other: PerfLatency) { histogram.add(other.histogram) }

    /// The value at `percentile` (0…100) in milliseconds; nil when nothing was recorded.
    public func milliseconds(atPercentile percentile: Double) -> Double? {
        count == 0 ? nil : Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    public var maxMilliseconds: Double? { count == 0 ? nil : Double(histogram.max) / 1000 }

    /// Every recorded value with its count, `[[microseconds, count], …]`.
    public var pairs: [[UInt64]] {
        histogram.recordedValues().map { [$0.value, $0.countAddedInThisIterationStep] }
    }

    public init(pairs: [[UInt64]]) {
        for pair in pairs where pair.count == 2 {
            _ = histogram.record(pair[0], count: pair[1])
        }
    }
}

extension PerfLatency: Codable {
    enum CodingKeys: String, CodingKey {
        case count, histogram
        case p50 = "p50_ms", p90 = "p90_ms", p99 = "p99_ms", p999 = "p999_ms", max = "max_ms"
    }

    /// The percentiles are written for readers; only the histogram is read back.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(pairs: try container.decode([[UInt64]].self, forKey: .histogram))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(milliseconds(atPercentile: 50), forKey: .p50)
        try container.encode(milliseconds(atPercentile: 90), forKey: .p90)
        try container.encode(milliseconds(atPercentile: 99), forKey: .p99)
        try container.encode(milliseconds(atPercentile: 99.9), forKey: .p999)
        try container.encode(maxMilliseconds, forKey: .max)
        try container.encode(pairs, forKey: .histogram)
    }
}

/// The counts of one kind of exchange.
public struct PerfKindCounts: Codable, Sendable, Equatable {
    public var sent: UInt64 = 0
    public var completed: UInt64 = 0
    public var drops: UInt64 = 0
    public var naks: UInt64 = 0

    public init() {}

    mutating func add(_ other: PerfKindCounts) {
        sent += other.sent; completed += other.completed; drops += other.drops; naks += other.naks
    }
}

/// A run's results: perf's `summary` event (without the `event` key), and what `--merge` reads back.
/// Exchanges started during the warm-up are in none of the counts.
public struct PerfSummary: Codable, Sendable, Equatable {
    public var clients = 0
    /// Runs merged into this one (1 for a single run).
    public var runs = 1
    /// Seconds from the first counted exchange to the last one started.
    public var duration = 0.0
    /// Exchanges per second asked for, started (send), and completed (achieved).
    public var offeredRate = 0.0
    public var sendRate = 0.0
    public var achievedRate = 0.0
    /// Exchanges started, completed, failed for want of an answer within the drop time, and NAK'd.
    public var sent: UInt64 = 0
    public var completed: UInt64 = 0
    public var drops: UInt64 = 0
    public var naks: UInt64 = 0
    /// Drops by the step that went unanswered.
    public var dropsDiscoverOffer: UInt64 = 0
    public var dropsRequestAck: UInt64 = 0
    /// A second reply of one kind to one request; a reply to an exchange already given up on.
    public var duplicates: UInt64 = 0
    public var lateReplies: UInt64 = 0
    /// Replies with an xid no exchange of that client had.
    public var unexpectedReplies: UInt64 = 0
    /// Exchanges still waiting when a signal stopped the run (neither completed nor dropped).
    public var unfinished: UInt64 = 0
    /// Exchanges due that found every client busy: the client space is too small for the rate.
    public var noFreeClient: UInt64 = 0
    /// Exchanges started more than 10 ms after their time, and the worst delay: the generator, not the server,
    /// fell behind.
    public var lateStarts: UInt64 = 0
    public var maxStartDelayMs = 0.0
    /// True when the generator could not keep the rate: the shortfall is its limit, not the server's drops.
    public var generatorLimited = false
    public var messagesSent: UInt64 = 0
    public var messagesReceived: UInt64 = 0
    public var sendErrors: UInt64 = 0
    public var firstSendError: String?
    public var kinds: [String: PerfKindCounts] = [:]
    /// Problems the client machines reported, by code, and by severity (`info`, `warning`, `error`).
    public var problemCodes: [String: UInt64] = [:]
    public var problems: [String: UInt64] = [:]
    public var discoverOffer = PerfLatency()
    public var requestAck = PerfLatency()
    public var exchange = PerfLatency()
    /// The failover drill: the longest stretch without a completed exchange (seconds; nil before two completed),
    /// the clients with an exchange completed on both sides of it, and those of them that kept their address.
    public var longestGap: Double?
    public var gapClients: Int?
    public var gapKept: Int?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case clients, runs, duration, sent, completed, drops, naks, duplicates, unfinished, kinds, problems, exchange
        case offeredRate = "offered_rate", sendRate = "send_rate", achievedRate = "achieved_rate"
        case dropsDiscoverOffer = "drops_discover_offer", dropsRequestAck = "drops_request_ack"
        case lateReplies = "late_replies", unexpectedReplies = "unexpected_replies", noFreeClient = "no_free_client"
        case lateStarts = "late_starts", maxStartDelayMs = "max_start_delay_ms", generatorLimited = "generator_limited"
        case messagesSent = "messages_sent", messagesReceived = "messages_received"
        case sendErrors = "send_errors", firstSendError = "first_send_error", problemCodes = "problem_codes"
        case discoverOffer = "discover_offer", requestAck = "request_ack"
        case longestGap = "longest_gap_s", gapClients = "gap_clients", gapKept = "gap_kept"
    }

    /// Failed exchanges: drops and NAKs.
    public var failed: UInt64 { drops + naks }

    /// Several runs (shards on several hosts, at the same time) as one: counts and rates add up, histograms are
    /// merged, the duration is the longest, and the drill's figures are those of the run with the longest gap.
    public static func merged(_ summaries: [PerfSummary]) -> PerfSummary {
        var total = PerfSummary()
        total.runs = 0
        for summary in summaries {
            total.clients += summary.clients
            total.runs += summary.runs
            total.duration = max(total.duration, summary.duration)
            total.offeredRate += summary.offeredRate
            total.sendRate += summary.sendRate
            total.achievedRate += summary.achievedRate
            total.sent += summary.sent
            total.completed += summary.completed
            total.drops += summary.drops
            total.naks += summary.naks
            total.dropsDiscoverOffer += summary.dropsDiscoverOffer
            total.dropsRequestAck += summary.dropsRequestAck
            total.duplicates += summary.duplicates
            total.lateReplies += summary.lateReplies
            total.unexpectedReplies += summary.unexpectedReplies
            total.unfinished += summary.unfinished
            total.noFreeClient += summary.noFreeClient
            total.lateStarts += summary.lateStarts
            total.maxStartDelayMs = max(total.maxStartDelayMs, summary.maxStartDelayMs)
            total.generatorLimited = total.generatorLimited || summary.generatorLimited
            total.messagesSent += summary.messagesSent
            total.messagesReceived += summary.messagesReceived
            total.sendErrors += summary.sendErrors
            total.firstSendError = total.firstSendError ?? summary.firstSendError
            for (kind, counts) in summary.kinds { total.kinds[kind, default: PerfKindCounts()].add(counts) }
            for (code, count) in summary.problemCodes { total.problemCodes[code, default: 0] += count }
            for (severity, count) in summary.problems { total.problems[severity, default: 0] += count }
            total.discoverOffer.add(summary.discoverOffer)
            total.requestAck.add(summary.requestAck)
            total.exchange.add(summary.exchange)
            if let gap = summary.longestGap, gap > total.longestGap ?? -1 {
                total.longestGap = gap
                total.gapClients = summary.gapClients
                total.gapKept = summary.gapKept
            }
        }
        return total
    }
}
