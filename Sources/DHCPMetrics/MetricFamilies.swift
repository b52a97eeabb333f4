import Prometheus

/// A counter's name and help, declared once: swift-prometheus stops the process when one name is registered with
/// two help texts, so every series of a name is made through its one declaration.
struct CounterFamily: Sendable {
    let name: String
    let help: String

    func on(_ registry: PrometheusCollectorRegistry, _ labels: [(String, String)] = []) -> Counter {
        labels.isEmpty ? registry.makeCounter(name: name, help: help) : registry.makeCounter(name: name, labels: labels, help: help)
    }
}

/// A gauge's name and help, declared once.
struct GaugeFamily: Sendable {
    let name: String
    let help: String

    func on(_ registry: PrometheusCollectorRegistry, _ labels: [(String, String)] = []) -> Gauge {
        labels.isEmpty ? registry.makeGauge(name: name, help: help) : registry.makeGauge(name: name, labels: labels, help: help)
    }
}

/// A histogram's name, help and buckets (seconds), declared once.
struct HistogramFamily: Sendable {
    let name: String
    let help: String
    var buckets = HistogramFamily.seconds

    /// Response times, seconds: 100 µs to 10 s.
    static let seconds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    func on(_ registry: PrometheusCollectorRegistry, _ labels: [(String, String)]) -> ValueHistogram {
        registry.makeValueHistogram(name: name, labels: labels, buckets: buckets, help: help)
    }
}

/// Label values from a set that grows with the traffic (servers): the first `limit` are kept, the rest are
/// `other`, so that a run of weeks cannot grow the endpoint without limit.
struct BoundedLabels {
    static let other = "other"
    let limit: Int
    private(set) var kept: [String] = []
    private var members: Set<String> = []

    init(limit: Int) { self.limit = limit }

    mutating func label(_ value: String) -> String {
        if members.contains(value) { return value }
        guard members.count < limit else { return Self.other }
        members.insert(value)
        kept.append(value)
        return value
    }
}
