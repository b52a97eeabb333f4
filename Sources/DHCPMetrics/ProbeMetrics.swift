import Prometheus

/// What `probe --watch` exposes, as blackbox_exporter's probes do: whether the last round succeeded, its status and
/// duration, the servers that answered (expected or not, rogue), each server's response times and whether it
/// answered the last round, rounds by status and problems by code. Servers are labelled by identifier, at most
/// `AnalysisMetrics.maximumServers` of them (the rest are `other`).
public final class ProbeMetrics {
    static let rounds = CounterFamily(name: "dhcp_probe_rounds_total", help: "Probe rounds, by Nagios status (OK, WARNING, CRITICAL, UNKNOWN).")
    static let success = GaugeFamily(name: "dhcp_probe_success", help: "1 when the last round was OK, else 0.")
    static let status = GaugeFamily(name: "dhcp_probe_status", help: "The last round's Nagios status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.")
    static let duration = GaugeFamily(name: "dhcp_probe_duration_seconds", help: "How long the last round took.")
    static let servers = GaugeFamily(name: "dhcp_probe_servers", help: "Servers that answered the last round, expected (--expect) or not.")
    static let rogues = GaugeFamily(name: "dhcp_probe_rogue_servers", help: "Servers not expected that answered the last round.")
    static let missing = GaugeFamily(name: "dhcp_probe_missing_servers", help: "Expected servers that did not answer the last round.")
    static let up = GaugeFamily(name: "dhcp_probe_server_up", help: "1 when the server answered the last round, 0 when it did not.")
    static let responses = HistogramFamily(name: "dhcp_probe_response_seconds",
                                           help: "Time from a probe to each answer, by server.")
    static let problems = CounterFamily(name: "dhcp_probe_problems_total", help: "Problems found, by code and severity.")

    let registry: PrometheusCollectorRegistry
    private var serverLabels = BoundedLabels(limit: AnalysisMetrics.maximumServers)

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        for name in ["OK", "WARNING", "CRITICAL", "UNKNOWN"] { _ = Self.rounds.on(registry, [("status", name)]) }
    }

    /// One server's part in a round: its identifier, whether expected, the milliseconds to each of its answers.
    public struct Answer: Sendable {
        public var server: String
        public var expected: Bool
        public var milliseconds: [Double]
        public init(server: String, expected: Bool, milliseconds: [Double]) {
            self.server = server; self.expected = expected; self.milliseconds = milliseconds
        }
    }

    /// A round ended: its status (0…3 and name), duration, the servers that answered, how many expected ones did not.
    public func round(status: Int, name: String, seconds: Double, answers: [Answer], missing: Int) {
        Self.rounds.on(registry, [("status", name)]).increment()
        Self.success.on(registry).set(status == 0 ? 1.0 : 0.0)
        Self.status.on(registry).set(Double(status))
        Self.duration.on(registry).set(seconds)
        for expected in [true, false] {
            Self.servers.on(registry, [("expected", expected ? "true" : "false")])
                .set(Double(answers.filter { $0.expected == expected }.count))
        }
        Self.rogues.on(registry).set(Double(answers.filter { !$0.expected }.count))
        Self.missing.on(registry).set(Double(missing))
        var answered: Set<String> = []
        for answer in answers {
            let label = serverLabels.label(answer.server)
            answered.insert(label)
            let histogram = Self.responses.on(registry, [("server", label)])
            for time in answer.milliseconds { histogram.record(time / 1000) }
        }
        for label in serverLabels.kept { Self.up.on(registry, [("server", label)]).set(answered.contains(label) ? 1.0 : 0.0) }
    }

    /// A problem of the round.
    public func problem(code: String, severity: String) {
        Self.problems.on(registry, [("code", code), ("severity", severity)]).increment()
    }
}
