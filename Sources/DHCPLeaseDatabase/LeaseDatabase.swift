import DHCPProtocol

/// `--lease-db URL`: which journal a URL names.
public enum LeaseDatabase: Equatable, Sendable {
    /// `sqlite:PATH`, or a bare path.
    case sqlite(path: String)
    /// `file:PATH`: ISC dhcpd.leases format.
    case leasesFile(path: String)
    /// `postgresql://…` or `postgres://…`: a libpq connection URI.
    case postgreSQL(url: String)

    /// Reads a `--lease-db` value: a scheme and what follows, or a bare path (SQLite).
    public static func parse(_ text: String) -> Result<LeaseDatabase, DHCPLeaseDatabaseError> {
        func path(_ rest: Substring, _ scheme: String) -> Result<LeaseDatabase, DHCPLeaseDatabaseError>? {
            rest.isEmpty ? .failure(DHCPLeaseDatabaseError(database: text, "\(scheme): needs a path after it")) : nil
        }
        if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") { return .success(.postgreSQL(url: text)) }
        if text.hasPrefix("sqlite:") {
            let rest = text.dropFirst(7)
            return path(rest, "sqlite:") ?? .success(.sqlite(path: String(rest)))
        }
        if text.hasPrefix("file:") {
            let rest = text.dropFirst(5)
            return path(rest, "file:") ?? .success(.leasesFile(path: String(rest)))
        }
        // A URL of another kind (mysql://, ldap://): not a file name.
        if let colon = text.firstIndex(of: ":"), text[..<colon].count > 1,
           text[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) {
            return .failure(DHCPLeaseDatabaseError(
                database: text, "unknown scheme '\(text[..<colon])': use sqlite:PATH, file:PATH or postgresql://…"))
        }
        return text.isEmpty ? .failure(DHCPLeaseDatabaseError(database: text, "empty")) : .success(.sqlite(path: text))
    }

    /// Opens the journal and loads its records into a store.
    public func open() throws(DHCPLeaseDatabaseError) -> DurableLeaseStore {
        let journal: any LeaseJournal = switch self {
        case .sqlite(let path): try SQLiteLeaseJournal(path: path)
        case .leasesFile(let path): try LeasesFileJournal(path: path)
        case .postgreSQL(let url): try PostgreSQLLeaseJournal(url: url)
        }
        return try DurableLeaseStore(journal: journal)
    }

    /// Whether other servers may write the same journal (their writes are read back while serving).
    public var isShared: Bool {
        if case .postgreSQL = self { return true }
        return false
    }
}
