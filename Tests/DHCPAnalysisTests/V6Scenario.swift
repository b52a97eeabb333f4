import DHCPAnalysis
import DHCPv6Core
import DHCPv6Protocol
import Framing
import NetworkPrimitives
import Testing

// DHCPv6 exchanges scripted at given times, as `Scenario` scripts DHCPv4: messages built with DHCPv6Core, wrapped in
// Ethernet / IPv6 / UDP, decoded by DHCPFrameDecoder and fed to DHCPv6Analyzer as a capture would be. Addresses
// from 2001:db8::/32 and link-local; MACs locally administered 06:….

struct V6Host {
    let mac: MACAddress
    let address: IPv6Address
    /// A DUID-LL of its MAC.
    var duid: [UInt8] { [0, 3, 0, 1] + mac.bytes }

    init(_ number: UInt8, address: String) {
        mac = MACAddress(rawValue: 0x0600_0000_2000 | UInt64(number))
        self.address = IPv6Address(address)!
    }
}

enum V6Net {
    static let server = V6Host(1, address: "fe80::1")
    static let server2 = V6Host(2, address: "fe80::2")
    static let relay = V6Host(3, address: "2001:db8:ffff::1")
    static let relayedServer = V6Host(4, address: "2001:db8:eeee::1")
    static let allServers = IPv6Address("ff02::1:2")!
    static func client(_ number: UInt8) -> V6Host { V6Host(0x10 + number, address: "fe80::10:\(number)") }
    static func address(_ last: Int) -> IPv6Address { IPv6Address("2001:db8:1::\(String(last, radix: 16))")! }
    static let prefix = IPv6Address("2001:db8:100::")!
}

/// Options of DHCPv6 messages.
enum O6 {
    static func u32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
         UInt8(truncatingIfNeeded: value)]
    }
    static func clientID(_ host: V6Host) -> DHCPv6Option { DHCPv6Option(1, host.duid) }
    static func serverID(_ host: V6Host) -> DHCPv6Option { DHCPv6Option(2, host.duid) }
    static func elapsed(_ hundredths: UInt16) -> DHCPv6Option { DHCPv6Option(8, [UInt8(hundredths >> 8), UInt8(hundredths & 0xFF)]) }
    static let rapidCommit = DHCPv6Option(14, [])
    static func status(_ code: UInt16, _ text: String = "") -> DHCPv6Option {
        DHCPv6Option(13, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(text.utf8))
    }
    static func iaNA(_ iaid: UInt32 = 1, t1: UInt32 = 0, t2: UInt32 = 0, _ inner: [DHCPv6Option] = []) -> DHCPv6Option {
        // IAID 1 unless given.
        DHCPv6Option(3, fields: u32(iaid) + u32(t1) + u32(t2), options: inner)
    }
    static func iaPD(_ iaid: UInt32 = 1, t1: UInt32 = 0, t2: UInt32 = 0, _ inner: [DHCPv6Option] = []) -> DHCPv6Option {
        DHCPv6Option(25, fields: u32(iaid) + u32(t1) + u32(t2), options: inner)
    }
    static func address(_ address: IPv6Address, preferred: UInt32 = 3000, valid: UInt32 = 4000,
                        _ inner: [DHCPv6Option] = []) -> DHCPv6Option {
        DHCPv6Option(5, fields: address.bytes + u32(preferred) + u32(valid), options: inner)
    }
    static func prefix(_ prefix: IPv6Address, length: UInt8 = 56, preferred: UInt32 = 3000, valid: UInt32 = 4000) -> DHCPv6Option {
        DHCPv6Option(26, fields: u32(preferred) + u32(valid) + [length] + prefix.bytes, options: [])
    }
}

struct V6Scenario {
    static let epoch: Int64 = 1_700_000_000

    var analyzer: DHCPv6Analyzer
    var decoder = DHCPFrameDecoder()
    var events: [AnalysisEvent] = []
    var frames = 0

    init(_ configure: (inout AnalysisOptions) -> Void = { _ in }) {
        var options = AnalysisOptions()
        configure(&options)
        analyzer = DHCPv6Analyzer(options: options)
    }

    static func time(_ seconds: Double) -> Timestamp {
        let whole = seconds.rounded(.down)
        return Timestamp(seconds: epoch + Int64(whole), nanoseconds: UInt32(((seconds - whole) * 1e9).rounded()))
    }

