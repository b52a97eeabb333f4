import CLibpq
import DHCPCore
import DHCPProtocol
import Foundation

/// A lease journal in a PostgreSQL database, through libpq (Debian's libpq5): one row per address in table
/// `dhcpscope_lease4`, created with its sequence and index when absent. Several servers may share it: each batch
/// is one statement (one round trip, one transaction), an upsert that does not overwrite an address another
/// client holds (bound or declined, not expired), so that no address is given to two clients; `changes()` reads
/// what other servers wrote since the last call. When the connection fails, the next call connects again (at
/// most every half second); a write that cannot be made throws, and the caller sends nothing that depended on it.
public final class PostgreSQLLeaseJournal: LeaseJournal {
    /// The connection URI as given (postgresql://user:password@host:port/db?param=value).
    private let url: String
    public let name: String
    private var connection: OpaquePointer?
    private var lastAttempt = -Double.infinity
    private var lastError = ""
    /// The highest `seq` read by `changes()` or `load()`.
    private var seen: Int64 = 0

    /// How far back `changes()` reads again: rows written by transactions that committed out of `seq` order.
    static let overlap: Int64 = 256

    static let schema = """
        SELECT pg_advisory_xact_lock(4271131);
        CREATE SEQUENCE IF NOT EXISTS dhcpscope_lease4_seq;
        CREATE TABLE IF NOT EXISTS dhcpscope_lease4 (
            address inet PRIMARY KEY,
            client_kind smallint NOT NULL,
            client bytea NOT NULL,
            hardware bytea NOT NULL,
            hostname text,
            state text NOT NULL,
            start_time double precision NOT NULL,
            expires double precision NOT NULL,
            lease_time bigint NOT NULL,
            subnet inet NOT NULL,
            seq bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS dhcpscope_lease4_seq_index ON dhcpscope_lease4 (seq);
        """

    private static let columns =
        "host(address), client_kind, encode(client, 'hex'), encode(hardware, 'hex'), hostname, state, start_time, expires, lease_time, host(subnet), seq"

    private static let upsert = """
        WITH gone AS (
            DELETE FROM dhcpscope_lease4 WHERE address = ANY($11::inet[]) AND state = 'declined' AND expires <= $12
        )
        INSERT INTO dhcpscope_lease4 AS l
            (address, client_kind, client, hardware, hostname, state, start_time, expires, lease_time, subnet, seq)
        SELECT a, k, c, h, n, s, st, e, lt, sn, nextval('dhcpscope_lease4_seq')
        FROM unnest($1::inet[], $2::int2[], $3::bytea[], $4::bytea[], $5::text[], $6::text[], $7::float8[],
                    $8::float8[], $9::int8[], $10::inet[]) AS u(a, k, c, h, n, s, st, e, lt, sn)
        ON CONFLICT (address) DO UPDATE SET
            client_kind = EXCLUDED.client_kind, client = EXCLUDED.client, hardware = EXCLUDED.hardware,
            hostname = EXCLUDED.hostname, state = EXCLUDED.state, start_time = EXCLUDED.start_time,
            expires = EXCLUDED.expires, lease_time = EXCLUDED.lease_time, subnet = EXCLUDED.subnet, seq = EXCLUDED.seq
        WHERE (l.client_kind = EXCLUDED.client_kind AND l.client = EXCLUDED.client)
            OR l.state NOT IN ('bound', 'declined') OR l.expires <= $12
        RETURNING host(address)
        """

    /// Connects to `url` (a libpq connection URI or key=value string) and creates the schema when absent.
    public init(url: String) throws(DHCPLeaseDatabaseError) {
        self.url = url
        name = Self.withoutPassword(url)
        try connect(now: 0)
    }

    deinit { if let connection { PQfinish(connection) } }

