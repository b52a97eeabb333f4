import DHCPCore
import Framing

/// A DHCPv4 message found in a frame, with the network details around it.
public struct DHCPRecord: Sendable {
    public var ip: IPv4Info
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// nil when the payload is too short for a BOOTP header.
    public var message: DHCPMessage?
    public var diagnostics: [DHCPParseError]
    /// Offsets of the option instances in the payload, in `message.optionInstances` order.
    public var optionOffsets: [Int]
    /// A framing problem that did not stop decoding (a UDP length that lied).
    public var framingWarning: FramingError?
    /// True when the datagram was reassembled from IPv4 fragments.
    public var reassembled: Bool
    public var payloadLength: Int
}

/// One captured frame, decoded as far as DHCP needs.
public struct DecodedFrame: Sendable {
    public enum Content: Sendable {
        case dhcp(DHCPRecord)
        /// DHCPv6 (UDP 546/547): counted, not decoded yet.
        case dhcpv6
        /// A fragment held until the rest of its datagram arrives.
        case fragment
        /// Not DHCP at all.
        case other
        /// Headers that cannot be read.
        case malformed(FramingError)
    }
    public var link: LinkInfo
    public var content: Content
}

/// Turns captured frames into DHCP records: link layer, IPv4 (reassembling fragments), UDP, DHCP.
/// Pure apart from the bounded fragment table it keeps.
public struct DHCPFrameDecoder: Sendable {
    public let ports: Set<UInt16>
    private var reassembler = IPv4Reassembler()

    public init(ports: Set<UInt16> = [67, 68]) { self.ports = ports }

    public mutating func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, time: Timestamp) -> DecodedFrame {
        let frame = FrameParser.parse(bytes, linkType: linkType)
        switch frame.payload {
        case .udp(let ip, let udp, let lengthError):
            guard isDHCP(udp.sourcePort, udp.destinationPort) else { return DecodedFrame(link: frame.link, content: .other) }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[udp.payload])
            return DecodedFrame(link: frame.link, content: .dhcp(record(payload, ip: ip, udp: udp, warning: lengthError, reassembled: false)))
        case .ipv4Fragment(let ip, let range):
            _ = reassembler.expire(now: time.timeInterval)
            switch reassembler.add(ip, payload: UnsafeRawBufferPointer(rebasing: bytes[range]), time: time.timeInterval) {
            case .incomplete:
                return DecodedFrame(link: frame.link, content: ip.protocolNumber == 17 ? .fragment : .other)
            case .failed(let error):
                return DecodedFrame(link: frame.link, content: .malformed(error))
            case .complete(let datagram):
                guard datagram.ip.protocolNumber == 17 else { return DecodedFrame(link: frame.link, content: .other) }
                return datagram.payload.withUnsafeBytes { whole in
                    guard case .udp(let ip, let udp, let lengthError) = FrameParser.parseUDP(whole, 0..<whole.count, ip: datagram.ip),
                          isDHCP(udp.sourcePort, udp.destinationPort) else {
                        return DecodedFrame(link: frame.link, content: .other)
                    }
                    let payload = UnsafeRawBufferPointer(rebasing: whole[udp.payload])
                    return DecodedFrame(link: frame.link, content: .dhcp(record(payload, ip: ip, udp: udp, warning: lengthError, reassembled: true)))
                }
            }
        case .ipv6UDP(let source, let destination):
            let dhcpv6: Set<UInt16> = [546, 547]
            return DecodedFrame(link: frame.link, content: dhcpv6.contains(source) || dhcpv6.contains(destination) ? .dhcpv6 : .other)
        case .other:
            return DecodedFrame(link: frame.link, content: .other)
        case .malformed(let error):
            return DecodedFrame(link: frame.link, content: .malformed(error))
        }
    }

    /// Fragments still waiting for the rest of their datagram.
    public var pendingFragments: Int { reassembler.pendingCount }

    private func isDHCP(_ source: UInt16, _ destination: UInt16) -> Bool {
        ports.contains(source) || ports.contains(destination)
    }

    private func record(_ payload: UnsafeRawBufferPointer, ip: IPv4Info, udp: UDPInfo, warning: FramingError?, reassembled: Bool) -> DHCPRecord {
        let parsed = DHCPMessage.parse(payload)
        return DHCPRecord(ip: ip, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort, message: parsed.message,
                          diagnostics: parsed.diagnostics, optionOffsets: parsed.optionOffsets, framingWarning: warning,
                          reassembled: reassembled, payloadLength: payload.count)
    }
}
