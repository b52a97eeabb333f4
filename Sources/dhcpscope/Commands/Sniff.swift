import ArgumentParser
import Capture
import DHCPAnalysis
import DHCPCore
import DHCPMetrics
import DHCPNetwork
import DHCPRuntime
import Framing
import Glibc

struct Sniff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture DHCP live on an interface: each message, and the analysis, as it happens.",
        discussion: """
            Captures UDP on ports 67 and 68 (and --port) through libpcap and prints one line per DHCP message \
            (-v: every field), with a PROBLEM line as soon as one is found (an unanswered DISCOVER, a NAK, an \
            unexpected server with --expect …); at the end, the analysis report as analyse prints it. --json \
            prints the JSON Lines events of dhcpscope(1) instead: ready once listening, a message event per message, \
            transaction, transition and problem events as they happen, then lease, server and summary events. \
            -w writes the captured frames to a pcap file (-C and -G rotate it, as tcpdump). --metrics serves \
            Prometheus metrics; --stats-interval prints the summary so far now and then; --alert runs a command for \
            each problem (its JSON event on the command's standard input). Stops after -c messages, after --duration, or on SIGINT/SIGTERM, and always ends with the summary. Capturing needs \
            root or CAP_NET_RAW.

            Exit status: 0 no problem of severity error; 1 problems of severity error; 2 the capture could not \
            run or failed (no such interface, permission denied, a bad filter, the interface went down, -w \
            cannot be written); 64 usage error.
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The interface to capture on (required; 'any' for all).", valueName: "iface"))
    var interface: String

    @Option(help: ArgumentHelp("A BPF expression narrowing the capture: '(udp and (port 67 or port 68 or port 546 or port 547)) and (expr)'.",
                               valueName: "expr"))
    var filter: String?

    @Option(help: ArgumentHelp("Also capture and treat these UDP ports as DHCP (comma-separated).", valueName: "port,…"))
    var port: [String] = []

    @Flag(help: "Put the interface in promiscuous mode (to see unicast between other hosts).")
    var promisc = false

    @Option(name: .customShort("w"), help: ArgumentHelp("Write the captured frames to this pcap file.", valueName: "file"))
    var writeFile: String?

    @Option(name: .customShort("C"),
            help: ArgumentHelp("With -w: start a new file when the current one passes this many million bytes (FILE, FILE1, FILE2 …).",
                               valueName: "MB"))
    var fileSize: Double?

    @Option(name: .customShort("G"),
            help: ArgumentHelp("With -w: start a new file every this many seconds (strftime % patterns in the name are expanded, else a number is appended).",
                               valueName: "seconds"))
    var rotateSeconds: Int?

    @Option(help: ArgumentHelp("Serve Prometheus metrics on ADDR:PORT (GET /metrics): messages, transactions, response times per server, servers, clients by state, leases, problems, capture drops.",
                               valueName: "addr:port"))
    var metrics: String?

    @Option(help: ArgumentHelp("Every S seconds, print the summary so far: a stats event with --json, else one line.", valueName: "s"))
    var statsInterval: Double?

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @OptionGroup var filters: MessageFilterOptions
    @OptionGroup var expect: ExpectOptions
    @OptionGroup var output: OutputOptions

    @OptionGroup var limits: AnalysisLimitOptions
    @OptionGroup var alerts: AlertOptions

    func validate() throws {
        guard !interface.isEmpty else { throw ValidationError("-i needs an interface name") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        if let statsInterval, !(statsInterval > 0) { throw ValidationError("--stats-interval must be positive") }
        if let fileSize, !(fileSize > 0) { throw ValidationError("-C must be positive") }
        if let rotateSeconds, rotateSeconds < 1 { throw ValidationError("-G must be at least 1") }
        if writeFile == nil, fileSize != nil || rotateSeconds != nil { throw ValidationError("-C and -G rotate the -w file: give -w") }
        _ = try CaptureInputOptions.ports(port)
    }

    func run() throws {
        var options = AnalysisOptions()
        limits.apply(to: &options)
        options.expectation = try expect.expectation()
        var analyzer = DHCPAnalyzer(options: options)
        var analyzer6 = DHCPv6Analyzer(options: options)
        let messageFilter = try filters.messageFilter()
        let ports = try CaptureInputOptions.ports(port)
        let json = output.json, verbose = output.verbose
        let stdout = OutputStream.standardOutput(flushEachLine: true)

        let capture: PCAPLiveCapture
        do {
            capture = try PCAPLiveCapture(interface: interface, filter: PCAPLiveCapture.dhcpFilter(ports: ports, narrowedBy: filter),
                                          promiscuous: promisc)
        } catch {
            Diagnostics.error(error.description)
            throw ExitCode(2)
        }
        if let warning = capture.warning { Diagnostics.error("\(interface): warning: \(warning)") }
        let linkType = LinkType(rawValue: capture.linkType)
        guard linkType.isSupported else {
            Diagnostics.error("\(interface): link type \(capture.linkTypeName) (\(capture.linkType)) is not supported")
            throw ExitCode(2)
        }
        var writer: PCAPDumpWriter?
        if let writeFile {
            let rotation = PCAPDumpWriter.Rotation(bytes: fileSize.map { Int64(($0 * 1_000_000).rounded(.up)) },
                                                   seconds: rotateSeconds)
            do {
                writer = try PCAPDumpWriter(path: writeFile, linkType: capture.linkType, snapshotLength: capture.snapshotLength,
                                            nanosecond: capture.nanosecondTimestamps, rotation: rotation)
            } catch {
                Diagnostics.error(error.description)
                throw ExitCode(2)
            }
        }
        let endpoint: MetricsEndpoint?
        do { endpoint = try MetricsEndpoint.start(metrics) } catch {
            writer?.close()
            throw error
        }
        let exposed = endpoint.map { AnalysisMetrics(registry: $0.registry) }
        defer { endpoint?.stop() }
        // From here on SIGINT and SIGTERM end the loop, not the process; a closed pipe on stdout ends it too.
        let signals = StopSignals { _ in capture.breakLoop() }
        defer { signals.cancel() }
        signal(SIGPIPE, SIG_IGN)

        if json {
            stdout.event(Events.ready(interface: interface) { ready in
                ready.field("filter", capture.filter)
                ready.field("link_type", capture.linkTypeName)
                ready.field("snaplen", Int(capture.snapshotLength))
                ready.field("promiscuous", promisc)
                ready.field("file", writer?.currentPath)
                ready.field("metrics", metrics)
            })
        } else {
            Diagnostics.error("listening on \(interface), link-type \(capture.linkTypeName) (\(capture.linkTypeDescription)), filter: \(capture.filter)")
        }

        let printer = AnalysisPrinter(output: stdout, names: [interface],
                                      style: .init(json: json, textSteps: verbose, textProblems: true))
        let alerting = alerts.runner().map { AlertLog(runner: $0, output: stdout, json: json, verbose: verbose) }
        /// The events to the output, the metrics and the alert command.
        func emit(_ events: [AnalysisEvent]) {
            printer.emit(events)
            exposed?.events(events)
            guard let alerting else { return }
            for case .problem(let problem) in events {
                alerting.problem(code: problem.code.rawValue, severity: problem.severity.rawValue,
                                 subject: problem.ip?.description ?? problem.v6?.address?.description,
                                 event: AnalysisJSON.problem(problem, names: [interface]))
            }
        }
        let feed = LiveFeed(capture: capture, ports: ports, writer: writer)
        let limit = filters.count ?? Int.max
        var shown = 0
        var lastTables = Timestamp(seconds: 0, nanoseconds: 0)
        let started = Timestamp(secondsSince1970: RoleClock.systemWall())
        var statsPrinted = 0
        let failure = feed.run(for: duration, { packet, decoded in
            let frame = FrameReference(file: 0, frame: packet.frameNumber, time: packet.timestamp)
            var found = [AnalysisEvent]()
            switch decoded.content {
            case .dhcp(let record):
                guard messageFilter.matches(record.view) else { return !stdout.failed }
                printer.message(MessageContext(file: interface, frame: packet.frameNumber, time: packet.timestamp,
                                               link: decoded.link, record: record), verbose: verbose)
                analyzer.observe(record, link: decoded.link, frame: frame, into: &found)
                exposed?.message(family: "v4", type: record.view?.typeName ?? "MALFORMED")
            case .dhcpv6(let record):
                guard messageFilter.isEmpty || messageFilter.matches(try? record.parse().get()) else { return !stdout.failed }
                printer.message(DHCPv6MessageContext(file: interface, frame: packet.frameNumber, time: packet.timestamp,
                                                     link: decoded.link, record: record), verbose: verbose)
                analyzer6.observe(record, link: decoded.link, frame: frame, into: &found)
                exposed?.message(family: "v6", type: record.view.map { "\($0.type)" } ?? "MALFORMED")
            default:
                return !stdout.failed
            }
            emit(found)
            shown += 1
            return shown < limit && !stdout.failed
        }, tick: { now in
            emit(analyzer.advance(to: now))
            emit(analyzer6.advance(to: now))
            alerting?.report()
            if let statsInterval, now.seconds(since: started) - Double(statsPrinted + 1) * statsInterval >= 0 {
                statsPrinted += 1
                let statistics = capture.statistics()
                let live = LiveCaptureCounts(interface: interface, captured: capture.framesRead,
                                             kernelDrops: statistics?.kernelDrops, interfaceDrops: statistics?.interfaceDrops)
                let summary = AnalysisSummary(decode: feed.summary, analyzer: analyzer, v6: analyzer6, live: live)
                if json {
                    stdout.event(summary.json(elapsed: now.seconds(since: started)))
                } else {
                    stdout.write(line: "stats: " + summary.headline + "; " + summary.problemsLine
                        + "; \(live.captured) frames captured, \(statistics?.kernelDrops ?? 0) dropped by the kernel")
                }
            }
            if let exposed {
                // The tables are read every 5 s: a scrape interval is 15 s or more.
                if now.seconds - lastTables.seconds >= 5 {
                    lastTables = now
                    exposed.tables(analyzer)
                    if let statistics = capture.statistics() {
                        exposed.captureDrops(kernel: UInt64(max(0, statistics.kernelDrops)), interface: UInt64(max(0, statistics.interfaceDrops)))
                    }
                }
            }
            return !stdout.failed
        })
        signals.cancel()

        let statistics = capture.statistics()
        writer?.close()
        if let failure {
            Diagnostics.error(failure.description)
            let problem = Problem(Problem.Code(rawValue: "capture-interface"), .error, rfc: nil, failure.description)
            printer.inputProblem(problem)
            alerting?.problem(code: problem.code.rawValue, severity: "error", subject: nil,
                              event: AnalysisJSON.problem(problem, names: [interface]))
            feed.countFailure()
        }
        analyzer.finish(emit)
        analyzer6.finish(emit)
        alerting?.finish()
        let live = LiveCaptureCounts(interface: interface, captured: capture.framesRead,
                                     kernelDrops: statistics?.kernelDrops, interfaceDrops: statistics?.interfaceDrops)
        let summary = AnalysisSummary(decode: feed.summary, analyzer: analyzer, v6: analyzer6, live: live)
        if !json { stdout.write(line: "") }
        printer.finish(analyzer: analyzer, v6: analyzer6, summary: summary)
        if !json {
            var line = "\(live.captured) frame\(live.captured == 1 ? "" : "s") captured on \(interface)"
            if let statistics {
                line += "; \(statistics.kernelDrops) dropped by the kernel, \(statistics.interfaceDrops) by the interface"
            }
            if let writer { line += "; written to " + writer.paths.joined(separator: ", ") }
            stdout.write(line: line)
        }
        stdout.flush()
        if failure != nil { throw ExitCode(2) }
        if summary.errors > 0 { throw ExitCode(1) }
    }
}
