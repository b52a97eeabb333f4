import DHCPAnalysis
import DHCPv6Protocol
import DHCPCore
import DHCPRuntime

/// The analysis events of analyse and sniff, written as they happen (JSON Lines or text) and counted for the
/// summary; and the end of the stream (leases, servers, summary, or the text report). One place for both
/// commands, so that a file analysed and the same traffic sniffed print the same events.
final class AnalysisPrinter {
    struct Style {
        /// JSON Lines events instead of text.
        var json = false
        /// Text: a line for each transaction and transition as it happens (analyse -v, sniff -v).
        var textSteps = false
        /// Text: a "PROBLEM …" line for each problem as it happens (sniff).
        var textProblems = false
        /// Keep every transition (analyse --svg draws them).
        var keepTransitions = false
    }

    let output: OutputStream
    /// The input names frames refer to: files (analyse) or the interface (sniff).
    let names: [String]
    let style: Style
    /// The text report's lines for the first `reportedProblems` problems (each with its newline, written as they
    /// come: a third of the memory the problems themselves took), how many, and how many more there were.
    private var problemLines: [UInt8] = []
    private var problemsListed = 0
    private var problemsLeftOut = 0
    static let reportedProblems = 10_000
    private(set) var transitions: [TransitionReport] = []
    private(set) var transitions6: [DHCPv6TransitionReport] = []

    /// JSON events rendered on the other cores: the analysis hands over batches of events, the lines come back in
    /// order (rendering was 45 % of `analyse --json`). Nil: rendered here.
    private let workers: OrderedWorkers<[AnalysisEvent], [UInt8]>?
    private var pending: [AnalysisEvent] = []
    private static let batchSize = 512

    /// - Parameter renderingThreads: more than 1 renders JSON events on other threads (the caller then calls `flush`
    ///   before it writes anything of its own).
    init(output: OutputStream, names: [String], style: Style, renderingThreads: Int = 1) {
        self.output = output
        self.names = names
        self.style = style
        workers = style.json && renderingThreads > 1
            ? OrderedWorkers(width: renderingThreads, work: { events in Self.jsonLines(events, names: names) },
                             deliver: { output.write(bytes: $0) })
            : nil
    }

    func emit(_ events: [AnalysisEvent]) {
        for event in events {
            switch event {
            case .transaction(let transaction):
                if !style.json, style.textSteps { output.write(line: AnalysisText.transaction(transaction)) }
            case .transition(let transition):
                if style.keepTransitions { transitions.append(transition) }
                if !style.json, style.textSteps { output.write(line: AnalysisText.transition(transition)) }
            case .transaction6(let transaction):
                if !style.json, style.textSteps { output.write(line: AnalysisText.transaction(transaction)) }
            case .transition6(let transition):
                if style.keepTransitions { transitions6.append(transition) }
                if !style.json, style.textSteps { output.write(line: AnalysisText.transition(transition)) }
            case .problem(let problem):
                if !style.json, problemsListed < Self.reportedProblems {
                    AnalysisText.appendProblem(problem, to: &problemLines)
                    problemLines.append(UInt8(ascii: "\n"))
                    problemsListed += 1
                } else if !style.json {
                    problemsLeftOut += 1
                }
                if !style.json, style.textProblems { output.write(line: "PROBLEM " + AnalysisText.problem(problem)) }
            }
        }
        guard style.json else { return }
        if let workers {
            pending.append(contentsOf: events)
            if pending.count >= Self.batchSize {
                workers.submit(pending)
                pending.removeAll(keepingCapacity: true)
            }
        } else if !events.isEmpty {
            output.write(bytes: Self.jsonLines(events, names: names))
        }
    }

    /// Writes the events handed to other threads so far, in order.
    func flush() {
        guard let workers else { return }
        if !pending.isEmpty {
            workers.submit(pending)
            pending.removeAll(keepingCapacity: true)
        }
        workers.finish()
    }

    /// The events' JSON lines, each with its newline.
    private static func jsonLines(_ events: [AnalysisEvent], names: [String]) -> [UInt8] {
        var out = [UInt8]()
        for event in events {
            switch event {
            case .transaction(let transaction): out += AnalysisJSON.transaction(transaction, names: names)
            case .transition(let transition): out += AnalysisJSON.transition(transition, names: names)
            case .problem(let problem): out += AnalysisJSON.problem(problem, names: names)
            case .transaction6(let transaction): out += AnalysisJSON.transaction(transaction, names: names)
            case .transition6(let transition): out += AnalysisJSON.transition(transition, names: names)
            }
            out.append(10)
        }
        return out
    }

    /// A message: its `message` event in JSON; in text one line, or every field when `verbose`.
    func message(_ context: some RenderableMessage, verbose: Bool) {
        flush()
        if style.json { output.event(context.jsonLine(in: nil)) }
        else if verbose { output.write(line: context.verboseText()) }
        else { output.writeLine { context.appendTextLine(to: &$0) } }
    }

    /// A problem the analyzer does not know of (a capture that failed): an event in JSON, a line in text with
    /// `textProblems`. The caller says it on standard error too.
    func inputProblem(_ problem: Problem) {
        flush()
        if style.json { line(AnalysisJSON.problem(problem, names: [])) }
        else if style.textProblems { output.write(line: "PROBLEM " + AnalysisText.problem(problem)) }
    }

