import NetworkPrimitives

/// Parses link layer, IPv4 and UDP headers in place. Pure: offsets into the caller's bytes, no copies.
public enum FrameParser {
    public static func parse(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> Frame {
        var link = LinkInfo()
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
        func truncated(_ needed: Int) -> Frame {
            Frame(link: link, payload: .malformed(FramingError(.linkHeaderShort(bytes: bytes.count, linkType: linkType,
                                                                                 needed: needed), offset: 0)))
        }
        let etherType: UInt16
        var offset: Int
        switch linkType {
        case .ethernet:
            guard bytes.count >= 14 else { return truncated(14) }
            link.destination = MACAddress(bytes, at: 0)
            link.source = MACAddress(bytes, at: 6)
            var type = u16(12)
            offset = 14
            while type == 0x8100 || type == 0x88A8 || type == 0x9100, link.vlans.count < VLANTags.capacity {
                guard bytes.count >= offset + 4 else { return truncated(offset + 4) }
                link.vlans.append(u16(offset) & 0x0FFF)
                type = u16(offset + 2)
                offset += 4
            }
            etherType = type
        case .linuxSLL:
            guard bytes.count >= 16 else { return truncated(16) }
            if u16(4) == 6 { link.source = MACAddress(bytes, at: 6) }
            etherType = u16(14)
            offset = 16
        case .linuxSLL2:
            guard bytes.count >= 20 else { return truncated(20) }
            if bytes[11] == 6 { link.source = MACAddress(bytes, at: 12) }
            etherType = u16(0)
            offset = 20
        case .null, .loop:
            guard bytes.count >= 4 else { return truncated(4) }
            // The family is in the capturing host's order for null; either way 2 is AF_INET and
            // 24, 28, 30 are AF_INET6 on the BSDs and macOS.
            let first = UInt32(bytes[0]), last = UInt32(bytes[3])
            let family = linkType == .loop || (first == 0 && last != 0) ? last : first
            etherType = family == 2 ? 0x0800 : [24, 28, 30].contains(family) ? 0x86DD : 0
            offset = 4
        case .raw, .rawDLT12, .rawDLT14, .ipv4:
            guard bytes.count >= 1 else { return truncated(1) }
            etherType = bytes[0] >> 4 == 6 ? 0x86DD : 0x0800
            offset = 0
        default:
            return Frame(link: link, payload: .malformed(FramingError(.unsupportedLinkType(linkType), offset: 0)))
        }
        switch etherType {
        case 0x0800: return Frame(link: link, payload: parseIPv4(bytes, at: offset))
        case 0x86DD: return Frame(link: link, payload: parseIPv6(bytes, at: offset))
        default: return Frame(link: link, payload: .other)
        }
    }

    /// IPv4 (RFC 791) with options; UDP (RFC 768). Length fields are checked against the bytes present.
    public static func parseIPv4(_ bytes: UnsafeRawBufferPointer, at start: Int) -> FramePayload {
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
        guard bytes.count >= start + 20 else {
            return .malformed(FramingError(.ipv4HeaderShort, offset: start))
        }
        guard bytes[start] >> 4 == 4 else { return .other }
        let headerLength = Int(bytes[start] & 0x0F) * 4
        guard headerLength >= 20, bytes.count >= start + headerLength else {
            return .malformed(FramingError(.ipv4HeaderLength(headerLength, present: bytes.count - start), offset: start))
        }
        let totalLength = Int(u16(start + 2))
        guard totalLength >= headerLength else {
            return .malformed(FramingError(.ipv4TotalLength(totalLength, headerLength: headerLength), offset: start + 2))
        }
        // Ethernet pads short frames: trust the total length when it is shorter than the bytes present,
        // never when it is longer.
        let end = min(bytes.count, start + totalLength)
        let fragment = u16(start + 6)
        let info = IPv4Info(
            source: IPv4Address(bytes, at: start + 12), destination: IPv4Address(bytes, at: start + 16),
            identification: u16(start + 4), ttl: bytes[start + 8], protocolNumber: bytes[start + 9],
            headerLength: headerLength, fragmentOffset: Int(fragment & 0x1FFF) * 8, moreFragments: fragment & 0x2000 != 0)
        let ipPayload = (start + headerLength)..<end
        if info.isFragment { return .ipv4Fragment(info, payload: ipPayload) }
        guard info.protocolNumber == 17 else { return .other }
        return parseUDP(bytes, ipPayload, ip: info)
    }

    /// UDP over a payload range (of a frame, or of a reassembled datagram).
    public static func parseUDP(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, ip: IPv4Info) -> FramePayload {
        guard range.count >= 8 else {
            return .malformed(FramingError(.udpHeaderShort, offset: range.lowerBound))
        }
        let (udp, lengthError) = udpHeader(bytes, range)
        return .udp(ip, udp, lengthError: lengthError)
    }

    /// The UDP header at the start of `range` (at least 8 bytes): ports, and the payload its length field gives
    /// when that length fits, else the rest of the range with the error noted. The same rule for IPv4 and IPv6.
    static func udpHeader(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> (UDPInfo, FramingError?) {
        let start = range.lowerBound
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
        let length = Int(u16(start + 4))
        var payloadEnd = range.upperBound
        var lengthError: FramingError?
        if length < 8 {
            lengthError = FramingError(.udpLengthUnderHeader(length), offset: start + 4)
        } else if length > range.count {
            lengthError = FramingError(.udpLengthPastData(length, present: range.count), offset: start + 4)
        } else {
            payloadEnd = start + length
        }
        return (UDPInfo(sourcePort: u16(start), destinationPort: u16(start + 2), payload: (start + 8)..<payloadEnd), lengthError)
    }

    /// IPv6 (RFC 8200) with a UDP next header, possibly after hop-by-hop, routing or destination options headers; a
    /// Fragment header makes it a fragment to reassemble. Anything else after the header chain (ICMPv6 errors that
    /// quote a DHCPv6 message among them) is not UDP.
    static func parseIPv6(_ bytes: UnsafeRawBufferPointer, at start: Int) -> FramePayload {
        guard bytes.count >= start + 40, bytes[start] >> 4 == 6 else { return .other }
        // The payload length bounds the datagram (Ethernet pads short frames); never past the bytes present.
        let payloadLength = Int(bytes[start + 4]) << 8 | Int(bytes[start + 5])
        let end = min(bytes.count, start + 40 + payloadLength)
        let (next, offset) = skipExtensionHeaders(bytes, next: bytes[start + 6], from: start + 40, to: end)
        var info = IPv6Info(source: IPv6Address(bytes, at: start + 8), destination: IPv6Address(bytes, at: start + 24),
                            hopLimit: bytes[start + 7], nextHeader: next)
        if next == 44, end >= offset + 8 {
            let field = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            info.nextHeader = bytes[offset]
            let fragment = IPv6FragmentInfo(
                ip: info, identification: UInt32(bytes[offset + 4]) << 24 | UInt32(bytes[offset + 5]) << 16
                    | UInt32(bytes[offset + 6]) << 8 | UInt32(bytes[offset + 7]),
                fragmentOffset: field & ~7, moreFragments: field & 1 != 0)
            return .ipv6Fragment(fragment, payload: (offset + 8)..<end)
        }
        guard offset <= end else { return .other }
        return parseIPv6Upper(bytes, offset..<end, ip: info)
    }

    /// What follows the IPv6 header chain in `range`: UDP when `ip.nextHeader` says so. Also reads a reassembled
    /// datagram, whose payload may begin with more extension headers (RFC 8200 §4.5: those after the fragment
    /// header).
    public static func parseIPv6Upper(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, ip: IPv6Info) -> FramePayload {
        var info = ip
        let (next, offset) = skipExtensionHeaders(bytes, next: ip.nextHeader, from: range.lowerBound, to: range.upperBound)
        info.nextHeader = next
        guard next == 17, range.upperBound >= offset + 8 else { return .other }
        let (udp, lengthError) = udpHeader(bytes, offset..<range.upperBound)
        return .ipv6UDP(info, udp, lengthError: lengthError)
    }

    /// Hop-by-hop (0), routing (43) and destination options (60) headers, at most eight: the next header after them
    /// and where it starts.
    private static func skipExtensionHeaders(_ bytes: UnsafeRawBufferPointer, next first: UInt8, from start: Int, to end: Int)
        -> (UInt8, Int) {
        var next = first, offset = start, hops = 0
        while next == 0 || next == 43 || next == 60, hops < 8, end >= offset + 8 {
            next = bytes[offset]
            offset += (Int(bytes[offset + 1]) + 1) * 8
            hops += 1
        }
        return (next, offset)
    }
}
