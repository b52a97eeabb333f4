import Foundation
import Glibc
import Synchronization

/// Which problems `--alert` runs its command for: those of at least a severity, at most once per problem code and
/// subject (the address a problem names: the server of an `unexpected-server`) per interval. Pure: the runner asks
/// it with the time.
public struct AlertGate: Sendable {
    /// 0 info, 1 warning, 2 error: the least severity that alerts.
    public let minimumRank: Int
    public let interval: Double
    private var lastRun: [String: Double] = [:]

    public init(minimumSeverity: String, interval: Double) {
        minimumRank = Self.rank(minimumSeverity) ?? 1
        self.interval = interval
    }

    /// 0, 1, 2 for info, warning, error; nil for anything else.
    public static func rank(_ severity: String) -> Int? { ["info": 0, "warning": 1, "error": 2][severity] }

    /// Whether a problem alerts now; if it does, its code and subject wait `interval` before they alert again.
    public mutating func admits(code: String, severity: String, subject: String?, now: Double) -> Bool {
        guard (Self.rank(severity) ?? 0) >= minimumRank else { return false }
        let key = code + "|" + (subject ?? "")
        if let last = lastRun[key], now - last < interval { return false }
        lastRun[key] = now
        // Keys whose interval has passed are forgotten, so that weeks of distinct subjects keep the table small.
        if lastRun.count > 4096 { lastRun = lastRun.filter { now - $0.value < interval } }
        return true
    }
}

/// `--alert COMMAND`: runs `/bin/sh -c COMMAND` for a problem, the problem's JSON event (one line) on its standard
/// input, as dhcp_probe runs its alert program; its standard output and error go to ours (stderr), and its
/// environment also has DHCPSCOPE_CODE, DHCPSCOPE_SEVERITY and DHCPSCOPE_SUBJECT. Commands run beside the monitor,
/// each in a process group of its own, at most `maximumRunning` at once; one still running after `timeout` seconds
/// is killed (the whole group). How each run ended is handed back by `finished()`, for the monitor to report;
/// nothing here ever stops the monitor.
public final class AlertRunner: Sendable {
    public struct Report: Sendable, Equatable {
        public enum Outcome: Sendable, Equatable {
            /// Exited with this status (0 is success).
            case exited(Int32)
            /// Ended by this signal.
            case signalled(Int32)
            /// Still running after the timeout: killed.
            case timedOut
            /// Not run: it could not start, or too many were running.
            case notRun(String)
        }
        public var code: String
        public var subject: String?
        public var outcome: Outcome
        /// Seconds from start to end.
        public var seconds: Double

        public var succeeded: Bool { outcome == .exited(0) }
    }

    public let command: String
    public let timeout: Double
    public let maximumRunning: Int
    private let gate: Mutex<AlertGate>
    private let state = Mutex<(running: Int, reports: [Report])>((0, []))

    public init(command: String, minimumSeverity: String = "warning", interval: Double = 300, timeout: Double = 10,
                maximumRunning: Int = 8) {
        self.command = command
        self.timeout = timeout
        self.maximumRunning = maximumRunning
        gate = Mutex(AlertGate(minimumSeverity: minimumSeverity, interval: interval))
        // A command that exits before reading its input must not end the monitor with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
    }

    /// A problem: runs the command for it if the gate admits it. `event` is the problem's JSON event, without newline.
    /// True when a run started (or was reported as not run).
    @discardableResult
    public func alert(code: String, severity: String, subject: String?, event: [UInt8], now: Double) -> Bool {
        guard gate.withLock({ $0.admits(code: code, severity: severity, subject: subject, now: now) }) else { return false }
        let admitted = state.withLock { state -> Bool in
            guard state.running < maximumRunning else { return false }
            state.running += 1
            return true
        }
        guard admitted else {
            finish(Report(code: code, subject: subject, outcome: .notRun("\(maximumRunning) alert commands still running"), seconds: 0),
                   ran: false)
            return true
        }
        let environment = ["DHCPSCOPE_CODE=\(code)", "DHCPSCOPE_SEVERITY=\(severity)", "DHCPSCOPE_SUBJECT=\(subject ?? "")"]
        let started = Date()
        switch Self.spawn(command, input: event + [UInt8(ascii: "\n")], environment: environment) {
        case .failed(let reason):
            finish(Report(code: code, subject: subject, outcome: .notRun(reason), seconds: 0), ran: true)
        case .started(let pid):
            let timeout = self.timeout
            Thread.detachNewThread { [self] in
                let outcome = Self.wait(for: pid, timeout: timeout)
                finish(Report(code: code, subject: subject, outcome: outcome, seconds: Date().timeIntervalSince(started)), ran: true)
            }
        }
        return true
    }

    /// How the runs that ended since the last call went.
    public func finished() -> [Report] {
        state.withLock { state in
            defer { state.reports.removeAll() }
            return state.reports
        }
    }

    /// Waits (at most the timeout and a second) for the commands still running, as the monitor stops.
    public func waitForRunning() {
        let end = Date().addingTimeInterval(timeout + 1)
        while state.withLock({ $0.running }) > 0, Date() < end { usleep(10_000) }
    }

    private func finish(_ report: Report, ran: Bool) {
        state.withLock { state in
            if ran { state.running -= 1 }
            state.reports.append(report)
        }
    }

    /// `/bin/sh -c command` in a process group of its own, `input` on its standard input (a pipe, written now: an
    /// input longer than the pipe holds is cut there), its standard output on our standard error, signals at
    /// their defaults and none blocked.
    static func spawn(_ command: String, input: [UInt8], environment: [String]) -> Spawned {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return .failed("pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        // Neither end leaks into other children (the command's own copy of the read end is its stdin, by dup2).
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        defer { close(readEnd) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, readEnd, 0)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)

        var inherited: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            inherited.append(String(cString: pointer))
            entry += 1
        }
        let arguments = ["/bin/sh", "-c", command]
        let cArguments = arguments.map { strdup($0) } + [nil]
        let cEnvironment = (inherited.filter { !$0.hasPrefix("DHCPSCOPE_") } + environment).map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, cArguments, cEnvironment)
        guard status == 0 else {
            close(writeEnd)
            return .failed("/bin/sh: \(String(cString: strerror(status)))")
        }
        // The input is one line, far less than a pipe holds: written without blocking, then closed (end of input).
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        input.withUnsafeBytes { bytes in _ = Glibc.write(writeEnd, bytes.baseAddress, bytes.count) }
        close(writeEnd)
        return .started(pid)
    }

    enum Spawned {
        case started(pid_t)
        case failed(String)
    }

    /// Waits for `pid` to end; after `timeout` seconds kills its process group and reaps it.
    static func wait(for pid: pid_t, timeout: Double) -> Report.Outcome {
        let end = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0, errno != EINTR { return .exited(-1) }
            if Date() >= end {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return .timedOut
            }
            usleep(20_000)
        }
        let signalled = status & 0x7F
        return signalled == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signalled)
    }
}
