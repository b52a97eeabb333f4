import DHCPCore
import Framing

/// A DHCPv4 message found in a frame, with the network details around it. The message is read in place: valid
/// until its decoder decodes the next frame (`message` makes an owned copy).
public struct DHCPRecord: BitwiseCopyable {
    public var ip: IPv4Info
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// nil when the payload is too short for a BOOTP header.
    public var view: DHCPMessageView?
    /// What reading the message found wrong, each at its byte offset.
    public var issues: DHCPParseIssues
    /// A framing problem that did not stop decoding (a UDP length that lied).
    public var framingWarning: FramingError?
    /// True when the datagram was reassembled from IPv4 fragments.
    public var reassembled: Bool

    /// The message as an owned value (a copy of the payload); nil when the payload is too short for a BOOTP header.
    public var message: DHCPMessage? { view.map(DHCPMessage.init) }
    /// The problems with their texts.
    public var diagnostics: [DHCPParseError] { issues.diagnostics }
    /// Offsets of the option instances in the payload, in `message.optionInstances` order.
    public var optionOffsets: [Int] { view?.optionOffsets ?? [] }
    /// The UDP payload, borrowed like the view.
    public var payload: UnsafeRawBufferPointer { issues.bytes }

    /// A record of what `reader` read (it borrows the reader's storage until the reader's next read).
    public init(_ read: DHCPReadResult, ip: IPv4Info, sourcePort: UInt16, destinationPort: UInt16,
                framingWarning: FramingError?, reassembled: Bool) {
        self.ip = ip
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        view = read.view
        issues = read.issues
        self.framingWarning = framingWarning
        self.reassembled = reassembled
    }
}

/// One captured frame, decoded as far as DHCP needs.
public struct DecodedFrame: BitwiseCopyable {
    public enum Content: BitwiseCopyable {
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
/// Pure apart from the bounded fragment table it keeps and the storage its message reader reuses.
public struct DHCPFrameDecoder {
    public let ports: Set<UInt16>
    private var reassembler = IPv4Reassembler()
    private let reader = DHCPMessageReader()

    /// `ports` as a bit per port number: looked up for every UDP frame.
    private let portBits: [UInt64]

    public init(ports: Set<UInt16> = [67, 68]) {
        self.ports = ports
        var bits = [UInt64](repeating: 0, count: 1024)
        for port in ports { bits[Int(port) >> 6] |= 1 << UInt64(port & 63) }
        portBits = bits
    }

    public mutating func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, time: Timestamp) -> DecodedFrame {
        let frame = FrameParser.parse(bytes, linkType: linkType)
        switch frame.payload {
        case .udp(let ip, let udp, let lengthError):
            guard isDHCP(udp.sourcePort, udp.destinationPort) else { return DecodedFrame(link: frame.link, content: .other) }
            let read = reader.read(UnsafeRawBufferPointer(rebasing: bytes[udp.payload]))
            return DecodedFrame(link: frame.link, content: .dhcp(record(read, ip: ip, udp: udp, warning: lengthError,
                                                                        reassembled: false)))
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
                    // The datagram is gone when this closure returns: the reader keeps a copy for the view.
                    let read = reader.readCopy(UnsafeRawBufferPointer(rebasing: whole[udp.payload]))
                    return DecodedFrame(link: frame.link, content: .dhcp(record(read, ip: ip, udp: udp, warning: lengthError,
                                                                                reassembled: true)))
                }
            }
        case .ipv6UDP(_, let udp, _):
            let source = udp.sourcePort, destination = udp.destinationPort
            let dhcpv6: ClosedRange<UInt16> = 546...547
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
        portBits[Int(source) >> 6] & (1 << UInt64(source & 63)) != 0
            || portBits[Int(destination) >> 6] & (1 << UInt64(destination & 63)) != 0
    }

    private func record(_ read: DHCPReadResult, ip: IPv4Info, udp: UDPInfo, warning: FramingError?, reassembled: Bool)
        -> DHCPRecord {
        DHCPRecord(read, ip: ip, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort, framingWarning: warning,
                   reassembled: reassembled)
    }
}
