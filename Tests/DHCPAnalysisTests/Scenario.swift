import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Framing
import Testing

// A small language for scripting DHCP exchanges at given times: messages are built with the codec, wrapped in
// Ethernet / IPv4 / UDP by FrameBuilder, decoded by DHCPFrameDecoder and fed to DHCPAnalyzer, exactly as a
// capture would be. Addresses are from 198.18.0.0/15 (RFC 2544 benchmarking), MACs locally administered 06:….

/// A host on the wire.
struct Host {
    let mac: MACAddress
    let ip: IPv4Address
}

enum Net {
    static let server = Host(mac: MACAddress("06:00:00:00:00:01")!, ip: IPv4Address(198, 18, 0, 1))
    static let server2 = Host(mac: MACAddress("06:00:00:00:00:02")!, ip: IPv4Address(198, 18, 0, 2))
    static let relay = Host(mac: MACAddress("06:00:00:00:01:01")!, ip: IPv4Address(198, 18, 1, 1))
    static func address(_ last: UInt8) -> IPv4Address { IPv4Address(198, 18, 0, last) }
    static func relayed(_ last: UInt8) -> IPv4Address { IPv4Address(198, 18, 1, last) }
}

/// A DHCP client: its MAC is its chaddr.
struct Client {
    let mac: MACAddress
    init(_ number: UInt8) { mac = MACAddress(rawValue: 0x0600_0000_1000 | UInt64(number)) }
    var key: ClientKey { ClientKey(htype: 1, address: mac.bytes) }
}

/// Options, as raw bytes (the codec's `DHCPOption(code, bytes)`), plus the typed form where it reads better.
enum Opt {
    static func u32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
         UInt8(truncatingIfNeeded: value)]
    }
    static func type(_ type: DHCPMessageType) -> DHCPOption { DHCPOption(.messageType, [type.rawValue]) }
    static func serverID(_ ip: IPv4Address) -> DHCPOption { DHCPOption(.serverIdentifier, ip.octets) }
    static func requested(_ ip: IPv4Address) -> DHCPOption { DHCPOption(.requestedAddress, ip.octets) }
    static func lease(_ seconds: UInt32) -> DHCPOption { DHCPOption(.leaseTime, u32(seconds)) }
    static func t1(_ seconds: UInt32) -> DHCPOption { DHCPOption(.renewalTime, u32(seconds)) }
    static func t2(_ seconds: UInt32) -> DHCPOption { DHCPOption(.rebindingTime, u32(seconds)) }
    static func parameters(_ codes: [UInt8]) -> DHCPOption { DHCPOption(.parameterRequestList, codes) }
    static func message(_ text: String) -> DHCPOption { DHCPOption(.message, Array(text.utf8)) }
    static let subnet = DHCPOption(.subnetMask, [255, 255, 254, 0])
    static let router = DHCPOption(.routers, value: .list([.ipv4(IPv4Address(198, 18, 0, 254))]))!
    static let dns = DHCPOption(.domainNameServers, value: .list([.ipv4(IPv4Address(198, 18, 0, 53))]))!
    static let domain = DHCPOption(.domainName, value: .text("lab.example"))!
}

/// How a message crosses a relay agent: the client's side and the server's side, possibly in different captures.
struct RelayPath {
    var agent = Net.relay
    var hops: UInt8 = 1
    /// The relay's giaddr; its own address unless set.
    var giaddr: IPv4Address?
    /// The relay's forwarding delay, in seconds.
    var delay = 0.001
    /// The capture file each side is seen in.
    var clientSideFile = 0
    var serverSideFile = 0
}

struct Scenario {
    static let epoch: Int64 = 1_700_000_000

    var analyzer: DHCPAnalyzer
    var decoder = DHCPFrameDecoder()
    var events: [AnalysisEvent] = []
    var frameCounters: [Int: Int] = [:]

    init(options: AnalysisOptions = AnalysisOptions()) { analyzer = DHCPAnalyzer(options: options) }
    init(_ configure: (inout AnalysisOptions) -> Void) {
        var options = AnalysisOptions()
        configure(&options)
        self.init(options: options)
    }

    static func time(_ seconds: Double) -> Timestamp {
        let whole = seconds.rounded(.down)
        return Timestamp(seconds: epoch + Int64(whole), nanoseconds: UInt32(((seconds - whole) * 1e9).rounded()))
    }

    // MARK: the wire

