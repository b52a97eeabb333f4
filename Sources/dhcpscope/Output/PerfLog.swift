import DHCPPerf
import Foundation

/// perf's output: the ready, progress, problem and summary events (JSON Lines) or their text.
struct PerfLog {
    let output: OutputStream
    let json: Bool

    func ready(_ fields: [(String, String)], clients: Int, rate: Double, mix: String) {
        if json {
            var line = JSONLine(event: "ready")
            for (key, value) in fields { line.field(key, value) }
            line.field("clients", clients)
            line.field("rate", rate)
            line.field("mix", mix)
            emit(line)
        } else {
            let place = fields.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            Diagnostics.error("perf: \(place): \(clients) clients, \(Self.number(rate))/s, \(mix)")
        }
    }

    func progress(_ progress: PerfProgress) {
        if json {
            var line = JSONLine(event: "progress")
            line.field("elapsed", (progress.elapsed * 1000).rounded() / 1000)
            line.field("sent", progress.sent)
            line.field("completed", progress.completed)
            line.field("drops", progress.drops)
            line.field("naks", progress.naks)
            line.field("in_flight", progress.inFlight)
            line.field("send_rate", (progress.sendRate * 10).rounded() / 10)
            line.field("achieved_rate", (progress.achievedRate * 10).rounded() / 10)
            emit(line)
        } else {
            output.write(line: "\(Self.number(progress.elapsed)) s: sent \(progress.sent), completed \(progress.completed), "
                + "drops \(progress.drops), naks \(progress.naks), in flight \(progress.inFlight); "
                + "\(Self.number(progress.sendRate))/s sent, \(Self.number(progress.achievedRate))/s completed")
        }
    }

    func problem(_ code: String, _ severity: String, _ text: String) {
        if json {
            var line = JSONLine(event: "problem")
            line.field("code", code)
            line.field("severity", severity)
            line.field("rfc", nil as String?)
            line.field("mac", nil as String?)
            line.field("ip", nil as String?)
            line.field("xid", nil as String?)
            line.beginArray("frames"); line.endArray()
            line.field("text", text)
            emit(line)
        } else {
            output.write(line: "\(severity): \(code): \(text)")
        }
    }

    /// The summary event: PerfSummary's own encoding (what `--merge` decodes) after `"event":"summary"`.
    func summary(_ summary: PerfSummary) {
        guard json else { return text(summary) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(summary)).map { Array($0.dropFirst()) } ?? Array("}".utf8)
        output.append(Array("{\"event\":\"summary\",".utf8) + body)
        output.endLine()
    }

    private func text(_ s: PerfSummary) {
        var lines = [
            "exchanges: sent \(s.sent), completed \(s.completed), drops \(s.drops) (DISCOVER→OFFER \(s.dropsDiscoverOffer), "
                + "REQUEST→ACK \(s.dropsRequestAck)), naks \(s.naks), duplicates \(s.duplicates), late replies \(s.lateReplies), "
                + "unexpected \(s.unexpectedReplies)" + (s.unfinished > 0 ? ", unfinished \(s.unfinished)" : ""),
            "rates: offered \(Self.number(s.offeredRate))/s, sent \(Self.number(s.sendRate))/s, achieved \(Self.number(s.achievedRate))/s "
                + "over \(Self.number(s.duration)) s" + (s.runs > 1 ? " (\(s.runs) runs merged)" : ""),
        ]
        let kinds = s.kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.completed)/\($0.value.sent)" }
        if kinds.count > 1 { lines.append("by kind (completed/sent): " + kinds.joined(separator: ", ")) }
        if s.noFreeClient > 0 { lines.append("no free client for \(s.noFreeClient) exchanges: use more --clients") }
        lines.append("latency ms          count      p50      p90      p99    p99.9      max")
        for (name, latency) in [("DISCOVER→OFFER", s.discoverOffer), ("REQUEST→ACK", s.requestAck), ("exchange", s.exchange)]
        where latency.count > 0 {
            let values = [50, 90, 99, 99.9].map { latency.milliseconds(atPercentile: $0) ?? 0 } + [latency.maxMilliseconds ?? 0]
            lines.append(Self.pad(name, 16) + Self.pad(String(latency.count), 9, right: true)
                + values.map { Self.pad(Self.fixed($0), 9, right: true) }.joined())
        }
        lines.append("messages: \(s.messagesSent) sent, \(s.messagesReceived) received"
            + (s.sendErrors > 0 ? ", \(s.sendErrors) send errors (\(s.firstSendError ?? ""))" : ""))
        for line in lines { output.write(line: line) }
    }

    private func emit(_ line: JSONLine) {
        var line = line
        output.append(line.finish())
        output.endLine()
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }
    static func fixed(_ value: Double) -> String { String(format: "%.3f", value) }
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