    public func load() throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
        let rows = try query("SELECT \(Self.columns) FROM dhcpscope_lease4 ORDER BY seq", [])
        seen = rows.last.flatMap { $0[10].flatMap { Int64($0) } } ?? 0
        return rows.compactMap(Self.lease(from:))
    }

    public func write(_ batch: [DHCPLease], now: Double) throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
        let kept = batch.filter { $0.state != .free }
        let removed = batch.filter { $0.state == .free }.map(\.address)
        let parameters: [String?] = [
            Self.array(kept.map { $0.address.description }),
            Self.array(kept.map { String($0.client.kind.rawValue) }),
            Self.array(kept.map { Self.bytea($0.client.bytes) }, quoted: true),
            Self.array(kept.map { Self.bytea($0.hardwareAddress) }, quoted: true),
            Self.textArray(kept.map(\.hostName)),
            Self.array(kept.map { $0.state.rawValue }),
            Self.array(kept.map { Self.float($0.start) }),
            Self.array(kept.map { Self.float($0.expires) }),
            Self.array(kept.map { String($0.leaseTime) }),
            Self.array(kept.map { $0.subnet.description }),
            Self.array(removed.map(\.description)),
            Self.float(now),
        ]
        let written = Set(try query(Self.upsert, parameters).compactMap { $0[0] })
        let lost = kept.filter { !written.contains($0.address.description) }
        guard !lost.isEmpty else { return [] }
        // Another server's binding stands: the caller takes it instead.
        return try query("SELECT \(Self.columns) FROM dhcpscope_lease4 WHERE address = ANY($1::inet[])",
                         [Self.array(lost.map { $0.address.description })]).compactMap(Self.lease(from:))
    }

    public func changes() throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
        let rows = try query("SELECT \(Self.columns) FROM dhcpscope_lease4 WHERE seq > $1 ORDER BY seq",
                             [String(max(0, seen - Self.overlap))])
        if let last = rows.last?[10].flatMap({ Int64($0) }) { seen = max(seen, last) }
        return rows.compactMap(Self.lease(from:))
    }

    public func maintain(records: () -> [DHCPLease]) {}

    public func close() {
        if let connection { PQfinish(connection) }
        connection = nil
    }

    // MARK: libpq

    private func connect(now: Double) throws(DHCPLeaseDatabaseError) {
        if let connection, PQstatus(connection) == CONNECTION_OK { return }
        if let connection { PQfinish(connection) }
        connection = nil
        let clock = now == 0 ? Self.monotonicNow() : now
        if clock - lastAttempt < 0.5 { throw DHCPLeaseDatabaseError(database: name, lastError) }
        lastAttempt = clock
        // connect_timeout first: a value in the URI comes later and wins.
        let keywords = ["connect_timeout", "dbname"], values = ["3", url]
        let made = withCStrings(keywords) { keys in
            withCStrings(values) { vals in PQconnectdbParams(keys, vals, 1) }
        }
        guard let made, PQstatus(made) == CONNECTION_OK else {
            lastError = made.map { Self.message(connection: $0) } ?? "out of memory"
            if let made { PQfinish(made) }
            throw DHCPLeaseDatabaseError(database: name, lastError)
        }
        connection = made
        let result = PQexec(made, Self.schema)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK || PQresultStatus(result) == PGRES_COMMAND_OK else {
            lastError = "creating the schema: " + (result.map { Self.message(result: $0) } ?? Self.message(connection: made))
            throw DHCPLeaseDatabaseError(database: name, lastError)
        }
    }

    /// Runs `sql` with text parameters; the rows as text (nil for NULL). A broken connection is dropped so that
    /// the next call connects again.
    private func query(_ sql: String, _ parameters: [String?]) throws(DHCPLeaseDatabaseError) -> [[String?]] {
        try connect(now: 0)
        guard let connection else { throw DHCPLeaseDatabaseError(database: name, lastError) }
        let result = withOptionalCStrings(parameters) { values in
            PQexecParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            lastError = result.map { Self.message(result: $0) } ?? Self.message(connection: connection)
            if PQstatus(connection) != CONNECTION_OK {
                PQfinish(connection)
                self.connection = nil
                lastError = "connection lost: " + lastError
            }
            throw DHCPLeaseDatabaseError(database: name, lastError)
        }
        let rowCount = PQntuples(result), columnCount = PQnfields(result)
        var rows = [[String?]]()
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column in
                PQgetisnull(result, row, column) != 0 ? nil : String(cString: PQgetvalue(result, row, column))
            })
        }
        return rows
    }

    private static func message(connection: OpaquePointer) -> String {
        oneLine(PQerrorMessage(connection).map { String(cString: $0) } ?? "unknown error")
    }

    private static func message(result: OpaquePointer) -> String {
        oneLine(PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error")
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    private static func monotonicNow() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    // MARK: values

    /// An array literal of plain elements (addresses, numbers, names): `{a,b}`; `quoted` elements in double quotes.
    static func array(_ items: [String], quoted: Bool = false) -> String {
        "{" + items.map { quoted ? "\"\($0)\"" : $0 }.joined(separator: ",") + "}"
    }

    /// A text array literal: NULL, or the string quoted with `"` and `\` escaped.
    static func textArray(_ items: [String?]) -> String {
        "{" + items.map { item in
            guard let item else { return "NULL" }
            return "\"" + item.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }

    /// A bytea in hex input form, escaped for a quoted array element: `\\x0601…`.
    static func bytea(_ bytes: [UInt8]) -> String { "\\\\x" + Hex.compact(bytes) }

    static func float(_ value: Double) -> String {
        value.isFinite ? "\(value)" : (value > 0 ? "Infinity" : "-Infinity")
    }

    /// A URI or key=value string with its password replaced by `***`.
    static func withoutPassword(_ url: String) -> String {
        if let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") {
            let credentials = url[scheme.upperBound..<at]
            if let colon = credentials.firstIndex(of: ":") {
                return String(url[..<colon]) + ":***" + String(url[at...])
            }
        }
        return url.replacing(/password=[^ &]*/, with: "password=***")
    }

    private static func lease(from row: [String?]) -> DHCPLease? {
        guard row.count == 11, let address = row[0].flatMap({ IPv4Address($0) }),
              let kind = row[1].flatMap({ UInt8($0) }).flatMap(DHCPClientKey.Kind.init(rawValue:)),
              let client = row[2].flatMap({ Hex.parse($0) }), let hardware = row[3].flatMap({ Hex.parse($0) }),
              let state = row[5].flatMap(DHCPLease.State.init(rawValue:)),
              let start = row[6].flatMap({ Double($0) }), let expires = row[7].flatMap({ Double($0) }),
              let leaseTime = row[8].flatMap({ UInt32($0) }) else { return nil }
        return DHCPLease(address: address, client: DHCPClientKey(kind: kind, bytes: client), hardwareAddress: hardware,
                         hostName: row[4], state: state, start: start, expires: expires, leaseTime: leaseTime,
                         subnet: row[9].flatMap({ IPv4Address($0) }) ?? .any)
    }
}

/// `body` with a C array of the strings (NULL-terminated pointers for libpq's keyword and value lists).
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings.map(Optional.some) + [nil], body)
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { for copy in copies { free(copy) } }
    // Never an empty array: its buffer may have no address.
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
