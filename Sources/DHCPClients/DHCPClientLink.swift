import DHCPCore
import DHCPNetwork
import Framing

/// What a `DHCPClientFleet` sends its clients' messages on and receives their replies from: whole Ethernet frames
/// (a packet socket: clients with no address yet, layer 2) or DHCP messages in UDP datagrams (a relay agent's
/// socket: the relay-mode clients of perf and probe). `stop()` may come from any thread or a signal handler and ends
/// the wait in progress.
public protocol DHCPClientLink: AnyObject, Sendable {
    /// Whether the link carries whole frames (layer 2) or UDP datagrams.
    var carriesFrames: Bool { get }
    /// A whole Ethernet frame: layer 2 only.
    func send(frame: [UInt8]) throws(DHCPNetworkError)
    /// A DHCP message in a UDP datagram to `address:port`, from `source` (nil: the host's choice): UDP links only.
    func send(datagram payload: [UInt8], to address: IPv4Address, port: UInt16, from source: IPv4Address?) throws(DHCPNetworkError)
    func receive(timeout: Duration?) throws(DHCPNetworkError) -> DHCPClientLinkReceive
    /// Waits `duration` without reading: what arrives stays queued. False once stopped.
    func sleep(for duration: Duration) throws(DHCPNetworkError) -> Bool
    func stop()
}

/// What a client link received.
public enum DHCPClientLinkReceive: Sendable {
    case frame(ReceivedFrame)
    case datagram(UDPDatagram)
    case timeout
    case stopped
}

extension RawFrameSocket: DHCPClientLink {
    public var carriesFrames: Bool { true }

    public func send(datagram payload: [UInt8], to address: IPv4Address, port: UInt16,
                     from source: IPv4Address?) throws(DHCPNetworkError) {
        throw DHCPNetworkError(kind: .system, operation: "send a datagram on \(interface.name)",
                               detail: "a packet socket carries whole frames")
    }

    public func receive(timeout: Duration?) throws(DHCPNetworkError) -> DHCPClientLinkReceive {
        switch try receive(timeout: timeout) as RawFrameSocket.Receive {
        case .frame(let frame): .frame(frame)
        case .timeout: .timeout
        case .stopped: .stopped
        }
    }
}

/// The link of relay-mode clients (perf `--relay`, probe `--giaddr`): a UDP socket on port 67, as a relay agent has.
/// Messages go out as datagrams to the server, from giaddr (IP_PKTINFO); replies come back as datagrams. The giaddrs
/// must be addresses of this host, or the replies never come back.
public final class DHCPClientRelayLink: DHCPClientLink {
    public let socket: UDPSocket

    /// Binds 0.0.0.0:`port` (67: the servers answer a relay agent there). Each reply says how long it waited in
    /// the socket, so that one read late is still timed at its arrival.
    public init(port: UInt16 = 67, receiveBufferSize: Int? = 4 << 20) throws(DHCPNetworkError) {
        socket = try UDPSocket(port: port, receiveBufferSize: receiveBufferSize, arrivalTimes: true)
    }

    public var carriesFrames: Bool { false }

    public func send(frame: [UInt8]) throws(DHCPNetworkError) {
        throw DHCPNetworkError(kind: .system, operation: "send a frame", detail: "the relay link carries DHCP datagrams only")
    }

    public func send(datagram payload: [UInt8], to address: IPv4Address, port: UInt16,
                     from source: IPv4Address?) throws(DHCPNetworkError) {
        try socket.send(payload, to: address, port: port, sourceAddress: source)
    }

    public func receive(timeout: Duration?) throws(DHCPNetworkError) -> DHCPClientLinkReceive {
        switch try socket.receive(timeout: timeout) {
        case .stopped: .stopped
        case .timeout: .timeout
        case .datagram(let datagram): .datagram(datagram)
        }
    }

    public func sleep(for duration: Duration) throws(DHCPNetworkError) -> Bool { try socket.sleep(for: duration) }

    public func stop() { socket.stop() }
}
