import DHCPCore
import DHCPNetwork
import DHCPProtocol
import Framing
import Glibc

/// Runs many `DHCPClient` machines over one raw socket: one client or thousands, each with its own MAC, state
/// and timers, as real clients with no address yet must — whole Ethernet frames out, frames to their MACs in.
/// It never configures the host: no address, route or ARP entry is added; it answers ARP for the addresses its
/// clients hold (so that servers can unicast to them) and probes an address when a client asks.
///
/// Single-threaded: one caller runs `step` in a loop; `socket.stop()` (from a signal handler or another thread)
/// ends a wait. The fleet is the I/O layer the client roles share: mock-client, probe and perf. Its link is an
/// AF_PACKET socket (whole frames), or for relay-mode clients (perf, probe) `DHCPClientRelayLink`, a UDP socket on
/// port 67 that carries the DHCP messages themselves; its clock can be replaced (perf's tests run it on a fake one).
public final class DHCPClientFleet {
    public enum Event {
        /// What client `index` did (its machine's action, already carried out).
        case action(index: Int, DHCPClientAction)
        /// A problem with no client to pin it on (a malformed frame), or with the I/O of client `index`.
        case problem(index: Int?, DHCPClientProblem)
        /// A frame the fleet sent or received (DHCP or ARP), for -w and -v.
        case frame([UInt8], sent: Bool)
        /// A DHCP message the fleet sent to or received from `peer` over a UDP link (relay mode), for -v.
        case datagram([UInt8], peer: IPv4Address, sent: Bool)
    }

    public let socket: any DHCPClientLink
    /// Seconds now, the time every client machine is given: the role clock by default (seconds since 1970, so that
    /// lease times saved and reloaded across runs mean what they say, advanced by the monotonic clock, so that a
    /// step of the wall clock neither fires nor delays a timer).
    public var clock: () -> Double = { RoleClock.process.now() }
    /// Sees each reply for client `index` before its machine does; false keeps it from the machine (perf takes
    /// its measurements here and keeps a NAK or a 2-way OFFER from moving the machine on).
    public var replyGate: ((_ index: Int, _ reply: DHCPMessage, _ now: Double) -> Bool)?
    /// The 802.1Q tag of every frame sent; nil sends untagged frames.
    public let vlan: UInt16?
    public private(set) var clients: [DHCPClient]
    /// Seconds an address check waits for an answer (RFC 5227's PROBE_WAIT + ANNOUNCE_WAIT is about 3 s).
    public var addressCheckWait: Double
    /// When the frame or datagram being handled arrived, on `clock`: the time it was read, less the time the link
    /// says it waited to be read. What a measurement of the peer's answer should use.
    public private(set) var arrival = 0.0

    /// The clients of each MAC: usually one; several (probe types) share a chaddr and are told apart by xid.
    private var byMAC: [MACAddress: [Int]] = [:]
    /// Reads every reply in storage reused from one to the next.
    private let reader = DHCPMessageReader()
    /// The Ethernet source of each client's last reply: where its unicast REQUESTs and RELEASE go.
    private var serverMAC: [MACAddress?]
    /// Addresses the fleet answers ARP for, and with which MAC.
    private var held: [IPv4Address: Int] = [:]
    /// Address checks in progress: address → (client, when the wait ends).
    private var checks: [IPv4Address: (index: Int, until: Double)] = [:]
    private var timers = DeadlineHeap()
    private var scheduled: [Double?]

    public init(socket: any DHCPClientLink, clients settings: [DHCPClientSettings], seed: UInt64, addressCheckWait: Double = 1,
                vlan: UInt16? = nil) {
        self.socket = socket
        self.vlan = vlan
        var random = SplitMix64(seed: seed)
        clients = settings.map { DHCPClient(settings: $0, random: SplitMix64(seed: random.next())) }
        serverMAC = Array(repeating: nil, count: settings.count)
        scheduled = Array(repeating: nil, count: settings.count)
        self.addressCheckWait = addressCheckWait
        for (index, client) in settings.enumerated() { byMAC[client.hardwareAddress, default: []].append(index) }
    }

    // MARK: driving clients

    public func start(_ index: Int, remembering lease: DHCPClientLease?, now: Double, _ handler: (Event) -> Void) {
        perform(index, clients[index].start(remembering: lease, now: now), now: now, handler)
    }

    public func inform(_ index: Int, address: IPv4Address, now: Double, _ handler: (Event) -> Void) {
        held[address] = index
        perform(index, clients[index].inform(address: address, now: now), now: now, handler)
    }

    public func probe(_ index: Int, _ probe: DHCPProbe, now: Double, _ handler: (Event) -> Void) {
        perform(index, clients[index].probe(probe, now: now), now: now, handler)
    }

    public func release(_ index: Int, now: Double, _ handler: (Event) -> Void) {
        perform(index, clients[index].release(now: now), now: now, handler)
    }

    /// Renews client `index`'s lease now, before T1 (perf's renew exchange).
    public func renew(_ index: Int, now: Double, _ handler: (Event) -> Void) {
        perform(index, clients[index].renew(now: now), now: now, handler)
    }

