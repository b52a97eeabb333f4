import ArgumentParser
import Capture
import DHCPAnalysis
import DHCPCore
import DHCPLeaseDatabase
import DHCPMetrics
import DHCPNetwork
import DHCPProtocol
import DHCPRuntime
import Framing
import Glibc

struct MockServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-server",
        abstract: "Serve DHCP on an interface as RFC 2131 says, or misbehave on demand (faults), for testing clients.",
        discussion: """
            Runs in the foreground until SIGINT or SIGTERM. Serves one subnet from the flags (the server address and \
            subnet come from the interface when not given) or the subnets of a configuration file (--config), keeps leases in memory or durably in SQLite, an ISC dhcpd.leases file or PostgreSQL (--lease-db), answers relays (giaddr) on port 67, \
            and replies as RFC 2131 §4.1 says: to the relay, to ciaddr, by broadcast, or in a raw frame to the client's \
            MAC without ARP. Never run it on a network whose clients you do not own: use a network namespace.

            With --ha-mode, two servers on one --lease-db postgresql:// database run as a redundant pair, checking \
            each other with DHCPINFORM heartbeats. SIGHUP reads the --ldap reservations again.

            Exit status: 0 stopped by a signal or --duration; 2 could not start (no such interface, no address, \
            permission denied, port 67 in use, a lease database or LDAP directory that cannot be reached); 64 usage error.
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

    @OptionGroup(title: "High availability") var ha: HAOptions

    @Option(help: ArgumentHelp("Keep leases durably: sqlite:PATH (or a bare path), file:PATH (ISC dhcpd.leases format) or postgresql://… (a libpq URI; several servers may share it). Every lease is made durable before its ACK and survives a restart.",
                               valueName: "url"))
    var leaseDb: String?

    @Option(help: ArgumentHelp("Read reservations from an LDAP directory (ldap://host[:port] or ldapi://…): dhcpHost entries of ISC dhcpd's LDAP schema, at start and again on SIGHUP.",
                               valueName: "url"))
    var ldap: String?

    @Option(help: ArgumentHelp("With --ldap: the DN under which to search for dhcpHost entries.", valueName: "dn"))
    var ldapBase: String?

    @Option(help: ArgumentHelp("With --ldap: bind as DN (simple bind) instead of anonymously.", valueName: "dn"))
    var ldapBindDn: String?

    @Option(help: ArgumentHelp("With --ldap-bind-dn: read the password from FILE (its first line).", valueName: "file"))
    var ldapPasswordFile: String?

    @Option(help: ArgumentHelp("On exit, write the leases to FILE in ISC dhcpd.leases(5) format.", valueName: "file"))
    var exportLeases: String?

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every message received and sent to a pcap file.", valueName: "file"))
    var write: String?

    @Flag(help: "Print JSON Lines events (ready, lease, problem, reply, summary) instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "With --json, also print a message event for every message received and sent; in text, a line per message received.")
    var verbose = false

    @Option(help: ArgumentHelp("Serve Prometheus metrics on ADDR:PORT (GET /metrics): messages and replies by type, problems, addresses per subnet, offers held, allocations refused.",
                               valueName: "addr:port"))
    var metrics: String?

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    /// The --ldap directory, with the password of --ldap-password-file.
    func directory() throws -> LDAPDirectory? {
        guard let ldap, let ldapBase else { return nil }
        var password: String?
        if let ldapPasswordFile {
            guard let text = Self.readFile(ldapPasswordFile) else {
                throw Diagnostics.failure("\(ldapPasswordFile): \(String(cString: strerror(errno)))")
            }
            password = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        return LDAPDirectory(url: ldap, base: ldapBase, bindDN: ldapBindDn, password: password)
    }

    func haConfiguration() throws(ValidationError) -> DHCPHAConfiguration? {
        let shared = leaseDb.flatMap { try? LeaseDatabase.parse($0).get() }?.isShared ?? false
        return try ha.configuration(shared: shared)
    }

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
        if let leaseDb, case .failure(let error) = LeaseDatabase.parse(leaseDb) { throw ValidationError("--lease-db: \(error.text)") }
        _ = try haConfiguration()
        if ldap != nil, ldapBase == nil { throw ValidationError("--ldap needs --ldap-base DN") }
        if ldap == nil, ldapBase != nil || ldapBindDn != nil || ldapPasswordFile != nil {
            throw ValidationError("--ldap-base, --ldap-bind-dn and --ldap-password-file need --ldap URL")
        }
        if ldapPasswordFile != nil, ldapBindDn == nil { throw ValidationError("--ldap-password-file needs --ldap-bind-dn") }
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
        // A high-availability partner's heartbeats are answered whatever the INFORM policy says.
        if let partner = try haConfiguration()?.partner { configuration.informPolicy.trusted.insert(partner) }
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
        // Flushed every 50 ms under load and when idle (the runtime asks), not per line: a line per reply would
        // cost a write(2) each.
        let output = OutputStream.standardOutput(flushEachLine: false)
        let network: NetworkInterface
        do { network = try NetworkInterface.named(interface) } catch { throw Diagnostics.failure(error.description) }
        guard let address = network.ipv4.first else { throw Diagnostics.failure("\(interface) has no IPv4 address: give it one first") }
        var fileText: String?
        if let config {
            guard let text = Self.readFile(config) else { throw Diagnostics.failure("\(config): \(String(cString: strerror(errno)))") }
            fileText = text
        }
        let configuration = try self.configuration(serverAddress: address.address,
                                                   interfaceSubnet: (address.network, address.prefixLength), fileText: fileText)
        let log = MockServerLog(output: output, json: json, verbose: verbose, server: configuration.serverIdentifier)
        let endpoint = try MetricsEndpoint.start(metrics)
        if let endpoint {
            log.metrics = ServerMetrics(registry: endpoint.registry)
        }
        defer { endpoint?.stop() }
        let runtime: ServerRuntime
        do {
            let events = json && verbose ? MessageEvents(interface: interface, output: output) : nil
            let recorder = try MessageRecorder(path: write, tapping: [network], onFrame: events?.frame)
            let random = SplitMix64(seed: UInt64(truncatingIfNeeded: Int(getpid())))
            let engine = if let leaseDb {
                ServerEngine(DHCPDurableServer(configuration: configuration, store: try LeaseDatabase.parse(leaseDb).get().open(),
                                               random: random))
            } else {
                ServerEngine(DHCPServer(configuration: configuration, random: random))
            }
            runtime = ServerRuntime(link: try ClientLink(network), engine: engine, recorder: recorder, ha: try haConfiguration(),
                                    reservations: try directory().map(ReservationSource.directory))
        } catch {
            throw Diagnostics.failure("\(error)")
        }
        let stop = runtime.stop
        let signals = StopSignals { _ in stop() }
        defer { signals.cancel() }
        let reload = runtime.reloadRequest
        let hangups = ldap.map { _ in StopSignals([SIGHUP]) { _ in reload.set() } }
        defer { hangups?.cancel() }
        do { try runtime.loadReservations(log) } catch { throw Diagnostics.failure(error.description) }
        for lease in runtime.engine.leases { log.lease(lease, ack: nil) }
        log.ready(interface: interface, configuration: configuration, ha: runtime.ha, metrics: metrics)
        output.flush()
        runtime.run(until: duration.map { RoleClock.process.now() + $0 }, observer: log)
        if let exportLeases {
            let text = LeaseExport.dhcpd(entries: runtime.engine.leases.sorted { $0.address < $1.address }.map(DHCPDLeaseFile.Entry.init),
                                         origin: "from mock-server's leases")
            if let file = fopen(exportLeases, "w") {
                fputs(text, file)
                if fclose(file) != 0 { log.problem("export", "\(exportLeases): \(String(cString: strerror(errno)))", xid: nil) }
            } else {
                log.problem("export", "\(exportLeases): \(String(cString: strerror(errno)))", xid: nil)
            }
        }
        log.summary(ha: runtime.ha, leftToPartner: runtime.leftToPartner)
    }
}
