import Framing
import NetworkPrimitives

func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] }

let clientMAC: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]
let serverMAC: [UInt8] = [0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB]
let dhcpPayload: [UInt8] = Array("DHCP payload bytes".utf8)

/// UDP header and payload; `length` overrides the length field.
func udp(source: UInt16 = 68, destination: UInt16 = 67, payload: [UInt8] = dhcpPayload, length: Int? = nil) -> [UInt8] {
    be16(source) + be16(destination) + be16(UInt16(length ?? 8 + payload.count)) + [0, 0] + payload
}

/// An IPv4 header (checksum left zero) followed by `payload`.
func ipv4(
    protocolNumber: UInt8 = 17, source: [UInt8] = [0, 0, 0, 0], destination: [UInt8] = [255, 255, 255, 255],
    identification: UInt16 = 0x1234, fragmentOffset: Int = 0, moreFragments: Bool = false,
    options: [UInt8] = [], ihl: Int? = nil, totalLength: Int? = nil, payload: [UInt8]
) -> [UInt8] {
    let headerLength = 20 + options.count
    let words = UInt8(ihl ?? headerLength / 4)
    let fragment = UInt16(fragmentOffset / 8) | (moreFragments ? 0x2000 : 0)
    var bytes: [UInt8] = [0x40 | words, 0]
    bytes += be16(UInt16(totalLength ?? headerLength + payload.count))
    bytes += be16(identification) + be16(fragment)
    bytes += [64, protocolNumber, 0, 0] + source + destination + options
    return bytes + payload
}

/// An IPv6 header with `nextHeader`, then `payload`.
func ipv6(nextHeader: UInt8 = 17, payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0x60, 0, 0, 0] + be16(UInt16(payload.count)) + [nextHeader, 64]
    bytes += [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1] // fe80::1
    bytes += [0xFF, 0x02] + [UInt8](repeating: 0, count: 10) + [0, 1, 0, 2] // ff02::1:2
    return bytes + payload
}

/// Ethernet II with optional VLAN tags, each (TPID, VLAN ID), outermost first.
func ethernet(tags: [(UInt16, UInt16)] = [], etherType: UInt16 = 0x0800, payload: [UInt8]) -> [UInt8] {
    var bytes = [UInt8](repeating: 0xFF, count: 6) + clientMAC
    for (tpid, id) in tags { bytes += be16(tpid) + be16(0x2000 | id) } // priority 1 set, must be masked off
    return bytes + be16(etherType) + payload
}

/// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113).
func sll(etherType: UInt16 = 0x0800, payload: [UInt8]) -> [UInt8] {
    be16(4) + be16(1) + be16(6) + clientMAC + [0, 0] + be16(etherType) + payload
}

/// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276).
func sll2(etherType: UInt16 = 0x0800, payload: [UInt8]) -> [UInt8] {
    be16(etherType) + [0, 0] + [0, 0, 0, 2] + be16(1) + [4, 6] + clientMAC + [0, 0] + payload
}

/// BSD loopback header: the address family in little- or big-endian order.
func nullHeader(family: UInt32, bigEndian: Bool, payload: [UInt8]) -> [UInt8] {
    let le = [UInt8(family & 0xFF), UInt8(family >> 8 & 0xFF), UInt8(family >> 16 & 0xFF), UInt8(family >> 24)]
    return (bigEndian ? le.reversed() : le) + payload
}

func parse(_ bytes: [UInt8], _ linkType: LinkType = .ethernet) -> Frame {
    bytes.withUnsafeBytes { FrameParser.parse($0, linkType: linkType) }
}

/// The UDP payload bytes of a frame, or nil when it does not carry UDP over IPv4.
func udpParts(_ frame: Frame, _ bytes: [UInt8]) -> (ip: IPv4Info, udp: UDPInfo, payload: [UInt8], error: FramingError?)? {
    guard case .udp(let ip, let udp, let error) = frame.payload else { return nil }
    return (ip, udp, Array(bytes[udp.payload]), error)
}
