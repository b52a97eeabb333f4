import DHCPCore
import DHCPProtocol
import Glibc

/// A lease journal in ISC dhcpd's format (dhcpd.leases(5), `DHCPDLeaseFile`), kept as dhcpd keeps its file: each
/// batch is appended and fsynced before `write` returns; at start the file is read back, the last block of each
/// address winning, and a last block cut short by a crash is cut off; when the file has grown to four times the
/// live records (and at least 64 blocks), they are written to `PATH.new`, fsynced and renamed over the file.
public final class LeasesFileJournal: LeaseJournal {
    public let path: String
    public var name: String { path }
    private var descriptor: Int32 = -1
    /// Blocks in the file now.
    private var blocks = 0
    /// Blocks at which the file is rewritten: four times the live records, at least 64.
    static func compactionThreshold(live: Int) -> Int { max(64, 4 * live) }

    public init(path: String) throws(DHCPLeaseDatabaseError) {
        self.path = path
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Reads the file (a missing one is empty), cuts off a damaged tail, and opens it for appending.
    public func load() throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
        var contents = DHCPDLeaseFile.Contents()
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open") }
        descriptor = fd
        let bytes = try readAll(fd)
        contents = DHCPDLeaseFile.parse(bytes: bytes)
        if contents.validLength < bytes.count {
            // A block cut short by a crash (or junk after the last block): appending after it would glue the next
            // block to it.
            guard ftruncate(fd, off_t(contents.validLength)) == 0, fsync(fd) == 0 else { throw failure("truncate") }
        }
        guard lseek(fd, 0, SEEK_END) >= 0 else { throw failure("seek") }
        if bytes.isEmpty {
            try append(DHCPDLeaseFile.header(origin: "dhcpscope mock-server"))
        }
        blocks = contents.entries.count
        return contents.entries.map(DHCPLease.init)
    }

    public func write(_ batch: [DHCPLease], now: Double) throws(DHCPLeaseDatabaseError) -> [DHCPLease] {
        try append(batch.map { DHCPDLeaseFile.block(DHCPDLeaseFile.Entry($0)) }.joined())
        guard fdatasync(descriptor) == 0 else { throw failure("fsync") }
        blocks += batch.count
        return []
    }

    public func changes() -> [DHCPLease] { [] }

    /// Rewrites the file from the live records when it has grown past the threshold.
    public func maintain(records: () -> [DHCPLease]) throws(DHCPLeaseDatabaseError) {
        let live = records()
        guard blocks >= Self.compactionThreshold(live: live.count) else { return }
        try rewrite(live.sorted { $0.address < $1.address })
    }

    public func close() throws(DHCPLeaseDatabaseError) {
        guard descriptor >= 0 else { return }
        defer { Glibc.close(descriptor); descriptor = -1 }
        guard fsync(descriptor) == 0 else { throw failure("fsync") }
    }

    /// Writes `records` to `PATH.new`, fsyncs it, renames it over the file and fsyncs the folder, as dhcpd does.
    func rewrite(_ records: [DHCPLease]) throws(DHCPLeaseDatabaseError) {
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open \(temporary)") }
        let text = DHCPDLeaseFile.header(origin: "dhcpscope mock-server")
            + records.map { DHCPDLeaseFile.block(DHCPDLeaseFile.Entry($0)) }.joined()
        do {
            try Self.writeAll(fd, text, self)
        } catch {
            Glibc.close(fd)
            throw error
        }
        guard fsync(fd) == 0 else { Glibc.close(fd); throw failure("fsync \(temporary)") }
        guard rename(temporary, path) == 0 else { Glibc.close(fd); throw failure("rename \(temporary)") }
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let directory = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 { fsync(directory); Glibc.close(directory) }
        Glibc.close(descriptor)
        descriptor = fd
        guard lseek(fd, 0, SEEK_END) >= 0 else { throw failure("seek") }
        blocks = records.count
    }

    private func append(_ text: String) throws(DHCPLeaseDatabaseError) {
        try Self.writeAll(descriptor, text, self)
    }

    private static func writeAll(_ fd: Int32, _ text: String, _ journal: LeasesFileJournal) throws(DHCPLeaseDatabaseError) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw journal.failure("write")
            }
            offset += written
        }
    }

    private func readAll(_ fd: Int32) throws(DHCPLeaseDatabaseError) -> [UInt8] {
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("read")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    private func failure(_ what: String) -> DHCPLeaseDatabaseError {
        DHCPLeaseDatabaseError(database: path, "\(what): \(String(cString: strerror(errno)))")
    }
}
