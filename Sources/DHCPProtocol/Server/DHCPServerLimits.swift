import DHCPCore

/// Offers held for clients: by address and by client, bounded in number, each with an expiry.
struct DHCPOfferHolds: Sendable {
    private(set) var byAddress: [IPv4Address: DHCPOfferHold] = [:]
    private var byClient: [DHCPClientKey: IPv4Address] = [:]

    var count: Int { byAddress.count }

    /// The unexpired hold on `address`.
    func hold(on address: IPv4Address, now: Double) -> DHCPOfferHold? {
        guard let hold = byAddress[address], hold.expires > now else { return nil }
        return hold
    }

    /// The unexpired hold of `client`.
    func hold(of client: DHCPClientKey, now: Double) -> DHCPOfferHold? {
        guard let address = byClient[client], let hold = hold(on: address, now: now), hold.client == client else { return nil }
        return hold
    }

    /// Holds `hold.address` for `hold.client`, replacing the client's other hold and any expired hold on the address.
    mutating func insert(_ hold: DHCPOfferHold) {
        remove(client: hold.client)
        if let old = byAddress[hold.address] { remove(client: old.client) }
        byAddress[hold.address] = hold
        byClient[hold.client] = hold.address
    }

    mutating func remove(client: DHCPClientKey) {
        guard let address = byClient.removeValue(forKey: client) else { return }
        if byAddress[address]?.client == client { byAddress[address] = nil }
    }

    mutating func remove(address: IPv4Address) {
        guard let hold = byAddress.removeValue(forKey: address) else { return }
        if byClient[hold.client] == address { byClient[hold.client] = nil }
    }

    /// Forgets every hold that expired at or before `now`; returns how many.
    @discardableResult
    mutating func purge(now: Double) -> Int {
        let expired = byAddress.values.filter { $0.expires <= now }
        for hold in expired { remove(address: hold.address) }
        return expired.count
    }

    var nextExpiry: Double? { byAddress.values.lazy.map(\.expires).min() }
}

/// The token bucket on new allocations and the per-MAC budget.
struct DHCPAllocationLimiter: Sendable {
    let limit: DHCPRateLimit
    private var tokens: Double
    private var refilled: Double?
    /// Per MAC: when its window began and how many allocations it got in it. Only clients that were granted an
    /// allocation are entered, so the table grows no faster than the bucket allows, and never past its cap.
    private var windows: [DHCPClientKey: (start: Double, count: Int)] = [:]

    init(_ limit: DHCPRateLimit) {
        self.limit = limit
        tokens = Double(limit.burst)
    }

    var trackedClients: Int { windows.count }

    /// Why a new allocation to `mac` is refused now; nil when it may be made. Takes nothing: `take` does, once an
    /// address is actually given (a DISCOVER met by a full pool costs the client nothing).
    mutating func refusal(_ mac: DHCPClientKey, now: Double) -> String? {
        refill(now)
        if let window = windows[mac], now - window.start < limit.perClientWindow, window.count >= limit.perClientAllocations {
            return "\(mac) already had \(window.count) new allocations within \(limit.perClientWindow) s"
        }
        if windows[mac] == nil, windows.count >= limit.maximumTrackedClients {
            prune(now: now)
            if windows.count >= limit.maximumTrackedClients {
                return "the per-MAC table is full (\(limit.maximumTrackedClients) clients)"
            }
        }
        guard tokens >= 1 else {
            return "the rate limit of \(limit.allocationsPerSecond) new allocations/s (burst \(limit.burst)) is exhausted"
        }
        return nil
    }

    /// Counts a new allocation to `mac` (after `refusal` said nil): a token, and one more in its window.
    mutating func take(_ mac: DHCPClientKey, now: Double) {
        var window = windows[mac] ?? (start: now, count: 0)
        if now - window.start >= limit.perClientWindow { window = (start: now, count: 0) }
        tokens = max(0, tokens - 1)
        window.count += 1
        windows[mac] = window
    }

    private mutating func refill(_ now: Double) {
        if let last = refilled, now > last {
            tokens = min(Double(limit.burst), tokens + (now - last) * limit.allocationsPerSecond)
        }
        if refilled == nil || now > refilled! { refilled = now }
    }

    /// Forgets the windows that ended.
    mutating func prune(now: Double) {
        windows = windows.filter { now - $0.value.start < limit.perClientWindow }
    }
}
