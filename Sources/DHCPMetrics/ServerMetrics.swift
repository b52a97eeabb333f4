import DHCPCore
import DHCPProtocol
import Prometheus

/// What mock-server exposes: messages received and replies sent by type, problems by kind, and every 5 s the
/// addresses of each subnet (pool size, leased, free, declined), the offers held, the allocations the rate limit
/// refused and, in a pair, whether the partner is up. Labels: message types, problem kinds, subnets (the
/// configuration's), never clients.
public final class ServerMetrics {
    static let received = CounterFamily(name: "dhcp_server_messages_received_total", help: "DHCP messages received, by type.")
    static let replies = CounterFamily(name: "dhcp_server_replies_total", help: "Replies sent, by type.")
    static let problems = CounterFamily(name: "dhcp_server_problems_total", help: "Problems, by code.")
    static let refused = CounterFamily(name: "dhcp_server_allocations_refused_total",
                                       help: "New allocations the rate limit (--rate-limit) refused.")
    static let addresses = GaugeFamily(name: "dhcp_server_addresses",
                                       help: "Addresses of each subnet's pools: their number (pool), leased, declined and free.")
    static let offersHeld = GaugeFamily(name: "dhcp_server_offers_held", help: "Offers held (addresses reserved for a client's REQUEST).")
    static let partnerUp = GaugeFamily(name: "dhcp_server_ha_partner_up",
                                       help: "1 while the high-availability partner answers its heartbeats.")

    let registry: PrometheusCollectorRegistry
    private var refusedSoFar = 0

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        _ = Self.refused.on(registry)
    }

    /// A message received, by its type name (DISCOVER, …; MALFORMED when it did not parse).
    public func received(type: String) { Self.received.on(registry, [("type", type)]).increment() }

    /// A reply sent, by type.
    public func sent(type: String) { Self.replies.on(registry, [("type", type)]).increment() }

    /// A problem, by its code (server-…).
    public func problem(code: String) { Self.problems.on(registry, [("code", code)]).increment() }

    /// The server's state now.
    public func state(configuration: DHCPServerConfiguration, leases: [DHCPLease], heldOffers: Int, refusedAllocations: Int,
                      partnerUp: Bool?, now: Double) {
        for subnet in configuration.subnets {
            let label = "\(subnet.network)/\(subnet.prefixLength)"
            let size = subnet.pools.reduce(0) { $0 + $1.count }
            var leased = 0, declined = 0
            for lease in leases where subnet.inPool(lease.address) {
                if lease.isBound(at: now) { leased += 1 }
                if lease.state == .declined, lease.expires > now { declined += 1 }
            }
            for (state, count) in [("pool", size), ("leased", leased), ("declined", declined),
                                   ("free", max(0, size - leased - declined))] {
                Self.addresses.on(registry, [("subnet", label), ("state", state)]).set(Double(count))
            }
        }
        Self.offersHeld.on(registry).set(Double(heldOffers))
        if refusedAllocations > refusedSoFar {
            Self.refused.on(registry).increment(by: Int64(refusedAllocations - refusedSoFar))
            refusedSoFar = refusedAllocations
        }
        if let partnerUp { Self.partnerUp.on(registry).set(partnerUp ? 1.0 : 0.0) }
    }
}
