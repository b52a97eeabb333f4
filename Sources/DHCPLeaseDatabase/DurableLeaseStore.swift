import DHCPCore
import DHCPProtocol

/// Where a `DurableLeaseStore` writes its records: an SQLite database, an ISC dhcpd.leases file, a PostgreSQL
/// database. A journal holds the current record of each address; `write` makes a batch durable before it returns.
public protocol LeaseJournal: AnyObject {
    /// What messages name the journal by: its path, or its URL without a password.
    var name: String { get }
    /// Every record, oldest write first (so that each client's latest record is saved last).
    func load() throws(DHCPLeaseDatabaseError) -> [DHCPLease]
    /// Writes `batch` (at most one record per address, in order) durably, all or nothing. A journal shared with
    /// other servers keeps a record that another server wrote for an address still held by another client (bound
    /// or declined, not expired at `now`): it returns those records, the ones it kept instead of the batch's.
    func write(_ batch: [DHCPLease], now: Double) throws(DHCPLeaseDatabaseError) -> [DHCPLease]
    /// Records other servers wrote since the last call (a shared journal); none for a journal of one server.
    func changes() throws(DHCPLeaseDatabaseError) -> [DHCPLease]
    /// Housekeeping after a write, given the store's live records: a file is rewritten when it has grown to
    /// several times their number, an SQLite WAL is checkpointed now and then.
    func maintain(records: () -> [DHCPLease]) throws(DHCPLeaseDatabaseError)
    /// Brings the journal up to date and releases it (at exit).
    func close() throws(DHCPLeaseDatabaseError)
}

/// A durable `DHCPLeaseStore`: a `LeaseJournal` behind an in-memory copy that answers the server's reads.
///
/// `save(_:)` changes the memory copy and queues the record; `commit(now:)` writes every queued record in one
/// journal write (group commit: one fsync or one database statement for all the leases of a batch of messages).
/// The I/O layer follows the `DHCPLeaseStore` durability contract by committing after `handle`/`expire` and before
/// carrying out any `.send` of that batch, and by dropping those sends when the commit throws — `DHCPDurableServer`
/// does both. At start every record is loaded, so that a server restarted on the same journal, even after
/// `kill -9`, knows every lease it acknowledged.
public final class DurableLeaseStore: DHCPLeaseStore {
    public let journal: any LeaseJournal
    private var memory: DHCPMemoryLeaseStore
    private var pending: [DHCPLease] = []

    public init(journal: any LeaseJournal) throws(DHCPLeaseDatabaseError) {
        self.journal = journal
        memory = DHCPMemoryLeaseStore(try journal.load())
    }

    // MARK: DHCPLeaseStore

    public func lease(at address: IPv4Address) -> DHCPLease? { memory.lease(at: address) }
    public func latestLease(of client: DHCPClientKey) -> DHCPLease? { memory.latestLease(of: client) }
    public func allLeases() -> [DHCPLease] { memory.allLeases() }
    public func leases(expiringBy time: Double) -> [DHCPLease] { memory.leases(expiringBy: time) }
    public func nextExpiry() -> Double? { memory.nextExpiry() }
    public var count: Int { memory.count }

    /// Changes the memory copy at once; the journal is written by the next `commit(now:)`.
    public func save(_ lease: DHCPLease) {
        memory.save(lease)
        pending.append(lease)
    }

    // MARK: durability

    /// Records saved since the last successful commit.
    public var uncommittedCount: Int { pending.count }

    /// Writes every record saved since the last commit, the last of each address, in one journal write. Returns
    /// the records another server holds instead (a shared journal): the memory copy takes them, and the caller
    /// must not send what depended on the records they replaced. When it throws, the records stay queued (the
    /// next commit retries them) and the caller must not send what depended on them.
    @discardableResult
    public func commit(now: Double) throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
        guard !pending.isEmpty else { return [] }
        let batch = Self.lastPerAddress(pending)
        let lost = try journal.write(batch, now: now)
        pending.removeAll(keepingCapacity: true)
        for record in lost { memory.save(record) }
        try journal.maintain { memory.allLeases() }
        return lost
    }

    /// Takes the records other servers wrote to a shared journal since the last call, except where this store
    /// has a record of its own still to write. Returns how many it took.
    @discardableResult
    public func refresh() throws(DHCPLeaseDatabaseError) -> Int {
        let changes = try journal.changes()
        guard !changes.isEmpty else { return 0 }
        let mine = Set(pending.map(\.address))
        var taken = 0
        for record in changes where !mine.contains(record.address) && memory.lease(at: record.address) != record {
            memory.save(record)
            taken += 1
        }
        return taken
    }

    /// Brings the journal up to date (at exit).
    public func close() throws(DHCPLeaseDatabaseError) { try journal.close() }

    /// The last record of each address, in the order of those last records.
    static func lastPerAddress(_ records: [DHCPLease]) -> [DHCPLease] {
        var seen = Set<IPv4Address>()
        var kept = [DHCPLease]()
        for record in records.reversed() where seen.insert(record.address).inserted { kept.append(record) }
        return kept.reversed()
    }
}

