import CNetShim
import Glibc
import NetworkPrimitives

/// A passive copy of the DHCP frames that cross some interfaces, both ways, as the wire carries them: what a role
/// writes to its `-w` capture, with the real MAC addresses of both ends (a UDP socket knows neither). An AF_PACKET
/// socket on ETH_P_ALL (so that frames this host sends come back too), the kernel filter passing only IPv4 UDP to or
/// from the given ports. It never sends. Needs root or CAP_NET_RAW.
///
/// Read it with `drain()`, without waiting, at the points where a role's loop has just received or sent: a frame
/// this host sends is queued here as it leaves (after ARP, for a unicast that needed it), one it receives before its
/// socket has it.
public final class PacketTap: @unchecked Sendable {
    private let descriptor: Int32
    /// The interfaces watched; empty: every interface.
    public let interfaceIndexes: Set<Int32>
    private let ports: [UInt16]
    private var buffer = [UInt8](repeating: 0, count: 65_600)

    /// - Parameters:
    ///   - interfaces: the interfaces to watch (one socket, bound to the only one when there is one); empty watches
    ///     every interface of the namespace, loopback included (a server on this host is reached through it).
    ///   - udpPorts: the UDP ports (source or destination) whose frames to keep, 1 to 8.
    public init(interfaces: [NetworkInterface], udpPorts: [UInt16] = [67, 68]) throws(DHCPNetworkError) {
        let what = "open a packet tap on \(interfaces.isEmpty ? "every interface" : interfaces.map(\.name).joined(separator: ","))"
        let protocolNumber = UInt16(ETH_P_ALL)
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                        Int32(protocolNumber.bigEndian))
        guard fd >= 0 else { throw .lastError(what) }
        var ok = false
        defer { if !ok { close(fd) } }
        guard cns_attach_udp_port_filter(fd, udpPorts, Int32(udpPorts.count), 0) == 0 else {
            throw .lastError("\(what): attach the UDP port filter")
        }
        if interfaces.count == 1 {
            var address = cns_sockaddr_ll(interfaces[0].index, protocolNumber, nil)
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, cns_sockaddr_ll_size()) }
            }
            guard status == 0 else { throw .lastError("\(what): bind to index \(interfaces[0].index)") }
        }
        descriptor = fd
        interfaceIndexes = Set(interfaces.map(\.index))
        ports = udpPorts
        ok = true
    }

    deinit { close(descriptor) }

    /// The frames queued now, oldest first, at most `limit`; never waits.
    public func drain(limit: Int = 256) throws(DHCPNetworkError) -> [ReceivedFrame] {
        var frames = [ReceivedFrame]()
        while frames.count < limit {
            guard let (count, from, _) = try receivePacket(descriptor, into: &buffer, what: "read the packet tap") else { break }
            // Frames queued before the filter was attached or the socket bound are tested again here. Loopback carries
            // Ethernet headers (zero MACs) and shows each frame twice, leaving and arriving: the arrival is kept, as
            // libpcap does. Other link types are not Ethernet.
            let packetType = ReceivedFrame.PacketType(from.sll_pkttype)
            let loopback = from.sll_hatype == 772  // ARPHRD_LOOPBACK
            guard from.sll_hatype == 1 || (loopback && packetType != .outgoing),  // ARPHRD_ETHER
                  interfaceIndexes.isEmpty || interfaceIndexes.contains(from.sll_ifindex) else { continue }
            let frame = Array(buffer[0..<count])
            guard let udp = RawFrameSocket.udpPorts(of: frame),
                  ports.contains(udp.source) || ports.contains(udp.destination) else { continue }
            frames.append(ReceivedFrame(bytes: frame, packetType: packetType,
                                        interfaceIndex: from.sll_ifindex))
        }
        return frames
    }
}