    /// One frame: `payload` in UDP from (mac, ip, port) to (mac, ip, port), seen at `time` in capture `file`.
    @discardableResult
    mutating func frame(_ payload: [UInt8], at time: Double, from: (MACAddress, IPv4Address, UInt16),
                        to: (MACAddress, IPv4Address, UInt16), file: Int = 0) -> [AnalysisEvent] {
        let bytes = FrameBuilder.udp(sourceMAC: from.0, destinationMAC: to.0, sourceIP: from.1, destinationIP: to.1,
                                     sourcePort: from.2, destinationPort: to.2,
                                     identification: UInt16(truncatingIfNeeded: events.count), payload: payload)
        let timestamp = Self.time(time)
        let decoded = bytes.withUnsafeBytes { decoder.decode($0, linkType: .ethernet, time: timestamp) }
        frameCounters[file, default: 0] += 1
        guard case .dhcp(let record) = decoded.content else {
            Issue.record("frame at \(time) s did not decode as DHCP: \(decoded.content)")
            return []
        }
        let reference = FrameReference(file: file, frame: frameCounters[file]!, time: timestamp)
        let new = analyzer.observe(record, link: decoded.link, frame: reference)
        events += new
        return new
    }

    @discardableResult
    mutating func send(_ message: DHCPMessage, at time: Double, from: (MACAddress, IPv4Address, UInt16),
                       to: (MACAddress, IPv4Address, UInt16), file: Int = 0) -> [AnalysisEvent] {
        frame(message.serialize(), at: time, from: from, to: to, file: file)
    }

    static func message(_ type: DHCPMessageType, xid: UInt32, client: Client, ciaddr: IPv4Address = .any,
                        yiaddr: IPv4Address = .any, giaddr: IPv4Address = .any, hops: UInt8 = 0, flags: UInt16 = 0,
                        options: [DHCPOption]) -> DHCPMessage {
        let fromClient: Set<DHCPMessageType> = [.discover, .request, .decline, .release, .inform]
        return DHCPMessage(op: fromClient.contains(type) ? DHCPMessage.bootRequest : DHCPMessage.bootReply, hops: hops,
                           xid: xid, flags: flags, clientAddress: ciaddr, yourAddress: yiaddr, relayAddress: giaddr,
                           chaddr: client.mac.bytes, options: [Opt.type(type)] + options)
    }

    /// A client message: broadcast from 0.0.0.0 unless `source` / `destination` say otherwise; through `relay`
    /// as two legs (client → relay, relay → server).
    mutating func fromClient(_ client: Client, _ message: DHCPMessage, at time: Double, source: IPv4Address = .any,
                             destination: Host? = nil, relay: RelayPath? = nil, file: Int = 0) {
        let destinationIP = destination?.ip ?? .broadcast
        let destinationMAC = destination?.mac ?? .broadcast
        if let relay {
            send(message, at: time, from: (client.mac, source, 68), to: (.broadcast, .broadcast, 67),
                 file: relay.clientSideFile)
            var forwarded = message
            if forwarded.relayAddress == .any { forwarded.relayAddress = relay.giaddr ?? relay.agent.ip }
            forwarded.hops = relay.hops
            let server = destination ?? Net.server
            send(forwarded, at: time + relay.delay, from: (relay.agent.mac, relay.agent.ip, 67),
                 to: (server.mac, server.ip, 67), file: relay.serverSideFile)
        } else {
            send(message, at: time, from: (client.mac, source, 68), to: (destinationMAC, destinationIP, 67), file: file)
        }
    }

    /// A server reply: to `destination` (default: ciaddr, else yiaddr, else broadcast); through `relay` as two
    /// legs (server → relay, relay → client).
    mutating func fromServer(_ server: Host, to client: Client, _ message: DHCPMessage, at time: Double,
                             destination: IPv4Address? = nil, relay: RelayPath? = nil, file: Int = 0) {
        let target = destination
            ?? (message.clientAddress != .any ? message.clientAddress
                : message.yourAddress != .any ? message.yourAddress : .broadcast)
        let targetMAC = target == .broadcast ? MACAddress.broadcast : client.mac
        if let relay {
            var reply = message
            if reply.relayAddress == .any { reply.relayAddress = relay.giaddr ?? relay.agent.ip }
            send(reply, at: time, from: (server.mac, server.ip, 67), to: (relay.agent.mac, relay.agent.ip, 67),
                 file: relay.serverSideFile)
            send(reply, at: time + relay.delay, from: (relay.agent.mac, relay.agent.ip, 67), to: (targetMAC, target, 68),
                 file: relay.clientSideFile)
        } else {
            send(message, at: time, from: (server.mac, server.ip, 67), to: (targetMAC, target, 68), file: file)
        }
    }

