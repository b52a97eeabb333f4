import ArgumentParser
import Capture
import DHCPAnalysis
import DHCPCore
import DHCPRuntime
import Glibc

struct Analyse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyse",
        abstract: "Rebuild transactions, client states and leases from captures, and report protocol problems.",
        discussion: """
            Groups messages into transactions by xid and client, replays each client through the RFC 2131 state \
            machine (Figure 5), builds the lease table, times every exchange and server, and reports problems with \
            the RFC clause. Prints a report by default; --json prints the JSON Lines events of dhcpscope(1) (transaction, \
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

    @OptionGroup var limits: AnalysisLimitOptions
    @OptionGroup var threads: ThreadOptions

    @Option(help: ArgumentHelp("How far (seconds) a renewal may stray from T1, a rebinding from T2 (default: max(2 s, 10 % of the lease)).",
                               valueName: "seconds"))
    var timerTolerance: Double?

    @Option(help: ArgumentHelp("Print the lease table in this format instead of the report: csv, or dhcpd (ISC dhcpd.leases).",
                               valueName: "format"))
    var leases: LeaseFormat?

    @Flag(help: "Draw the messages of the client (--mac; DHCPv6 also --duid) or transaction (--xid) as a ladder diagram: client | relay | server.")
    var ladder = false

    @Option(help: ArgumentHelp("Write an SVG timeline of the clients' leases to this file.", valueName: "file"))
    var svg: String?

    func validate() throws {
        if let timerTolerance, timerTolerance < 0 { throw ValidationError("--timer-tolerance cannot be negative") }
        if ladder, filters.mac.isEmpty, filters.xid.isEmpty, filters.duid.isEmpty {
            throw ValidationError("--ladder draws one client or transaction: give --mac, --duid or --xid")
        }
        if ladder, output.json || leases != nil { throw ValidationError("--ladder cannot be combined with --json or --leases") }
        // One standard output, one format: --json's lease events already are the table.
        if output.json, let leases { throw ValidationError("--leases \(leases.rawValue) cannot be combined with --json: its lease events are the table") }
    }

    func run() throws {
        var options = AnalysisOptions()
        limits.apply(to: &options)
        options.timerTolerance = timerTolerance
        options.expectation = try expect.expectation()
        // Read once: a property wrapper's getter costs hundreds of instructions, too much for every message.
        let json = output.json, verbose = output.verbose, ladder = self.ladder, report = leases == nil && !ladder
        // Transition events are made only for what prints them (JSON, -v's steps, the SVG's arrows).
        options.transitionEvents = json || (verbose && report) || svg != nil
        options.transactionEvents = json || (verbose && report)
        // The text report lists the first problems: the rest are counted, their texts never written.
        if !json { options.problemEvents = AnalysisPrinter.reportedProblems }
        var analyzer = DHCPAnalyzer(options: options)
        var analyzer6 = DHCPv6Analyzer(options: options)
        let messageFilter = try filters.messageFilter()
        let stdout = OutputStream.standardOutput(flushEachLine: input.files.contains("-"))
        var captureProblems = 0
        var printer: AnalysisPrinter?
        let reportError = { (error: CaptureError) in
            captureProblems += 1
            Diagnostics.error(error.description)
            if json {
                printer?.flush()
                stdout.append(Events.captureProblem(error))
                stdout.endLine()
            }
        }
        let feed = CaptureFeed(files: input.files, filter: input.filter, ports: try input.ports(), report: reportError)
        // Progress on a terminal while the files are read: the report comes after it, so stdout may be the same
        // terminal unless events or transitions are printed as they happen.
        let streaming = json || (verbose && report)
        let progress = ProgressMeter(enabled: Diagnostics.standardErrorIsTerminal
                                     && (!streaming || !Diagnostics.standardOutputIsTerminal))
        guard !feed.isEmpty else { throw ExitCode(2) }
        let names = feed.names
        // JSON events are rendered on the other cores for files, unless messages are written between them (-v).
        let renderers = json && !verbose && !input.files.contains("-") ? threads.width : 1
        let events = AnalysisPrinter(output: stdout, names: names,
                                     style: .init(json: json, textSteps: verbose && report, keepTransitions: svg != nil),
                                     renderingThreads: renderers)
        printer = events
        var steps = [LadderStep]()
        let limit = filters.count ?? Int.max
        var analysed = 0
        var found = [AnalysisEvent]()

        feed.run(report: reportError) { index, packet, decoded in
            progress.tick(frame: packet.frameNumber) { (feed.summary.frames, feed.summary.messages) }
            let frame = FrameReference(file: index, frame: packet.frameNumber, time: packet.timestamp)
            switch decoded.content {
            case .dhcp(let record):
                guard messageFilter.matches(record.view) else { return true }
                if json, verbose {
                    events.message(MessageContext(file: names[index], frame: packet.frameNumber, time: packet.timestamp,
                                                  link: decoded.link, record: record), verbose: true)
                }
                if ladder, let message = record.message { steps.append(LadderStep(frame: frame, record: record, message: message)) }
                analyzer.observe(record, link: decoded.link, frame: frame, into: &found)
            case .dhcpv6(let record):
                guard messageFilter.isEmpty || messageFilter.matches(try? record.parse().get()) else { return true }
                if json, verbose {
                    events.message(DHCPv6MessageContext(file: names[index], frame: packet.frameNumber, time: packet.timestamp,
                                                        link: decoded.link, record: record), verbose: true)
                }
                if ladder, case .success(let message) = record.parse() {
                    steps.append(LadderStep(frame: frame, record: record, message: message))
                }
                analyzer6.observe(record, link: decoded.link, frame: frame, into: &found)
            default:
                return true
            }
            if !found.isEmpty {
                events.emit(found)
                found.removeAll(keepingCapacity: true)
            }
            analysed += 1
            return analysed < limit
        }
        progress.clear()
        analyzer.finish(events.emit)
        analyzer6.finish(events.emit)

        let servers = analyzer.serverTable
        if let svg {
            let end = [analyzer.latestTime, analyzer6.latestTime].compactMap { $0 }.max()
            let picture = SVGTimeline.render(leases: analyzer.leaseTable, transitions: events.transitions,
                                             leases6: analyzer6.leaseTable, transitions6: events.transitions6, captureEnd: end)
            guard let file = fopen(svg, "w") else {
                Diagnostics.error("\(svg): cannot write: \(String(cString: strerror(errno)))")
                throw ExitCode(2)
            }
            fputs(picture, file)
            fclose(file)
        }
        let summary = AnalysisSummary(decode: feed.summary, analyzer: analyzer, v6: analyzer6)
        if let leases {
            let table = analyzer.leaseTable
            stdout.write(line: leases == .csv ? LeaseExport.csv(table, v6: analyzer6.leaseTable) : LeaseExport.dhcpd(table),
                         terminated: false)
        } else if ladder {
            stdout.write(line: LadderDiagram.render(steps, names: names), terminated: false)
        } else {
            events.finish(analyzer: analyzer, v6: analyzer6, summary: summary)
        }
        stdout.flush()
        if feed.summary.messages == 0, feed.summary.frames == 0, captureProblems > 0 { throw ExitCode(2) }
        if summary.errors > 0 || captureProblems > 0 { throw ExitCode(1) }
    }
}
