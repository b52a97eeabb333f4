import Foundation
import Glibc
import Testing
@testable import DHCPRuntime

/// --alert's gate: which problems run the command, and how often.
@Suite("alert gate")
struct AlertGateTests {
    /// What the gate says to each problem (code, severity, subject, time), in turn.
    func answers(_ gate: AlertGate, _ problems: [(String, String, String?, Double)]) -> [Bool] {
        var gate = gate
        return problems.map { gate.admits(code: $0.0, severity: $0.1, subject: $0.2, now: $0.3) }
    }

    @Test func severityBelowTheThresholdNeverAlerts() {
        #expect(answers(AlertGate(minimumSeverity: "warning", interval: 60), [("nak", "info", nil, 0), ("nak", "warning", nil, 0)])
            == [false, true])
        #expect(answers(AlertGate(minimumSeverity: "error", interval: 60),
                        [("server-missing", "warning", "198.18.0.1", 0), ("unexpected-server", "error", "198.18.0.66", 0)])
            == [false, true])
    }

    @Test func oncePerCodeAndSubjectPerInterval() {
        let said = answers(AlertGate(minimumSeverity: "warning", interval: 60), [
            ("unexpected-server", "error", "198.18.0.66", 100),
            ("unexpected-server", "error", "198.18.0.66", 159.9),
            // Another server, or another code about the same one, is a new alert.
            ("unexpected-server", "error", "198.18.0.67", 101),
            ("nak", "warning", "198.18.0.66", 102),
            ("unexpected-server", "error", "198.18.0.66", 160),
        ])
        #expect(said == [true, false, true, true, true])
    }

    @Test func manySubjectsKeepTheTableBounded() {
        var problems = (0..<10_000).map { ("nak", "info", "s\($0)" as String?, Double($0) * 0.01) }
        // Past 4096 keys the ones whose interval passed are forgotten: a subject seen long ago alerts again.
        problems.append(("nak", "info", "s0", 200))
        #expect(answers(AlertGate(minimumSeverity: "info", interval: 1), problems).allSatisfy { $0 })
    }
}

/// --alert's runner, with real commands: one that records its input, one that fails, one that hangs.
@Suite("alert runner", .serialized)
struct AlertRunnerTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-alert-\(getpid())-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Waits (at most 5 s) for `count` reports.
    func reports(_ runner: AlertRunner, count: Int) -> [AlertRunner.Report] {
        var collected: [AlertRunner.Report] = []
        let end = Date().addingTimeInterval(5)
        while collected.count < count, Date() < end {
            collected += runner.finished()
            usleep(10_000)
        }
        return collected
    }

    @Test func theCommandGetsTheEventOnStandardInputAndTheProblemInItsEnvironment() throws {
        let record = folder.appendingPathComponent("record").path
        let runner = AlertRunner(command: "cat > \(record); echo \"$DHCPSCOPE_CODE $DHCPSCOPE_SEVERITY $DHCPSCOPE_SUBJECT\" >> \(record)")
        let event = Array(#"{"event":"problem","code":"unexpected-server","severity":"error","ip":"198.18.0.66"}"#.utf8)
        #expect(runner.alert(code: "unexpected-server", severity: "error", subject: "198.18.0.66", event: event, now: 0))
        let done = reports(runner, count: 1)
        #expect(done.count == 1 && done[0].succeeded && done[0].code == "unexpected-server" && done[0].subject == "198.18.0.66")
        let text = try String(contentsOfFile: record, encoding: .utf8)
        #expect(text == String(decoding: event, as: UTF8.self) + "\nunexpected-server error 198.18.0.66\n")
        // The same code and server within the interval: not run again.
        #expect(!runner.alert(code: "unexpected-server", severity: "error", subject: "198.18.0.66", event: event, now: 10))
        #expect(runner.finished().isEmpty)
    }

    @Test func aFailingCommandIsReportedWithItsStatus() {
        let runner = AlertRunner(command: "exit 3")
        runner.alert(code: "nak", severity: "warning", subject: nil, event: Array("{}".utf8), now: 0)
        let done = reports(runner, count: 1)
        #expect(done.map(\.outcome) == [.exited(3)])
        let missing = AlertRunner(command: "/nonexistent/alert-program")
        missing.alert(code: "nak", severity: "warning", subject: nil, event: Array("{}".utf8), now: 0)
        #expect(reports(missing, count: 1).map(\.outcome) == [.exited(127)])
    }

    @Test func aHangingCommandIsKilledWithItsChildrenAfterTheTimeout() throws {
        let pidFile = folder.appendingPathComponent("child.pid").path
        let runner = AlertRunner(command: "sleep 60 & echo $! > \(pidFile); wait", timeout: 0.5)
        let started = Date()
        runner.alert(code: "starvation", severity: "error", subject: nil, event: Array("{}".utf8), now: 0)
        // The monitor is not held up: the call returns at once.
        #expect(Date().timeIntervalSince(started) < 0.4)
        let done = reports(runner, count: 1)
        #expect(done.map(\.outcome) == [.timedOut])
        #expect(Date().timeIntervalSince(started) < 3)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let child = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        // Its group was killed: the background sleep is gone (reaped by init, or a zombie for a moment).
        var gone = false
        for _ in 0..<100 where !gone {
            let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
            gone = state.isEmpty || state.contains(") Z ")
            if !gone { usleep(10_000) }
        }
        #expect(gone)
    }

    @Test func atMostSoManyRunAtOnce() {
        let runner = AlertRunner(command: "sleep 1", minimumSeverity: "info", interval: 0, timeout: 5, maximumRunning: 2)
        for index in 0..<3 { runner.alert(code: "c\(index)", severity: "info", subject: nil, event: [], now: 0) }
        let first = runner.finished()
        #expect(first.count == 1 && first[0].code == "c2")
        if case .notRun = first.first?.outcome {} else { Issue.record("the third run should not have started: \(first)") }
        runner.waitForRunning()
        #expect(runner.finished().map(\.outcome) == [.exited(0), .exited(0)])
    }
}
