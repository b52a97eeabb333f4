import ArgumentParser
import Capture
import DHCPClients
import DHCPConformance
import DHCPCore
import DHCPNetwork
import DHCPRuntime
import Glibc
import ServerConformance

struct Conformance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score the DHCP server on a segment against RFC 2131: a battery of checks, each with its clause.",
        discussion: """
            Runs scenarios of fresh synthetic clients (the client machine mock-client and probe run) against the \
            server on the link: DORA with and without the broadcast bit, renewing, rebinding, INFORM, INIT-REBOOT \
            for a stranger and for another network, REQUESTs the server did not offer, RELEASE and DECLINE and a \
            second client asking for the address, a small maximum message size, a malformed DISCOVER, two clients \
            with one xid, BOOTP. Each check is judged from the replies and printed as it is: its id, RFC clause, \
            level (MUST, SHOULD, INFO), result (pass, fail, not-applicable when the server's configuration decides, \
            inconclusive when no answer could judge it) and, for anything but a pass, what was seen. Every lease \
            taken is released at the end; the battery sends about sixty messages and takes about 20 s (--wait). \
            Only run it on networks you are allowed to test.

            With --giaddr and --server it tests a server elsewhere as a relay agent would (UDP from port 67, option \
            82 in every request): the relay checks are judged and the link's are not applicable. --subnet names \
            another subnet the server serves, for subnet selection (118) and link selection (82.5).

            Exit status: 0 every MUST passed; 1 a MUST failed; 2 the battery could not run (no interface, no \
            permission, no server answered); 64 usage error.
            """
    )

    @Option(name: .customShort("i"), help: ArgumentHelp("The interface on the server's segment (required for a run).", valueName: "iface"))
    var interface: String?

    @Option(help: ArgumentHelp("The first synthetic client's MAC; the others count up from it (default 06:0c:… from the interface's).",
                               valueName: "mac"))
    var mac: String?

    @Option(help: ArgumentHelp("Seconds to wait for an answer, and for silence where silence is right (default 2).", valueName: "seconds"))
    var wait: Double = 2

    @Option(help: ArgumentHelp("Tag the frames with this 802.1Q VLAN ID.", valueName: "id"))
    var vlan: UInt16?

    @Option(help: ArgumentHelp("Test as a relay agent with this address (one of this host's): giaddr set, UDP from port 67 to --server.",
                               valueName: "ip"))
    var giaddr: String?

    @Option(help: ArgumentHelp("With --giaddr: the server to test.", valueName: "ip"))
    var server: String?

    @Option(help: ArgumentHelp("An address of another subnet the server serves: subnet selection (118) and link selection (82.5) ask for it.",
                               valueName: "ip"))
    var subnet: String?

    @Option(help: ArgumentHelp("Judge and print only these checks (ids, comma-separated).", valueName: "id,…"))
    var only: [String] = []

    @Option(help: ArgumentHelp("Leave these checks out (ids, comma-separated).", valueName: "id,…"))
    var skip: [String] = []

    @Flag(help: "List the checks (id, RFC clause, level, what it asks) and exit.")
    var list = false

    @Option(name: .customShort("w"), help: ArgumentHelp("Write every frame sent and received to a pcap file.", valueName: "file"))
    var write: String?

    @OptionGroup var output: OutputOptions

    private func ids(_ values: [String], flag: String) throws -> Set<String> {
        let names = values.flatMap { $0.split(separator: ",").map(String.init) }
        for name in names where ConformanceCheck.named(name) == nil {
            throw ValidationError("\(flag): '\(name)' is not a check (see --list)")
        }
        return Set(names)
    }

    func validate() throws {
        _ = try ids(only, flag: "--only")
        _ = try ids(skip, flag: "--skip")
        if (giaddr == nil) != (server == nil) { throw ValidationError("--giaddr and --server go together: a relay agent sends to a server") }
        for (flag, value) in [("--giaddr", giaddr), ("--server", server), ("--subnet", subnet)] {
            if let value, IPv4Address(value) == nil { throw ValidationError("\(flag): '\(value)' is not an IPv4 address") }
        }
        if giaddr != nil, vlan != nil { throw ValidationError("--vlan is for the link; --giaddr tests over UDP") }
        if !list, interface == nil, giaddr == nil {
            throw ValidationError("-i: give the interface on the server's segment, or --giaddr and --server (or --list)")
        }
        if let mac, MACAddress(mac) == nil { throw ValidationError("--mac: '\(mac)' is not a MAC address") }
        if let vlan, vlan > 4094 || vlan == 0 { throw ValidationError("--vlan must be within 1…4094") }
        guard wait > 0, wait <= 60 else { throw ValidationError("--wait must be within 0…60 seconds") }
    }

    func run() throws {
        let out = OutputStream.standardOutput(flushEachLine: true)
        let log = ConformanceLog(output: out, json: output.json)
        if list { return log.list(ConformanceCheck.all) }
        let only = try ids(only, flag: "--only"), skip = try ids(skip, flag: "--skip")
        let chosen = { (check: ConformanceCheck) in (only.isEmpty || only.contains(check.id)) && !skip.contains(check.id) }
        let relay = giaddr.flatMap(IPv4Address.init).flatMap { giaddr in
            server.flatMap(IPv4Address.init).map { ConformanceRunner.Settings.Relay(giaddr: giaddr, server: $0) }
        }
        let name = interface ?? giaddr ?? ""
        var interfaceMAC = MACAddress(rawValue: 0x0000_0000_0001)
        if let interface {
            let network: NetworkInterface
            do { network = try NetworkInterface.named(interface) } catch { throw Diagnostics.failure(error.description) }
            guard relay != nil || (network.hardwareType == 1 && (network.mac?.rawValue ?? 0) != 0) else {
                throw Diagnostics.failure("\(interface) is not an Ethernet interface: the battery's clients need one to send frames on")
            }
            interfaceMAC = network.mac ?? interfaceMAC
        }
        let first = mac.flatMap { MACAddress($0) } ?? MACAddress(rawValue: 0x060C_0000_0000 | (interfaceMAC.rawValue & 0xFF_FFFF) << 8)
        let socket: any DHCPClientLink
        let recorder: MessageRecorder
        do {
            if relay != nil {
                socket = try DHCPClientRelayLink()
            } else {
                let network = try NetworkInterface.named(name)
                socket = try RawFrameSocket(interface: network, receiveUDPPorts: [68], receiveARP: true, promiscuous: true)
            }
            // As a relay agent, the datagrams are recorded as the interfaces carry them (the server may be on any).
            recorder = try MessageRecorder(path: write, tapping: relay != nil ? [] : nil, onFrame: output.json && output.verbose
                                           ? MessageEvents(interface: name, output: out).frame : nil)
        } catch let error as DHCPNetworkError {
            throw Diagnostics.failure(error.description)
        } catch let error as CaptureError {
            throw Diagnostics.failure(error.description)
        }
        defer { recorder.close() }
        let signals = StopSignals { _ in socket.stop() }
        defer { signals.cancel() }

        var settings = ConformanceRunner.Settings(firstMAC: first)
        settings.wait = wait
        settings.vlan = vlan
        settings.relay = relay
        settings.otherSubnet = subnet.flatMap(IPv4Address.init)
        let runner = ConformanceRunner(socket: socket, settings: settings)
        runner.onFrame = { frame, sent in
            recorder.keep(frame, at: RoleClock.process.now())
            if output.verbose, !output.json { MockClientLog.frameLine(frame, sent: sent, to: out) }
        }
        runner.onDatagram = { payload, peer, sent in
            recorder.collectTapped(at: RoleClock.process.now())
            if output.verbose, !output.json { MockClientLog.datagramLine(payload, peer: peer, sent: sent, to: out) }
        }
        log.ready(interface: name, first: first)
        let verdicts: [ConformanceVerdict]
        do {
            verdicts = try runner.run { verdict in if chosen(verdict.check) { log.verdict(verdict) } }
        } catch let error as ConformanceRunner.CannotRun {
            throw Diagnostics.failure(error.description)
        } catch {
            throw Diagnostics.failure("\(error)")
        }
        let judged = verdicts.filter { chosen($0.check) }
        log.summary(judged)
        if judged.contains(where: { $0.check.level == .must && $0.result == .fail }) { throw ExitCode(1) }
    }
}
