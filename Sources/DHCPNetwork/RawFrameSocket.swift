import CNetShim
import Glibc
import NetworkPrimitives

/// A frame `RawFrameSocket.receive` got, with the kernel's word on whom it was for.
public struct ReceivedFrame: Sendable, Equatable {
    /// PACKET_* of sockaddr_ll: whom the frame was addressed to.
    public enum PacketType: Sendable, Equatable {
        /// To this interface's MAC.
        case host
        case broadcast
        case multicast
        /// To another host's MAC (seen in promiscuous mode, or on a veth).
        case otherHost
        /// Sent by this host.
        case outgoing
        case other(UInt8)

        init(_ value: UInt8) {
            switch Int32(value) {
            case PACKET_HOST: self = .host
            case PACKET_BROADCAST: self = .broadcast
            case PACKET_MULTICAST: self = .multicast
            case PACKET_OTHERHOST: self = .otherHost
            case PACKET_OUTGOING: self = .outgoing
            default: self = .other(value)
            }
        }
    }

    /// The whole Ethernet frame, from the destination MAC on.
    public var bytes: [UInt8]
    public var packetType: PacketType
    public var interfaceIndex: Int32
    /// Seconds the frame waited in the socket before it was read (the kernel's arrival time); nil when unknown.
    public var waited: Double?

    public init(bytes: [UInt8], packetType: PacketType, interfaceIndex: Int32, waited: Double? = nil) {
        self.bytes = bytes
        self.packetType = packetType
        self.interfaceIndex = interfaceIndex
        self.waited = waited
    }
}

/// An AF_PACKET SOCK_RAW socket bound to one interface: sends whole Ethernet frames (built by `FrameBuilder`) —
/// the unicast to a client's hardware address that has no IPv4 address (and so no ARP entry) yet — and, when asked
/// for UDP ports, receives the IPv4 UDP frames to or from those ports, for clients that have no address yet.
///
/// Needs root or CAP_NET_RAW. Receiving uses protocol ETH_P_IP (ETH_P_ALL with ARP), and frames this host sends
/// are not returned; the kernel filter (classic BPF, SO_ATTACH_FILTER) passes only untagged IPv4 UDP first
/// fragments to or from the ports (and ARP when asked), and the same test is repeated on each frame for those
/// queued before the filter was attached.
///
/// One reading thread at a time; `send` from any thread; `stop()` from any thread or a signal handler.
public final class RawFrameSocket: @unchecked Sendable {
    public enum Receive: Sendable, Equatable {
        case frame(ReceivedFrame)
        case timeout
        case stopped
    }

    public let descriptor: Int32
    public let interface: NetworkInterface
    /// The UDP ports received, empty for a socket that only sends.
    public let receivePorts: [UInt16]
    /// Whether ARP frames are received too.
    public let receivesARP: Bool
    private let stopPipe: StopPipe
    private var buffer: [UInt8]

    /// Opens the socket on `interface` (looked up in the calling thread's namespace).
    /// - Parameter receiveUDPPorts: the UDP ports (source or destination, up to 8) whose frames to receive;
    ///   empty for a socket that only sends (it then queues nothing).
    public convenience init(interface name: String, receiveUDPPorts: [UInt16] = []) throws(DHCPNetworkError) {
        try self.init(interface: NetworkInterface.named(name), receiveUDPPorts: receiveUDPPorts)
    }

