import DHCPCore
import DHCPProtocol
import Foundation
import GRDB

/// A lease journal in an SQLite database (through GRDB) in WAL mode with `synchronous = FULL`: one row per
/// address, written in one transaction per batch, loaded in the order it was last written (`seq`). A `.free`
/// record deletes the row. One server's: `changes()` reports nothing.
public final class SQLiteLeaseJournal: LeaseJournal {
    public let path: String
    public var name: String { path }
    private let database: DatabaseQueue
    /// The `seq` of the last row written.
    private var sequence: Int64 = 0
    private var writesSinceCheckpoint = 0

    /// Opens (creating it when missing) the database at `path`. A write waits up to `busyTimeout` seconds for
    /// another connection's write lock before it fails.
    public init(path: String, busyTimeout: Double = 5) throws(DHCPLeaseDatabaseError) {
        self.path = path
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
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
        } catch {
            throw Self.error(path, error)
        }
    }

    public func load() throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
        do {
            let (leases, last) = try database.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM lease ORDER BY seq")
                return (rows.compactMap(Self.lease(from:)), rows.last?["seq"] as Int64? ?? 0)
            }
            sequence = last
            return leases
        } catch {
            throw Self.error(path, error)
        }
    }

    public func write(_ batch: [DHCPLease], now: Double) throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
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
            throw Self.error(path, error)
        }
        sequence = seq
        writesSinceCheckpoint += 1
        return []
    }

    public func changes() -> [DHCPLease] { [] }

    /// SQLite checkpoints by itself at 1000 WAL pages; a passive checkpoint every 10,000 writes keeps the WAL
    /// short without blocking readers.
    public func maintain(records: () -> [DHCPLease]) {
        guard writesSinceCheckpoint >= 10_000 else { return }
        writesSinceCheckpoint = 0
        _ = try? database.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }

    /// Truncates the WAL into the database file.
    public func close() throws(DHCPLeaseDatabaseError) {
        do { try database.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) } }
        catch { throw Self.error(path, error) }
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
            throw Self.error(path, error)
        }
    }

    private static func error(_ path: String, _ error: any Error) -> DHCPLeaseDatabaseError {
        if let error = error as? DatabaseError { return DHCPLeaseDatabaseError(database: path, error.message ?? "\(error.resultCode)") }
        return DHCPLeaseDatabaseError(database: path, "\(error)")
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
