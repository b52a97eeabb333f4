import Prometheus

/// What `relay` exposes: messages received, passed on by direction and type, dropped by reason (the problem code
/// that dropped them), and its problems.
public final class RelayMetrics {
    static let received = CounterFamily(name: "dhcp_relay_messages_received_total", help: "DHCP messages received, from clients and servers.")
    static let forwarded = CounterFamily(name: "dhcp_relay_forwarded_total",
                                         help: "Messages passed on, by direction (to_server, to_client) and type.")
    static let dropped = CounterFamily(name: "dhcp_relay_dropped_total", help: "Messages not passed on, by reason (a problem code).")
    static let problems = CounterFamily(name: "dhcp_relay_problems_total", help: "Problems, by code and severity.")

    let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        _ = Self.received.on(registry)
        for direction in ["to_server", "to_client"] { _ = Self.forwarded.on(registry, [("direction", direction), ("type", "DISCOVER")]) }
    }

    public func received() { Self.received.on(registry).increment() }

    public func forwarded(type: String, toServer: Bool) {
        Self.forwarded.on(registry, [("direction", toServer ? "to_server" : "to_client"), ("type", type)]).increment()
    }

    /// A problem; `dropped` when the message it is about was not passed on.
    public func problem(code: String, severity: String, dropped: Bool) {
        Self.problems.on(registry, [("code", code), ("severity", severity)]).increment()
        if dropped { Self.dropped.on(registry, [("reason", code)]).increment() }
    }
}