/// The lease database could not be opened, read or written.
public struct DHCPLeaseDatabaseError: Error, CustomStringConvertible, Sendable {
    /// The journal's name: its path or URL.
    public var database: String
    public var text: String

    public init(database: String, _ text: String) {
        self.database = database
        self.text = text
    }

    public var description: String { "\(database): \(text)" }
}

/// A `DHCPServer` over a `DurableLeaseStore` that keeps the durability contract: the records changed by a call are
/// committed before its actions are returned; when the commit fails its `.send`s are replaced by one `lease-db`
/// problem, and when a shared journal kept another server's binding of an address, the ACK of that address is.
/// `handleBatch` handles several messages and commits once (group commit).
public struct DHCPDurableServer {
    public private(set) var server: DHCPServer<DurableLeaseStore>
    public var store: DurableLeaseStore { server.store }
    /// Whether the last commit failed: the first failure and the recovery are reported, not every batch between.
    private var failing = false
    private var droppedWhileFailing = 0
    private var refreshFailing = false

    public init(configuration: DHCPServerConfiguration, store: DurableLeaseStore, random: SplitMix64 = SplitMix64(seed: 0)) {
        server = DHCPServer(configuration: configuration, store: store, random: random)
    }

    public func nextExpiry() -> Double? { server.nextExpiry() }

    public mutating func startSearch(atFraction fraction: Double) { server.startSearch(atFraction: fraction) }

    public mutating func replaceReservations(_ reservations: [DHCPReservation]) -> [(DHCPReservation, String)] {
        server.replaceReservations(reservations)
    }

    public mutating func handle(bytes: [UInt8], from receipt: DHCPReceipt, now: Double) -> [DHCPServerAction] {
        committing([server.handle(bytes: bytes, from: receipt, now: now)], now: now)[0]
    }

    public mutating func handle(_ message: DHCPMessage, from receipt: DHCPReceipt, now: Double) -> [DHCPServerAction] {
        committing([server.handle(message, from: receipt, now: now)], now: now)[0]
    }

    public mutating func expire(now: Double) -> [DHCPServerAction] {
        committing([server.expire(now: now)], now: now)[0]
    }

    /// Handles every datagram, then commits once; the actions of each, in order.
    public mutating func handleBatch(_ batch: [(bytes: [UInt8], receipt: DHCPReceipt)], now: Double) -> [[DHCPServerAction]] {
        committing(batch.map { server.handle(bytes: $0.bytes, from: $0.receipt, now: now) }, now: now)
    }

    /// Takes what other servers wrote to a shared journal; the first failure is a `lease-db` problem (the
    /// recovery is reported by the next commit that succeeds).
    public mutating func refresh() -> [DHCPServerAction] {
        do {
            try store.refresh()
            refreshFailing = false
            return []
        } catch {
            defer { refreshFailing = true }
            return refreshFailing ? [] : [.problem(DHCPServerProblem(.leaseDatabase, "reading other servers' leases failed: \(error)"))]
        }
    }

    /// Commits what `results` changed: on failure their sends are dropped, on a conflict the ACKs of the
    /// addresses another server holds.
    mutating func committing(_ results: [[DHCPServerAction]], now: Double) -> [[DHCPServerAction]] {
        do {
            let lost = try store.commit(now: now)
            var results = results
            if failing, var first = results.first {
                first.insert(.problem(DHCPServerProblem(
                    .leaseDatabase, "lease database back: \(droppedWhileFailing) replies were not sent while it failed")), at: 0)
                results[0] = first
                failing = false
                droppedWhileFailing = 0
            }
            guard !lost.isEmpty else { return results }
            let addresses = Set(lost.map(\.address))
            return results.map { Self.without(addresses, $0) }
        } catch {
            var kept = [[DHCPServerAction]]()
            var dropped = 0
            for actions in results {
                var out = [DHCPServerAction]()
                for action in actions {
                    if case .send = action { dropped += 1; continue }
                    out.append(action)
                }
                kept.append(out)
            }
            if !failing {
                kept[kept.count - 1].append(.problem(DHCPServerProblem(
                    .leaseDatabase, "lease database commit failed, \(dropped) replies not sent: \(error)")))
            }
            failing = true
            droppedWhileFailing += dropped
            return kept
        }
    }

    /// The actions without the ACKs (and lease changes) of `addresses`, which another server holds.
    static func without(_ addresses: Set<IPv4Address>, _ actions: [DHCPServerAction]) -> [DHCPServerAction] {
        var out = [DHCPServerAction]()
        for action in actions {
            switch action {
            case .send(let message, _, _) where message.messageType == .ack && addresses.contains(message.yourAddress):
                out.append(.problem(DHCPServerProblem(
                    .leaseDatabase, "\(message.yourAddress) is held by another client in the shared lease database: no ACK",
                    xid: message.xid)))
            case .leaseChanged(let lease) where addresses.contains(lease.address):
                continue
            default:
                out.append(action)
            }
        }
        return out
    }
}
