import DHCPCore
import DHCPv6Core
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

/// A DHCPv6 message found in a frame (UDP 546/547 over IPv6), with the network details around it. Its payload is
/// borrowed like a DHCPv4 record's view: valid until its decoder decodes the next frame.
public struct DHCPv6Record: BitwiseCopyable {
    public var ip: IPv6Info
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    /// The UDP payload.
    public var payload: UnsafeRawBufferPointer
    /// A framing problem that did not stop decoding (a UDP length that lied).
    public var framingWarning: FramingError?
    /// True when the datagram was reassembled from IPv6 fragments.
    public var reassembled: Bool
    /// The message read in place, checked to every depth once here; nil when it cannot be read (`error` says why).
    public let view: DHCPv6MessageView?

    /// Why the message cannot be read; nil when it can. Found again on demand (malformed messages are rare): the
    /// record is copied with every frame, so it keeps no more than it must.
    public var error: DHCPv6ParseError? {
        guard view == nil, case .failure(let error) = DHCPv6MessageView.read(payload) else { return nil }
        return error
    }

    public init(ip: IPv6Info, sourcePort: UInt16, destinationPort: UInt16, payload: UnsafeRawBufferPointer,
                framingWarning: FramingError?, reassembled: Bool) {
        self.ip = ip; self.sourcePort = sourcePort; self.destinationPort = destinationPort; self.payload = payload
        self.framingWarning = framingWarning; self.reassembled = reassembled
        view = try? DHCPv6MessageView.read(payload).get()
    }

    /// The message read from the payload (an owned value), or why it cannot be read.
    public func parse() -> Result<DHCPv6Message, DHCPv6ParseError> {
        Result { () throws(DHCPv6ParseError) in try DHCPv6Message(payload) }
    }
}

/// One captured frame, decoded as far as DHCP needs.
public struct DecodedFrame: BitwiseCopyable {
    public enum Content: BitwiseCopyable {
        case dhcp(DHCPRecord)
        /// DHCPv6 (UDP 546/547 over IPv6).
        case dhcpv6(DHCPv6Record)
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

/// Turns captured frames into DHCP records: link layer, IPv4 and IPv6 (reassembling fragments), UDP, DHCP and DHCPv6.
/// Pure apart from the bounded fragment table it keeps and the storage its message reader reuses.
public struct DHCPFrameDecoder {
    public let ports: Set<UInt16>
    private var reassembler = IPv4Reassembler()
    private var reassembler6 = IPv6Reassembler()
    private let reader = DHCPMessageReader()
    /// A reassembled DHCPv6 datagram, kept until the next one (the record borrows it).
    private let reassembled6 = HeldBytes()

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
        case .ipv6UDP(let ip, let udp, let lengthError):
            guard Self.isDHCPv6(udp) else { return DecodedFrame(link: frame.link, content: .other) }
            return DecodedFrame(link: frame.link, content: .dhcpv6(DHCPv6Record(
                ip: ip, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort,
                payload: UnsafeRawBufferPointer(rebasing: bytes[udp.payload]), framingWarning: lengthError, reassembled: false)))
        case .ipv6Fragment(let fragment, let range):
            _ = reassembler6.expire(now: time.timeInterval)
            switch reassembler6.add(fragment, payload: UnsafeRawBufferPointer(rebasing: bytes[range]), time: time.timeInterval) {
            case .incomplete:
                return DecodedFrame(link: frame.link, content: .fragment)
            case .failed(let error):
                return DecodedFrame(link: frame.link, content: .malformed(error))
            case .complete(let datagram):
                // The datagram is gone when this returns: the record borrows the decoder's copy.
                let whole = reassembled6.hold(datagram.payload)
                guard case .ipv6UDP(let ip, let udp, let lengthError) = FrameParser.parseIPv6Upper(whole, 0..<whole.count,
                                                                                                  ip: datagram.ip.ip),
                      Self.isDHCPv6(udp) else {
                    return DecodedFrame(link: frame.link, content: .other)
                }
                return DecodedFrame(link: frame.link, content: .dhcpv6(DHCPv6Record(
                    ip: ip, sourcePort: udp.sourcePort, destinationPort: udp.destinationPort,
                    payload: UnsafeRawBufferPointer(rebasing: whole[udp.payload]), framingWarning: lengthError,
                    reassembled: true)))
            }
        case .other:
            return DecodedFrame(link: frame.link, content: .other)
        case .malformed(let error):
            return DecodedFrame(link: frame.link, content: .malformed(error))
        }
    }

    /// Fragments still waiting for the rest of their datagram.
    public var pendingFragments: Int { reassembler.pendingCount + reassembler6.pendingCount }

    /// DHCPv6's ports (RFC 8415 §7.2): 546 clients, 547 servers and relays.
    private static func isDHCPv6(_ udp: UDPInfo) -> Bool {
        (546...547).contains(udp.sourcePort) || (546...547).contains(udp.destinationPort)
    }

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

/// Bytes kept by their owner until it holds the next ones, lent as a buffer that stays valid until then.
final class HeldBytes {
    private var storage = UnsafeMutableRawPointer.allocate(byteCount: 0, alignment: 8)
    private var capacity = 0

    func hold(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        if bytes.count > capacity {
            storage.deallocate()
            capacity = max(bytes.count, 2 * capacity)
            storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        }
        bytes.withUnsafeBytes { if let base = $0.baseAddress { storage.copyMemory(from: base, byteCount: $0.count) } }
        return UnsafeRawBufferPointer(start: storage, count: bytes.count)
    }

    deinit { storage.deallocate() }
}