    // MARK: verbs

    mutating func discover(_ client: Client, xid: UInt32, at time: Double, flags: UInt16 = 0, hops: UInt8 = 0,
                           options: [DHCPOption] = [], relay: RelayPath? = nil) {
        fromClient(client, Self.message(.discover, xid: xid, client: client, hops: hops, flags: flags, options: options),
                   at: time, relay: relay)
    }

    /// Options a reply carries: server identifier (unless `serverID` is .any), lease and timers, extras.
    static func replyOptions(server: Host, serverID: IPv4Address?, lease: UInt32?, t1: UInt32?, t2: UInt32?,
                             extra: [DHCPOption]) -> [DHCPOption] {
        var options = [DHCPOption]()
        let id = serverID ?? server.ip
        if id != .any { options.append(Opt.serverID(id)) }
        if let lease { options.append(Opt.lease(lease)) }
        if let t1 { options.append(Opt.t1(t1)) }
        if let t2 { options.append(Opt.t2(t2)) }
        return options + extra
    }

    mutating func offer(_ client: Client, xid: UInt32, at time: Double, yiaddr: IPv4Address, server: Host = Net.server,
                        serverID: IPv4Address? = nil, lease: UInt32? = 3600, t1: UInt32? = nil, t2: UInt32? = nil,
                        options: [DHCPOption] = [Opt.subnet, Opt.router, Opt.dns], destination: IPv4Address? = nil,
                        relay: RelayPath? = nil) {
        let message = Self.message(.offer, xid: xid, client: client, yiaddr: yiaddr,
                                   options: Self.replyOptions(server: server, serverID: serverID, lease: lease, t1: t1,
                                                              t2: t2, extra: options))
        fromServer(server, to: client, message, at: time, destination: destination, relay: relay)
    }

    /// REQUEST from SELECTING: server identifier and requested address, broadcast (RFC 2131 §4.3.2).
    mutating func request(_ client: Client, xid: UInt32, at time: Double, address: IPv4Address,
                          server: IPv4Address = Net.server.ip, flags: UInt16 = 0, hops: UInt8 = 0,
                          options: [DHCPOption] = [], relay: RelayPath? = nil) {
        let message = Self.message(.request, xid: xid, client: client, hops: hops, flags: flags,
                                   options: [Opt.serverID(server), Opt.requested(address)] + options)
        fromClient(client, message, at: time, relay: relay)
    }

    /// REQUEST from INIT-REBOOT: requested address only, broadcast.
    mutating func rebootRequest(_ client: Client, xid: UInt32, at time: Double, address: IPv4Address, flags: UInt16 = 0,
                                options: [DHCPOption] = []) {
        fromClient(client, Self.message(.request, xid: xid, client: client, flags: flags,
                                        options: [Opt.requested(address)] + options), at: time)
    }

    /// REQUEST from RENEWING: ciaddr, unicast to the server.
    mutating func renew(_ client: Client, xid: UInt32, at time: Double, ciaddr: IPv4Address, server: Host = Net.server,
                        options: [DHCPOption] = []) {
        fromClient(client, Self.message(.request, xid: xid, client: client, ciaddr: ciaddr, options: options),
                   at: time, source: ciaddr, destination: server)
    }

    /// REQUEST from REBINDING: ciaddr, broadcast.
    mutating func rebind(_ client: Client, xid: UInt32, at time: Double, ciaddr: IPv4Address, options: [DHCPOption] = []) {
        fromClient(client, Self.message(.request, xid: xid, client: client, ciaddr: ciaddr, options: options),
                   at: time, source: ciaddr)
    }

