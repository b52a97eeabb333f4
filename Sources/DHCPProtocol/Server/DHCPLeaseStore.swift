import DHCPCore

/// One address's record in the lease store.
public struct DHCPLease: Hashable, Sendable {
    public enum State: String, Hashable, Sendable {
        /// In use by `client` until `expires`.
        case bound
        /// Given back by the client (DHCPRELEASE) at `expires`; free, and remembered as the client's previous address.
        case released
        /// Not renewed in time (at `expires`); free, and remembered as the client's previous address.
        case expired
        /// Declined (DHCPDECLINE): quarantined until `expires`.
        case declined
        /// The record is gone: the store deletes it (the end of a quarantine).
        case free
    }

    public var address: IPv4Address
    public var client: DHCPClientKey
    /// The first hlen bytes of chaddr, for output.
    public var hardwareAddress: [UInt8]
    /// Option 12 as the client sent it, for output.
    public var hostName: String?
    public var state: State
    /// When the binding began (for `.bound`) or the state was entered.
    public var start: Double
    /// The end of the lease (`.bound`), of the quarantine (`.declined`), or when the state was entered.
    public var expires: Double
    /// The lease time granted, seconds (0 unless bound).
    public var leaseTime: UInt32
    /// The network of the subnet the address belongs to.
    public var subnet: IPv4Address

    public init(address: IPv4Address, client: DHCPClientKey, hardwareAddress: [UInt8], hostName: String? = nil,
                state: State, start: Double, expires: Double, leaseTime: UInt32 = 0, subnet: IPv4Address = .any) {
        self.address = address; self.client = client; self.hardwareAddress = hardwareAddress; self.hostName = hostName
        self.state = state; self.start = start; self.expires = expires; self.leaseTime = leaseTime; self.subnet = subnet
    }

    /// Whether the lease holds its address at `now`.
    public func isBound(at now: Double) -> Bool { state == .bound && expires > now }
}

/// Where a `DHCPServer` keeps its leases: one record per address, and for each client its latest record.
///
/// **Durability contract.** The server changes the store synchronously inside `handle` and `expire` and reports
/// every change as a `.leaseChanged` action, placed before the `.send` that depends on it (the ACK of a new
/// binding comes after its `.leaseChanged`). A durable layer (SQLite, GRDB, a CSV journal) either backs this
/// protocol directly with synchronous writes, or keeps `DHCPMemoryLeaseStore` and commits each `.leaseChanged`
/// in order before executing any later `.send` of the same batch; if the commit fails it must not send those
/// messages (RFC 2131 §3.1 step 4: the server "commits the binding for the client to persistent storage and
/// responds with a DHCPACK"). At
/// start-up, records are loaded with `save(_:)` before the first message is handled.
public protocol DHCPLeaseStore {
    /// The record of `address`, whatever its state.
    func lease(at address: IPv4Address) -> DHCPLease?
    /// The latest record saved for `client` (its binding, or its previous address), if it still names the client.
    func latestLease(of client: DHCPClientKey) -> DHCPLease?
    /// Saves `lease` as the record of its address (replacing any other) and as its client's latest record.
    /// A lease in state `.free` removes the address's record instead.
    mutating func save(_ lease: DHCPLease)
    /// Every record, in no particular order.
    func allLeases() -> [DHCPLease]
    /// Bound and declined records whose `expires` is at or before `time`.
    func leases(expiringBy time: Double) -> [DHCPLease]
    /// The earliest `expires` of a bound or declined record.
    func nextExpiry() -> Double?
    var count: Int { get }
}

/// The in-memory lease store: two dictionaries. Sendable.
public struct DHCPMemoryLeaseStore: DHCPLeaseStore, Hashable, Sendable {
    private var byAddress: [IPv4Address: DHCPLease] = [:]
    private var byClient: [DHCPClientKey: IPv4Address] = [:]

    public init(_ leases: [DHCPLease] = []) {
        for lease in leases { save(lease) }
    }

    public func lease(at address: IPv4Address) -> DHCPLease? { byAddress[address] }

    public func latestLease(of client: DHCPClientKey) -> DHCPLease? {
        guard let address = byClient[client], let lease = byAddress[address], lease.client == client else { return nil }
        return lease
    }

    public mutating func save(_ lease: DHCPLease) {
        if let old = byAddress[lease.address], old.client != lease.client, byClient[old.client] == lease.address {
            byClient[old.client] = nil
        }
        if lease.state == .free {
            byAddress[lease.address] = nil
            if byClient[lease.client] == lease.address { byClient[lease.client] = nil }
            return
        }
        byAddress[lease.address] = lease
        byClient[lease.client] = lease.address
    }

    public func allLeases() -> [DHCPLease] { Array(byAddress.values) }

    public func leases(expiringBy time: Double) -> [DHCPLease] {
        byAddress.values.filter { ($0.state == .bound || $0.state == .declined) && $0.expires <= time }
    }

    public func nextExpiry() -> Double? {
        byAddress.values.lazy.filter { $0.state == .bound || $0.state == .declined }.map(\.expires).min()
    }

    public var count: Int { byAddress.count }
}
