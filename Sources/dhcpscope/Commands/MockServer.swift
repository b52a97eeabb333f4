import ArgumentParser
import Capture
import DHCPAnalysis
import DHCPCore
import DHCPLeaseDatabase
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
            subnet come from the interface when not given) or the subnets of a configuration file (--config), keeps leases in memory or in an SQLite database (--lease-db), answers relays (giaddr) on port 67, \
            and replies as RFC 2131 §4.1 says: to the relay, to ciaddr, by broadcast, or in a raw frame to the client's \
            MAC without ARP. Never run it on a network whose clients you do not own: use a network namespace.

            Exit status: 0 stopped by a signal or --duration; 2 could not start (no such interface, no address, \
            permission denied, port 67 in use); 64 usage error.
            """
    )

    @Option(name: .customShort("i"), help: ArgumentHelp("Interface to serve on (required).", valueName: "iface"))
    var interface: String

    @Option(help: ArgumentHelp("Read subnets, pools, options and reservations from FILE (instead of --range and the subnet flags).",
                               valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Addresses to lease, inclusive: START-END (required without --config).", valueName: "start-end"))
    var range: String?

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

    @Option(help: ArgumentHelp("Lease time in seconds (option 51; default 3600).", valueName: "seconds"))
    var leaseTime: UInt32?

    @Option(help: ArgumentHelp("T1, renewal time (option 58; default 50 % of the lease).", valueName: "seconds"))
    var t1: UInt32?

    @Option(help: ArgumentHelp("T2, rebinding time (option 59; default 87.5 % of the lease).", valueName: "seconds"))
    var t2: UInt32?

    @Flag(help: "NAK requests for addresses that are wrong for the client's network (RFC 2131 §4.3.2 INIT-REBOOT).")
    var authoritative = false

    @OptionGroup var faults: ServerFaultOptions

    @Option(help: ArgumentHelp("Keep leases in an SQLite database (created when missing): every acknowledged lease is committed before its ACK and survives a restart.",
                               valueName: "file"))
    var leaseDb: String?

    @Option(help: ArgumentHelp("On exit, write the leases to FILE in ISC dhcpd.leases(5) format.", valueName: "file"))
    var exportLeases: String?

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every message received and sent to a pcap file.", valueName: "file"))
    var write: String?

    @Flag(help: "Print JSON Lines events (ready, lease, problem, reply, summary) instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "With --json, also print a message event for every message received and sent; in text, a line per message received.")
    var verbose = false

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    /// The subnet flags that --config replaces.
    private var subnetFlags: [(String, Bool)] {
        [("--range", range != nil), ("--subnet", subnet != nil), ("--router", router != nil), ("--dns", dns != nil),
         ("--domain", domain != nil), ("--lease-time", leaseTime != nil), ("--t1", t1 != nil), ("--t2", t2 != nil)]
    }

    func validate() throws {
        if config == nil, range == nil { throw ValidationError("give --range START-END or --config FILE") }
        if config != nil, let flag = subnetFlags.first(where: \.1) {
            throw ValidationError("\(flag.0) cannot be used with --config: set it in the configuration file")
        }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        // The interface is read only when running: here every flag is checked against a subnet that holds any range.
        // A configuration file that cannot be read is found by run() (exit 2); one with a mistake is a usage error.
        if let config, let text = Self.readFile(config) {
            do { _ = try DHCPServerConfigFile.parse(text, file: config) } catch { throw ValidationError(error.description) }
        }
        _ = try configuration(serverAddress: IPv4Address(198, 18, 0, 1), interfaceSubnet: (.any, 0), fileText: "")
    }

    /// The server's configuration from the file or the flags; `serverAddress` and `interfaceSubnet` fill what they
    /// leave out. `fileText`: the configuration file's contents (nil: --config is not given or not read yet).
    func configuration(serverAddress: IPv4Address, interfaceSubnet: (IPv4Address, Int), fileText: String?) throws -> DHCPServerConfiguration {
        let identifier = try serverIp.map { text throws(ValidationError) in
            guard let address = IPv4Address(text) else { throw ValidationError("--server-ip: '\(text)' is not an IPv4 address") }
            return address
        } ?? serverAddress
        var configuration: DHCPServerConfiguration
        if let config {
            if let fileText, !fileText.isEmpty {
                do { configuration = try DHCPServerConfigFile.parse(fileText, file: config) }
                catch { throw ValidationError(error.description) }
            } else {
                // validate(): the file was checked on its own.
                configuration = DHCPServerConfiguration(serverIdentifier: identifier, subnets: [])
            }
            if serverIp != nil || configuration.serverIdentifier == .any { configuration.serverIdentifier = identifier }
            configuration.authoritative = configuration.authoritative || authoritative
        } else {
            configuration = try flagConfiguration(identifier: identifier, interfaceSubnet: interfaceSubnet)
            configuration.authoritative = authoritative
        }
        configuration.faults = try faults.faults(serverIdentifier: configuration.serverIdentifier)
        configuration.rateLimit = faults.rateLimit.map { DHCPRateLimit(allocationsPerSecond: $0, burst: max(1, Int($0))) }
        if !configuration.subnets.isEmpty, let problem = configuration.validate().first { throw ValidationError(problem) }
        return configuration
    }

    private func flagConfiguration(identifier: IPv4Address, interfaceSubnet: (IPv4Address, Int)) throws -> DHCPServerConfiguration {
        let range = self.range ?? ""
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
        var dhcpSubnet = DHCPSubnet(network: network, prefixLength: prefix, pools: [DHCPAddressRange(first, last)],
                                    leaseTime: leaseTime ?? 3600)
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
        return DHCPServerConfiguration(serverIdentifier: identifier, subnets: [dhcpSubnet])
    }

    static func readFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
            if count < chunk.count { break }
        }
        return ferror(file) != 0 ? nil : String(decoding: bytes, as: UTF8.self)
    }

    func run() throws {
        // Flushed every 50 ms under load and when idle (below), not per line: a line per reply would cost a
        // write(2) each.
        let output = OutputStream.standardOutput(flushEachLine: false)
        let network: NetworkInterface
        do { network = try NetworkInterface.named(interface) } catch { throw Diagnostics.failure(error.description) }
        guard let address = network.ipv4.first else { throw Diagnostics.failure("\(interface) has no IPv4 address: give it one first") }
        guard let mac = network.mac else { throw Diagnostics.failure("\(interface) has no Ethernet address") }
        var fileText: String?
        if let config {
            guard let text = Self.readFile(config) else { throw Diagnostics.failure("\(config): \(String(cString: strerror(errno)))") }
            fileText = text
        }
        let configuration = try self.configuration(serverAddress: address.address,
                                                   interfaceSubnet: (address.network, address.prefixLength), fileText: fileText)
        let link: ClientLink
        let tap: MessageTap
        let engine: ServerEngine
        do {
            link = try ClientLink(network)
            tap = try MessageTap(interface: interface, mac: mac, address: address.address, output: output,
                                 events: json && verbose, path: write)
            let random = DHCPRandom(seed: UInt64(truncatingIfNeeded: Int(getpid())))
            if let leaseDb {
                engine = ServerEngine(DHCPDurableServer(configuration: configuration, store: try SQLiteLeaseStore(path: leaseDb), random: random))
            } else {
                engine = ServerEngine(DHCPServer(configuration: configuration, random: random))
            }
        } catch let error as DHCPNetworkError {
            throw Diagnostics.failure(error.description)
        } catch let error as CaptureError {
            throw Diagnostics.failure(error.description)
        } catch let error as DHCPLeaseDatabaseError {
            throw Diagnostics.failure(error.description)
        }
        let socket = link.socket
        let signals = StopSignals { _ in socket.stop() }
        defer { signals.cancel() }
        var log = MockServerLog(output: output, json: json, server: configuration.serverIdentifier)
        for lease in engine.leases { log.lease(lease, ack: nil) }
        log.ready(interface: interface, configuration: configuration)
        output.flush()
        let started = Self.now()
        let deadline = duration.map { started + $0 }
        var lastExpire = -Double.infinity
        var lastFlush = started
        // Read once: a command's @Flag costs tens of nanoseconds a read (DESIGN.md, Platform facts).
        let receivedLines = verbose && !json

        func perform(_ actions: [DHCPServerAction], now: Double) {
            for action in actions {
                switch action {
                case .send(let message, let destination, let delay):
                    if delay > 0 { usleep(UInt32(min(delay, 60) * 1_000_000)) }
                    do {
                        let bytes = message.serialize()
                        let frame = try link.send(bytes, to: destination)
                        log.sent(message, to: destination)
                        if tap.isActive { tap.record(frame ?? link.frame(bytes, to: destination), now: Self.now()) }
                    } catch {
                        log.problem("send", "\(message.typeName) to \(destination): \(error.description)")
                    }
                case .leaseChanged(let lease):
                    let ack = actions.lazy.compactMap { action -> DHCPMessage? in
                        guard case .send(let message, _, _) = action, message.messageType == .ack,
                              message.yourAddress == lease.address else { return nil }
                        return message
                    }.first
                    log.lease(lease, ack: ack)
                case .problem(let problem): log.problem(problem.kind.rawValue, problem.text, xid: problem.xid)
                }
            }
        }

        serving: while true {
            var now = Self.now()
            if let deadline, now >= deadline { break }
            // Expiry runs at most four times a second: it scans the lease table. Lines not yet written wait at
            // most 50 ms.
            let wait = min(output.hasPendingBytes ? 0.05 : 0.25, deadline.map { $0 - now } ?? 0.25)
            var received: [UDPDatagram] = []
            var stopping = false
            do {
                // A batch: the first datagram waited for, then whatever is already queued (up to 64), handled
                // together so that a lease database commits them in one transaction (group commit).
                switch try socket.receive(timeout: .milliseconds(Int(wait * 1000))) {
                case .stopped: stopping = true
                case .timeout: break
                case .datagram(let datagram):
                    received.append(datagram)
                    while received.count < 64, let datagram = try socket.receiveQueued() { received.append(datagram) }
                }
            } catch {
                log.problem("socket", error.description)
                break serving
            }
            now = Self.now()
            if now - lastExpire >= 0.25 {
                lastExpire = now
                perform(engine.expire(now: now), now: now)
            }
            if !received.isEmpty {
                var batch: [(bytes: [UInt8], receipt: DHCPReceipt)] = []
                for datagram in received {
                    let broadcast = datagram.isLimitedBroadcast || datagram.destination == address.broadcast
                    log.received(datagram)
                    tap.received(datagram, broadcast: broadcast, now: now)
                    if receivedLines { log.receivedLine(datagram) }
                    batch.append((datagram.bytes, DHCPReceipt(interfaceAddress: address.address, sourceAddress: datagram.source,
                                                              sourcePort: datagram.sourcePort, broadcast: broadcast)))
                }
                for actions in engine.handle(batch, now: now) { perform(actions, now: now) }
            }
            // One write(2) for every 50 ms of lines under load, at once when the server goes idle.
            if received.isEmpty || stopping || now - lastFlush >= 0.05 {
                output.flush()
                lastFlush = now
            }
            if stopping { break serving }
        }
        if let store = engine.store {
            do { try store.checkpoint() } catch { log.problem("lease-db", error.description) }
        }
        if let exportLeases {
            let text = LeaseExport.dhcpd(entries: engine.leases.sorted { $0.address < $1.address }.map(Self.dhcpdEntry),
                                         origin: "from mock-server's leases")
            if let file = fopen(exportLeases, "w") {
                fputs(text, file)
                if fclose(file) != 0 { log.problem("export", "\(exportLeases): \(String(cString: strerror(errno)))") }
            } else {
                log.problem("export", "\(exportLeases): \(String(cString: strerror(errno)))")
            }
        }
        log.summary()
    }

    /// A server lease as dhcpd.leases needs it.
    static func dhcpdEntry(_ lease: DHCPLease) -> LeaseExport.DHCPDEntry {
        let htype: UInt8 = lease.client.kind == .hardwareAddress ? lease.client.bytes.first ?? 1 : 1
        let state: LeaseState = switch lease.state {
        case .bound: .active
        case .released, .free: .released
        case .expired: .expired
        case .declined: .declined
        }
        return LeaseExport.DHCPDEntry(ip: lease.address, client: ClientKey(htype: htype, address: lease.hardwareAddress),
                                      clientID: lease.client.kind == .clientIdentifier ? lease.client.bytes : nil,
                                      hostname: lease.hostName, start: MockServerLog.timestamp(lease.start),
                                      end: MockServerLog.timestamp(lease.expires), state: state)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// The server mock-server runs: leases in memory, or in an SQLite database committed before each batch's replies.
/// A class, so that the servers are changed in place (an enum's payload would be copied, store and all).
final class ServerEngine {
    private var memory: DHCPServer<DHCPMemoryLeaseStore>?
    private var durable: DHCPDurableServer?

    init(_ server: DHCPServer<DHCPMemoryLeaseStore>) { memory = server }
    init(_ server: DHCPDurableServer) { durable = server }

    var store: SQLiteLeaseStore? { durable?.store }

    var leases: [DHCPLease] { durable?.store.allLeases() ?? memory?.store.allLeases() ?? [] }

    func expire(now: Double) -> [DHCPServerAction] {
        if durable != nil { return durable!.expire(now: now) }
        return memory!.expire(now: now)
    }

    /// The actions of each message, in order; with a database, committed once for the whole batch first.
    func handle(_ batch: [(bytes: [UInt8], receipt: DHCPReceipt)], now: Double) -> [[DHCPServerAction]] {
        if durable != nil { return durable!.handleBatch(batch, now: now) }
        return batch.map { memory!.handle(bytes: $0.bytes, from: $0.receipt, now: now) }
    }
}
