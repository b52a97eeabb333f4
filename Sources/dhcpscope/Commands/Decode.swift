import ArgumentParser
import Capture
import DHCPAnalysis
import DHCPCore
import DHCPRuntime
import Framing
import Glibc

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode every DHCPv4 and DHCPv6 message in capture files.",
        discussion: """
            Reads pcap and pcapng files (any link type libpcap reads that dhcpscope knows: Ethernet with \
            802.1Q/802.1ad tags, Linux cooked SLL and SLL2, raw IP, BSD null and loop), merges several files \
            by timestamp, reassembles fragmented IPv4 and IPv6, and prints one line per DHCP message (DHCPv4 on \
            UDP 67/68, DHCPv6 on UDP 546/547, relayed messages through every relay level); -v prints every \
            field and option, nested as on the wire; --json prints one `message` event per DHCP message (`dhcp` \
            for DHCPv4, `dhcp6` and `family` "v6" for DHCPv6) and a final `summary`.

            Exit status: 0 every message decoded cleanly; 1 some message was malformed or a file was damaged \
            part-way (everything before the damage is decoded); 2 no input could be read; 64 usage error.
            """
    )

    @OptionGroup var input: CaptureInputOptions
    @OptionGroup var filters: MessageFilterOptions

    @Option(help: ArgumentHelp(
        "Only these message types: DISCOVER, OFFER, REQUEST, ACK, NAK, RELEASE, DECLINE, INFORM, LEASEQUERY …, BOOTREQUEST, BOOTREPLY; DHCPv6: SOLICIT, ADVERTISE, REQUEST, RENEW, REBIND, REPLY, INFORMATION-REQUEST, RELAY-FORW … (comma-separated, any case).",
        valueName: "type,…"))
    var type: [String] = []
    @OptionGroup var output: OutputOptions

    @Flag(help: "Decode everything but print only the summary (counts).")
    var countOnly = false

    @OptionGroup var threads: ThreadOptions

    func validate() throws { _ = try filters.messageFilter(types: type) }

    func run() throws {
        let messageFilter = try filters.messageFilter(types: type)
        // Standard input is often a live tcpdump: then every line goes out as it is decoded.
        let live = input.files.contains("-")
        let stdout = OutputStream.standardOutput(flushEachLine: live)
        let format: MessageFormat = output.json ? .json : output.verbose ? .verbose : .text
        let width = threads.width
        let feed = CaptureFeed(files: input.files, filter: input.filter, ports: try input.ports(),
                               report: { self.report($0, to: stdout) })
        // Rendering goes to the other cores for files (a live pipe keeps one thread: lines go out as they come).
        let parallel = width > 1 && !countOnly && !live
            ? ParallelMessageWriter(width: width, names: feed.names, format: format, output: stdout) : nil
        let report = { (error: CaptureError) in
            parallel?.flush()
            self.report(error, to: stdout)
        }
        // Progress only when the messages do not go to the same terminal.
        let progress = ProgressMeter(enabled: Diagnostics.standardErrorIsTerminal && !Diagnostics.standardOutputIsTerminal)
        defer { progress.clear() }
        guard !feed.isEmpty else {
            finish(feed.summary, stdout)
            throw ExitCode(2)
        }
        let countOnly = self.countOnly
        let limit = filters.count ?? Int.max
        var shown = 0
        let scratch = ByteBuffer()
        feed.run(report: report) { index, packet, decoded in
            progress.tick(frame: packet.frameNumber) { (feed.summary.frames, feed.summary.messages) }
            guard !countOnly else { return true }
            switch decoded.content {
            case .dhcp(let record):
                guard messageFilter.matches(record.view) else { return true }
                if let parallel {
                    parallel.add(file: index, frame: packet.frameNumber, time: packet.timestamp, link: decoded.link, record: record)
                } else {
                    let context = MessageContext(file: feed.names[index], frame: packet.frameNumber, time: packet.timestamp,
                                                 link: decoded.link, record: record)
                    stdout.writeLine { format.render(context, into: &$0, scratch: scratch) }
                }
            case .dhcpv6(let record):
                guard messageFilter.isEmpty || messageFilter.matches(try? record.parse().get()) else { return true }
                if let parallel {
                    parallel.add(file: index, frame: packet.frameNumber, time: packet.timestamp, link: decoded.link, record: record)
                } else {
                    let context = DHCPv6MessageContext(file: feed.names[index], frame: packet.frameNumber,
                                                       time: packet.timestamp, link: decoded.link, record: record)
                    stdout.writeLine { format.render(context, into: &$0, scratch: scratch) }
                }
            default:
                return true
            }
            shown += 1
            return shown < limit
        }
        parallel?.flush()
        var summary = feed.summary
        summary.shown = shown
        finish(summary, stdout)
        if summary.messages == 0, summary.frames == 0, summary.captureErrors > 0 { throw ExitCode(2) }
        if summary.malformed > 0 || summary.captureErrors > 0 { throw ExitCode(1) }
    }

    private func report(_ error: CaptureError, to stdout: OutputStream) {
        if output.json {
            stdout.append(Events.captureProblem(error))
            stdout.endLine()
        }
        Diagnostics.error(error.description)
    }

    private func finish(_ summary: DecodeSummary, _ stdout: OutputStream) {
        if output.json {
            stdout.event(Events.summary(problems: Events.ProblemCounts(summary.problemsBySeverity.map { ($0.key, $0.value) })) { json in
                json.field("files", summary.files)
                json.field("frames", summary.frames)
                json.field("messages", summary.messages)
                json.field("shown", summary.shown)
                json.field("malformed", summary.malformed)
                json.field("dhcpv6", summary.dhcpv6)
                json.field("framing_errors", summary.framingErrors)
                json.field("capture_errors", summary.captureErrors)
                json.beginObject("types")
                for (name, count) in summary.messagesByType.sorted(by: { $0.key < $1.key }) { json.key(text: name); json.number(count) }
                json.endObject()
                json.beginObject("types_v6")
                for (name, count) in summary.messagesByTypeV6.sorted(by: { $0.key < $1.key }) { json.key(text: name); json.number(count) }
                json.endObject()
            })
        } else if countOnly || Diagnostics.standardErrorIsTerminal {
            let types = (summary.messagesByType.sorted(by: { $0.key < $1.key }) + summary.messagesByTypeV6.sorted(by: { $0.key < $1.key }).map { ("v6 " + $0.key, $0.value) })
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let line = "\(summary.messages) DHCP message\(summary.messages == 1 ? "" : "s") in \(summary.frames) frame\(summary.frames == 1 ? "" : "s") from \(summary.files) file\(summary.files == 1 ? "" : "s")"
                + (types.isEmpty ? "" : " (\(types))")
                + "; \(summary.dhcpv6) DHCPv6, \(summary.malformed) malformed, \(summary.captureErrors) capture errors"
            if countOnly { stdout.write(line: line) } else { stdout.flush(); Diagnostics.error(line) }
        }
        stdout.flush()
    }
}