    /// Puts client `index` back in INIT with a fresh machine, silently: its lease (if any) is forgotten, not
    /// released, and its timers dropped. Perf does this to an exchange it has given up on.
    public func reset(_ index: Int) {
        if let lease = clients[index].lease, held[lease.address] == index { held[lease.address] = nil }
        clients[index] = DHCPClient(settings: clients[index].settings, random: SplitMix64(seed: clients[index].random.next()))
        scheduled[index] = nil
    }

    /// Waits for a frame or the next timer, at most until `deadline`, and handles what came or fell due.
    /// Returns false once the socket was stopped.
    public func step(until deadline: Double, _ handler: (Event) -> Void) throws(DHCPNetworkError) -> Bool {
        var now = clock()
        let wake = min(deadline, nextWake() ?? deadline)
        let wait = max(0, wake - now)
        switch try socket.receive(timeout: .nanoseconds(Int64(min(wait, 3600) * 1e9))) {
        case .stopped: return false
        case .timeout: break
        case .frame(let frame):
            now = clock()
            arrival = now - (frame.waited ?? 0)
            receive(frame.bytes, now: now, handler)
        case .datagram(let datagram):
            now = clock()
            arrival = now - (datagram.waited ?? 0)
            receive(datagram, now: now, handler)
        }
        now = clock()
        runTimers(now: now, handler)
        return true
    }

    /// Sleeps until `deadline` (or the next timer) without reading: what arrives meanwhile stays queued, to be read
    /// by `step(until: -.infinity)` with its arrival time. Then runs the timers due. Returns false once the socket
    /// was stopped.
    public func pause(until deadline: Double, _ handler: (Event) -> Void) throws(DHCPNetworkError) -> Bool {
        let wait = max(0, min(deadline, nextWake() ?? deadline) - clock())
        guard try socket.sleep(for: .nanoseconds(Int64(min(wait, 3600) * 1e9))) else { return false }
        runTimers(now: clock(), handler)
        return true
    }

    private func nextWake() -> Double? {
        [timers.peekDeadline, checks.values.map(\.until).min()].compactMap { $0 }.min()
    }

    private func runTimers(now: Double, _ handler: (Event) -> Void) {
        for (address, check) in checks where check.until <= now {
            checks[address] = nil
            perform(check.index, clients[check.index].addressChecked(inUse: false, now: now), now: now, handler)
        }
        while let (deadline, index) = timers.popDue(now) {
            guard scheduled[index] == deadline else { continue }  // superseded by a later schedule
            scheduled[index] = nil
            perform(index, clients[index].tick(now: now), now: now, handler)
        }
    }

    // MARK: receiving

    private func receive(_ frame: [UInt8], now: Double, _ handler: (Event) -> Void) {
        if let arp = ARPPacket(frame: frame) { return receiveARP(arp, frame: frame, now: now, handler) }
        let parsed = frame.withUnsafeBytes { FrameParser.parse($0, linkType: .ethernet) }
        guard case .udp(_, let udp, _) = parsed.payload, udp.destinationPort == 68 || udp.destinationPort == 67 else { return }
        receive(Array(frame[udp.payload]), from: parsed.link.source, now: now, seen: { handler(.frame(frame, sent: false)) }, handler)
    }

    /// A reply that came over a UDP link (relay mode): the message itself, from `datagram.source`.
    private func receive(_ datagram: UDPDatagram, now: Double, _ handler: (Event) -> Void) {
        receive(datagram.bytes, from: nil, now: now,
                seen: { handler(.datagram(datagram.bytes, peer: datagram.source, sent: false)) }, handler)
    }

    /// A DHCP message received, however it came; `seen` reports it (for -w and -v) once it is known to be for the
    /// fleet or malformed.
    private func receive(_ payload: [UInt8], from sourceMAC: MACAddress?, now: Double, seen: () -> Void,
                         _ handler: (Event) -> Void) {
        let parse = reader.parse(payload)
        guard let reply = parse.message else {
            let text = parse.diagnostics.first.map { "\($0)" } ?? "not a DHCP message"
            seen()
            handler(.problem(index: nil, DHCPClientProblem("malformed-reply", .error, rfc: "2131 2", xid: nil,
                                                           "from \(sourceMAC?.description ?? "?"): \(text)")))
            return
        }
        guard reply.op == DHCPMessage.bootReply, let mac = reply.clientMAC, let sharing = byMAC[mac] else { return }
        let index = sharing.first { clients[$0].xid == reply.xid } ?? sharing[0]
        seen()
        if let sourceMAC, reply.messageType == .ack || reply.messageType == .offer {
            serverMAC[index] = sourceMAC
        }
        if let replyGate, !replyGate(index, reply, now) { return }
        perform(index, clients[index].handle(reply, now: now), now: now, handler)
    }

