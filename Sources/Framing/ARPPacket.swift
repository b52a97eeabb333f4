import NetworkPrimitives

/// An Ethernet/IPv4 ARP packet (RFC 826), and the probes and announcements of RFC 5227. Pure.
public struct ARPPacket: Hashable, Sendable {
    public static let request: UInt16 = 1
    public static let reply: UInt16 = 2
    public static let etherType: UInt16 = 0x0806

    public var operation: UInt16
    public var senderMAC: MACAddress
    public var senderIP: IPv4Address
    public var targetMAC: MACAddress
    public var targetIP: IPv4Address

    public init(operation: UInt16, senderMAC: MACAddress, senderIP: IPv4Address, targetMAC: MACAddress,
                targetIP: IPv4Address) {
        self.operation = operation; self.senderMAC = senderMAC; self.senderIP = senderIP
        self.targetMAC = targetMAC; self.targetIP = targetIP
    }

    /// An RFC 5227 §2.1.1 probe: who has `address`? asked with sender IP 0.0.0.0, so that no host's ARP cache
    /// learns anything.
    public static func probe(for address: IPv4Address, from mac: MACAddress) -> ARPPacket {
        ARPPacket(operation: request, senderMAC: mac, senderIP: .any, targetMAC: MACAddress(rawValue: 0), targetIP: address)
    }

    /// The ARP packet of an untagged Ethernet frame; nil for anything else (another EtherType, another
    /// hardware or protocol type, too short).
    public init?(frame: [UInt8]) {
        guard frame.count >= 42, frame[12] == 0x08, frame[13] == 0x06,
              frame[14] == 0, frame[15] == 1, frame[16] == 0x08, frame[17] == 0, frame[18] == 6, frame[19] == 4
        else { return nil }
        func mac(_ at: Int) -> MACAddress { MACAddress(bytes: frame[at..<at + 6]) ?? MACAddress(rawValue: 0) }
        func ip(_ at: Int) -> IPv4Address {
            IPv4Address(frame[at], frame[at + 1], frame[at + 2], frame[at + 3])
        }
        self.init(operation: UInt16(frame[20]) << 8 | UInt16(frame[21]), senderMAC: mac(22), senderIP: ip(28),
                  targetMAC: mac(32), targetIP: ip(38))
    }

    /// The whole Ethernet frame: to `destination` (broadcast for a request), from the sender's MAC, tagged with
    /// `vlan` when given.
    public func frame(to destination: MACAddress = .broadcast, vlan: UInt16? = nil) -> [UInt8] {
        var payload: [UInt8] = [0, 1, 0x08, 0, 6, 4, UInt8(operation >> 8), UInt8(operation & 0xFF)]
        payload += senderMAC.bytes + senderIP.octets + targetMAC.bytes + targetIP.octets
        return FrameBuilder.ethernet(source: senderMAC, destination: destination, vlan: vlan, etherType: Self.etherType,
                                     payload: payload)
    }
}
