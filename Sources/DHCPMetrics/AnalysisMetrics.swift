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

    static let messages = CounterFamily(name: "dhcp_messages_total", help: "DHCP messages seen, by family and message type.")
    static let transactions = CounterFamily(name: "dhcp_transactions_total",
                                            help: "DHCP transactions ended, by family, kind and outcome.")
    static let problems = CounterFamily(name: "dhcp_problems_total", help: "Problems found, by code and severity.")
    static let drops = CounterFamily(name: "dhcp_capture_dropped_total", help: "Frames the capture lost, by where they were dropped.")
    static let responses = HistogramFamily(name: "dhcp_server_response_seconds",
                                           help: "Server response time, by server and exchange step.")
    static let servers = GaugeFamily(name: "dhcp_servers", help: "DHCP servers seen, expected (--expect) or not.")
    static let clients = GaugeFamily(name: "dhcp_clients", help: "DHCP clients by RFC 2131 state.")
    static let leases = GaugeFamily(name: "dhcp_leases_active", help: "Leases active (bound or renewed, not ended).")

    let registry: PrometheusCollectorRegistry
    private var serverLabels = BoundedLabels(limit: AnalysisMetrics.maximumServers)
    private var lastKernelDrops: UInt64 = 0
    private var lastInterfaceDrops: UInt64 = 0

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        // Zero series that exist from the start, so that a scrape before the first message shows them.
        for family in ["v4", "v6"] { _ = Self.messages.on(registry, [("family", family), ("type", "DISCOVER")]) }
        for place in ["kernel", "interface"] { _ = Self.drops.on(registry, [("where", place)]) }
    }

    /// One message seen: `family` v4 or v6, its type name (contract names: DISCOVER, SOLICIT, …).
    public func message(family: String, type: String) {
        Self.messages.on(registry, [("family", family), ("type", type)]).increment()
    }

    /// The analysis's events: transactions (with their response times), problems.
    public func events(_ events: [AnalysisEvent]) {
        for event in events {
            switch event {
            case .transaction(let report):
                Self.transactions.on(registry, [("family", "v4"), ("kind", report.kind.rawValue), ("outcome", report.outcome.rawValue)])
                    .increment()
                guard let server = report.servers.first else { continue }
                let label = serverLabels.label(server.description)
                if let offer = report.discoverOfferMilliseconds { responseTime(label, step: "discover-offer", offer) }
                if let ack = report.requestAckMilliseconds { responseTime(label, step: "request-ack", ack) }
            case .transaction6(let report):
                Self.transactions.on(registry, [("family", "v6"), ("kind", report.kind.rawValue), ("outcome", report.outcome.rawValue)])
                    .increment()
            case .problem(let problem):
                Self.problems.on(registry, [("code", problem.code.rawValue), ("severity", problem.severity.rawValue)]).increment()
            default:
                continue
            }
        }
    }

    private func responseTime(_ server: String, step: String, _ milliseconds: Double) {
        Self.responses.on(registry, [("server", server), ("step", step)]).record(milliseconds / 1000)
    }

    /// The gauges the analysis's tables give (servers seen, clients by state, active leases): read now and then,
    /// not per message.
    public func tables(_ analyzer: DHCPAnalyzer) {
        let servers = analyzer.serverTable
        for expected in [true, false] {
            Self.servers.on(registry, [("expected", expected ? "true" : "false")])
                .set(Double(servers.filter { $0.expected == expected }.count))
        }
        var states: [String: Int] = [:]
        for state in DHCPClientState.allCases { states[state.rawValue] = 0 }
        analyzer.forEachClient { states[$0.state.rawValue, default: 0] += 1 }
        for (state, count) in states { Self.clients.on(registry, [("state", state)]).set(Double(count)) }
        var active = 0
        analyzer.forEachLease { if $0.state == .active || $0.state == .renewed { active += 1 } }
        Self.leases.on(registry).set(Double(active))
    }

    /// The capture's cumulative drop counts, as counters.
    public func captureDrops(kernel: UInt64, interface: UInt64) {
        if kernel > lastKernelDrops {
            Self.drops.on(registry, [("where", "kernel")]).increment(by: Int64(kernel - lastKernelDrops))
            lastKernelDrops = kernel
        }
        if interface > lastInterfaceDrops {
            Self.drops.on(registry, [("where", "interface")]).increment(by: Int64(interface - lastInterfaceDrops))
            lastInterfaceDrops = interface
        }
    }
}
