import ArgumentParser
import Capture
import DHCPAnalysis
import DHCPCore
import Glibc

struct Analyse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyse",
        abstract: "Rebuild transactions, client states and leases from captures, and report protocol problems.",
        discussion: """
            Groups messages into transactions by xid and client, replays each client through the RFC 2131 state \
            machine (Figure 5), builds the lease table, times every exchange and server, and reports problems with \
            the RFC clause. Prints a report by default; --json prints the CONTRACT.md event stream (transaction, \
            transition, problem as they happen; lease, server and summary at the end; message events with -v).

            Exit status: 0 no problem of severity error; 1 problems of severity error (malformed messages, a \
            damaged file, an unexpected server …); 2 no input could be read; 64 usage error.
            """,
        aliases: ["analyze"]
    )

    enum LeaseFormat: String, ExpressibleByArgument, CaseIterable {
        case csv, dhcpd
    }

    @OptionGroup var input: CaptureInputOptions
    @OptionGroup var filters: MessageFilterOptions
    @OptionGroup var expect: ExpectOptions
    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Seconds without a message after which a transaction ends.", valueName: "seconds"))
    var txnTimeout: Double = 60

    @Option(help: ArgumentHelp("Transactions tracked at once; past it the oldest is evicted.", valueName: "N"))
    var maxTransactions = 100_000

    @Option(help: ArgumentHelp("How far (seconds) a renewal may stray from T1, a rebinding from T2 (default: max(2 s, 10 % of the lease)).",
                               valueName: "seconds"))
    var timerTolerance: Double?

    @Option(help: ArgumentHelp("Print the lease table in this format instead of the report: csv, or dhcpd (ISC dhcpd.leases).",
                               valueName: "format"))
    var leases: LeaseFormat?

    @Flag(help: "Draw the messages of the client (--mac) or transaction (--xid) as a ladder diagram: client | relay | server.")
    var ladder = false

    @Option(help: ArgumentHelp("Write an SVG timeline of the clients' leases to this file.", valueName: "file"))
    var svg: String?

    func validate() throws {
        guard txnTimeout > 0 else { throw ValidationError("--txn-timeout must be positive") }
        guard maxTransactions >= 1 else { throw ValidationError("--max-transactions must be at least 1") }
        if let timerTolerance, timerTolerance < 0 { throw ValidationError("--timer-tolerance cannot be negative") }
        if ladder, filters.mac.isEmpty, filters.xid.isEmpty {
            throw ValidationError("--ladder draws one client or transaction: give --mac or --xid")
        }
        if ladder, output.json || leases != nil { throw ValidationError("--ladder cannot be combined with --json or --leases") }
    }

    func run() throws {
        var options = AnalysisOptions()
        options.transactionTimeout = txnTimeout
        options.maximumTransactions = maxTransactions
        options.timerTolerance = timerTolerance
        options.expectation = try expect.expectation()
        var analyzer = DHCPAnalyzer(options: options)
        let messageFilter = try filters.messageFilter()
        let stdout = OutputStream.standardOutput(flushEachLine: input.files.contains("-"))
        let json = output.json, verbose = output.verbose, report = leases == nil && !ladder
        var problems = [Problem]()
        var captureProblems = 0
        let reportError = { (error: CaptureError) in
            captureProblems += 1
            Diagnostics.error(error.description)
            if json {
                stdout.append(AnalysisJSON.problem(Problem(.captureFile, .error, rfc: nil, error.description), names: []))
                stdout.endLine()
            }
        }
        let feed = try CaptureFeed(input, report: reportError)
        guard !feed.isEmpty else { throw ExitCode(2) }
        let names = feed.names
        var steps = [LadderStep]()
        var transitions = [TransitionReport]()
        var transactionsByOutcome = [String: Int]()
        let limit = filters.count ?? Int.max
        var analysed = 0

        func emit(_ events: [AnalysisEvent]) {
            for event in events {
                switch event {
                case .transaction(let transaction):
                    transactionsByOutcome[transaction.outcome.rawValue, default: 0] += 1
                    if json { stdout.append(AnalysisJSON.transaction(transaction, names: names)); stdout.endLine() }
                    else if verbose, report { stdout.write(line: AnalysisText.transaction(transaction)) }
                case .transition(let transition):
                    if svg != nil { transitions.append(transition) }
                    if json { stdout.append(AnalysisJSON.transition(transition, names: names)); stdout.endLine() }
                    else if verbose, report { stdout.write(line: AnalysisText.transition(transition)) }
                case .problem(let problem):
                    if problems.count < 10_000 { problems.append(problem) }
                    if json { stdout.append(AnalysisJSON.problem(problem, names: names)); stdout.endLine() }
                }
            }
        }

        feed.run(report: reportError) { index, packet, decoded in
            guard case .dhcp(let record) = decoded.content, messageFilter.matches(record.message) else { return true }
            let frame = FrameReference(file: index, frame: packet.frameNumber, time: packet.timestamp)
            if json, verbose {
                let context = MessageContext(file: names[index], frame: packet.frameNumber, time: packet.timestamp,
                                             link: decoded.link, record: record)
                stdout.append(context.jsonLine())
                stdout.endLine()
            }
            if ladder, let message = record.message { steps.append(LadderStep(frame: frame, record: record, message: message)) }
            emit(analyzer.observe(record, link: decoded.link, frame: frame))
            analysed += 1
            return analysed < limit
        }
        emit(analyzer.finish())

        let servers = analyzer.serverTable
        if let svg {
            let picture = SVGTimeline.render(leases: analyzer.leaseTable, transitions: transitions, captureEnd: analyzer.latestTime)
            guard let file = fopen(svg, "w") else {
                Diagnostics.error("\(svg): cannot write: \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
            fputs(picture, file)
            fclose(file)
        }
        let summary = AnalysisSummary(decode: feed.summary, analyzer: analyzer, transactionsByOutcome: transactionsByOutcome,
                                      leases: analyzer.leaseCount, servers: servers.count)
        if json {
            analyzer.forEachLease { lease in
                stdout.append(AnalysisJSON.lease(lease))
                stdout.endLine()
            }
            for server in servers { stdout.append(AnalysisJSON.server(server)); stdout.endLine() }
            stdout.append(summary.json())
            stdout.endLine()
        } else if let leases {
            let table = analyzer.leaseTable
            stdout.write(line: leases == .csv ? LeaseExport.csv(table) : LeaseExport.dhcpd(table), terminated: false)
        } else if ladder {
            stdout.write(line: LadderDiagram.render(steps, names: names), terminated: false)
        } else {
            var leaseStates = [ClientKey: LeaseState]()
            analyzer.forEachLease { leaseStates[$0.client] = $0.state }
            AnalysisText.report(summary: summary, servers: servers, analyzer: analyzer, leaseStates: leaseStates,
                                problems: problems, to: stdout)
        }
        stdout.flush()
        if feed.summary.messages == 0, feed.summary.frames == 0, captureProblems > 0 { throw ExitCode(2) }
        if summary.errors > 0 || captureProblems > 0 { throw ExitCode(1) }
    }
}

/// The counts the summary event and the report's first lines give.
struct AnalysisSummary {
    var decode: DecodeSummary
    var messages: Int
    var transactions: Int
    var evicted: Int
    var clients: Int
    var leases: Int
    var servers: Int
    var transactionsByOutcome: [String: Int]
    var problems: [Problem.Severity: Int]
    var errors: Int { (problems[.error] ?? 0) + decode.captureErrors }

    init(decode: DecodeSummary, analyzer: DHCPAnalyzer, transactionsByOutcome: [String: Int], leases: Int, servers: Int) {
        self.decode = decode
        messages = analyzer.messageCount
        transactions = analyzer.transactionCount
        evicted = analyzer.evictedTransactions
        clients = analyzer.clientCount
        self.leases = leases
        self.servers = servers
        self.transactionsByOutcome = transactionsByOutcome
        problems = analyzer.problemCounts
    }

    func json() -> [UInt8] {
        var json = JSONLine(event: "summary")
        json.field("files", decode.files)
        json.field("frames", decode.frames)
        json.field("messages", messages)
        json.field("malformed", decode.malformed)
        json.field("dhcpv6", decode.dhcpv6)
        json.field("transactions", transactions)
        json.field("evicted_transactions", evicted)
        json.beginObject("outcomes")
        for (outcome, count) in transactionsByOutcome.sorted(by: { $0.key < $1.key }) { json.field(outcome, count) }
        json.endObject()
        json.field("clients", clients)
        json.field("leases", leases)
        json.field("servers", servers)
        json.beginObject("problems")
        for severity in Problem.Severity.allCases { json.field(severity.rawValue, problems[severity] ?? 0) }
        json.endObject()
        json.field("capture_errors", decode.captureErrors)
        return json.finish()
    }
}