    mutating func ack(_ client: Client, xid: UInt32, at time: Double, yiaddr: IPv4Address, ciaddr: IPv4Address = .any,
                      server: Host = Net.server, serverID: IPv4Address? = nil, lease: UInt32? = 3600, t1: UInt32? = nil,
                      t2: UInt32? = nil, options: [DHCPOption] = [Opt.subnet, Opt.router, Opt.dns],
                      destination: IPv4Address? = nil, giaddr: IPv4Address = .any, relay: RelayPath? = nil) {
        let message = Self.message(.ack, xid: xid, client: client, ciaddr: ciaddr, yiaddr: yiaddr, giaddr: giaddr,
                                   options: Self.replyOptions(server: server, serverID: serverID, lease: lease, t1: t1,
                                                              t2: t2, extra: options))
        fromServer(server, to: client, message, at: time, destination: destination, relay: relay)
    }

    mutating func nak(_ client: Client, xid: UInt32, at time: Double, server: Host = Net.server, text: String? = nil,
                      relay: RelayPath? = nil) {
        var options = [Opt.serverID(server.ip)]
        if let text { options.append(Opt.message(text)) }
        fromServer(server, to: client, Self.message(.nak, xid: xid, client: client, options: options), at: time,
                   destination: .broadcast, relay: relay)
    }

    /// A DECLINE naming `address` in option 50; nil leaves option 50 out (as some clients wrongly do).
    mutating func decline(_ client: Client, xid: UInt32, at time: Double, address: IPv4Address?, server: Host = Net.server) {
        fromClient(client, Self.message(.decline, xid: xid, client: client,
                                        options: [Opt.serverID(server.ip)] + (address.map { [Opt.requested($0)] } ?? [])), at: time)
    }

    mutating func release(_ client: Client, xid: UInt32, at time: Double, ciaddr: IPv4Address, server: Host = Net.server) {
        fromClient(client, Self.message(.release, xid: xid, client: client, ciaddr: ciaddr,
                                        options: [Opt.serverID(server.ip)]), at: time, source: ciaddr, destination: server)
    }

    mutating func inform(_ client: Client, xid: UInt32, at time: Double, ciaddr: IPv4Address, options: [DHCPOption] = []) {
        fromClient(client, Self.message(.inform, xid: xid, client: client, ciaddr: ciaddr, options: options),
                   at: time, source: ciaddr)
    }

    /// DISCOVER, OFFER, REQUEST, ACK, 10 ms apart.
    mutating func dora(_ client: Client, xid: UInt32, at time: Double, address: IPv4Address, lease: UInt32 = 3600,
                       server: Host = Net.server, relay: RelayPath? = nil) {
        discover(client, xid: xid, at: time, relay: relay)
        offer(client, xid: xid, at: time + 0.010, yiaddr: address, server: server, lease: lease, relay: relay)
        request(client, xid: xid, at: time + 0.020, address: address, server: server.ip, relay: relay)
        ack(client, xid: xid, at: time + 0.030, yiaddr: address, server: server, lease: lease, relay: relay)
    }

    @discardableResult
    mutating func advance(to time: Double) -> [AnalysisEvent] {
        let new = analyzer.advance(to: Self.time(time))
        events += new
        return new
    }

    mutating func finish() {
        var closing = [AnalysisEvent]()
        analyzer.finish { closing += $0 }
        events += closing
    }

    // MARK: what came out

    var problems: [Problem] { events.compactMap { if case .problem(let problem) = $0 { problem } else { nil } } }
    var problemCodes: [String] { problems.map(\.code.rawValue) }
    func problems(_ code: Problem.Code) -> [Problem] { problems.filter { $0.code == code } }
    var transactions: [TransactionReport] {
        events.compactMap { if case .transaction(let report) = $0 { report } else { nil } }
    }
    var transitionReports: [TransitionReport] {
        events.compactMap { if case .transition(let report) = $0 { report } else { nil } }
    }
    /// "FROM>TO" for each transition of `client`, in order.
    func transitions(_ client: Client) -> [String] {
        transitionReports.filter { $0.client == client.key }
            .map { "\($0.transition.from.rawValue)>\($0.transition.to.rawValue)" }
    }
    func lease(_ address: IPv4Address, _ client: Client) -> LeaseReport? {
        analyzer.leaseTable.first { $0.ip == address && $0.client == client.key }
    }
    func clientState(_ client: Client) -> DHCPClientState? {
        analyzer.clientTable.first { $0.client == client.key }?.state
    }
    func server(_ ip: IPv4Address) -> ServerReport? { analyzer.serverTable.first { $0.id == ip } }
}

/// Milliseconds equal within a microsecond (timestamps are nanoseconds, latencies doubles).
func near(_ a: Double?, _ b: Double, within tolerance: Double = 0.001) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tolerance
}
