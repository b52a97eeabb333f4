import DHCPNetwork
import DHCPProtocol
import Framing
import NetworkPrimitives

/// An interface where DHCP clients are, as a server or relay agent reaches them (RFC 2131 §4.1): a UDP socket on
/// port 67 bound to the interface, and a packet socket for the frame to a client that has no address yet.
public struct ClientLink: Sendable {
    public let interface: NetworkInterface
    public let address: IPv4Address
    /// The broadcast address of `address`'s subnet, when the interface has one.
    public let broadcast: IPv4Address?
    public let mac: MACAddress
    public let socket: UDPSocket
    public let raw: RawFrameSocket

    /// Opens both sockets on `interface`, which must have an IPv4 address and a MAC address.
    public init(_ interface: NetworkInterface) throws(DHCPNetworkError) {
        guard let address = interface.primaryIPv4 else {
            throw DHCPNetworkError(kind: .addressNotAvailable, operation: "interface '\(interface.name)'",
                                   detail: "it has no IPv4 address: give it one first")
        }
        guard let mac = interface.mac else {
            throw DHCPNetworkError(kind: .noSuchDevice, operation: "interface '\(interface.name)'", detail: "it has no Ethernet address")
        }
        self.interface = interface
        self.address = address
        broadcast = interface.ipv4.first?.broadcast
        self.mac = mac
        // 4 MiB (the kernel caps it at net.core.rmem_max): a burst of a few thousand clients at once (a switch or
        // a power cut coming back) waits in the queue instead of being dropped.
        socket = try UDPSocket(port: 67, interface: interface.name, receiveBufferSize: 4 << 20)
        raw = try RawFrameSocket(interface: interface)
    }

    /// Sends a reply from port 67 as `destination` says: to a relay agent or ciaddr by UDP, broadcast out of the
    /// interface, or in a raw frame to the client's MAC without ARP.
    public func send(_ bytes: [UInt8], to destination: DHCPServerDestination) throws(DHCPNetworkError) {
        switch destination {
        case .relay(let relay): try socket.send(bytes, to: relay, port: 67)
        case .unicast(let client): try socket.send(bytes, to: client, port: 68)
        case .broadcast: try socket.send(bytes, to: .broadcast, port: 68, interfaceIndex: interface.index)
        case .hardware(let client, let clientMAC):
            let frame = FrameBuilder.udp(sourceMAC: mac, destinationMAC: clientMAC, sourceIP: address,
                                         destinationIP: client, sourcePort: 67, destinationPort: 68, payload: bytes)
            try raw.send(frame: frame)
        }
    }
}
