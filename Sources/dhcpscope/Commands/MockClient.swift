import ArgumentParser
import Capture
import DHCPClients
import DHCPCore
import DHCPMetrics
import DHCPNetwork
import DHCPProtocol
import DHCPRuntime
import Glibc

struct MockClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-client",
        abstract: "Act as one DHCP client or thousands (RFC 2131 §4.4): DORA, renewal, rebinding, INIT-REBOOT, release, decline, inform.",
        discussion: """
            Each client has its own MAC (the interface's for one client; from --mac up, or from 06:xx:xx:xx:00:01 up, made from the interface's MAC, for several) and its own RFC 2131 \
            state machine — the one analyse replays captures through — with real timers that --time-scale compresses. \
            The clients send and receive raw Ethernet frames on the interface and answer ARP for the addresses they \
            hold; the host's addresses and routes are never touched: the tool reports, it does not configure.

            Without --once the clients stay bound and keep renewing until SIGINT, SIGTERM, --duration or --count; \
            then, with --release, they release. --once stops when every client is bound (or has its INFORM answered). \
            Never run it on a network whose servers you do not own: use a network namespace.

            Exit status: 0 every client was bound (or informed); 1 some client never was; 2 could not run (no such \
            interface, permission denied, an unreadable lease file); 64 usage error.
            """
    )

    @Option(name: .customShort("i"), help: ArgumentHelp("Interface to run the clients on (required).", valueName: "iface"))
    var interface: String

    @Option(help: ArgumentHelp("MAC address of the (first) client; the others count up from it (default: one client uses the interface's MAC, several 06:… made from it).",
                               valueName: "mac"))
    var mac: String?

    @Option(help: ArgumentHelp("Number of clients, each with its own MAC and state machine (default 1).", valueName: "n"))
    var clients = 1

    @Option(help: ArgumentHelp("Client identifier (option 61): 'mac' (type 1 + the MAC, per client) or hex bytes (one client).",
                               valueName: "mac|hex"))
    var clientId: String?

    @Option(help: ArgumentHelp("Host name to send (option 12); with several clients, NAME-1, NAME-2 …", valueName: "name"))
    var hostname: String?

    @Option(help: ArgumentHelp("Vendor class identifier to send (option 60).", valueName: "text"))
    var vendorClass: String?

    @Option(help: ArgumentHelp("Fully qualified domain name to send (option 81, RFC 4702).", valueName: "name"))
    var fqdn: String?

    @Option(help: ArgumentHelp("Parameter request list (option 55), comma-separated codes; 'none' sends no option 55.",
                               valueName: "codes"))
    var requestList: String?

    @Option(help: ArgumentHelp("Maximum DHCP message size (option 57; default 1500; 0 sends none).", valueName: "bytes"))
    var maxMessageSize: UInt16 = 1500

    @Flag(help: "Set the broadcast bit in DISCOVER and REQUEST (servers then broadcast their replies).")
    var broadcast = false

    @Option(help: ArgumentHelp("Address to ask for in DISCOVER (option 50).", valueName: "ip"))
    var requestedIp: String?

    @Option(help: ArgumentHelp("Seconds to collect OFFERs before choosing (default 0: take the first, or --prefer-server's as soon as it comes).",
                               valueName: "seconds"))
    var offerWindow: Double = 0

    @Option(help: ArgumentHelp("Take this server's OFFER when it comes within the offer window.", valueName: "ip"))
    var preferServer: String?

    @Flag(help: "Release every lease (RELEASE) when stopping.")
    var release = false

    @Flag(help: "Decline the first address each client is given (DECLINE), then start again from INIT.")
    var decline = false

    @Flag(help: "Probe each address given with ARP (RFC 5227) before using it; decline it when another host answers.")
    var arpCheck = false

    @Option(help: ArgumentHelp("Send INFORM as a client configured with this address (no lease is asked for).", valueName: "ip"))
    var inform: String?

    @Option(help: ArgumentHelp("Run every client timer (lease, T1, T2, retransmission) K times faster.", valueName: "k"))
    var timeScale: Double = 1

    @Option(help: ArgumentHelp("Remember leases in FILE: clients with an unexpired lease there start with INIT-REBOOT; it is rewritten as leases change.",
                               valueName: "file"))
    var leaseFile: String?

    @Flag(help: "Stop once every client is bound (with --release: release first), or its INFORM answered.")
    var once = false

    @Option(help: ArgumentHelp("With --once or --inform: give up after this many seconds (default 30).", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Stop after this many leases bound (new or renewed, all clients together).", valueName: "n"))
    var count: Int?

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every frame sent and received (DHCP and ARP) to a pcap file.", valueName: "file"))
    var write: String?

    @Option(help: ArgumentHelp("Serve Prometheus metrics on ADDR:PORT (GET /metrics): messages by type, clients by state, lease events, problems.",
                               valueName: "addr:port"))
    var metrics: String?

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...1_000_000).contains(clients) else { throw ValidationError("--clients must be within 1…1000000") }
        if let mac, MACAddress(mac) == nil { throw ValidationError("--mac: '\(mac)' is not a MAC address") }
        if let clientId, clientId != "mac" {
            guard let bytes = Hex.parse(clientId), !bytes.isEmpty else { throw ValidationError("--client-id: '\(clientId)' is neither 'mac' nor hex bytes") }
            if clients > 1 { throw ValidationError("--client-id with hex bytes is for one client: use 'mac' with --clients") }
        }
        _ = try parameterRequestList()
        if let requestedIp, IPv4Address(requestedIp) == nil { throw ValidationError("--requested-ip: '\(requestedIp)' is not an IPv4 address") }
        if let preferServer, IPv4Address(preferServer) == nil { throw ValidationError("--prefer-server: '\(preferServer)' is not an IPv4 address") }
        if let inform, IPv4Address(inform) == nil { throw ValidationError("--inform: '\(inform)' is not an IPv4 address") }
        if inform != nil, decline || arpCheck || leaseFile != nil || release {
            throw ValidationError("--inform asks for no lease: it cannot be used with --decline, --arp-check, --lease-file or --release")
        }
        if let fqdn, DHCPOption.clientFQDN(fqdn) == nil { throw ValidationError("--fqdn: '\(fqdn)' is not a valid DNS name") }
        guard timeScale > 0, timeScale.isFinite else { throw ValidationError("--time-scale must be positive") }
        guard offerWindow >= 0 else { throw ValidationError("--offer-window cannot be negative") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    private func parameterRequestList() throws -> [UInt8] { try ParameterRequestList.parse(requestList, flag: "--request-list") }

    /// Each client's settings: consecutive MACs from the first.
    private func settings(first: MACAddress) throws -> [DHCPClientSettings] {
        let list = try parameterRequestList()
        return (0..<clients).map { number in
            let mac = MACAddress(rawValue: first.rawValue &+ UInt64(number))
            var settings = DHCPClientSettings(hardwareAddress: mac, parameterRequestList: list,
                                              maximumMessageSize: maxMessageSize == 0 ? nil : max(576, maxMessageSize),
                                              broadcastFlag: broadcast, offerWindow: offerWindow,
                                              preferredServer: preferServer.flatMap { IPv4Address($0) }, timeScale: timeScale,
                                              declineFirstLease: decline, checkAddress: arpCheck,
                                              requestedAddress: requestedIp.flatMap { IPv4Address($0) })
            switch clientId {
            case "mac"?: settings.clientIdentifier = [1] + mac.bytes
            case let hex?: settings.clientIdentifier = Hex.parse(hex)
            case nil: break
            }
            settings.hostName = hostname.map { clients == 1 ? $0 : "\($0)-\(number + 1)" }
            settings.vendorClass = vendorClass
            settings.fqdn = fqdn
            return settings
        }
    }

    func run() throws {
        let out = OutputStream.standardOutput(flushEachLine: true)
        let remembered: [MACAddress: DHCPClientLease]
        do { remembered = try leaseFile.map { path throws(DHCPClientLeaseFile.Error) in try DHCPClientLeaseFile.read(path) } ?? [:] }
        catch { throw Diagnostics.failure(error.description) }
        let network: NetworkInterface
        do { network = try NetworkInterface.named(interface) } catch { throw Diagnostics.failure(error.description) }
        guard network.hardwareType == 1, let interfaceMAC = network.mac, interfaceMAC.rawValue != 0 else {
            throw Diagnostics.failure("\(interface) is not an Ethernet interface: clients need one to send frames on")
        }
        // One client is the interface itself, as a real client; many count up from a locally administered MAC
        // made from the interface's, the same every run (so that --lease-file finds them again).
        let first = mac.flatMap { MACAddress($0) }
            ?? (clients == 1 ? interfaceMAC : MACAddress(rawValue: 0x0600_0000_0001 | (interfaceMAC.rawValue & 0xFF_FFFF) << 16))
        var random = SplitMix64(seed: UInt64(truncatingIfNeeded: Int(getpid())) ^ UInt64(RoleClock.process.now() * 1e6))
        let all = try settings(first: first)
        let fleet: DHCPClientFleet
        let recorder: MessageRecorder
        do {
            let promiscuous = all.contains { $0.hardwareAddress != interfaceMAC }
            let socket = try RawFrameSocket(interface: network, receiveUDPPorts: [68], receiveARP: true, promiscuous: promiscuous)
            fleet = DHCPClientFleet(socket: socket, clients: all, seed: random.next(), addressCheckWait: max(0.2, 1 / timeScale))
            recorder = try MessageRecorder(path: write, onFrame: output.json && output.verbose
                                           ? MessageEvents(interface: interface, output: out).frame : nil)
        } catch let error as DHCPNetworkError {
            throw Diagnostics.failure(error.description)
        } catch let error as CaptureError {
            throw Diagnostics.failure(error.description)
        }
        let endpoint = try MetricsEndpoint.start(metrics)
        defer { endpoint?.stop() }
        let socket = fleet.socket
        let signals = StopSignals { _ in socket.stop() }
        defer { signals.cancel() }

        var log = MockClientLog(output: out, json: output.json)
        let informAddress = inform.flatMap { IPv4Address($0) }
        let verboseText = output.verbose && !output.json
        let started = fleet.clock()
        let givesUp = once || informAddress != nil
        var deadline = duration.map { started + $0 } ?? .infinity
        if givesUp { deadline = min(deadline, started + timeout) }
        let session = DHCPClientSession(fleet: fleet, plan: .init(
            deadline: deadline, givesUp: givesUp, leaseEventLimit: count, release: release, inform: informAddress,
            remembered: remembered))
        let rebooting = session.rebooting(at: started)
        log.metrics = endpoint.map { ClientMetrics(registry: $0.registry, clients: all.count, rebooting: rebooting) }
        let mode = informAddress.map { "INFORM as \($0)" } ?? (rebooting == 0 ? "DORA" : "INIT-REBOOT for \(rebooting) from \(leaseFile ?? "")")
        log.ready(interface: interface, first: first, last: all[all.count - 1].hardwareAddress, count: clients, mode: mode)
        do {
            try session.run({ event in
                let now = fleet.clock()
                switch event {
                case .frame(let frame, let sent):
                    log.counted(frame: frame, sent: sent)
                    recorder.keep(frame, at: now)
                    if verboseText { MockClientLog.frameLine(frame, sent: sent, to: out) }
                case .datagram:
                    break  // mock-client's link is layer 2: it has frames only.
                case .problem(let index, let problem):
                    log.problem(problem, client: index.map { all[$0] })
                case .action(let index, let action):
                    let client = all[index]
                    switch action {
                    case .send, .checkAddress: break
                    case .transition(let step): log.transition(step, client: client, now: now)
                    case .leaseBound(let lease, let renewed): log.lease(lease, client: client, state: renewed ? "renewed" : "active")
                    case .leaseEnded(let lease, let why): log.lease(lease, client: client, state: why.rawValue)
                    case .informed(let ack): log.informed(ack, client: client, address: informAddress)
                    case .problem(let problem): log.problem(problem, client: client, ip: session.holding[index]?.address)
                    }
                }
            }, save: { leases in
                guard let leaseFile else { return }
                do { try DHCPClientLeaseFile.write(DHCPClientLeaseFile.format(leases, timeScale: timeScale), to: leaseFile) }
                catch { log.problem(DHCPClientProblem("lease-file", .error, rfc: "", xid: nil, "\(error)"), client: nil) }
            })
        } catch {
            log.problem(DHCPClientProblem("socket", .error, rfc: "", xid: nil, error.description), client: nil)
        }
        let boundCount = session.boundCount
        log.summary(clients: clients, bound: boundCount, holding: session.holding.compactMap { $0 }.count)
        if boundCount < clients { throw ExitCode(1) }
    }
}
