import DHCPPerf
import Foundation

/// perf's output: the ready, progress, problem and summary events (JSON Lines) or their text.
final class PerfLog {
    let output: OutputStream
    let json: Bool
    /// perf's own problems (generator-limit, drops-exceeded): the client machines' are in the summary.
    private var problems = Events.ProblemCounts()

    init(output: OutputStream, json: Bool) { self.output = output; self.json = json }

    func ready(_ fields: [(String, String)], clients: Int, rate: Double, mix: String) {
        if json {
            let interface = fields.first { $0.0 == "interface" }?.1
            output.event(Events.ready(interface: interface) { line in
                for (key, value) in fields where key != "interface" { line.key(text: key); line.string(value) }
                line.field("clients", clients)
                line.field("rate", rate)
                line.field("mix", mix)
            })
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
            output.event(line)
        } else {
            output.write(line: "\(Self.number(progress.elapsed)) s: sent \(progress.sent), completed \(progress.completed), "
                + "drops \(progress.drops), naks \(progress.naks), in flight \(progress.inFlight); "
                + "\(Self.number(progress.sendRate))/s sent, \(Self.number(progress.achievedRate))/s completed")
        }
    }

    func problem(_ code: String, _ severity: String, _ text: String) {
        problems.add(severity)
        if json {
            output.event(Events.problem(Events.Problem(code: code, severity: severity, text: text)))
        } else {
            output.write(line: "\(severity): \(code): \(text)")
        }
    }

    /// The summary event, with the keys `PerfSummary` decodes (what `--merge` reads back); `problems` adds perf's
    /// own to the client machines'.
    func summary(_ summary: PerfSummary) {
        guard json else { return text(summary) }
        var counts = problems
        for (severity, count) in summary.problems { counts.add(severity, Int(clamping: count)) }
        output.event(Events.summary(problems: counts) { line in
            line.field("clients", summary.clients)
            line.field("runs", summary.runs)
            line.field("duration", summary.duration)
            line.field("offered_rate", summary.offeredRate)
            line.field("send_rate", summary.sendRate)
            line.field("achieved_rate", summary.achievedRate)
            line.field("sent", summary.sent)
            line.field("completed", summary.completed)
            line.field("drops", summary.drops)
            line.field("naks", summary.naks)
            line.field("drops_discover_offer", summary.dropsDiscoverOffer)
            line.field("drops_request_ack", summary.dropsRequestAck)
            line.field("duplicates", summary.duplicates)
            line.field("late_replies", summary.lateReplies)
            line.field("unexpected_replies", summary.unexpectedReplies)
            line.field("unfinished", summary.unfinished)
            line.field("no_free_client", summary.noFreeClient)
            line.field("late_starts", summary.lateStarts)
            line.field("max_start_delay_ms", summary.maxStartDelayMs)
            line.field("generator_limited", summary.generatorLimited)
            line.field("messages_sent", summary.messagesSent)
            line.field("messages_received", summary.messagesReceived)
            line.field("send_errors", summary.sendErrors)
            line.field("first_send_error", summary.firstSendError)
            line.beginObject("kinds")
            for (kind, counts) in summary.kinds.sorted(by: { $0.key < $1.key }) {
                line.key(text: kind); line.beginObject()
                line.field("sent", counts.sent)
                line.field("completed", counts.completed)
                line.field("drops", counts.drops)
                line.field("naks", counts.naks)
                line.endObject()
            }
            line.endObject()
            line.beginObject("problem_codes")
            for (code, count) in summary.problemCodes.sorted(by: { $0.key < $1.key }) { line.key(text: code); line.unsigned(UInt64(count)) }
            line.endObject()
            latency("discover_offer", summary.discoverOffer, &line)
            latency("request_ack", summary.requestAck, &line)
            latency("exchange", summary.exchange, &line)
            Events.number("longest_gap_s", summary.longestGap, &line)
            line.field("gap_clients", summary.gapClients)
            line.field("gap_kept", summary.gapKept)
        })
    }

    /// A step's latency: its percentiles for readers, its histogram `[[microseconds, count], …]` for `--merge`.
    private func latency(_ key: StaticString, _ latency: PerfLatency, _ line: inout JSONLine) {
        line.beginObject(key)
        line.field("count", latency.count)
        Events.number("p50_ms", latency.milliseconds(atPercentile: 50), &line)
        Events.number("p90_ms", latency.milliseconds(atPercentile: 90), &line)
        Events.number("p99_ms", latency.milliseconds(atPercentile: 99), &line)
        Events.number("p999_ms", latency.milliseconds(atPercentile: 99.9), &line)
        Events.number("max_ms", latency.maxMilliseconds, &line)
        line.beginArray("histogram")
        for pair in latency.pairs {
            line.beginArray()
            for value in pair { line.unsigned(value) }
            line.endArray()
        }
        line.endArray()
        line.endObject()
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
        if let gap = s.longestGap {
            lines.append("longest gap without a completed exchange: \(Self.fixed(gap)) s; \(s.gapKept ?? 0) of \(s.gapClients ?? 0) clients "
                + "with an exchange on both sides kept their address")
        }
        lines.append("messages: \(s.messagesSent) sent, \(s.messagesReceived) received"
            + (s.sendErrors > 0 ? ", \(s.sendErrors) send errors (\(s.firstSendError ?? ""))" : ""))
        for line in lines { output.write(line: line) }
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }
    static func fixed(_ value: Double) -> String { String(format: "%.3f", value) }
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
