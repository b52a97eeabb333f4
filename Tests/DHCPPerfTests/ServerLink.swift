import DHCPClients
import DHCPCore
import DHCPNetwork
import DHCPProtocol
import Framing

/// A fake clock the runner, the fleet and the link share: the link moves it on when asked to wait.
final class FakeClock: @unchecked Sendable {
    var now = 1000.0
}

let serverID = IPv4Address(198, 18, 0, 1)
let serverMAC = MACAddress(rawValue: 0x0600_0000_ff01)

/// The pure `DHCPServer` on the other end of a fleet's link: frames the fleet sends are parsed and handed to the
/// server, its replies come back as frames `latency` seconds later on the fake clock. No sockets, no real time.
final class ServerLink: DHCPClientLink, @unchecked Sendable {
    let clock: FakeClock
    var server: DHCPServer<DHCPMemoryLeaseStore>
    var latency = 0.002
    /// Whether the server hears a message (false: it is lost on the way), and one sent to that IP destination.
    var hears: (DHCPMessage) -> Bool = { _ in true }
    var hearsSentTo: (DHCPMessage, IPv4Address) -> Bool = { _, _ in true }
    /// Every reply is delivered twice.
    var duplicateReplies = false
    /// What the server received, by message type name; REQUESTs with ciaddr set count as "RENEW".
    var received: [String: Int] = [:]
    var receivedMessages: [DHCPMessage] = []
    private var queue: [(at: Double, frame: [UInt8])] = []

    init(clock: FakeClock, subnets: [DHCPSubnet] = [lan()], _ adjust: (inout DHCPServerConfiguration) -> Void = { _ in }) {
        self.clock = clock
        var configuration = DHCPServerConfiguration(serverIdentifier: serverID, subnets: subnets)
        adjust(&configuration)
        server = DHCPServer(configuration: configuration, store: DHCPMemoryLeaseStore())
    }

    static func lan() -> DHCPSubnet {
        DHCPSubnet(network: IPv4Address(198, 18, 0, 0), prefixLength: 22,
                   pools: [DHCPAddressRange(IPv4Address(198, 18, 1, 0), IPv4Address(198, 18, 3, 250))], leaseTime: 3600)
    }

    func send(frame: [UInt8]) throws(DHCPNetworkError) {
        let parsed = frame.withUnsafeBytes { FrameParser.parse($0, linkType: .ethernet) }
        guard case .udp(let ip, let udp, _) = parsed.payload, let message = DHCPMessage.parse(Array(frame[udp.payload])).message
        else { return }
        guard hears(message), hearsSentTo(message, ip.destination) else { return }
        let name = message.messageType == .request && message.clientAddress != .any ? "RENEW" : message.typeName
        received[name, default: 0] += 1
        receivedMessages.append(message)
        let receipt = message.relayAddress != .any
            ? DHCPReceipt(interfaceAddress: serverID, sourceAddress: ip.source, sourcePort: 67, broadcast: false)
            : DHCPReceipt(interfaceAddress: serverID, sourceAddress: ip.source, sourcePort: 68,
                          broadcast: ip.destination == .broadcast)
        for action in server.handle(message, from: receipt, now: clock.now) {
            guard case .send(let reply, _, _) = action else { continue }
            let relayed = reply.relayAddress != .any
            let bytes = FrameBuilder.udp(sourceMAC: serverMAC, destinationMAC: reply.clientMAC ?? .broadcast, sourceIP: serverID,
                                         destinationIP: relayed ? reply.relayAddress : .broadcast, sourcePort: 67,
                                         destinationPort: relayed ? 67 : 68, payload: reply.serialize())
            for _ in 0..<(duplicateReplies ? 2 : 1) { enqueue(at: clock.now + latency, bytes) }
        }
    }

    private func enqueue(at time: Double, _ frame: [UInt8]) {
        let position = queue.firstIndex { $0.at > time } ?? queue.count
        queue.insert((time, frame), at: position)
    }

    var carriesFrames: Bool { true }

    func send(datagram payload: [UInt8], to address: IPv4Address, port: UInt16, from source: IPv4Address?) throws(DHCPNetworkError) {
        throw DHCPNetworkError(kind: .system, operation: "send a datagram", detail: "the test link carries frames")
    }

    func receive(timeout: Duration?) throws(DHCPNetworkError) -> DHCPClientLinkReceive {
        if let first = queue.first, first.at <= clock.now {
            queue.removeFirst()
            // Queued while nobody read: it says how long it waited, as the relay link's socket does.
            return .frame(ReceivedFrame(bytes: first.frame, packetType: .host, interfaceIndex: 1, waited: clock.now - first.at))
        }
        let (seconds, attoseconds) = (timeout ?? .seconds(3600)).components
        // Time passes while anything waits, if only a microsecond: a wait rounded down to zero must not stall.
        let until = clock.now + max(Double(seconds) + Double(attoseconds) / 1e18, 1e-6)
        if let first = queue.first, first.at <= until {
            clock.now = max(clock.now, first.at)
            queue.removeFirst()
            return .frame(ReceivedFrame(bytes: first.frame, packetType: .host, interfaceIndex: 1))
        }
        clock.now = max(clock.now, until)
        return .timeout
    }

    func sleep(for duration: Duration) throws(DHCPNetworkError) -> Bool {
        let (seconds, attoseconds) = duration.components
        clock.now += max(Double(seconds) + Double(attoseconds) / 1e18, 1e-6)
        return true
    }

    func stop() {}
}
