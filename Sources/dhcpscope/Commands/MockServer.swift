import ArgumentParser
import DHCPCore
import DHCPNetwork
import DHCPProtocol
import Framing
import Glibc

struct MockServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-server",
        abstract: "Serve DHCP on an interface as RFC 2131 says, or misbehave on demand (faults), for testing clients.",
        discussion: """
            Runs in the foreground until SIGINT or SIGTERM. Serves one subnet from the flags (the server address and \
            subnet come from the interface when not given), keeps leases in memory, answers relays (giaddr) on port 67, \
            and replies as RFC 2131 §4.1 says: to the relay, to ciaddr, by broadcast, or in a raw frame to the client's \
            MAC without ARP. Never run it on a network whose clients you do not own: use a network namespace.

            Exit status: 0 stopped by a signal or --duration; 2 could not start (no such interface, no address, \
            permission denied, port 67 in use); 64 usage error.
            """
    )

    @Option(name: .customShort("i"), help: ArgumentHelp("Interface to serve on (required).", valueName: "iface"))
    var interface: String

    @Option(help: ArgumentHelp("Addresses to lease, inclusive: START-END.", valueName: "start-end"))
    var range: String

    @Option(help: ArgumentHelp("Subnet NET/PREFIX (default: the interface's).", valueName: "net/prefix"))
    var subnet: String?

    @Option(help: ArgumentHelp("Server identifier (option 54; default: the interface's address).", valueName: "ip"))
    var serverIp: String?

    @Option(help: ArgumentHelp("Router to hand out (option 3).", valueName: "ip"))
    var router: String?

    @Option(help: ArgumentHelp("DNS servers to hand out (option 6, comma-separated).", valueName: "ip,…"))
    var dns: String?

    @Option(help: ArgumentHelp("Domain name to hand out (option 15).", valueName: "name"))
    var domain: String?

    @Option(help: ArgumentHelp("Lease time in seconds (option 51).", valueName: "seconds"))
    var leaseTime: UInt32 = 3600

    @Option(help: ArgumentHelp("T1, renewal time (option 58; default 50 % of the lease).", valueName: "seconds"))
    var t1: UInt32?

    @Option(help: ArgumentHelp("T2, rebinding time (option 59; default 87.5 % of the lease).", valueName: "seconds"))
    var t2: UInt32?

    @Flag(help: "NAK requests for addresses that are wrong for the client's network (RFC 2131 §4.3.2 INIT-REBOOT).")
    var authoritative = false

    @OptionGroup var faults: ServerFaultOptions

    @Flag(help: "Print JSON Lines events (ready, lease, problem, reply, summary) instead of text.")
    var json = false

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    func validate() throws {
        // The interface is read only when running: here every flag is checked against a subnet that holds any range.
        _ = try configuration(serverAddress: IPv4Address(198, 18, 0, 1), interfaceSubnet: (.any, 0))
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    }

    /// The server's configuration from the flags; `serverAddress` and `interfaceSubnet` fill what the flags leave out.
    func configuration(serverAddress: IPv4Address, interfaceSubnet: (IPv4Address, Int)) throws -> DHCPServerConfiguration {
        let parts = range.split(separator: "-")
        guard parts.count == 2, let first = IPv4Address(parts[0]), let last = IPv4Address(parts[1]), first <= last else {
            throw ValidationError("--range: '\(range)' is not START-END with START ≤ END")
        }
        var (network, prefix) = interfaceSubnet
        if let subnet {
            let pieces = subnet.split(separator: "/")
            guard pieces.count == 2, let address = IPv4Address(pieces[0]), let length = Int(pieces[1]), (0...32).contains(length) else {
                throw ValidationError("--subnet: '\(subnet)' is not NET/PREFIX")
            }
            (network, prefix) = (address, length)
        }
        let identifier = try serverIp.map { text throws(ValidationError) in
            guard let address = IPv4Address(text) else { throw ValidationError("--server-ip: '\(text)' is not an IPv4 address") }
            return address
        } ?? serverAddress
        var dhcpSubnet = DHCPSubnet(network: network, prefixLength: prefix, pools: [DHCPAddressRange(first, last)], leaseTime: leaseTime)
        guard dhcpSubnet.contains(first), dhcpSubnet.contains(last) else {
            throw ValidationError("--range \(range) is not inside the subnet \(network)/\(prefix)")
        }
        dhcpSubnet.renewalTime = t1
        dhcpSubnet.rebindingTime = t2
        if let router {
            guard let address = IPv4Address(router) else { throw ValidationError("--router: '\(router)' is not an IPv4 address") }
            dhcpSubnet.routers = [address]
        }
        if let dns {
            dhcpSubnet.domainNameServers = try dns.split(separator: ",").map { item throws(ValidationError) in
                guard let address = IPv4Address(item) else { throw ValidationError("--dns: '\(item)' is not an IPv4 address") }
                return address
            }
        }
        dhcpSubnet.domainName = domain
        var configuration = DHCPServerConfiguration(serverIdentifier: identifier, subnets: [dhcpSubnet])
        configuration.authoritative = authoritative
        configuration.faults = try faults.faults(serverIdentifier: identifier)
        configuration.rateLimit = faults.rateLimit.map { DHCPRateLimit(allocationsPerSecond: $0, burst: max(1, Int($0))) }
        if let problem = configuration.validate().first { throw ValidationError(problem) }
        return configuration
    }

    func run() throws {
        let output = OutputStream.standardOutput(flushEachLine: true)
        let network: NetworkInterface
        do { network = try NetworkInterface.named(interface) } catch { throw failure(error.description) }
        guard let address = network.ipv4.first else { throw failure("\(interface) has no IPv4 address: give it one first") }
        guard let mac = network.mac else { throw failure("\(interface) has no Ethernet address") }
        let configuration = try self.configuration(serverAddress: address.address,
                                                   interfaceSubnet: (address.network, address.prefixLength))
        let socket: UDPSocket
        let raw: RawFrameSocket
        do {
            socket = try UDPSocket(port: 67, interface: interface)
            raw = try RawFrameSocket(interface: network)
        } catch {
            throw failure(error.description)
        }
        let signals = StopSignals { _ in socket.stop() }
        defer { signals.cancel() }
        var server = DHCPServer(configuration: configuration, random: DHCPRandom(seed: UInt64(truncatingIfNeeded: Int(getpid()))))
        var log = MockServerLog(output: output, json: json, server: configuration.serverIdentifier)
        log.ready(interface: interface, configuration: configuration)
        let started = Self.now()
        let deadline = duration.map { started + $0 }

        serving: while true {
            var now = Self.now()
            if let deadline, now >= deadline { break }
            let wait = min(1, deadline.map { $0 - now } ?? 1, max(0.01, (server.nextExpiry() ?? now + 1) - now))
            let received: UDPSocket.Receive
            do { received = try socket.receive(timeout: .milliseconds(Int(wait * 1000))) } catch {
                log.problem("socket", error.description)
                break serving
            }
            now = Self.now()
            var actions: [DHCPServerAction]
            switch received {
            case .stopped: break serving
            case .timeout: actions = server.expire(now: now)
            case .datagram(let datagram):
                log.received(datagram)
                let receipt = DHCPReceipt(interfaceAddress: address.address, sourceAddress: datagram.source,
                                          sourcePort: datagram.sourcePort,
                                          broadcast: datagram.isLimitedBroadcast || datagram.destination == address.broadcast)
                actions = server.expire(now: now) + server.handle(bytes: datagram.bytes, from: receipt, now: now)
            }
            for action in actions {
                switch action {
                case .send(let message, let destination, let delay):
                    if delay > 0 { usleep(UInt32(min(delay, 60) * 1_000_000)) }
                    do {
                        try send(message, to: destination, socket: socket, raw: raw, source: address.address, mac: mac,
                                 interfaceIndex: network.index)
                        log.sent(message, to: destination)
                    } catch {
                        log.problem("send", "\(message.typeName) to \(destination): \(error.description)")
                    }
                case .leaseChanged(let lease): log.lease(lease)
                case .problem(let problem): log.problem(problem.kind.rawValue, problem.text, xid: problem.xid)
                }
            }
        }
        log.summary()
    }

    /// RFC 2131 §4.1 addressing: relay and ciaddr by UDP, broadcast out of the interface, and a raw frame to the
    /// client's MAC for an address it does not have yet.
    private func send(_ message: DHCPMessage, to destination: DHCPServerDestination, socket: UDPSocket, raw: RawFrameSocket,
                      source: IPv4Address, mac: MACAddress, interfaceIndex: Int32) throws(DHCPNetworkError) {
        let bytes = message.serialize()
        switch destination {
        case .relay(let relay): try socket.send(bytes, to: relay, port: 67)
        case .unicast(let client): try socket.send(bytes, to: client, port: 68)
        case .broadcast: try socket.send(bytes, to: .broadcast, port: 68, interfaceIndex: interfaceIndex)
        case .hardware(let address, let clientMAC):
            try raw.send(frame: FrameBuilder.udp(sourceMAC: mac, destinationMAC: clientMAC, sourceIP: source,
                                                 destinationIP: address, sourcePort: 67, destinationPort: 68, payload: bytes))
        }
    }

    /// One line on standard error, then exit status 2 (CONTRACT.md: the work could not run).
    private func failure(_ text: String) -> ExitCode {
        Diagnostics.error(text)
        return ExitCode(2)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
