import ArgumentParser
import Capture
import DHCPClients
import DHCPCore
import DHCPMetrics
import DHCPNetwork
import DHCPPerf
import DHCPRuntime
import Foundation

struct Perf: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perf",
        abstract: "Load-test a DHCP server with synthetic clients: open-loop rate, latency percentiles, drops.",
        discussion: """
            Layer-2 mode (-i IFACE): every synthetic client sends raw broadcast frames from its own MAC, as a real \
            client does, and answers ARP for the address it holds. Relay mode (--server IP --relay GIADDR[,…]): perf \
            is a relay agent, sending from port 67 to the server with giaddr set (round robin over the GIADDRs, which \
            must be addresses of this host) and option 82 per client (circuit-id "perf-N", remote-id the MAC), so one \
            host can load many subnets. Either way each client is the RFC 2131 client machine mock-client runs.

            Exchanges start by the clock at --rate per second (open loop: a slow or missing reply never delays the \
            next start, so latency is not hidden by coordinated omission). A step unanswered after --drop-time is a \
            drop and the client starts afresh; answers after that are late replies. Latency is measured per step \
            (DISCOVER→OFFER, REQUEST→ACK) and per exchange in HDR histograms. A progress line comes every second, a \
            summary at the end; `--merge` adds the summaries of several shards (--shard i/N on several hosts) into \
            one, histograms merged. When the host cannot start exchanges at the rate asked, the summary says \
            generator_limited: that shortfall is the generator's, not the server's.

            Memory: about 1 KB per client (measured: 100,000 clients 131 MB resident, 1,000 clients 29 MB). \
            Never run it on a network whose servers you do not own: use a network namespace.

            Exit status: 0 the failed exchanges (drops and NAKs) were within --max-drops; 1 more failed (perfdhcp \
            exits 3 here); 2 could not run (no such interface, permission denied, server unreachable, unreadable \
            --merge input); 64 usage error.
            """
    )

    @Option(name: .customShort("i"), help: ArgumentHelp("Layer-2 mode: run the clients on this interface.", valueName: "iface"))
    var interface: String?

    @Option(help: ArgumentHelp("Relay mode: the server to send to (with --relay).", valueName: "ip"))
    var server: String?

    @Option(help: ArgumentHelp("Relay mode: giaddr(s) to relay from, comma-separated; each must be an address of this host.",
                               valueName: "giaddr[,giaddr…]"))
    var relay: String?

    @Flag(help: "Relay mode: send no option 82 (perfdhcp sends none; a server may spend more on messages that carry it).")
    var noAgentInfo = false

    @Option(help: ArgumentHelp("Synthetic clients, over all shards (default 1000).", valueName: "n"))
    var clients = 1000

    @Option(help: ArgumentHelp("MAC of client 0; client n has this + n (default 06:00:00:00:00:01).", valueName: "mac"))
    var mac: String?

    @Option(help: ArgumentHelp("Client identifier (option 61): 'mac' sends type 1 + the client's MAC; 'none' (default) sends none.",
                               valueName: "mac|none"))
    var clientId = "none"

    @Option(help: ArgumentHelp("Exchanges started per second, by the clock (default 100).", valueName: "r"))
    var rate: Double = 100

    @Option(help: ArgumentHelp("Seconds to start exchanges for (default 10 unless --count).", valueName: "s"))
    var duration: Double?

    @Option(help: ArgumentHelp("Exchanges to start.", valueName: "n"))
    var count: Int?

    @Option(help: ArgumentHelp("Seconds at the start whose exchanges run but are not counted (default 0).", valueName: "s"))
    var warmup: Double = 0

    @Option(help: ArgumentHelp("Seconds a step waits for its answer before the exchange is a drop (default 1, at most 2.5).",
                               valueName: "s"))
    var dropTime: Double = 1

    @Option(help: ArgumentHelp("Failed exchanges (drops and NAKs) allowed before exit status 1: a count or a percentage (default 0).",
                               valueName: "n|p%"))
    var maxDrops = "0"

    @Option(help: ArgumentHelp("2way: DISCOVER/OFFER; 4way: DORA (default).", valueName: "2way|4way"))
    var exchange = "4way"

    @Option(help: ArgumentHelp("Life cycles instead of --exchange: kind:weight,… with kinds dora, 2way, renew, release, init-reboot (renew, release and init-reboot by clients holding leases).",
                               valueName: "mix"))
    var mix: String?

    @Option(help: ArgumentHelp("Be shard i of N: clients i-1, i-1+N, …, and 1/N of the rate and count.", valueName: "i/N"))
    var shard: String?

    @Option(parsing: .upToNextOption,
            help: ArgumentHelp("Merge the summaries (the last summary event of each perf --json output) and report them as one run.",
                               valueName: "file"))
    var merge: [String] = []

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every frame sent and received to a pcap file (relay mode: the datagrams in Ethernet frames).",
                                                        valueName: "file"))
    var write: String?

    @Option(help: ArgumentHelp("Serve Prometheus metrics on ADDR:PORT (GET /metrics) while it runs: exchanges started, completed, dropped, NAKed, in flight; latency histograms.",
                               valueName: "addr:port"))
    var metrics: String?

    @Flag(help: "Print JSON Lines events (ready, progress, problem, summary; transition with -v) instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print every client's steps along RFC 2131 Figure 5 (transition events with --json): a line per step, so many at high rates.")
    var verbose = false

    func validate() throws {
        let modes = [interface != nil, server != nil || relay != nil, !merge.isEmpty].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give one of -i IFACE (layer 2), --server IP --relay GIADDR (relay) or --merge FILE…") }
        if noAgentInfo, server == nil { throw ValidationError("--no-agent-info is for relay mode (--server IP --relay GIADDR)") }
        if server != nil || relay != nil {
            guard let server, IPv4Address(server) != nil else { throw ValidationError("--server: an IPv4 address is needed with --relay") }
            guard let relay, (try? relays(relay)) != nil else { throw ValidationError("--relay: '\(relay ?? "")' is not a list of IPv4 addresses") }
        }
        guard (1...10_000_000).contains(clients) else { throw ValidationError("--clients must be within 1…10000000") }
        if let mac, MACAddress(mac) == nil { throw ValidationError("--mac: '\(mac)' is not a MAC address") }
        guard ["mac", "none"].contains(clientId) else { throw ValidationError("--client-id must be 'mac' or 'none'") }
        guard rate > 0, rate.isFinite, rate <= 10_000_000 else { throw ValidationError("--rate must be within 0…10000000") }
        if let duration, !(duration > 0) { throw ValidationError("--duration must be positive") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup cannot be negative") }
        guard dropTime > 0, dropTime <= PerfPlan.longestDropTime else {
            throw ValidationError("--drop-time must be within 0…\(PerfPlan.longestDropTime) s (the client machine retransmits after 3 s at the earliest)")
        }
        _ = try plan()
        if let shard { _ = try PerfShard.parse(shard).mapError { ValidationError("--shard: \($0)") }.get() }
    }

    private func relays(_ text: String) throws -> [IPv4Address] {
        try text.split(separator: ",").map { item in
            guard let address = IPv4Address(String(item)) else { throw ValidationError("--relay: '\(item)' is not an IPv4 address") }
            return address
        }
    }

    private func plan() throws -> PerfPlan {
        guard ["2way", "4way"].contains(exchange) else { throw ValidationError("--exchange must be 2way or 4way") }
        let kinds = try mix.map { try PerfMix.parse($0).mapError { ValidationError("--mix: \($0)") }.get() }
            ?? PerfMix(only: exchange == "2way" ? .discoverOffer : .dora)
        _ = try dropLimit()
        let part = try shard.map { try PerfShard.parse($0).mapError { ValidationError("--shard: \($0)") }.get() } ?? .whole
        return PerfPlan(rate: rate / Double(part.count), duration: duration ?? (count == nil ? 10 : nil),
                        count: count.map { part.share(of: $0) }, warmup: warmup, dropTime: dropTime, mix: kinds)
    }

    private func dropLimit() throws -> PerfDropLimit {
        try PerfDropLimit.parse(maxDrops).mapError { ValidationError("--max-drops: \($0)") }.get()
    }

    func run() throws {
        let out = OutputStream.standardOutput(flushEachLine: true)
        let log = PerfLog(output: out, json: json)
        let limit = try dropLimit()
        if !merge.isEmpty { return try report(Self.merged(merge), log: log, limit: limit) }
        let plan = try plan()
        let part = try shard.map { try PerfShard.parse($0).mapError { ValidationError("--shard: \($0)") }.get() } ?? .whole
        let serverAddress = server.flatMap { IPv4Address($0) }
        let giaddrs = try relay.map(relays) ?? []
        let population = PerfClients(total: clients, firstMAC: mac.flatMap { MACAddress($0) } ?? PerfClients.defaultFirstMAC,
                                     clientIdentifier: clientId == "mac", relays: giaddrs, server: serverAddress,
                                     agentInformation: !noAgentInfo, shard: part)
        let link: any DHCPClientLink
        let recorder: MessageRecorder
        var place: [(String, String)]
        do {
            if let interface {
                let network = try NetworkInterface.named(interface)
                guard network.hardwareType == 1, network.mac != nil else {
                    throw Diagnostics.failure("\(interface) is not an Ethernet interface: clients need one to send frames on")
                }
                link = try RawFrameSocket(interface: network, receiveUDPPorts: [68], receiveARP: true, promiscuous: true)
                recorder = try MessageRecorder(path: write)
                place = [("interface", interface), ("mode", "layer2")]
            } else {
                link = try DHCPClientRelayLink()
                // The datagrams' frames as the interfaces carry them (the server may be on any).
                recorder = try MessageRecorder(path: write, tapping: [])
                place = [("server", server ?? ""), ("relay", giaddrs.map(\.description).joined(separator: ",")), ("mode", "relay")]
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw Diagnostics.failure("\(error)")
        }
        if part.count > 1 { place.append(("shard", "\(part.index + 1)/\(part.count)")) }
        let endpoint = try MetricsEndpoint.start(metrics)
        defer { endpoint?.stop() }
        let exposed = endpoint.map { PerfMetrics(registry: $0.registry) }
        if let metrics { place.append(("metrics", metrics)) }
        let signals = StopSignals { _ in link.stop() }
        defer { signals.cancel() }
        let settings = population.settings()
        let runner = PerfRunner(link: link, clients: settings, plan: plan,
                                seed: UInt64(truncatingIfNeeded: Int(getpid())) ^ UInt64(RoleClock.process.now() * 1e6),
                                clock: { RoleClock.process.now() })
        if verbose {
            runner.onTransition = { index, step, now in
                let transition = Events.Transition(mac: settings[index].hardwareAddress.description,
                                                   clientID: settings[index].clientIdentifier, step: step,
                                                   time: Timestamp(secondsSince1970: now))
                if json { out.event(Events.transition(transition)) } else { out.write(line: Events.transitionText(transition)) }
            }
        }
        if let exposed { runner.onLatency = { step, seconds in exposed.latency(step: step.rawValue, seconds: seconds) } }
        log.ready(place, clients: settings.count, rate: plan.rate, mix: plan.mix.description)
        let summary: PerfSummary
        do {
            summary = try runner.run(progress: { progress in
                log.progress(progress)
                exposed?.progress(sent: progress.sent, completed: progress.completed, drops: progress.drops, naks: progress.naks,
                                  inFlight: progress.inFlight)
            }, seen: { frame, _, now in
                if let frame { recorder.keep(frame, at: now) } else { recorder.collectTapped(at: now) }
            })
        } catch {
            throw Diagnostics.failure(error.description)
        }
        exposed?.progress(sent: summary.sent, completed: summary.completed, drops: summary.drops, naks: summary.naks, inFlight: 0)
        if summary.sendErrors > 0, summary.messagesSent == 0 {
            log.summary(summary)
            throw Diagnostics.failure("nothing could be sent: \(summary.firstSendError ?? "send failed")")
        }
        try report(summary, log: log, limit: limit)
    }

    private func report(_ summary: PerfSummary, log: PerfLog, limit: PerfDropLimit) throws {
        if summary.generatorLimited {
            log.problem("generator-limit", "warning",
                        "the generator started \(PerfLog.number(summary.sendRate))/s of the \(PerfLog.number(summary.offeredRate))/s asked "
                            + "(\(summary.lateStarts) exchanges started over 10 ms late, \(summary.noFreeClient) found no free client): "
                            + "this is the host's limit, not the server's")
        }
        let exceeded = limit.isExceeded(failed: summary.failed, of: summary.sent)
        if exceeded {
            log.problem("drops-exceeded", "error", "\(summary.failed) of \(summary.sent) exchanges failed (\(summary.drops) drops, "
                            + "\(summary.naks) NAKs), more than --max-drops \(maxDrops)")
        }
        log.summary(summary)
        if exceeded { throw ExitCode(1) }
    }

    /// The last summary event of each file, merged.
    static func merged(_ paths: [String]) throws -> PerfSummary {
        var summaries: [PerfSummary] = []
        for path in paths {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw Diagnostics.failure("\(path): cannot be read")
            }
            guard let line = text.split(separator: "\n").last(where: { $0.contains("\"event\":\"summary\"") }),
                  let summary = try? JSONDecoder().decode(PerfSummary.self, from: Data(line.utf8))
            else { throw Diagnostics.failure("\(path): no perf summary event (perf --json output is needed)") }
            summaries.append(summary)
        }
        return PerfSummary.merged(summaries)
    }
}
