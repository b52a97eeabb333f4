import ArgumentParser
import Capture
import DHCPCore
import DHCPMetrics
import DHCPNetwork
import DHCPProtocol
import DHCPRuntime
import Framing

extension DHCPAgentInformationPolicy: ExpressibleByArgument {}

struct Relay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Relay DHCP between clients' links and servers elsewhere, with giaddr and option 82 (RFC 1542, RFC 3046).",
        discussion: """
            Runs in the foreground until SIGINT, SIGTERM, --duration or -c. Clients' broadcasts (and unicasts to the \
            relay) on each -i interface, port 67, go to every --server by unicast with giaddr set to that interface's \
            address when it is 0, hops + 1, and option 82: circuit-id (the interface name unless --circuit-id), \
            remote-id, link selection (5) and server identifier override (11) as asked; --agent-info says what to do \
            with a request that carries option 82 already. A request that has passed --max-hops relay agents is \
            dropped. Servers' replies to port 67 whose giaddr is the relay's lose the suboptions the relay added and \
            go to the client: broadcast for a NAK or the broadcast bit, unicast to ciaddr, else a raw frame to chaddr \
            and yiaddr (RFC 2131 §4.1). Malformed messages and replies for another giaddr are dropped with a problem. \
            Only on a network whose clients and servers you own: use network namespaces.

            Exit status: 0 stopped by a signal, --duration or -c; 2 could not start or a socket failed (no such \
            interface, no address, permission denied); 64 usage error.
            """
    )

    @Option(name: .customShort("i"), help: ArgumentHelp("Client-side interfaces, comma-separated (required).", valueName: "iface,…"))
    var interfaces: String

    @Option(help: ArgumentHelp("DHCP servers to forward to, comma-separated (required).", valueName: "ip,…"))
    var server: String

    @Option(help: ArgumentHelp("Server-side interface: requests leave and replies arrive there (default: any, by routing).",
                               valueName: "iface"))
    var upstream: String?

    @Option(help: ArgumentHelp("Option 82 circuit-id (suboption 1; default: the client interface's name).", valueName: "text"))
    var circuitId: String?

    @Option(help: ArgumentHelp("Option 82 remote-id (suboption 2; default: none).", valueName: "text"))
    var remoteId: String?

    @Flag(help: "Add option 82 link selection (suboption 5, RFC 3527) with the client interface's address; with --upstream, giaddr is the upstream address.")
    var linkSelection = false

    @Flag(help: "Add option 82 server identifier override (suboption 11, RFC 5107): clients renew and release through the relay.")
    var serverIdOverride = false

    @Option(help: ArgumentHelp("For a request that carries option 82 already: append ours, replace it with ours, keep it as it is, or drop the request.",
                               valueName: "append|replace|keep|drop"))
    var agentInfo: DHCPAgentInformationPolicy = .replace

    @Option(help: ArgumentHelp("Drop requests that have passed this many relay agents (hops; 1-255).", valueName: "n"))
    var maxHops: Int = 16

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every message received and sent to a pcap file.", valueName: "file"))
    var write: String?

    @Option(help: ArgumentHelp("Serve Prometheus metrics on ADDR:PORT (GET /metrics): messages received, passed on by direction and type, dropped by reason, problems.",
                               valueName: "addr:port"))
    var metrics: String?

    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after passing this many messages on.", valueName: "n"))
    var count: Int?

    @Flag(help: "Print JSON Lines events (ready, relay, problem, summary) instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "With --json, also print a message event for every message received and sent.")
    var verbose = false

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    private var interfaceNames: [String] { interfaces.split(separator: ",").map(String.init) }

    func validate() throws {
        let names = interfaceNames
        if names.isEmpty { throw ValidationError("-i: give at least one client interface") }
        if Set(names).count != names.count { throw ValidationError("-i: an interface is named twice") }
        if let upstream, names.contains(upstream) { throw ValidationError("--upstream \(upstream) is also a client interface (-i)") }
        _ = try servers()
        if !(1...255).contains(maxHops) { throw ValidationError("--max-hops must be 1 to 255") }
        for (flag, text) in [("--circuit-id", circuitId), ("--remote-id", remoteId)] {
            if let text, text.isEmpty || text.utf8.count > 255 { throw ValidationError("\(flag): 1 to 255 bytes") }
        }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let count, count <= 0 { throw ValidationError("-c must be positive") }
    }

    private func servers() throws -> [IPv4Address] {
        let items = server.split(separator: ",")
        if items.isEmpty { throw ValidationError("--server: give at least one server address") }
        return try items.map { item throws(ValidationError) in
            guard let address = IPv4Address(item), address != .any, address != .broadcast else {
                throw ValidationError("--server: '\(item)' is not a unicast IPv4 address")
            }
            return address
        }
    }

    func run() throws {
        let output = OutputStream.standardOutput(flushEachLine: true)
        let links: [ClientLink]
        let upstreamSocket: UDPSocket
        var upstreamInterface: NetworkInterface?
        do {
            links = try interfaceNames.map { name throws(DHCPNetworkError) in try ClientLink(NetworkInterface.named(name)) }
            if let upstream {
                let interface = try NetworkInterface.named(upstream)
                upstreamInterface = interface
                upstreamSocket = try UDPSocket(port: 67, interface: upstream)
            } else {
                // Not bound to a device: requests leave by routing, and replies arriving on any interface are read.
                upstreamSocket = try UDPSocket(port: 67)
            }
        } catch {
            throw Diagnostics.failure(error.description)
        }
        if linkSelection, upstream != nil, upstreamInterface?.primaryIPv4 == nil {
            throw Diagnostics.failure("--link-selection: \(upstream ?? "") has no IPv4 address to use as giaddr")
        }
        let recorder: MessageRecorder
        do {
            // The client links and the upstream interface; without --upstream requests leave by routing, through
            // any interface: every one is tapped.
            let tapped = upstreamInterface.map { links.map(\.interface) + [$0] } ?? []
            recorder = try MessageRecorder(path: write, tapping: tapped, onFrame: json && verbose
                                           ? MessageEvents(interface: interfaceNames.joined(separator: ","), output: output).frame : nil)
        } catch {
            throw Diagnostics.failure("\(error)")
        }
        let configuration = DHCPRelayConfiguration(
            links: links.map { DHCPRelayLink(name: $0.interface.name, index: $0.interface.index, address: $0.address,
                                             circuitID: circuitId.map { Array($0.utf8) }) },
            servers: try servers(), upstreamAddress: upstreamInterface?.primaryIPv4, remoteID: remoteId.map { Array($0.utf8) },
            linkSelection: linkSelection, serverIdentifierOverride: serverIdOverride, policy: agentInfo,
            maximumHops: UInt8(maxHops))
        let runtime = RelayRuntime(links: links, upstream: upstreamSocket, upstreamInterface: upstreamInterface,
                                   agent: DHCPRelayAgent(configuration: configuration), recorder: recorder)
        let endpoint = try MetricsEndpoint.start(metrics)
        defer { endpoint?.stop() }
        let stop = runtime.stop
        let signals = StopSignals { _ in stop() }
        defer { signals.cancel() }
        let log = RelayLog(output: output, json: json)
        log.metrics = endpoint.map { RelayMetrics(registry: $0.registry) }
        log.ready(configuration, upstream: upstream)
        let ok = runtime.run(until: duration.map { RoleClock.process.now() + $0 }, limit: count, observer: log)
        log.summary()
        if !ok { throw ExitCode(2) }
    }
}
