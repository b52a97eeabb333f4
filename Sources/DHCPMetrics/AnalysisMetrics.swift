import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Prometheus

/// What a passive monitor (sniff) exposes: the analysis's messages, transactions, servers, clients, leases and
/// problems, as Prometheus metrics named as its conventions ask (`_total` counters, `_seconds` in base units).
/// Label values are bounded: message types, transaction kinds and outcomes, problem codes, client states, and at most
/// `maximumServers` servers (the rest are `other`), never one per client, so a run of weeks cannot grow the endpoint.
public final class AnalysisMetrics {
    public static let maximumServers = 64
    /// Response-time buckets, seconds: 1 ms to 10 s.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    let registry: PrometheusCollectorRegistry
    private var serverLabels: Set<String> = []
    private var lastKernelDrops: UInt64 = 0
    private var lastInterfaceDrops: UInt64 = 0

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        // Zero series that exist from the start, so that a scrape before the first message shows them.
        for family in ["v4", "v6"] {
            _ = registry.makeCounter(name: "dhcp_messages_total", labels: [("family", family), ("type", "DISCOVER")],
                                     help: "DHCP messages seen, by family and message type.")
        }
        _ = registry.makeCounter(name: "dhcp_capture_dropped_total", labels: [("where", "kernel")],
                                 help: "Frames the capture lost, by where they were dropped.")
        _ = registry.makeCounter(name: "dhcp_capture_dropped_total", labels: [("where", "interface")],
                                 help: "Frames the capture lost, by where they were dropped.")
    }

    /// One message seen: `family` v4 or v6, its type name (contract names: DISCOVER, SOLICIT, …).
    public func message(family: String, type: String) {
        registry.makeCounter(name: "dhcp_messages_total", labels: [("family", family), ("type", type)],
                             help: "DHCP messages seen, by family and message type.").increment()
    }

    /// The analysis's events: transactions (with their response times), problems.
    public func events(_ events: [AnalysisEvent]) {
        for event in events {
            switch event {
            case .transaction(let report):
                registry.makeCounter(name: "dhcp_transactions_total",
                                     labels: [("family", "v4"), ("kind", report.kind.rawValue), ("outcome", report.outcome.rawValue)],
                                     help: "DHCP transactions ended, by family, kind and outcome.").increment()
                guard let server = report.servers.first else { continue }
                let label = serverLabel(server.description)
                if let offer = report.discoverOfferMilliseconds { responseTime(label, step: "discover-offer", offer) }
                if let ack = report.requestAckMilliseconds { responseTime(label, step: "request-ack", ack) }
            case .transaction6(let report):
                registry.makeCounter(name: "dhcp_transactions_total",
                                     labels: [("family", "v6"), ("kind", report.kind.rawValue), ("outcome", report.outcome.rawValue)],
                                     help: "DHCP transactions ended, by family, kind and outcome.").increment()
            case .problem(let problem):
                registry.makeCounter(name: "dhcp_problems_total",
                                     labels: [("code", problem.code.rawValue), ("severity", problem.severity.rawValue)],
                                     help: "Problems found, by code and severity.").increment()
            default:
                continue
            }
        }
    }

    private func responseTime(_ server: String, step: String, _ milliseconds: Double) {
        registry.makeValueHistogram(name: "dhcp_server_response_seconds", labels: [("server", server), ("step", step)],
                                    buckets: Self.buckets, help: "Server response time, by server and exchange step.")
            .record(milliseconds / 1000)
    }

    /// A server's label: its identifier, or `other` past `maximumServers` of them.
    private func serverLabel(_ server: String) -> String {
        if serverLabels.contains(server) { return server }
        guard serverLabels.count < Self.maximumServers else { return "other" }
        serverLabels.insert(server)
        return server
    }

    /// The gauges the analysis's tables give (servers seen, clients by state, active leases): read now and then,
    /// not per message.
    public func tables(_ analyzer: DHCPAnalyzer) {
        let servers = analyzer.serverTable
        for expected in [true, false] {
            registry.makeGauge(name: "dhcp_servers", labels: [("expected", expected ? "true" : "false")],
                               help: "DHCP servers seen, expected (--expect) or not.")
                .set(Double(servers.filter { $0.expected == expected }.count))
        }
        var states: [String: Int] = [:]
        for state in DHCPClientState.allCases { states[state.rawValue] = 0 }
        analyzer.forEachClient { states[$0.state.rawValue, default: 0] += 1 }
        for (state, count) in states {
            registry.makeGauge(name: "dhcp_clients", labels: [("state", state)], help: "DHCP clients by RFC 2131 state.")
                .set(Double(count))
        }
        var active = 0
        analyzer.forEachLease { if $0.state == .active || $0.state == .renewed { active += 1 } }
        registry.makeGauge(name: "dhcp_leases_active", help: "Leases active (bound or renewed, not ended).").set(Double(active))
    }

    /// The capture's cumulative drop counts, as counters.
    public func captureDrops(kernel: UInt64, interface: UInt64) {
        if kernel > lastKernelDrops {
            registry.makeCounter(name: "dhcp_capture_dropped_total", labels: [("where", "kernel")],
                                 help: "Frames the capture lost, by where they were dropped.").increment(by: Int64(kernel - lastKernelDrops))
            lastKernelDrops = kernel
        }
        if interface > lastInterfaceDrops {
            registry.makeCounter(name: "dhcp_capture_dropped_total", labels: [("where", "interface")],
                                 help: "Frames the capture lost, by where they were dropped.").increment(by: Int64(interface - lastInterfaceDrops))
            lastInterfaceDrops = interface
        }
    }
}
