import DHCPCore
import DHCPNetwork
import Framing

/// What a `DHCPClientFleet` sends its clients' frames on and receives their replies from: whole Ethernet frames
/// both ways. `stop()` may come from any thread or a signal handler and ends the wait in progress.
public protocol DHCPClientLink: AnyObject, Sendable {
    func send(frame: [UInt8]) throws(DHCPNetworkError)
    func receive(timeout: Duration?) throws(DHCPNetworkError) -> RawFrameSocket.Receive
    func stop()
}

extension RawFrameSocket: DHCPClientLink {}

/// The link of relay-mode clients (perf `--relay`): a UDP socket on port 67, as a relay agent has. Each frame the
/// fleet builds for a `.relay(server:giaddr:)` destination goes out as its UDP payload to the server, from
/// giaddr (IP_PKTINFO); each reply received is handed back inside an Ethernet frame built around it (MACs zero),
/// so that the fleet and `-w` see the same frames in both modes. The giaddrs must be addresses of this host, or
/// the replies never come back.
public final class DHCPRelayLink: DHCPClientLink {
    public let socket: UDPSocket

    /// Binds 0.0.0.0:`port` (67: the servers answer a relay agent there).
    public init(port: UInt16 = 67, receiveBufferSize: Int? = 4 << 20) throws(DHCPNetworkError) {
        socket = try UDPSocket(port: port, receiveBufferSize: receiveBufferSize)
    }

    public func send(frame: [UInt8]) throws(DHCPNetworkError) {
        let parsed = frame.withUnsafeBytes { FrameParser.parse($0, linkType: .ethernet) }
        guard case .udp(let ip, let udp, _) = parsed.payload else {
            throw DHCPNetworkError(kind: .system, operation: "send", detail: "not a UDP frame: the relay link carries DHCP only")
        }
        try socket.send(Array(frame[udp.payload]), to: ip.destination, port: udp.destinationPort,
                        sourceAddress: ip.source == .any ? nil : ip.source)
    }

    public func receive(timeout: Duration?) throws(DHCPNetworkError) -> RawFrameSocket.Receive {
        switch try socket.receive(timeout: timeout) {
        case .stopped: return .stopped
        case .timeout: return .timeout
        case .datagram(let datagram):
            let none = MACAddress(rawValue: 0)
            let frame = FrameBuilder.udp(sourceMAC: none, destinationMAC: none, sourceIP: datagram.source,
                                         destinationIP: datagram.destination ?? socket.localAddress,
                                         sourcePort: datagram.sourcePort, destinationPort: socket.localPort,
                                         payload: datagram.bytes)
            return .frame(ReceivedFrame(bytes: frame, packetType: .host, interfaceIndex: datagram.interfaceIndex ?? 0))
        }
    }

    public func stop() { socket.stop() }
}
