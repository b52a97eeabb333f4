import Prometheus

/// What `perf` exposes while it runs: exchanges started, completed, dropped and NAKed (the measured ones, after the
/// warm-up, as the summary counts them), those in flight, and latency histograms per step.
public final class PerfMetrics {
    static let started = CounterFamily(name: "dhcp_perf_exchanges_started_total", help: "Exchanges started (after the warm-up).")
    static let completed = CounterFamily(name: "dhcp_perf_exchanges_completed_total", help: "Exchanges completed.")
    static let dropped = CounterFamily(name: "dhcp_perf_exchanges_dropped_total", help: "Exchanges given up on (no answer within the drop time).")
    static let naks = CounterFamily(name: "dhcp_perf_naks_total", help: "Exchanges ended by a NAK.")
    static let inFlight = GaugeFamily(name: "dhcp_perf_exchanges_in_flight", help: "Exchanges waiting for an answer.")
    static let latency = HistogramFamily(name: "dhcp_perf_latency_seconds",
                                         help: "Latency by step: discover-offer, request-ack, and the whole exchange.")

    let registry: PrometheusCollectorRegistry
    /// The histograms by step, looked up once: perf records thousands a second.
    private let histograms: [String: ValueHistogram]
    private var last = (sent: UInt64(0), completed: UInt64(0), drops: UInt64(0), naks: UInt64(0))

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        for family in [Self.started, Self.completed, Self.dropped, Self.naks] { _ = family.on(registry) }
        var histograms: [String: ValueHistogram] = [:]
        for step in ["discover-offer", "request-ack", "exchange"] { histograms[step] = Self.latency.on(registry, [("step", step)]) }
        self.histograms = histograms
    }

    /// The run's totals now (perf's progress, every second); the counters grow by the difference.
    public func progress(sent: UInt64, completed: UInt64, drops: UInt64, naks: UInt64, inFlight: Int) {
        func grow(_ family: CounterFamily, _ now: UInt64, _ before: UInt64) {
            if now > before { family.on(registry).increment(by: Int64(now - before)) }
        }
        grow(Self.started, sent, last.sent)
        grow(Self.completed, completed, last.completed)
        grow(Self.dropped, drops, last.drops)
        grow(Self.naks, naks, last.naks)
        last = (max(sent, last.sent), max(completed, last.completed), max(drops, last.drops), max(naks, last.naks))
        Self.inFlight.on(registry).set(Double(inFlight))
    }

    /// One measured latency.
    public func latency(step: String, seconds: Double) {
        (histograms[step] ?? Self.latency.on(registry, [("step", step)])).record(seconds)
    }
}
