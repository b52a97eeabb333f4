import DHCPv6Core
import NetworkPrimitives
import Testing

/// The DHCPv6 codec: headers, options in wire order with their nesting, relays to any depth, byte-exact round
/// trips, and the offset of whatever is malformed.
@Suite("DHCPv6 message codec")
struct MessageCodecTests {
    /// A SOLICIT as dhclient -6 sends one: client identifier (DUID-LLT), IA_NA holding an IAADDR that holds a
    /// status code, elapsed time, option request.
    static let duid: [UInt8] = [0, 1, 0, 1, 0x2a, 0x5b, 0x3c, 0x4d, 0x02, 0x42, 0xc6, 0x12, 0x00, 0x02]
    static let address: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]
    static let solicit: [UInt8] = [1, 0xab, 0xcd, 0xef]
        + [0, 1, 0, 14] + duid
        + [0, 3, 0, 12 + 4 + 24 + 4 + 6] + [0, 0, 0, 7, 0, 0, 0x0e, 0x10, 0, 0, 0x15, 0x18]
        + [0, 5, 0, 24 + 4 + 6] + address + [0, 0, 0x1c, 0x20, 0, 0, 0x2a, 0x30] + [0, 13, 0, 6, 0, 0] + Array("ok".utf8) + [0, 0]
        + [0, 8, 0, 2, 0, 0]
        + [0, 6, 0, 4, 0, 23, 0, 24]

    @Test("A SOLICIT: header, options in wire order, options inside IA_NA and IAADDR, the same bytes back")
    func solicit() throws {
        let message = try DHCPv6Message(parsing: Self.solicit)
        #expect(message.type == .solicit && message.type.description == "SOLICIT")
        #expect(message.transactionID == 0xabcdef)
        #expect(message.options.map(\.code) == [1, 3, 8, 6])
        #expect(message.option(1)?.data == Self.duid)
        let iaNA = try #require(message.option(3))
        let inIA = try #require(try iaNA.suboptions())
        #expect(inIA.map(\.code) == [5])
        let inAddress = try #require(try inIA[0].suboptions())
        #expect(inAddress == [DHCPv6Option(13, [0, 0] + Array("ok".utf8) + [0, 0])])
        #expect(try message.option(8)?.suboptions() == nil)
        #expect(message.serialized() == Self.solicit)
    }

    @Test("Relays: RELAY-FORW in RELAY-FORW around a SOLICIT, each level read, the same bytes back")
    func relays() throws {
        let inner = try DHCPv6Message(parsing: Self.solicit)
        let link = try #require(IPv6Address("2001:db8:1::1")), peer = try #require(IPv6Address("fe80::42:c6ff:fe12:2"))
        let first = DHCPv6Message(type: .relayForward, header: .relay(hopCount: 0, linkAddress: link, peerAddress: peer),
                                  options: [DHCPv6Option(18, [1, 0, 0, 0]), DHCPv6Option(9, inner.serialized())])
        let outer = DHCPv6Message(type: .relayForward,
                                  header: .relay(hopCount: 1, linkAddress: try #require(IPv6Address("2001:db8:2::1")), peerAddress: link),
                                  options: [DHCPv6Option(9, first.serialized())])
        let bytes = outer.serialized()
        #expect(bytes.count == 34 + 4 + 34 + 8 + 4 + Self.solicit.count)
        let parsed = try DHCPv6Message(parsing: bytes)
        #expect(parsed == outer)
        #expect(parsed.relayChain.map(\.type) == [.relayForward, .relayForward, .solicit])
        #expect(parsed.relayChain.last == inner)
        #expect(parsed.transactionID == nil)
        if case let .relay(hops, linkAddress, peerAddress) = parsed.relayChain[1].header {
            #expect(hops == 0 && linkAddress == link && peerAddress == peer)
        } else {
            Issue.record("the inner relay lost its header")
        }
        #expect(parsed.serialized() == bytes)
    }

    @Test("Malformed messages are refused with the offset of the fault", arguments: [
        ([UInt8](), DHCPv6ParseError(.messageShort(needed: 4, present: 0), offset: 0)),
        ([1, 0, 0], DHCPv6ParseError(.messageShort(needed: 4, present: 3), offset: 0)),
        ([12, 0] + [UInt8](repeating: 0, count: 20), DHCPv6ParseError(.messageShort(needed: 34, present: 22), offset: 0)),
        ([1, 0, 0, 1, 0, 1, 0], DHCPv6ParseError(.optionHeaderShort(present: 3), offset: 4)),
        ([1, 0, 0, 1, 0, 8, 0, 2, 0, 0, 0, 1, 0, 10, 1, 2],
         DHCPv6ParseError(.optionLengthPastEnd(code: 1, length: 10, present: 2), offset: 10)),
    ])
    func malformed(bytes: [UInt8], expected: DHCPv6ParseError) {
        #expect(throws: expected) { try DHCPv6Message(parsing: bytes) }
    }

    @Test("Inside an option, the offset counts from the start of the message")
    func nestedOffsets() throws {
        // IA_NA whose IAADDR claims 30 bytes where 2 follow; and an IA_PD too short for its fixed fields.
        let bytes: [UInt8] = [3, 0, 0, 1] + [0, 3, 0, 16] + [UInt8](repeating: 0, count: 12) + [0, 5, 0, 30] + [0, 25, 0, 5, 1, 2, 3, 4, 5]
        let message = try DHCPv6Message(parsing: bytes)
        #expect(throws: DHCPv6ParseError(.optionLengthPastEnd(code: 5, length: 30, present: 0), offset: 8 + 12)) {
            try message.options[0].suboptions(at: 8)
        }
        #expect(throws: DHCPv6ParseError(.optionFieldsShort(code: 25, needed: 12, present: 5), offset: 28)) {
            try message.options[1].suboptions(at: 28)
        }
    }

    @Test("parse(serialize(m)) == m for random messages, nested options and relays included")
    func roundTripProperty() throws {
        var random = SplitMix64(seed: 8415)
        for _ in 0..<3_000 {
            let message = Self.randomMessage(&random, depth: Int(random.next() % 4))
            let bytes = message.serialized()
            let parsed = try DHCPv6Message(parsing: bytes)
            #expect(parsed == message)
            #expect(parsed.serialized() == bytes)
        }
    }

    @Test("Any bytes: refused with an offset inside them, or read and written back unchanged (the fuzz target's properties)")
    func arbitraryBytes() throws {
        var random = SplitMix64(seed: 547)
        for _ in 0..<20_000 {
            let count = Int(random.next() % 120)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            // Plausible option lengths, so that reads often get past the first option.
            for index in stride(from: 6, to: bytes.count, by: 7) { bytes[index] = 0 }
            let broken = bytes.withUnsafeBytes { DHCPv6Properties.message($0) }
            #expect(broken.isEmpty, "\(bytes): \(broken)")
        }
    }

    static func randomMessage(_ random: inout SplitMix64, depth: Int) -> DHCPv6Message {
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        var options = [DHCPv6Option]()
        for _ in 0..<Int(random.next() % 5) {
            switch random.next() % 3 {
            case 0:
                let code: UInt16 = [3, 4, 5, 25, 26][Int(random.next() % 5)]
                let fixed = DHCPv6OptionTable.definition(code)?.shape.optionsOffset ?? 0
                options.append(DHCPv6Option(code, fields: bytes(fixed),
                                            options: [DHCPv6Option(13, bytes(Int(random.next() % 8)))]))
            default:
                options.append(DHCPv6Option(UInt16(truncatingIfNeeded: random.next()), bytes(Int(random.next() % 20))))
            }
        }
        guard depth > 0 else {
            let type = DHCPv6MessageType(rawValue: UInt8([1, 2, 3, 7, 11, 14, 20][Int(random.next() % 7)]))
            return DHCPv6Message(type: type, header: .transaction(id: UInt32(truncatingIfNeeded: random.next()) & 0xFF_FFFF),
                                 options: options)
        }
        let inner = randomMessage(&random, depth: depth - 1)
        options.insert(DHCPv6Option(9, inner.serialized()), at: Int(random.next() % UInt64(options.count + 1)))
        return DHCPv6Message(type: random.next() % 2 == 0 ? .relayForward : .relayReply,
                             header: .relay(hopCount: UInt8(truncatingIfNeeded: random.next()),
                                            linkAddress: IPv6Address(high: random.next(), low: random.next()),
                                            peerAddress: IPv6Address(high: random.next(), low: random.next())),
                             options: options)
    }
}
