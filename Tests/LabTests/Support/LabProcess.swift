import Foundation
import Glibc

/// One program of the lab, running inside a namespace under `timeout`, its output in two files of the lab folder.
///
/// The Foundation process is `ip netns exec NS timeout … COMMAND`; `ip netns exec` execs in place, so the
/// process id is `timeout`'s and the command is its only child. Signals go to the command itself.
final class LabProcess {
    let name: String
    let namespace: String
    let arguments: [String]
    let stdoutURL: URL
    let stderrURL: URL
    private let process: Process

    init(name: String, namespace: String, arguments: [String], environment: [String: String],
         timeout: Int, folder: URL) throws {
        self.name = name
        self.namespace = namespace
        self.arguments = arguments
        stdoutURL = folder.appendingPathComponent("\(name).out")
        stderrURL = folder.appendingPathComponent("\(name).err")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        // -k: SIGKILL 3 s after the SIGTERM that ends the time allowed.
        process.arguments = ["netns", "exec", namespace, "/usr/bin/timeout", "-k", "3", String(timeout)] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = folder
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = FileHandle.nullDevice
        try Self.runUnblocked(process)
    }

    /// Starts `process` with no signal blocked. Foundation spawns with the calling thread's signal mask, and Swift's
    /// concurrency threads block nearly every signal: the peers would then never see SIGTERM, SIGINT or SIGUSR2
    /// (udhcpc's release). The mask of this thread is cleared for the spawn only, then restored.
    static func runUnblocked(_ process: Process) throws {
        var empty = sigset_t(), saved = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// The command's process id: `timeout`'s child (nil before it is forked or after it ended).
    var commandPID: Int32? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Int32($0) }
    }

    /// What the program printed so far, standard output then standard error.
    var output: String {
        let out = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        return out + err
    }

    var standardOutput: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

    /// Sends a signal to the command (to `timeout`, which forwards TERM, INT, HUP, when the child is unknown).
    func signal(_ signal: Int32) {
        guard process.isRunning else { return }
        if let child = commandPID { kill(child, signal) } else { kill(pid, signal) }
    }

    /// Waits for the process to end, at most `seconds`; true when it ended.
    @discardableResult
    func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Stops by process id: `first` (SIGTERM by default) to the command, SIGKILL to it after `grace`. `timeout`
    /// reaps its child and ends; it is only killed itself as a last resort, since that would leave the command an
    /// orphan (a zombie until init reaps it).
    func stop(signal first: Int32 = SIGTERM, grace: Double = 5) {
        Self.stop([self], signal: first, grace: grace)
    }

    /// Stops several at once: everything gets its signal first, then the same grace applies to all.
    static func stop(_ processes: [LabProcess], signal first: Int32 = SIGTERM, grace: Double = 5) {
        let running = processes.filter(\.isRunning)
        let children = running.map(\.commandPID)
        for (process, child) in zip(running, children) {
            if let child { kill(child, first) } else { kill(process.pid, first) }
        }
        waitAll(running, seconds: grace)
        for (process, child) in zip(running, children) where process.isRunning {
            if let child { kill(child, SIGKILL) }  // closing packet sockets can take seconds on a busy machine
        }
        waitAll(running, seconds: 10)
        for process in running where process.isRunning { kill(process.pid, SIGKILL) }
        waitAll(running, seconds: 5)
    }

    private static func waitAll(_ processes: [LabProcess], seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while processes.contains(where: \.isRunning), Date() < deadline { usleep(20_000) }
    }
}
