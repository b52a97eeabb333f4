import Foundation
import Glibc

/// A PostgreSQL server of the lab's own: a cluster made by initdb in the lab folder, run in the foreground as the
/// `postgres` user (setpriv execs it in place, so the lab process is the postmaster and is stopped by its PID), with
/// no TCP listener: clients in any namespace reach it through the Unix socket in the lab folder.
final class LabPostgreSQL {
    static let bin = "/usr/lib/postgresql/15/bin"
    let lab: Lab
    let namespace: String
    let data: String
    let socket: String
    private(set) var process: LabProcess?
    private var starts = 0

    /// The database mock-server uses.
    var url: String { "postgresql://postgres@/leases?host=\(socket)" }

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "\(bin)/postgres") }

    /// initdb, start, and a database `leases`.
    init(_ lab: Lab, in namespace: String) async throws {
        self.lab = lab
        self.namespace = namespace
        data = lab.path("pgdata")
        socket = lab.path("pgsocket")
        guard let user = getpwnam("postgres") else { throw LabError.check("no postgres user: install Debian's postgresql") }
        for folder in [data, socket] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            chown(folder, user.pointee.pw_uid, user.pointee.pw_gid)
            chmod(folder, 0o700)
        }
        chmod(lab.folder.path, 0o755)
        try lab.run("initdb", in: namespace, Self.asPostgres + ["\(Self.bin)/initdb", "-D", data, "--auth=trust", "-U", "postgres",
                                                                "--no-sync"], timeout: 60)
        try await start()
        try psql("CREATE DATABASE leases")
    }

    static let asPostgres = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--"]

    /// Starts the postmaster and waits until it accepts connections.
    func start() async throws {
        starts += 1
        let server = try lab.start("postgres-\(starts)", in: namespace, Self.asPostgres + [
            "\(Self.bin)/postgres", "-D", data, "-k", socket, "-c", "listen_addresses=", "-c", "max_connections=40",
        ], timeout: 280)
        process = server
        try await lab.wait(for: "PostgreSQL to accept connections", seconds: 30) {
            if !server.isRunning { throw LabError.check("postgres ended: \(server.output)") }
            return server.output.contains("ready to accept connections")
        }
    }

    /// Stops the postmaster by its PID: SIGKILL (a crash) or SIGINT (fast shutdown).
    func stop(signal: Int32 = SIGINT) {
        process?.stop(signal: signal, grace: 10)
        // After SIGKILL the backends are orphans that still hold the shared memory: end them too.
        if signal == SIGKILL, let pids = try? String(contentsOfFile: "\(data)/postmaster.pid", encoding: .utf8)
            .split(separator: "\n").first.flatMap({ Int32($0) }) {
            kill(pids, SIGKILL)
        }
    }

    /// Runs SQL through psql (as postgres, on the socket); its output, rows unaligned, no header.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        try lab.run("psql", in: namespace, Self.asPostgres + ["\(Self.bin)/psql", "-h", socket, "-U", "postgres", "-d", database,
                                                           "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], timeout: 30)
    }
}
