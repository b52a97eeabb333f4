import DHCPConformance
import DHCPCore

/// What conformance says: the scorecard, a line per check (and what was seen, for anything but a pass) and a summary;
/// `ready`, a `check` event per check and a `summary` with --json.
struct ConformanceLog {
    let output: OutputStream
    let json: Bool

    func list(_ checks: [ConformanceCheck]) {
        for check in checks {
            if json {
                var line = JSONLine(event: "check")
                line.field("id", check.id)
                line.field("rfc", check.rfc)
                line.field("level", check.level.rawValue)
                line.field("title", check.title)
                output.event(line)
            } else {
                output.write(line: Self.pad(check.id, 28) + Self.pad(check.rfc, 12) + Self.pad(check.level.rawValue, 8) + check.title)
            }
        }
    }

    func ready(interface: String, first: MACAddress) {
        if json {
            output.event(Events.ready(interface: interface) { line in
                line.field("mac", first.description)
                line.field("checks", ConformanceCheck.all.count)
            })
        } else {
            Diagnostics.error("conformance on \(interface): \(ConformanceCheck.all.count) checks, clients from \(first)")
        }
    }

    func verdict(_ verdict: ConformanceVerdict) {
        let check = verdict.check
        if json {
            var line = JSONLine(event: "check")
            line.field("id", check.id)
            line.field("rfc", check.rfc)
            line.field("level", check.level.rawValue)
            line.field("result", verdict.result.rawValue)
            line.field("title", check.title)
            line.field("detail", verdict.detail)
            line.beginArray("frames")
            for frame in verdict.frames { line.number(frame) }
            line.endArray()
            output.event(line)
        } else {
            output.write(line: Self.pad(verdict.result.rawValue, 15) + Self.pad(check.id, 28) + Self.pad(check.rfc, 12)
                + Self.pad(check.level.rawValue, 8) + check.title)
            if verdict.result != .pass, let detail = verdict.detail {
                let frames = verdict.frames.isEmpty ? "" : "frames \(verdict.frames.map(String.init).joined(separator: ",")): "
                output.write(line: String(repeating: " ", count: 15) + frames + detail)
            }
        }
    }

    func summary(_ verdicts: [ConformanceVerdict]) {
        var counts: [ConformanceResult: Int] = [:]
        for verdict in verdicts { counts[verdict.result, default: 0] += 1 }
        let mustFailed = verdicts.filter { $0.check.level == .must && $0.result == .fail }.count
        if json {
            output.event(Events.summary(problems: Events.ProblemCounts()) { line in
                line.field("checks", verdicts.count)
                for result in ConformanceResult.allCases { line.key(text: result.rawValue); line.number(counts[result] ?? 0) }
                line.field("must_failed", mustFailed)
                line.field("status", mustFailed == 0 ? "pass" : "fail")
            })
        } else {
            let parts = ConformanceResult.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            output.write(line: "\(verdicts.count) checks: \(parts); \(mustFailed == 0 ? "every MUST passed" : "\(mustFailed) MUST failed")")
        }
        output.flush()
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
