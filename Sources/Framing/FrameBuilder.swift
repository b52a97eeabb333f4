import NetworkPrimitives

/// Builds the frames `FrameParser` reads: Ethernet II (optionally one 802.1Q tag) around IPv4 around UDP.
/// Pure: bytes in, bytes out. Used by the tests' scenarios and by the mock server, client and relay.
public enum FrameBuilder {
    /// A whole Ethernet frame carrying `payload` in UDP over IPv4.
    /// - Parameters:
    ///   - vlan: an 802.1Q VLAN ID (0…4095); nil for an untagged frame.
    ///   - priority: the 802.1p priority code point of the tag (0…7).
    ///   - identification: the IPv4 identification field.
    ///   - dontFragment: the IPv4 DF flag.
    ///   - udpChecksum: false sends a zero checksum ("not computed", RFC 768).
    public static func udp(
        sourceMAC: MACAddress, destinationMAC: MACAddress, vlan: UInt16? = nil, priority: UInt8 = 0,
        sourceIP: IPv4Address, destinationIP: IPv4Address, sourcePort: UInt16, destinationPort: UInt16,
        ttl: UInt8 = 64, identification: UInt16 = 0, dontFragment: Bool = true, udpChecksum: Bool = true,
        payload: [UInt8]
    ) -> [UInt8] {
        let datagram = ipv4UDP(sourceIP: sourceIP, destinationIP: destinationIP, sourcePort: sourcePort,
                               destinationPort: destinationPort, ttl: ttl, identification: identification,
                               dontFragment: dontFragment, udpChecksum: udpChecksum, payload: payload)
        return ethernet(source: sourceMAC, destination: destinationMAC, vlan: vlan, priority: priority,
                        etherType: 0x0800, payload: datagram)
    }

    /// An IPv4 datagram (20-byte header, no options) carrying `payload` in UDP: for raw-IP link types.
    public static func ipv4UDP(
        sourceIP: IPv4Address, destinationIP: IPv4Address, sourcePort: UInt16, destinationPort: UInt16,
        ttl: UInt8 = 64, identification: UInt16 = 0, dontFragment: Bool = true, udpChecksum: Bool = true,
        payload: [UInt8]
    ) -> [UInt8] {
        let segment = udpSegment(sourceIP: sourceIP, destinationIP: destinationIP, sourcePort: sourcePort,
                                 destinationPort: destinationPort, checksum: udpChecksum, payload: payload)
        return ipv4(sourceIP: sourceIP, destinationIP: destinationIP, protocolNumber: 17, ttl: ttl,
                    identification: identification, dontFragment: dontFragment, payload: segment)
    }

    /// A UDP header and payload (RFC 768), the checksum over the IPv4 pseudo-header unless `checksum` is false.
    public static func udpSegment(
        sourceIP: IPv4Address, destinationIP: IPv4Address, sourcePort: UInt16, destinationPort: UInt16,
        checksum: Bool = true, payload: [UInt8]
    ) -> [UInt8] {
        let length = 8 + payload.count
        precondition(length <= 0xFFFF - 20, "UDP payload of \(payload.count) bytes does not fit an IPv4 datagram")
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        append16(sourcePort, to: &bytes)
        append16(destinationPort, to: &bytes)
        append16(UInt16(length), to: &bytes)
        append16(0, to: &bytes)
        bytes.append(contentsOf: payload)
        if checksum {
            var pseudo = [UInt8]()
            pseudo.reserveCapacity(12)
            sourceIP.append(to: &pseudo)
            destinationIP.append(to: &pseudo)
            pseudo.append(0)
            pseudo.append(17)
            append16(UInt16(length), to: &pseudo)
            var sum = onesComplementSum(pseudo, initial: 0)
            sum = onesComplementSum(bytes, initial: sum)
            var value = ~sum
            // RFC 768: a computed checksum of zero is sent as all ones (zero means "none").
            if value == 0 { value = 0xFFFF }
            bytes[6] = UInt8(value >> 8)
            bytes[7] = UInt8(truncatingIfNeeded: value)
        }
        return bytes
    }

    /// An IPv4 header (RFC 791, 20 bytes, no options, header checksum filled in) followed by `payload`.
    public static func ipv4(
        sourceIP: IPv4Address, destinationIP: IPv4Address, protocolNumber: UInt8, ttl: UInt8 = 64,
        identification: UInt16 = 0, dontFragment: Bool = true, payload: [UInt8]
    ) -> [UInt8] {
        let total = 20 + payload.count
        precondition(total <= 0xFFFF, "IPv4 datagram of \(total) bytes is too long")
        var bytes = [UInt8]()
        bytes.reserveCapacity(total)
        bytes.append(0x45) // version 4, IHL 5
        bytes.append(0) // DSCP / ECN
        append16(UInt16(total), to: &bytes)
        append16(identification, to: &bytes)
        append16(dontFragment ? 0x4000 : 0, to: &bytes)
        bytes.append(ttl)
        bytes.append(protocolNumber)
        append16(0, to: &bytes)
        sourceIP.append(to: &bytes)
        destinationIP.append(to: &bytes)
        let checksum = ~onesComplementSum(bytes, initial: 0)
        bytes[10] = UInt8(checksum >> 8)
        bytes[11] = UInt8(truncatingIfNeeded: checksum)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// An Ethernet II header, with one 802.1Q tag when `vlan` is set, followed by `payload` (not padded).
    public static func ethernet(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, priority: UInt8 = 0, etherType: UInt16,
        payload: [UInt8]
    ) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(18 + payload.count)
        bytes.append(contentsOf: destination.bytes)
        bytes.append(contentsOf: source.bytes)
        if let vlan {
            precondition(vlan <= 0x0FFF && priority <= 7, "VLAN \(vlan) priority \(priority) out of range")
            append16(0x8100, to: &bytes)
            append16(UInt16(priority) << 13 | vlan, to: &bytes)
        }
        append16(etherType, to: &bytes)
        bytes.append(contentsOf: payload)
        return bytes
    }

    /// The 16-bit ones' complement sum of `bytes` (RFC 1071), big-endian words, an odd last byte padded with zero.
    /// A header whose checksum field is correct sums to 0xFFFF.
    public static func onesComplementSum(_ bytes: some Collection<UInt8>, initial: UInt16 = 0) -> UInt16 {
        var sum = UInt32(initial)
        var high = true
        for byte in bytes {
            sum += high ? UInt32(byte) << 8 : UInt32(byte)
            high.toggle()
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return UInt16(sum)
    }

    private static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}
