import ArgumentParser
import Capture
import DHCPAnalysis
import DHCPClients
import DHCPCore
import DHCPMetrics
import DHCPNetwork
import DHCPProtocol
import DHCPRuntime
import Glibc
import ServerProbe

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find every DHCP server on a segment and flag the ones not expected (rogue servers).",
        discussion: """
            Sends probes as raw frames — DISCOVER by default; BOOTP, REQUEST as in SELECTING, INIT-REBOOT and \
            REBINDING with --type, since some servers answer only some — collects every answer until --timeout, and \
            reports each server that answered with what it offered. A probe leaves no lease behind: anything a server \
            hands out (--full, or an ACK to a REQUEST probe) is released. Only run it on networks you are allowed to \
            probe; --full takes an address for a moment.

            Exit status follows the Nagios plugin contract (as check_dhcp): 0 OK (only expected servers answered; \
            without --expect, anyone answered); 1 WARNING (an expected server missing, or slower than --warn-ms); \
            2 CRITICAL (a rogue answered, or nobody did); 3 UNKNOWN (usage or runtime error, --metrics cannot listen). \
            Each round's verdict is also given as problems (unexpected-server, no-server, server-missing, \
            slow-server); --alert runs a command for each, and --metrics serves Prometheus metrics while --watch runs.
            """
    )

    @Option(name: .customShort("i"), help: ArgumentHelp("Interface to probe on (required).", valueName: "iface"))
    var interface: String

    @Option(name: .customLong("type"), help: ArgumentHelp("Probe types, comma-separated or repeated: discover, bootp, request, init-reboot, rebinding (default discover).",
                                                         valueName: "type,…"))
    var types: [String] = []

    @Option(help: ArgumentHelp("Client hardware address of the probes (default: the interface's).", valueName: "mac"))
    var mac: String?

    @Flag(help: "Set the broadcast bit (servers then broadcast their replies).")
    var broadcast = false

    @Option(help: ArgumentHelp("Tag the probes with this 802.1Q VLAN ID.", valueName: "id"))
    var vlan: UInt16?

    @Option(help: ArgumentHelp("Add an option to every probe: CODE=HEX (repeatable).", valueName: "code=hex"))
    var option: [String] = []

    @Option(help: ArgumentHelp("Parameter request list (option 55), comma-separated codes; 'none' sends no option 55.",
                               valueName: "codes"))
    var request: String?

    @Option(help: ArgumentHelp("Address named by REQUEST, INIT-REBOOT and REBINDING probes (default 198.18.255.254).", valueName: "ip"))
    var address: String?

    @Option(help: ArgumentHelp("Seconds to wait for answers in all (default 3).", valueName: "seconds"))
    var timeout: Double = 3

    @Option(help: ArgumentHelp("Send the probes again this many times within the timeout.", valueName: "n"))
    var retries = 0

    @Option(help: ArgumentHelp("Probe as a relay agent with this address (one of this host's): giaddr set, UDP from port 67 to --server.",
                               valueName: "ip"))
    var giaddr: String?

    @Option(help: ArgumentHelp("With --giaddr: the server to send the relayed probes to.", valueName: "ip"))
    var server: String?

    @Flag(help: "Also send INFORM as the interface's address, when it has one.")
    var inform = false

    @Flag(help: "Do DORA then RELEASE with the first server that offers, instead of only asking.")
    var full = false

    @OptionGroup var expect: ExpectOptions

    @Option(help: ArgumentHelp("WARNING when an expected server answers slower than this.", valueName: "ms"))
    var warnMs: Double?

    @Flag(help: "Print the Nagios plugin status line with performance data, and nothing else.")
    var nagios = false

    @Option(help: ArgumentHelp("Probe again every SECONDS and report what changed (until SIGINT, or --count rounds).", valueName: "seconds"))
    var watch: Double?

    @Option(help: ArgumentHelp("With --watch: stop after this many rounds.", valueName: "n"))
    var count: Int?

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every frame sent and received to a pcap file.", valueName: "file"))
    var write: String?

    @Option(help: ArgumentHelp("Serve Prometheus metrics on ADDR:PORT (GET /metrics): success, status and duration of the last round, servers, rogues, response times per server, problems.",
                               valueName: "addr:port"))
    var metrics: String?

    @OptionGroup var alerts: AlertOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try kinds()
        _ = try extraOptions()
        if let mac, MACAddress(mac) == nil { throw ValidationError("--mac: '\(mac)' is not a MAC address") }
        if let vlan, vlan > 4094 || vlan == 0 { throw ValidationError("--vlan must be within 1…4094") }
        if (giaddr == nil) != (server == nil) { throw ValidationError("--giaddr and --server go together: a relay agent sends to a server") }
        if let giaddr, IPv4Address(giaddr) == nil { throw ValidationError("--giaddr: '\(giaddr)' is not an IPv4 address") }
        if let server, IPv4Address(server) == nil { throw ValidationError("--server: '\(server)' is not an IPv4 address") }
        if giaddr != nil, inform || vlan != nil { throw ValidationError("--giaddr probes over UDP: --inform and --vlan are for the link") }
        if let address, IPv4Address(address) == nil { throw ValidationError("--address: '\(address)' is not an IPv4 address") }
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be within 0…3600 seconds") }
        guard (0...100).contains(retries) else { throw ValidationError("--retries must be within 0…100") }
        if let watch, watch <= 0 { throw ValidationError("--watch must be positive") }
        if count != nil, watch == nil { throw ValidationError("--count needs --watch") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        if nagios, output.json { throw ValidationError("--nagios and --json are two different outputs: choose one") }
        _ = try parameterRequestList()
    }

    private func kinds() throws -> [ServerProbe.Kind] {
        let names = types.flatMap { $0.split(separator: ",") }
        if names.isEmpty { return [.discover] }
        var kinds = [ServerProbe.Kind]()
        for name in names {
            guard let kind = ServerProbe.Kind(rawValue: String(name)) else {
                throw ValidationError("--type: '\(name)' is not one of \(ServerProbe.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds
    }

    private func extraOptions() throws -> [DHCPOption] {
        try option.map { item throws(ValidationError) in
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let code = UInt8(parts[0]), code != 0, code != 255, let data = Hex.parse(parts[1]),
                  data.count <= 255 else {
                throw ValidationError("--option: '\(item)' is not CODE=HEX with a code 1…254 and at most 255 bytes")
            }
            return DHCPOption(DHCPOptionCode(rawValue: code), data)
        }
    }

    private func parameterRequestList() throws -> [UInt8] { try ParameterRequestList.parse(request, flag: "--request") }

    func run() throws {
        let out = OutputStream.standardOutput(flushEachLine: true)
        let network: NetworkInterface
        do { network = try NetworkInterface.named(interface) } catch { throw Diagnostics.failure(error.description, status: 3) }
        let relay = giaddr.flatMap { IPv4Address($0) }
        let interfaceMAC = network.mac ?? MACAddress(rawValue: 0)
        guard relay != nil || (network.hardwareType == 1 && interfaceMAC.rawValue != 0) else {
            throw Diagnostics.failure("\(interface) is not an Ethernet interface: probes need one to send frames on", status: 3)
        }
        let chaddr = mac.flatMap { MACAddress($0) } ?? (interfaceMAC.rawValue == 0 ? MACAddress(rawValue: 0x0600_0000_0001) : interfaceMAC)
        var client = DHCPClientSettings(hardwareAddress: chaddr, parameterRequestList: try parameterRequestList(),
                                        broadcastFlag: broadcast, extraOptions: try extraOptions())
        client.requestAttempts = 1_000
        client.relayAddress = relay
        client.relayServer = server.flatMap { IPv4Address($0) }
        var settings = ServerProbe.Settings(client: client)
        settings.kinds = try kinds()
        settings.timeout = timeout
        settings.retries = retries
        settings.full = full
        settings.expectation = try expect.expectation()
        settings.warnMilliseconds = warnMs
        if let address { settings.probeAddress = IPv4Address(address) ?? settings.probeAddress }
        if inform { settings.informAddress = network.primaryIPv4 }
        let probe = ServerProbe(settings: settings)
        let recorder: MessageRecorder
        let socket: any DHCPClientLink
        do {
            // A relay agent's probes go by UDP from port 67 (answers come back there); a client's as raw frames.
            socket = relay != nil ? try DHCPClientRelayLink()
                : try RawFrameSocket(interface: network, receiveUDPPorts: [68], receiveARP: true, promiscuous: chaddr != interfaceMAC)
            // A relay agent's datagrams are recorded as the interfaces carry them (the server may be on any).
            recorder = try MessageRecorder(path: write, tapping: relay != nil ? [] : nil, onFrame: output.json && output.verbose
                                           ? MessageEvents(interface: interface, output: out).frame : nil)
        } catch let error as DHCPNetworkError {
            throw Diagnostics.failure(error.description, status: 3)
        } catch let error as CaptureError {
            throw Diagnostics.failure(error.description, status: 3)
        }
        let endpoint = try MetricsEndpoint.start(metrics, status: 3)
        defer { endpoint?.stop() }
        let signals = StopSignals { _ in socket.stop() }
        defer { signals.cancel() }

        var log = ProbeLog(output: out, json: output.json, nagios: nagios, verbose: output.verbose && !output.json)
        log.metrics = endpoint.map { ProbeMetrics(registry: $0.registry) }
        log.alerts = alerts.runner().map { AlertLog(runner: $0, output: out, json: output.json, verbose: output.verbose) }
        log.ready(interface: interface, kinds: settings.kinds.map(\.rawValue), mac: chaddr)
        var previous: [ServerProbe.Server]?
        let last: ServerProbe.Result
        do {
            last = try probe.rounds(on: socket, vlan: vlan,
                                    seed: UInt64(truncatingIfNeeded: Int(getpid())) ^ UInt64(RoleClock.process.now() * 1e6),
                                    pause: watch, limit: count, { event in
                switch event {
                case .answered(let server): log.server(server)
                case .fleet(.frame(let frame, let sent)):
                    recorder.keep(frame, at: RoleClock.process.now())
                    log.frame(frame, sent: sent)
                case .fleet(.datagram(let payload, let peer, let sent)):
                    recorder.collectTapped(at: RoleClock.process.now())
                    log.datagram(payload, peer: peer, sent: sent)
                case .fleet(.problem(_, let problem)), .fleet(.action(_, .problem(let problem))): log.problem(problem)
                case .fleet: break
                }
            }, round: { number, result in
                if let previous { log.changes(from: previous, to: result.servers) }
                previous = result.servers
                log.summary(result, round: number)
            })
        } catch {
            throw Diagnostics.failure(error.description, status: 3)
        }
        log.alerts?.finish()
        throw ExitCode(Int32(last.status.rawValue))
    }
}
