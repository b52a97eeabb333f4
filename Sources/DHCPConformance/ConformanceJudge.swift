import DHCPCore
import Framing
import NetworkPrimitives

/// A frame of the exchange, as the wire carried it: numbered as in the -w file, with its addresses and the DHCP
/// message it holds.
public struct ConformanceFrame: Sendable {
    public let number: Int
    public let sent: Bool
    public let sourceMAC: MACAddress?
    public let destinationMAC: MACAddress?
    public let sourceIP: IPv4Address
    public let destinationIP: IPv4Address
    public let sourcePort: UInt16
    public let destinationPort: UInt16
    /// The DHCP message, nil when it does not parse.
    public let message: DHCPMessage?
    /// The UDP payload's length: the DHCP message's size on the wire.
    public let payloadLength: Int

    /// An Ethernet frame carrying UDP on port 67 or 68; nil for anything else (ARP).
    public init?(_ bytes: [UInt8], number: Int, sent: Bool) {
        let parsed = bytes.withUnsafeBytes { FrameParser.parse($0, linkType: .ethernet) }
        guard case .udp(let ip, let udp, _) = parsed.payload, [67, 68].contains(udp.destinationPort) else { return nil }
        self.number = number
        self.sent = sent
        sourceMAC = parsed.link.source
        destinationMAC = parsed.link.destination
        sourceIP = ip.source
        destinationIP = ip.destination
        sourcePort = udp.sourcePort
        destinationPort = udp.destinationPort
        let payload = Array(bytes[udp.payload])
        payloadLength = payload.count
        message = DHCPMessage.parse(payload).message
    }

    /// A DHCP message in a UDP datagram between `local` (giaddr, port 67) and `peer` (a server, port 67): how the
    /// battery sees its exchange as a relay agent, without link-layer addresses.
    public init(datagram payload: [UInt8], peer: IPv4Address, local: IPv4Address, number: Int, sent: Bool) {
        self.number = number
        self.sent = sent
        sourceMAC = nil
        destinationMAC = nil
        sourceIP = sent ? local : peer
        destinationIP = sent ? peer : local
        sourcePort = 67
        destinationPort = 67
        payloadLength = payload.count
        message = DHCPMessage.parse(payload).message
    }

    /// A server's reply: a BOOTREPLY received.
    public var reply: DHCPMessage? {
        guard !sent, let message, message.op == DHCPMessage.bootReply else { return nil }
        return message
    }

    public var describe: String {
        let type = message?.typeName ?? "not DHCP"
        return "frame \(number) \(type) \(sourceIP):\(sourcePort) > \(destinationIP):\(destinationPort)"
            + (destinationMAC.map { " (to \($0))" } ?? "")
    }
}

/// The rules of RFC 2131 that a reply can be judged by alone: the battery judges its replies with them, and they
/// speak the battery's language (ids, clauses) wherever a reply is seen. Pure.
public enum ConformanceJudge {
    /// What of xid, chaddr, flags and giaddr a reply did not echo from its request; nil when all were.
    public static func echoMismatch(_ reply: DHCPMessage, of request: DHCPMessage) -> String? {
        var wrong: [String] = []
        if reply.xid != request.xid { wrong.append("xid \(Hex.xid(reply.xid)) for \(Hex.xid(request.xid))") }
        if reply.chaddr != request.chaddr { wrong.append("chaddr \(reply.clientMAC?.description ?? "?")") }
        if reply.flags != request.flags { wrong.append("flags 0x\(String(reply.flags, radix: 16)) for 0x\(String(request.flags, radix: 16))") }
        if reply.relayAddress != request.relayAddress { wrong.append("giaddr \(reply.relayAddress) for \(request.relayAddress)") }
        return wrong.isEmpty ? nil : wrong.joined(separator: ", ")
    }

    /// An OFFER or an ACK to a REQUEST: server identifier, lease time, echo.
    public static func form(of frame: ConformanceFrame, answering request: DHCPMessage, serverID: ConformanceCheck,
                            leaseTime: ConformanceCheck, echo: ConformanceCheck) -> [ConformanceVerdict] {
        guard let reply = frame.reply else { return [] }
        let frames = [frame.number]
        return [
            ConformanceVerdict(serverID, reply.serverIdentifier != nil ? .pass : .fail,
                               reply.serverIdentifier == nil ? "\(reply.typeName) without option 54" : nil, frames: frames),
            ConformanceVerdict(leaseTime, reply.leaseTime != nil ? .pass : .fail,
                               reply.leaseTime == nil ? "\(reply.typeName) without option 51" : nil, frames: frames),
            echoMismatch(reply, of: request).map { ConformanceVerdict(echo, .fail, "\(reply.typeName): \($0)", frames: frames) }
                ?? ConformanceVerdict(echo, .pass, frames: frames),
        ]
    }

    // MARK: the rules, on any message (the battery's frames, the analysis's views)

    /// RFC 2131 §4.4.5: T1 < T2 < lease time, the defaults (0.5 and 0.875 of the lease) standing in for what is
    /// absent; what is out of order, or nil. An infinite lease has no timers to order.
    public static func timerDisorder(_ reply: some DHCPMessageFields) -> String? {
        guard let lease = reply.leaseTime, lease != .max else { return nil }
        let t1 = reply.renewalTime, t2 = reply.rebindingTime
        let renewal = t1 ?? lease / 2, rebinding = t2 ?? UInt32(Double(lease) * 0.875)
        func name(_ given: UInt32?, _ label: String) -> String { given == nil ? "\(label) (default)" : label }
        if renewal >= rebinding { return "\(name(t1, "T1")) \(renewal) s is not below \(name(t2, "T2")) \(rebinding) s" }
        if rebinding >= lease { return "\(name(t2, "T2")) \(rebinding) s is not below the lease time \(lease) s" }
        return nil
    }

