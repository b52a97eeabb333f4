import DHCPCore
import Testing

extension SplitMix64 {
    mutating func address() -> IPv4Address { IPv4Address(rawValue: UInt32.random(in: 0...UInt32.max, using: &self)) }

    /// A random valid message: random header fields and options with random codes 1–254 (not 52, which would
    /// turn sname and file into option fields) and data of 0–300 bytes, so some are split per RFC 3396.
    mutating func message() -> DHCPMessage {
        let count = Int.random(in: 0...12, using: &self)
        var codes = Set<UInt8>()
        var options = [DHCPOption]()
        while options.count < count {
            let code = UInt8.random(in: 1...254, using: &self)
            guard code != 52, codes.insert(code).inserted else { continue }
            let length = Int.random(in: 0...10, using: &self) == 0 ? Int.random(in: 256...300, using: &self)
                                                                   : Int.random(in: 0...300, using: &self)
            options.append(DHCPOption(DHCPOptionCode(code), bytes(length)))
        }
        return DHCPMessage(
            op: UInt8.random(in: 0...255, using: &self), htype: UInt8.random(in: 0...255, using: &self),
            hlen: UInt8.random(in: 0...255, using: &self), hops: UInt8.random(in: 0...255, using: &self),
            xid: UInt32.random(in: 0...UInt32.max, using: &self), secs: UInt16.random(in: 0...UInt16.max, using: &self),
            flags: UInt16.random(in: 0...UInt16.max, using: &self), clientAddress: address(), yourAddress: address(),
            serverAddress: address(), relayAddress: address(), chaddr: bytes(16),
            sname: .raw(bytes(64)), file: .raw(bytes(128)), options: options)
    }
}

@Suite("Properties")
struct PropertyTests {
    @Test("2,000 random valid messages: parse(serialize(m)) == m")
    func roundTrip() throws {
        var random = SplitMix64(seed: 0x5EED_0001)
        var split = 0
        for _ in 0..<2_000 {
            let message = random.message()
            let bytes = message.serialize()
            let result = DHCPMessage.parse(bytes)
            let parsed = try #require(result.message)
            #expect(parsed == message)
            #expect(parsed.serialize() == bytes)
            #expect(result.diagnostics.allSatisfy { $0.code == .badHardwareLength })
            // RFC 3396: each option comes back whole however it was split.
            guard case .options(let area) = message.vendor else { Issue.record("no options"); continue }
            for option in area.options where option.data.count == 255 { split += 1 }
            #expect(parsed.options.count == Set(parsed.options.map(\.code)).count)
            #expect(result.optionOffsets.count == parsed.optionInstances.count)
        }
        #expect(split > 50, "the generator should produce long options")
    }

    @Test("Options given to a built message come back whole")
    func optionsComeBackWhole() throws {
        var random = SplitMix64(seed: 0x5EED_0002)
        for _ in 0..<300 {
            let length = Int.random(in: 0...1_000, using: &random)
            let option = DHCPOption(DHCPOptionCode(UInt8.random(in: 53...60, using: &random)), random.bytes(length))
            let message = DHCPMessage(op: 1, xid: 1, chaddr: [], options: [option, DHCPOption(.hostName, [0x61])])
            let parsed = try #require(DHCPMessage.parse(message.serialize()).message)
            #expect(parsed.option(option.code) == option)
            #expect(parsed.options == [option, DHCPOption(.hostName, [0x61])])
        }
    }

    /// A realistic ACK with overloaded file and sname, relay agent information and a domain search list.
    static let realMessage: [UInt8] = {
        var builder = PayloadBuilder(op: 2)
        builder.write(hex("0f 04 2e 63 6f 6d  ff"), at: 44)
        builder.write(hex("43 0a 70 78 65 6c 69 6e 75 78 2e 30  ff"), at: 108)
        builder.cookie()
        builder.append(hex("""
            35 01 05  36 04 c0 a8 01 01  33 04 00 01 51 80  01 04 ff ff ff 00  03 04 c0 a8 01 01
            06 08 08 08 08 08 01 01 01 01  34 01 03  0f 07 65 78 61 6d 70 6c 65
            77 1b 03 65 6e 67 05 61 70 70 6c 65 03 63 6f 6d 00 09 6d 61 72 6b 65 74 69 6e 67 c0 04
            79 0d 00 0a 00 00 01 18 c0 a8 05 0a 00 00 03
            52 12 01 06 65 74 68 30 2f 31 02 06 00 11 22 33 44 55 05 00
            ff 00 00 00 00
            """))
        return builder.bytes
    }()

    @Test("The real message is well-formed")
    func realMessageParses() throws {
        let result = parseRoundTrip(Self.realMessage)
        let message = try #require(result.message)
        #expect(result.codes == [])
        #expect(message.value(.domainName) == .text("example.com"))
        #expect(message.value(.bootfileName) == .text("pxelinux.0"))
        #expect(message.value(.domainSearch) == .list([.text("eng.apple.com"), .text("marketing.apple.com")]))
        #expect(throws: DHCPValueError.self) { try message.option(.relayAgentInformation)?.value() }
    }

    @Test("Random mutations of a real message: never a crash, and serialize(parse(bytes)) == bytes")
    func mutations() {
        var random = SplitMix64(seed: 0x5EED_0003)
        let original = Self.realMessage
        for _ in 0..<3_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                switch Int.random(in: 0..<6, using: &random) {
                case 0, 1, 2:
                    // Favour the option area and the lengths in it.
                    let index = Int.random(in: (bytes.count > 236 && Bool.random(using: &random) ? 236 : 0)..<bytes.count, using: &random)
                    bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 3:
                    bytes.removeLast(Int.random(in: 0...min(bytes.count, 80), using: &random))
                case 4:
                    let index = Int.random(in: 0...bytes.count, using: &random)
                    bytes.insert(contentsOf: random.bytes(Int.random(in: 1...8, using: &random)), at: index)
                default:
                    guard !bytes.isEmpty else { break }
                    let index = Int.random(in: 0..<bytes.count, using: &random)
                    bytes.remove(at: index)
                }
                if bytes.isEmpty { break }
            }
            let result = DHCPMessage.parse(bytes)
            if let message = result.message {
                #expect(message.serialize() == bytes)
                // Every typed decoder must survive whatever the mutation left.
                for option in message.options { _ = try? option.value() }
                #expect(result.optionOffsets.count == message.optionInstances.count)
                for (offset, instance) in zip(result.optionOffsets, message.optionInstances) {
                    #expect(bytes[offset] == instance.option.code.rawValue)
                    #expect(Int(bytes[offset + 1]) == instance.option.data.count)
                }
            } else {
                #expect(bytes.count < DHCPMessage.headerLength)
            }
        }
    }
}
