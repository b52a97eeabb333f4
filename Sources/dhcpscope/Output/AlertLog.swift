import DHCPNetwork
import DHCPRuntime

/// How each --alert run ended: an `alert` event with --json, else a line on standard error (a run that went well
/// only with -v).
struct AlertLog {
    let runner: AlertRunner
    let output: OutputStream
    let json: Bool
    let verbose: Bool

    /// A problem: its JSON event (`event`, one line) goes to the command if the gate admits it.
    func problem(code: String, severity: String, subject: String?, event: [UInt8]) {
        var line = event
        while line.last == UInt8(ascii: "\n") { line.removeLast() }
        runner.alert(code: code, severity: severity, subject: subject, event: line, now: RoleClock.process.now())
        report()
    }

    /// The runs that ended since the last call.
    func report() {
        for report in runner.finished() { write(report) }
    }

    /// At the end: waits for the commands still running (at most their timeout), and reports them.
    func finish() {
        runner.waitForRunning()
        report()
    }

    private func write(_ report: AlertRunner.Report) {
        let (result, text): (String, String)
        var status: Int32?, signal: Int32?
        switch report.outcome {
        case .exited(0): (result, text) = ("ok", "exited 0")
        case .exited(let code): (result, text, status) = ("failed", "exited \(code)", code)
        case .signalled(let number): (result, text, signal) = ("failed", "ended by signal \(number)", number)
        case .timedOut: (result, text) = ("timeout", "still running after \(runner.timeout) s: killed")
        case .notRun(let reason): (result, text) = ("not-run", "not run: \(reason)")
        }
        if json {
            var line = JSONLine(event: "alert")
            line.field("code", report.code)
            line.field("subject", report.subject)
            line.field("result", result)
            line.field("exit_status", status.map(Int.init))
            line.field("signal", signal.map(Int.init))
            line.field("seconds", (report.seconds * 1000).rounded() / 1000)
            line.field("text", text)
            output.event(line)
        } else if result != "ok" || verbose {
            Diagnostics.error("alert \(report.code)\(report.subject.map { " \($0)" } ?? ""): \(text)")
        }
    }
}