    /// - Parameters:
    ///   - receiveARP: also receive ARP frames (a client answering for its leased address, probing one); the
    ///     socket then binds to every protocol and skips the frames this host sends.
    ///   - promiscuous: receive frames to other MACs too (clients whose MACs are not the interface's).
    public init(interface: NetworkInterface, receiveUDPPorts: [UInt16] = [], receiveARP: Bool = false,
                promiscuous: Bool = false) throws(DHCPNetworkError) {
        let what = "open a packet socket on \(interface.name)"
        guard receiveUDPPorts.count <= 8 else {
            throw DHCPNetworkError(kind: .system, operation: what, detail: "at most 8 UDP ports can be filtered")
        }
        let receiving = !receiveUDPPorts.isEmpty
        // Protocol 0 receives nothing (a send-only socket); ETH_P_IP receives incoming IPv4 only, ETH_P_ALL
        // everything (ARP too), outgoing frames included.
        let protocolNumber: UInt16 = !receiving ? 0 : receiveARP ? UInt16(ETH_P_ALL) : UInt16(ETH_P_IP)
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                        Int32(protocolNumber.bigEndian))
        guard fd >= 0 else { throw .lastError(what) }
        var ok = false
        defer { if !ok { close(fd) } }
        if receiving {
            guard cns_attach_udp_port_filter(fd, receiveUDPPorts, Int32(receiveUDPPorts.count), receiveARP ? 1 : 0) == 0
            else { throw .lastError("\(what): attach the UDP port filter") }
        }
        var one: Int32 = 1
        // Each frame says how long it waited to be read: perf times a reply read late at its arrival.
        if receiving, setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw .lastError("\(what): SO_TIMESTAMPNS")
        }
        if promiscuous, cns_set_promiscuous(fd, interface.index) != 0 {
            throw .lastError("\(what): promiscuous mode")
        }
        var address = cns_sockaddr_ll(interface.index, protocolNumber, nil)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, cns_sockaddr_ll_size()) }
        }
        guard status == 0 else { throw .lastError("\(what): bind to index \(interface.index)") }
        stopPipe = try StopPipe()
        descriptor = fd
        self.interface = interface
        receivePorts = receiveUDPPorts
        receivesARP = receiving && receiveARP
        buffer = [UInt8](repeating: 0, count: receiving ? 65_600 : 0)
        ok = true
    }

    deinit { close(descriptor) }

    /// Sends one whole Ethernet frame (destination MAC first) out of the interface, as it is: no padding, no
    /// checksums added. A full send buffer is waited for up to one second.
    public func send(frame: [UInt8]) throws(DHCPNetworkError) {
        // Described only when it fails: not formatted for every frame on a hot path.
        var what: String { "send a \(frame.count)-byte frame on \(interface.name)" }
        guard frame.count >= 14 else {
            throw DHCPNetworkError(kind: .system, operation: what, detail: "a frame needs at least its 14-byte header")
        }
        var address = frame.withUnsafeBufferPointer {
            cns_sockaddr_ll(interface.index, UInt16(frame[12]) << 8 | UInt16(frame[13]), $0.baseAddress)
        }
        let deadline = MonotonicClock.now() + .seconds(1)
        while true {
            let sent = frame.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, cns_sockaddr_ll_size())
                    }
                }
            }
            if sent >= 0 { return }
            let number = errno
            guard number == EAGAIN || number == EWOULDBLOCK || number == EINTR, MonotonicClock.now() < deadline else {
                throw DHCPNetworkError(operation: what, errorNumber: number)
            }
            if case .stopped = try waitFor(descriptor, events: Int16(POLLOUT), stop: stopPipe,
                                           timeout: .milliseconds(100)) {
                throw DHCPNetworkError(kind: .system, operation: what, detail: "the socket was stopped")
            }
        }
    }

    /// The next frame to or from the ports, waiting up to `timeout` (nil: until one comes or `stop()`).
    /// A socket opened without ports waits for the timeout or the stop.
    public func receive(timeout: Duration?) throws(DHCPNetworkError) -> Receive {
        let deadline = timeout.map { MonotonicClock.now() + $0 }
        while true {
            if stopPipe.isSignalled { return .stopped }
            if !receivePorts.isEmpty, let frame = try receiveNow() { return .frame(frame) }
            switch try waitFor(descriptor, events: receivePorts.isEmpty ? 0 : Int16(POLLIN), stop: stopPipe,
                               timeout: deadline.map { $0 - MonotonicClock.now() }) {
            case .stopped: return .stopped
            case .timeout: return .timeout
            case .ready: continue
            }
        }
    }

    /// Reads queued frames until one passes the port test; nil when the queue is empty.
    private func receiveNow() throws(DHCPNetworkError) -> ReceivedFrame? {
        while true {
            guard let (count, from, waited) = try receivePacket(descriptor, into: &buffer, what: "receive on \(interface.name)")
            else { return nil }
            let frame = Array(buffer[0..<count])
            let packetType = ReceivedFrame.PacketType(from.sll_pkttype)
            if packetType == .outgoing { continue }
            let isARP = receivesARP && frame.count >= 14 && frame[12] == 0x08 && frame[13] == 0x06
            if !isARP {
                guard let ports = Self.udpPorts(of: frame),
                      receivePorts.contains(ports.source) || receivePorts.contains(ports.destination) else { continue }
            }
            return ReceivedFrame(bytes: frame, packetType: packetType, interfaceIndex: from.sll_ifindex, waited: waited)
        }
    }

    /// The UDP source and destination ports of an untagged Ethernet IPv4 UDP frame that is a first (or the only)
    /// fragment; nil for anything else or a frame too short to say.
    public static func udpPorts(of frame: [UInt8]) -> (source: UInt16, destination: UInt16)? {
        guard frame.count >= 34, frame[12] == 0x08, frame[13] == 0x00, frame[14] >> 4 == 4, frame[23] == 17,
              (UInt16(frame[20]) << 8 | UInt16(frame[21])) & 0x1FFF == 0 else { return nil }
        let udp = 14 + Int(frame[14] & 0x0F) * 4
        guard frame.count >= udp + 4 else { return nil }
        return (UInt16(frame[udp]) << 8 | UInt16(frame[udp + 1]), UInt16(frame[udp + 2]) << 8 | UInt16(frame[udp + 3]))
    }

    /// Waits `duration` without reading (frames stay queued); false when `stop()` ended the wait or came before.
    public func sleep(for duration: Duration) throws(DHCPNetworkError) -> Bool {
        try stopPipe.sleep(for: duration)
    }

    public func stop() { stopPipe.signal() }

    public var isStopped: Bool { stopPipe.isSignalled }
}

/// One non-blocking recvmsg(2) on a packet socket into `buffer`: the frame's length, its link-level address, and
/// the seconds it waited in the socket when the socket has SO_TIMESTAMPNS; nil when nothing is queued. `what`
/// names the read in an error.
func receivePacket(_ descriptor: Int32, into buffer: inout [UInt8], what: @autoclosure () -> String)
    throws(DHCPNetworkError) -> (count: Int, from: sockaddr_ll, waited: Double?)? {
    var from = sockaddr_ll()
    var waited: Int64 = -1
    let capacity = buffer.count
    let count = buffer.withUnsafeMutableBytes { cns_recv_packet(descriptor, $0.baseAddress, capacity, &from, &waited) }
    if count < 0 {
        let number = errno
        if number == EAGAIN || number == EWOULDBLOCK || number == EINTR { return nil }
        throw DHCPNetworkError(operation: what(), errorNumber: number)
    }
    return (count, from, waited >= 0 ? Double(waited) / 1e9 : nil)
}
