import DHCPCore
import DHCPProtocol
import Foundation
import GRDB

/// A durable `DHCPLeaseStore`: an SQLite database (through GRDB) in WAL mode with `synchronous = FULL`, in front of
/// which sits an in-memory copy that answers the server's reads.
///
/// `save(_:)` changes the memory copy and queues the record; `commit()` writes every queued record in one
/// transaction (group commit: one fsync for all the leases of a batch of messages). The I/O layer follows the
/// `DHCPLeaseStore` durability contract by calling `commit()` after `handle`/`expire` and before carrying out
/// any `.send` of that batch, and by dropping those sends when the commit throws — `DHCPDurableServer` does both.
///
/// At start every row is loaded (in the order it was last written, so that each client's latest record wins), so
/// that a server restarted from the same file, even after `kill -9`, knows every lease it acknowledged. Expired
/// and released records stay (the client's previous address); a `.free` record deletes the row.
public final class SQLiteLeaseStore: DHCPLeaseStore {
    public let path: String
    private let database: DatabaseQueue
    private var memory: DHCPMemoryLeaseStore
    private var pending: [DHCPLease] = []
    /// The `seq` of the last row written: rows are loaded in this order.
    private var sequence: Int64
    private var commitsSinceCheckpoint = 0

    /// Opens (creating it when missing) the database at `path` and loads its leases. A commit waits up to
    /// `busyTimeout` seconds for another connection's write lock before it fails.
    public init(path: String, busyTimeout: Double = 5) throws(DHCPLeaseDatabaseError) {
        self.path = path
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            try database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS lease (
                        address INTEGER PRIMARY KEY,
                        client_kind INTEGER NOT NULL,
                        client BLOB NOT NULL,
                        hardware BLOB NOT NULL,
                        hostname TEXT,
                        state TEXT NOT NULL,
                        start REAL NOT NULL,
                        expires REAL NOT NULL,
                        lease_time INTEGER NOT NULL,
                        subnet INTEGER NOT NULL,
                        seq INTEGER NOT NULL
                    )
                    """)
            }
            let (leases, last) = try database.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM lease ORDER BY seq")
                let leases = rows.compactMap(Self.lease(from:))
                let last: Int64 = rows.last?["seq"] ?? 0
                return (leases, last)
            }
            self.database = database
            memory = DHCPMemoryLeaseStore(leases)
            sequence = last
        } catch {
            throw DHCPLeaseDatabaseError(path: path, error)
        }
    }

    // MARK: DHCPLeaseStore

    public func lease(at address: IPv4Address) -> DHCPLease? { memory.lease(at: address) }
    public func latestLease(of client: DHCPClientKey) -> DHCPLease? { memory.latestLease(of: client) }
    public func allLeases() -> [DHCPLease] { memory.allLeases() }
    public func leases(expiringBy time: Double) -> [DHCPLease] { memory.leases(expiringBy: time) }
    public func nextExpiry() -> Double? { memory.nextExpiry() }
    public var count: Int { memory.count }

    /// Changes the memory copy at once; the row is written by the next `commit()`.
    public func save(_ lease: DHCPLease) {
        memory.save(lease)
        pending.append(lease)
    }

    // MARK: durability

    /// Records saved since the last successful `commit()`.
    public var uncommittedCount: Int { pending.count }

    /// Writes every record saved since the last commit in one transaction, in order; returns how many. When it
    /// throws, the records stay queued (the next commit retries them) and the caller must not send what depended
    /// on them.
    @discardableResult
    public func commit() throws(DHCPLeaseDatabaseError) -> Int {
        guard !pending.isEmpty else { return 0 }
        let batch = pending
        var seq = sequence
        do {
            try database.write { db in
                for lease in batch {
                    if lease.state == .free {
                        try db.execute(sql: "DELETE FROM lease WHERE address = ?", arguments: [Int64(lease.address.rawValue)])
                        continue
                    }
                    seq += 1
                    try db.execute(sql: """
                        INSERT OR REPLACE INTO lease
                            (address, client_kind, client, hardware, hostname, state, start, expires, lease_time, subnet, seq)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [
                            Int64(lease.address.rawValue), Int64(lease.client.kind.rawValue), Data(lease.client.bytes),
                            Data(lease.hardwareAddress), lease.hostName, lease.state.rawValue, lease.start, lease.expires,
                            Int64(lease.leaseTime), Int64(lease.subnet.rawValue), seq,
                        ])
                }
            }
        } catch {
            throw DHCPLeaseDatabaseError(path: path, error)
        }
        sequence = seq
        pending.removeAll(keepingCapacity: true)
        commitsSinceCheckpoint += 1
        // SQLite checkpoints by itself at 1000 WAL pages; a passive checkpoint now and then keeps the WAL short
        // without blocking readers.
        if commitsSinceCheckpoint >= 10_000 {
            commitsSinceCheckpoint = 0
            _ = try? database.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
        return batch.count
    }

    /// Truncates the WAL into the database file (at exit).
    public func checkpoint() throws(DHCPLeaseDatabaseError) {
        do { try database.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) } }
        catch { throw DHCPLeaseDatabaseError(path: path, error) }
    }

    /// The rows as another connection sees them (what is committed), for tests and tools.
    public static func committedLeases(path: String) throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM lease ORDER BY seq").compactMap(lease(from:))
            }
        } catch {
            throw DHCPLeaseDatabaseError(path: path, error)
        }
    }

    private static func lease(from row: Row) -> DHCPLease? {
        guard let kind = DHCPClientKey.Kind(rawValue: UInt8(truncatingIfNeeded: row["client_kind"] as Int64)),
              let state = DHCPLease.State(rawValue: row["state"]) else { return nil }
        let client: Data = row["client"], hardware: Data = row["hardware"]
        let address: Int64 = row["address"], subnet: Int64 = row["subnet"], leaseTime: Int64 = row["lease_time"]
        return DHCPLease(address: IPv4Address(rawValue: UInt32(truncatingIfNeeded: address)),
                         client: DHCPClientKey(kind: kind, bytes: [UInt8](client)), hardwareAddress: [UInt8](hardware),
                         hostName: row["hostname"], state: state, start: row["start"], expires: row["expires"],
                         leaseTime: UInt32(truncatingIfNeeded: leaseTime),
                         subnet: IPv4Address(rawValue: UInt32(truncatingIfNeeded: subnet)))
    }
}