    private func receiveARP(_ arp: ARPPacket, frame: [UInt8], now: Double, _ handler: (Event) -> Void) {
        if let check = checks[arp.senderIP], arp.senderMAC != clients[check.index].settings.hardwareAddress {
            handler(.frame(frame, sent: false))
            checks[arp.senderIP] = nil
            perform(check.index, clients[check.index].addressChecked(inUse: true, now: now), now: now, handler)
            return
        }
        guard arp.operation == ARPPacket.request, let index = held[arp.targetIP] else { return }
        let mac = clients[index].settings.hardwareAddress
        guard arp.senderMAC != mac else { return }
        handler(.frame(frame, sent: false))
        let answer = ARPPacket(operation: ARPPacket.reply, senderMAC: mac, senderIP: arp.targetIP,
                               targetMAC: arp.senderMAC, targetIP: arp.senderIP)
        send(answer.frame(to: arp.senderMAC, vlan: vlan), index: index, handler)
    }

    // MARK: carrying out actions

    private func perform(_ index: Int, _ actions: [DHCPClientAction], now: Double, _ handler: (Event) -> Void) {
        for action in actions {
            switch action {
            case .send(let message, let destination):
                send(message, to: destination, index: index, handler)
            case .leaseBound(let lease, _):
                held[lease.address] = index
            case .leaseEnded(let lease, _):
                if held[lease.address] == index { held[lease.address] = nil }
            case .checkAddress(let address):
                checks[address] = (index, now + addressCheckWait)
                send(ARPPacket.probe(for: address, from: clients[index].settings.hardwareAddress).frame(vlan: vlan), index: index,
                     handler)
            case .transition, .informed, .problem:
                break
            }
            handler(.action(index: index, action))
        }
        if let deadline = clients[index].nextDeadline, scheduled[index] != deadline {
            scheduled[index] = deadline
            timers.push(deadline, index)
        } else if clients[index].nextDeadline == nil {
            scheduled[index] = nil
        }
    }

    private func send(_ frame: [UInt8], index: Int, _ handler: (Event) -> Void) {
        do {
            try socket.send(frame: frame)
            handler(.frame(frame, sent: true))
        } catch {
            handler(.problem(index: index, DHCPClientProblem("send-failed", .error, rfc: "", xid: nil, error.description)))
        }
    }

    /// A client's message: in its frame on a layer-2 link; as it is, in a datagram to the server from giaddr:67, on
    /// a UDP link (relay mode, the only destination such a link has).
    private func send(_ message: DHCPMessage, to destination: DHCPClientDestination, index: Int, _ handler: (Event) -> Void) {
        guard !socket.carriesFrames else { return send(frame(message, to: destination, index: index), index: index, handler) }
        guard case .relay(let server, let giaddr) = destination else {
            return handler(.problem(index: index, DHCPClientProblem("send-failed", .error, rfc: "", xid: message.xid,
                                                                    "\(message.typeName) to \(destination): a relay link reaches servers only")))
        }
        let bytes = message.serialize()
        do {
            try socket.send(datagram: bytes, to: server, port: 67, from: giaddr == .any ? nil : giaddr)
            handler(.datagram(bytes, peer: server, sent: true))
        } catch {
            handler(.problem(index: index, DHCPClientProblem("send-failed", .error, rfc: "", xid: message.xid, error.description)))
        }
    }

    /// The Ethernet frame of a client message: broadcast from 0.0.0.0 (or the address held, when rebinding),
    /// unicast to the server's MAC from the leased address, or as a relay agent from giaddr:67.
    private func frame(_ message: DHCPMessage, to destination: DHCPClientDestination, index: Int) -> [UInt8] {
        let mac = clients[index].settings.hardwareAddress
        let bytes = message.serialize()
        switch destination {
        case .broadcast:
            return FrameBuilder.udp(sourceMAC: mac, destinationMAC: .broadcast, vlan: vlan, sourceIP: message.clientAddress,
                                    destinationIP: .broadcast, sourcePort: 68, destinationPort: 67, payload: bytes)
        case .server(let server, let source):
            return FrameBuilder.udp(sourceMAC: mac, destinationMAC: serverMAC[index] ?? .broadcast, vlan: vlan, sourceIP: source,
                                    destinationIP: server, sourcePort: 68, destinationPort: 67, payload: bytes)
        case .relay(let server, let giaddr):
            return FrameBuilder.udp(sourceMAC: mac, destinationMAC: serverMAC[index] ?? .broadcast, vlan: vlan, sourceIP: giaddr,
                                    destinationIP: server, sourcePort: 67, destinationPort: 67, payload: bytes)
        }
    }
}

/// A binary min-heap of (deadline, client index). Entries are never removed early: a client rescheduled keeps
/// its old entry, which `scheduled` marks stale when it comes up.
struct DeadlineHeap {
    private var items: [(deadline: Double, index: Int)] = []

    var peekDeadline: Double? { items.first?.deadline }

    mutating func push(_ deadline: Double, _ index: Int) {
        items.append((deadline, index))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].deadline < items[parent].deadline else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest entry when it is due at `now`, removed.
    mutating func popDue(_ now: Double) -> (Double, Int)? {
        guard let first = items.first, first.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count, items[left].deadline < items[smallest].deadline { smallest = left }
                if right < items.count, items[right].deadline < items[smallest].deadline { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
