import DHCPCore
import Testing

/// The borrowed view (one reader reused for every message, as the capture path uses it) must say what the owned
/// message says: header fields, each option's RFC 3396 data and instance count, the order codes first appear in,
/// and the problems with their offsets.
@Suite("Message view")
struct MessageViewTests {
    struct Option: Equatable {
        var option: DHCPOption
        var instances: Int
        var location: DHCPOptionLocation
    }

    /// Random messages, some with file and sname overloaded, some with codes repeated, some cut or corrupted.
    static func samples() -> [[UInt8]] {
        var random = SplitMix64(seed: 0x5EED_0104)
        var samples = [[UInt8]]()
        for index in 0..<1_500 {
            var message = random.message()
            if index % 3 == 0 {
                // Overload: options in file and sname too, one code repeated across the fields (RFC 3396).
                let repeated = DHCPOption(DHCPOptionCode(UInt8.random(in: 200...210, using: &random)), random.bytes(5))
                guard case .options(let area) = message.vendor else { continue }
                message.setOptions(area.options + [repeated, DHCPOption(.optionOverload, [3])])
                message.file = .options(DHCPOptionArea(options: [repeated, DHCPOption(.hostName, random.bytes(9))]))
                message.sname = .options(DHCPOptionArea(options: [repeated, DHCPOption(.optionOverload, [1])]))
            }
            var bytes = message.serialize()
            if index % 4 == 1 {
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    bytes[at] = UInt8.random(in: 0...255, using: &random)
                }
            }
            if index % 5 == 2 { bytes.removeLast(Int.random(in: 0...min(bytes.count, 120), using: &random)) }
            samples.append(bytes)
        }
        return samples
    }

    @Test("One reader over 1,500 messages agrees with the owned parse of each")
    func agreesWithOwnedMessage() throws {
        let reader = DHCPMessageReader()
        var overloaded = 0, joined = 0
        for bytes in Self.samples() {
            let owned = DHCPMessage.parse(bytes)
            try bytes.withUnsafeBytes { payload in
                let read = reader.read(payload)
                #expect(read.issues.diagnostics == owned.diagnostics)
                guard let view = read.view else {
                    #expect(owned.message == nil)
                    return
                }
                let message = try #require(owned.message)
                #expect(DHCPMessage(view) == message)
                #expect((view.op, view.htype, view.hlen, view.xid, view.flags) == (message.op, message.htype, message.hlen, message.xid, message.flags))
                #expect(Array(view.hardwareAddress) == Array(message.hardwareAddress))
                #expect(view.optionOffsets == owned.optionOffsets)
                var seen = [Option]()
                view.forEachOption { code, data, instances, location in
                    seen.append(Option(option: DHCPOption(code, Array(data)), instances: instances, location: location))
                }
                #expect(seen == message.concatenatedOptions.map { Option(option: $0.option, instances: $0.instances, location: $0.location) })
                for code in 1...254 {
                    let code = DHCPOptionCode(UInt8(code))
                    #expect(view.optionData(code).map(Array.init) == message.option(code)?.data)
                    if view.instances(of: code) > 1 { joined += 1 }
                }
                if case .options = message.file { overloaded += 1 }
                #expect(view.messageType == message.messageType && view.serverIdentifier == message.serverIdentifier)
            }
        }
        #expect(overloaded > 100 && joined > 100, "the samples should overload fields and repeat codes")
    }
}