    /// Ethernet, IPv6 (no extension headers) and UDP around `payload`.
    static func frame(_ payload: [UInt8], from: (MACAddress, IPv6Address, UInt16), to: (MACAddress?, IPv6Address, UInt16)) -> [UInt8] {
        func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        let udp = be16(Int(from.2)) + be16(Int(to.2)) + be16(8 + payload.count) + [0, 0] + payload
        let ip = [0x60, 0, 0, 0] + be16(udp.count) + [17, 64] + from.1.bytes + to.1.bytes + udp
        return (to.0?.bytes ?? [0x33, 0x33, 0, 1, 0, 2]) + from.0.bytes + [0x86, 0xDD] + ip
    }

    /// `message` on the wire at `time`; its events.
    @discardableResult
    mutating func send(_ message: DHCPv6Message, at time: Double, from: V6Host, to: V6Host?, toAddress: IPv6Address? = nil)
        -> [AnalysisEvent] {
        let clientPort: UInt16 = 546, serverPort: UInt16 = 547
        let fromServerSide = message.type.isFromServer || message.type == .relayReply
        let sourcePort = fromServerSide || message.type == .relayForward ? serverPort : clientPort
        let destinationPort = message.type == .relayReply ? serverPort : fromServerSide ? clientPort : serverPort
        let bytes = Self.frame(message.serialized(), from: (from.mac, from.address, sourcePort),
                               to: (to?.mac, toAddress ?? to?.address ?? V6Net.allServers, destinationPort))
        let timestamp = Self.time(time)
        let decoded = bytes.withUnsafeBytes { decoder.decode($0, linkType: .ethernet, time: timestamp) }
        frames += 1
        guard case .dhcpv6(let record) = decoded.content else {
            Issue.record("frame at \(time) s did not decode as DHCPv6: \(decoded.content)")
            return []
        }
        var new = [AnalysisEvent]()
        analyzer.observe(record, link: decoded.link, frame: FrameReference(file: 0, frame: frames, time: timestamp), into: &new)
        events += new
        return new
    }

    static func message(_ type: DHCPv6MessageType, xid: UInt32, _ options: [DHCPv6Option]) -> DHCPv6Message {
        DHCPv6Message(type: type, header: .transaction(id: xid), options: options)
    }

    /// A client message, multicast to the servers; `elapsed` in hundredths.
    @discardableResult
    mutating func client(_ client: V6Host, _ type: DHCPv6MessageType, xid: UInt32, at time: Double, elapsed: UInt16 = 0,
                         _ options: [DHCPv6Option] = []) -> [AnalysisEvent] {
        send(Self.message(type, xid: xid, [O6.clientID(client), O6.elapsed(elapsed)] + options), at: time, from: client, to: nil)
    }

    /// A server message to `client`.
    @discardableResult
    mutating func server(_ server: V6Host, _ type: DHCPv6MessageType, to client: V6Host, xid: UInt32, at time: Double,
                         serverID: Bool = true, clientID: V6Host? = nil, _ options: [DHCPv6Option] = []) -> [AnalysisEvent] {
        let ids = [O6.clientID(clientID ?? client)] + (serverID ? [O6.serverID(server)] : [])
        return send(Self.message(type, xid: xid, ids + options), at: time, from: server, to: client)
    }

    /// SOLICIT, ADVERTISE, REQUEST, REPLY for one IA_NA address, 10 ms apart from `start`.
    mutating func sarr(_ client: V6Host, address: IPv6Address, xid: UInt32 = 0x100, at start: Double = 0,
                       server: V6Host = V6Net.server, t1: UInt32 = 1000, t2: UInt32 = 1600, preferred: UInt32 = 3000,
                       valid: UInt32 = 4000) {
        let ia = O6.iaNA(t1: t1, t2: t2, [O6.address(address, preferred: preferred, valid: valid)])
        self.client(client, .solicit, xid: xid, at: start, [O6.iaNA()])
        self.server(server, .advertise, to: client, xid: xid, at: start + 0.01, [ia])
        self.client(client, .request, xid: xid + 1, at: start + 0.02, [O6.serverID(server), ia])
        self.server(server, .reply, to: client, xid: xid + 1, at: start + 0.03, [ia])
    }

    mutating func finish() { analyzer.finish { events += $0 } }

    var problems: [Problem] { events.compactMap { if case .problem(let problem) = $0 { problem } else { nil } } }
    func problems(_ code: String) -> [Problem] { problems.filter { $0.code.rawValue == code } }
    var transactions: [DHCPv6TransactionReport] {
        events.compactMap { if case .transaction6(let report) = $0 { report } else { nil } }
    }
    var transitions: [DHCPv6TransitionReport] {
        events.compactMap { if case .transition6(let report) = $0 { report } else { nil } }
    }
}