    /// The end: in JSON one `lease` event per lease, one `server` per server and the `summary`; in text the report.
    func finish(analyzer: DHCPAnalyzer, v6 analyzer6: DHCPv6Analyzer, summary: AnalysisSummary) {
        flush()
        let servers = analyzer.serverTable
        if style.json {
            analyzer.forEachLease { line(AnalysisJSON.lease($0)) }
            analyzer6.forEachLease { line(AnalysisJSON.lease($0)) }
            for server in servers { line(AnalysisJSON.server(server)) }
            for server in analyzer6.serverTable { line(AnalysisJSON.server(server)) }
            line(summary.json())
        } else {
            AnalysisText.report(summary: summary, servers: servers, analyzer: analyzer, v6: analyzer6, problemLines: problemLines,
                                problemsListed: problemsListed,
                                problemsLeftOut: problemsLeftOut + analyzer.problemsLeftOut + analyzer6.problemsLeftOut,
                                to: output)
        }
    }

    private func line(_ bytes: [UInt8]) { output.event(bytes) }
}

/// What a live capture adds to the summary (sniff).
struct LiveCaptureCounts {
    var interface: String
    /// Frames the capture filter passed.
    var captured: Int
    /// pcap_stats: dropped by the kernel for lack of buffer space, and by the interface; nil when unknown.
    var kernelDrops: Int?
    var interfaceDrops: Int?
}

/// The counts the summary event and the report's first lines give.
struct AnalysisSummary {
    var decode: DecodeSummary
    var messages: Int
    var transactions: Int
    var evicted: Int
    var evictedClients: Int
    var evictedLeases: Int
    var clients: Int
    var leases: Int
    var servers: Int
    var transactionsByOutcome: [String: Int]
    var problems: [Problem.Severity: Int]
    /// Set by sniff: then the summary names the interface instead of counting files, and ends with the capture counts.
    var live: LiveCaptureCounts?
    var errors: Int { (problems[.error] ?? 0) + decode.captureErrors }

    /// The report's first line: messages, frames, transactions by outcome, clients, leases, servers.
    var headline: String {
        let outcomes = transactionsByOutcome.sorted(by: { $0.key < $1.key }).map { "\($0.value) \($0.key)" }
        var line = "\(messages) DHCP messages in \(decode.frames) frames; \(transactions) transactions"
        if !outcomes.isEmpty { line += " (" + outcomes.joined(separator: ", ") + ")" }
        return line + "; \(clients) clients; \(leases) leases; \(servers) servers"
    }

    /// "problems: 0 error, 1 warning, 2 info".
    var problemsLine: String {
        "problems: " + Problem.Severity.allCases.reversed().map { "\(problems[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
    }

    /// Both families' counts, added: a capture with both gives one summary.
    init(decode: DecodeSummary, analyzer: DHCPAnalyzer, v6 analyzer6: DHCPv6Analyzer, live: LiveCaptureCounts? = nil) {
        self.decode = decode
        messages = analyzer.messageCount + analyzer6.messageCount
        transactions = analyzer.transactionCount + analyzer6.transactionCount
        evicted = analyzer.evictedTransactions + analyzer6.evictedTransactions
        evictedClients = analyzer.evictedClients + analyzer6.evictedClients
        evictedLeases = analyzer.evictedLeases + analyzer6.evictedLeases
        clients = analyzer.clientCount + analyzer6.clientCount
        leases = analyzer.leaseCount + analyzer6.leaseCount
        servers = analyzer.serverTable.count + analyzer6.serverTable.count
        transactionsByOutcome = analyzer.transactionsByOutcome.merging(analyzer6.transactionsByOutcome, uniquingKeysWith: +)
        problems = analyzer.problemCounts.merging(analyzer6.problemCounts, uniquingKeysWith: +)
        self.live = live
    }

    /// The `summary` event, or with `elapsed` sniff's `stats` event of the same fields (and `elapsed` seconds first).
    func json(elapsed: Double? = nil) -> [UInt8] {
        let counts = Events.ProblemCounts(Problem.Severity.allCases.map { ($0.rawValue, problems[$0] ?? 0) })
        return Events.summary(event: elapsed == nil ? "summary" : "stats", problems: counts) { json in
            if let elapsed { json.field("elapsed", (elapsed * 1000).rounded() / 1000) }
            if let live { json.field("interface", live.interface) } else { json.field("files", decode.files) }
            json.field("frames", decode.frames)
            json.field("messages", messages)
            json.field("malformed", decode.malformed)
            json.field("dhcpv6", decode.dhcpv6)
            json.field("transactions", transactions)
            json.field("evicted_transactions", evicted)
            json.beginObject("outcomes")
            for (outcome, count) in transactionsByOutcome.sorted(by: { $0.key < $1.key }) { json.key(text: outcome); json.number(count) }
            json.endObject()
            json.field("clients", clients)
            json.field("evicted_clients", evictedClients)
            json.field("leases", leases)
            json.field("evicted_leases", evictedLeases)
            json.field("servers", servers)
            json.field("capture_errors", decode.captureErrors)
            if let live {
                json.field("captured", live.captured)
                json.field("kernel_drops", live.kernelDrops)
                json.field("interface_drops", live.interfaceDrops)
            }
        }
    }
}
