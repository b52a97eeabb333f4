import DHCPProtocol
import Prometheus

/// What `mock-client` exposes: messages sent and received by type, its client machines by RFC 2131 state (those
/// holding a lease are BOUND, RENEWING or REBINDING), lease events (active, renewed, released, expired, declined,
/// nak) and problems.
public final class ClientMetrics {
    static let messages = CounterFamily(name: "dhcp_client_messages_total", help: "DHCP messages, by direction (sent, received) and type.")
    static let machines = GaugeFamily(name: "dhcp_client_machines", help: "The client machines, by RFC 2131 state.")
    static let leaseEvents = CounterFamily(name: "dhcp_client_lease_events_total",
                                           help: "Lease events: active (bound), renewed, released, expired, declined, nak.")
    static let problems = CounterFamily(name: "dhcp_client_problems_total", help: "Problems, by code and severity.")

    let registry: PrometheusCollectorRegistry

    /// `clients` machines, all in INIT (or INIT-REBOOT: `rebooting` of them).
    public init(registry: PrometheusCollectorRegistry, clients: Int, rebooting: Int) {
        self.registry = registry
        for state in DHCPClientState.allCases { Self.machines.on(registry, [("state", state.rawValue)]).set(0.0) }
        Self.machines.on(registry, [("state", DHCPClientState.initial.rawValue)]).set(Double(clients - rebooting))
        Self.machines.on(registry, [("state", DHCPClientState.initReboot.rawValue)]).set(Double(rebooting))
        for direction in ["sent", "received"] { _ = Self.messages.on(registry, [("direction", direction), ("type", "DISCOVER")]) }
    }

    public func message(type: String, sent: Bool) {
        Self.messages.on(registry, [("direction", sent ? "sent" : "received"), ("type", type)]).increment()
    }

    public func transition(_ step: DHCPClientTransition) {
        guard step.from != step.to else { return }
        Self.machines.on(registry, [("state", step.from.rawValue)]).decrement()
        Self.machines.on(registry, [("state", step.to.rawValue)]).increment()
    }

    /// A lease event (as the `lease` event's state).
    public func lease(state: String) { Self.leaseEvents.on(registry, [("state", state)]).increment() }

    public func problem(code: String, severity: String) {
        Self.problems.on(registry, [("code", code), ("severity", severity)]).increment()
    }
}