    /// RFC 2131 §4.1 and Table 3: a NAK has yiaddr 0 and no lease time, and goes to the broadcast address when
    /// giaddr is 0 (`destination`: where it was sent). What is wrong, or nil.
    public static func nakDefects(_ reply: some DHCPMessageFields, destination: IPv4Address) -> String? {
        var wrong: [String] = []
        if reply.yourAddress != .any { wrong.append("yiaddr \(reply.yourAddress)") }
        if reply.leaseTime != nil { wrong.append("a lease time") }
        if reply.relayAddress == .any, destination != .broadcast { wrong.append("sent to \(destination), not broadcast") }
        return wrong.isEmpty ? nil : "NAK with " + wrong.joined(separator: ", ")
    }

    /// RFC 2131 §4.3.5 and Table 3: the ACK to an INFORM has no lease time (MUST NOT) and yiaddr 0. What is wrong, or nil.
    public static func informAckDefects(_ reply: some DHCPMessageFields) -> String? {
        var wrong: [String] = []
        if reply.leaseTime != nil { wrong.append("a lease time") }
        if reply.yourAddress != .any { wrong.append("yiaddr \(reply.yourAddress)") }
        return wrong.isEmpty ? nil : "ACK to an INFORM with " + wrong.joined(separator: ", ")
    }

    /// RFC 3396: an option longer than 255 bytes goes as consecutive instances. Judged on replies that asked for
    /// every option: a split option seen is a pass; one of exactly 255 bytes in a single instance may have been cut
    /// short (inconclusive); none long enough to split is not applicable (the server has no such option configured).
    public static func longOptions(_ frames: [ConformanceFrame]) -> ConformanceVerdict {
        var full: [(Int, UInt8)] = []
        for frame in frames {
            guard let reply = frame.reply else { continue }
            for merged in reply.concatenatedOptions {
                if merged.instances > 1 {
                    return ConformanceVerdict(.longOptionSplit, .pass,
                                              "option \(merged.option.code.rawValue): \(merged.option.data.count) bytes in \(merged.instances) instances",
                                              frames: [frame.number])
                }
                if merged.option.data.count == 255 { full.append((frame.number, merged.option.code.rawValue)) }
            }
        }
        if let (number, code) = full.first {
            return ConformanceVerdict(.longOptionSplit, .inconclusive,
                                      "option \(code) is exactly 255 bytes in one instance: cut short, or exactly that long", frames: [number])
        }
        return ConformanceVerdict(.longOptionSplit, .notApplicable, "no option the server sent is longer than 255 bytes")
    }

    // MARK: the rules on the battery's frames

    /// T1 < T2 < lease time.
    public static func timers(_ frame: ConformanceFrame) -> ConformanceVerdict? {
        guard let reply = frame.reply, let lease = reply.leaseTime, lease != .max else { return nil }
        let disorder = timerDisorder(reply)
        return ConformanceVerdict(.timersOrdered, disorder == nil ? .pass : .fail, disorder, frames: [frame.number])
    }

    /// A NAK's form.
    public static func nakForm(_ frame: ConformanceFrame) -> ConformanceVerdict? {
        guard let reply = frame.reply, reply.messageType == .nak else { return nil }
        let defects = nakDefects(reply, destination: frame.destinationIP)
        return ConformanceVerdict(.nakForm, defects == nil ? .pass : .fail, defects, frames: [frame.number])
    }

    /// Where a reply to a client on the link went (RFC 2131 §4.1): to the IP broadcast address when the request's
    /// broadcast bit was set (at chaddr or the broadcast MAC: either reaches the client), else unicast to yiaddr at
    /// chaddr.
    public static func addressing(_ frame: ConformanceFrame, broadcastBit: Bool) -> ConformanceVerdict? {
        guard let reply = frame.reply, reply.relayAddress == .any, reply.clientAddress == .any else { return nil }
        if broadcastBit {
            let broadcast = frame.destinationIP == .broadcast
            return ConformanceVerdict(.broadcastBit, broadcast ? .pass : .fail,
                                      broadcast ? nil : "\(reply.typeName) sent to \(frame.destinationIP) at \(frame.destinationMAC?.description ?? "?")",
                                      frames: [frame.number])
        }
        let unicast = frame.destinationIP == reply.yourAddress && frame.destinationMAC == reply.clientMAC
        return ConformanceVerdict(.unicastReply, unicast ? .pass : .fail,
                                  unicast ? nil : "\(reply.typeName) sent to \(frame.destinationIP) at \(frame.destinationMAC?.description ?? "?")",
                                  frames: [frame.number])
    }

    /// yiaddr within the subnet option 1 gives around the server's own address on the link (its source).
    public static func onLink(_ frame: ConformanceFrame) -> ConformanceVerdict? {
        guard let reply = frame.reply, reply.yourAddress != .any else { return nil }
        guard case .ipv4(let mask)? = reply.value(.subnetMask) else {
            return ConformanceVerdict(.yiaddrOnLink, .inconclusive, "no subnet mask in the \(reply.typeName)", frames: [frame.number])
        }
        let anchor = reply.relayAddress != .any ? reply.relayAddress : frame.sourceIP
        let inside = reply.yourAddress.rawValue & mask.rawValue == anchor.rawValue & mask.rawValue
        return ConformanceVerdict(.yiaddrOnLink, inside ? .pass : .fail,
                                  inside ? nil : "yiaddr \(reply.yourAddress) outside \(anchor)/\(mask)", frames: [frame.number])
    }
}