/// The lease database could not be opened, read or written.
public struct DHCPLeaseDatabaseError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var text: String

    public init(path: String, _ error: any Error) {
        self.path = path
        if let error = error as? DatabaseError {
            text = error.message ?? "\(error.resultCode)"
        } else {
            text = "\(error)"
        }
    }

    public var description: String { "\(path): \(text)" }
}

/// A `DHCPServer` over a `SQLiteLeaseStore` that keeps the durability contract: the records changed by a call are
/// committed before its actions are returned, and when the commit fails its `.send`s are replaced by a problem.
/// `handleBatch` handles several messages and commits once (group commit).
public struct DHCPDurableServer {
    public private(set) var server: DHCPServer<SQLiteLeaseStore>
    public var store: SQLiteLeaseStore { server.store }

    public init(configuration: DHCPServerConfiguration, store: SQLiteLeaseStore, random: SplitMix64 = SplitMix64(seed: 0)) {
        server = DHCPServer(configuration: configuration, store: store, random: random)
    }

    public func nextExpiry() -> Double? { server.nextExpiry() }

    public mutating func handle(bytes: [UInt8], from receipt: DHCPReceipt, now: Double) -> [DHCPServerAction] {
        Self.committing(server.handle(bytes: bytes, from: receipt, now: now), store)
    }

    public mutating func handle(_ message: DHCPMessage, from receipt: DHCPReceipt, now: Double) -> [DHCPServerAction] {
        Self.committing(server.handle(message, from: receipt, now: now), store)
    }

    public mutating func expire(now: Double) -> [DHCPServerAction] {
        Self.committing(server.expire(now: now), store)
    }

    /// Handles every datagram, then commits once; the actions of each, in order.
    public mutating func handleBatch(_ batch: [(bytes: [UInt8], receipt: DHCPReceipt)], now: Double) -> [[DHCPServerAction]] {
        let results = batch.map { server.handle(bytes: $0.bytes, from: $0.receipt, now: now) }
        do {
            try store.commit()
            return results
        } catch {
            return results.map { Self.withoutSends($0, error) }
        }
    }

    /// Commits what `actions` changed; on failure the sends are dropped and a problem says why.
    public static func committing(_ actions: [DHCPServerAction], _ store: SQLiteLeaseStore) -> [DHCPServerAction] {
        do {
            try store.commit()
            return actions
        } catch {
            return withoutSends(actions, error)
        }
    }

    static func withoutSends(_ actions: [DHCPServerAction], _ error: DHCPLeaseDatabaseError) -> [DHCPServerAction] {
        var kept = [DHCPServerAction]()
        var dropped = 0
        var xid: UInt32?
        for action in actions {
            if case .send(let message, _, _) = action { dropped += 1; xid = message.xid; continue }
            kept.append(action)
        }
        if dropped > 0 {
            kept.append(.problem(DHCPServerProblem(.limit, "lease database commit failed, \(dropped) replies not sent: \(error)", xid: xid)))
        }
        return kept
    }
}
