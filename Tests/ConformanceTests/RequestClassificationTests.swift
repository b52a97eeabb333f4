import Capture
import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Framing
import Testing

/// RFC 2131 §4.3.2 is written once (`DHCPRequestKind(_:broadcast:)`): the analyzer replaying a capture and the server
/// answering a REQUEST must say the same of every REQUEST. Each REQUEST goes alone through a fresh analyzer (so that
/// nothing before it colours its transaction) and through the server's classification of what it received.
@Suite struct RequestClassificationTests {
    /// The analyzer's transaction kind for a REQUEST alone, as a request kind.
    static func analyzerKind(of frame: [UInt8], linkType: LinkType) -> DHCPRequestKind? {
        var decoder = DHCPFrameDecoder()
        var analyzer = DHCPAnalyzer()
        let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
        let decoded = frame.withUnsafeBytes { decoder.decode($0, linkType: linkType, time: time) }
        guard case .dhcp(let record) = decoded.content else { return nil }
        var kinds = [TransactionKind]()
        let collect = { (events: [AnalysisEvent]) in
            for case .transaction(let transaction) in events { kinds.append(transaction.kind) }
        }
        collect(analyzer.observe(record, link: decoded.link, frame: FrameReference(file: 0, frame: 1, time: time)))
        analyzer.finish(collect)
        guard kinds.count == 1 else { return nil }
        switch kinds[0] {
        case .dora: return .selecting
        case .initReboot: return .initReboot
        case .renew: return .renewing
        case .rebind: return .rebinding
        default: return nil
        }
    }

    /// The server's kind for the same REQUEST, received with the IP destination the frame carries.
    static func serverKind(of frame: [UInt8], linkType: LinkType) -> DHCPRequestKind? {
        var decoder = DHCPFrameDecoder()
        let decoded = frame.withUnsafeBytes { decoder.decode($0, linkType: linkType, time: Timestamp(seconds: 0, nanoseconds: 0)) }
        guard case .dhcp(let record) = decoded.content, let message = record.message else { return nil }
        let receipt = DHCPReceipt(interfaceAddress: IPv4Address(198, 18, 0, 1), sourceAddress: record.ip.source,
                                  sourcePort: record.sourcePort, broadcast: record.ip.destination == IPv4Address.broadcast)
        guard case .request(let kind)? = DHCPServerMessageKind(message, receipt: receipt) else { return nil }
        return kind
    }

    @Test func everyCorpusRequestIsClassifiedAlike() throws {
        var compared = 0
        var seen = Set<DHCPRequestKind>()
        try Fixtures.forEachDHCPRecord { capture, packet, linkType, record in
            guard record.diagnostics.isEmpty, !record.reassembled,
                  let message = record.message, message.messageType == .request else { return }
            let frame = [UInt8](packet.bytes)
            let analyzer = Self.analyzerKind(of: frame, linkType: linkType)
            let server = Self.serverKind(of: frame, linkType: linkType)
            #expect(analyzer != nil && analyzer == server,
                    "\(capture.path) frame \(packet.frameNumber): analyse says \(String(describing: analyzer)), the server \(String(describing: server))")
            if let server { seen.insert(server) }
            compared += 1
        }
        #expect(compared >= 30, "only \(compared) REQUESTs in the corpus")
        // The corpus holds REQUESTs of every kind but REBINDING; the generated ones below cover all four.
        #expect(seen.isSuperset(of: [.selecting, .initReboot, .renewing]), "kinds seen: \(seen)")
    }

    /// Every combination of what §4.3.2 looks at: option 54, option 50, ciaddr, giaddr, and a broadcast or unicast
    /// IP destination.
    @Test func everyGeneratedRequestIsClassifiedAlike() {
        let client = MACAddress("06:00:00:00:10:01")!
        let server = IPv4Address(198, 18, 0, 1)
        var seen = Set<DHCPRequestKind>()
        for bits in 0..<32 {
            let serverID = bits & 1 != 0, requested = bits & 2 != 0, ciaddr = bits & 4 != 0, relayed = bits & 8 != 0
            let broadcast = bits & 16 != 0
            var options = [DHCPOption(.messageType, [DHCPMessageType.request.rawValue])]
            if requested { options.append(DHCPOption(.requestedAddress, IPv4Address(198, 18, 0, 50).octets)) }
            if serverID { options.append(DHCPOption(.serverIdentifier, server.octets)) }
            let message = DHCPMessage(op: DHCPMessage.bootRequest, hops: relayed ? 1 : 0, xid: UInt32(0x1000 + bits),
                                      clientAddress: ciaddr ? IPv4Address(198, 18, 0, 50) : .any,
                                      relayAddress: relayed ? IPv4Address(198, 18, 1, 1) : .any,
                                      chaddr: client.bytes, options: options)
            let source = relayed ? IPv4Address(198, 18, 1, 1) : (ciaddr ? IPv4Address(198, 18, 0, 50) : .any)
            let frame = FrameBuilder.udp(
                sourceMAC: client, destinationMAC: broadcast ? .broadcast : MACAddress("06:00:00:00:00:01")!,
                sourceIP: source, destinationIP: broadcast ? .broadcast : server,
                sourcePort: relayed ? 67 : 68, destinationPort: 67, payload: message.serialize())
            let analyzer = Self.analyzerKind(of: frame, linkType: .ethernet)
            let served = Self.serverKind(of: frame, linkType: .ethernet)
            #expect(analyzer != nil && analyzer == served,
                    "option 54 \(serverID), option 50 \(requested), ciaddr \(ciaddr), giaddr \(relayed), broadcast \(broadcast): analyse says \(String(describing: analyzer)), the server \(String(describing: served))")
            if let served { seen.insert(served) }
        }
        #expect(seen == [.selecting, .initReboot, .renewing, .rebinding])
    }
}

/// Every option value in the corpus comes back from its text form (what `decode -v` prints and a configuration file
/// takes): parse(render(value)) == value, and it encodes to the bytes it was decoded from.
@Suite struct CorpusOptionTextTests {
    @Test func everyCorpusOptionRoundTripsThroughItsText() throws {
        var checked = 0
        var codes = Set<UInt8>()
        try Fixtures.forEachDHCPRecord { capture, packet, _, record in
            guard let message = record.message else { return }
            for option in message.options {
                guard let definition = DHCPOptionTable.definition(for: option.code),
                      let value = try? option.value() else { continue }
                let text = definition.text(value)
                let parsed = try? definition.value(fromText: text)
                #expect(parsed == value, "\(capture.path) frame \(packet.frameNumber) option \(option.code.rawValue): \(text)")
                #expect(parsed.flatMap { definition.shape.encode($0) } == option.data,
                        "\(capture.path) frame \(packet.frameNumber) option \(option.code.rawValue): \(text)")
                checked += 1
                codes.insert(option.code.rawValue)
            }
        }
        #expect(checked > 1000 && codes.count > 40, "\(checked) options of \(codes.count) codes")
    }
}
