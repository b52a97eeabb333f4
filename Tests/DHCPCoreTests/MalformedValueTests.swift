import DHCPCore
import Testing

struct BadValue: Sendable, CustomTestStringConvertible {
    var code: UInt8
    var wire: String
    var note: String
    init(_ code: UInt8, _ wire: String, _ note: String) { self.code = code; self.wire = wire; self.note = note }
    var testDescription: String { "option \(code): \(note)" }
}

let badValues: [BadValue] = [
    BadValue(1, "ff ff ff", "address of 3 bytes"),
    BadValue(1, "ff ff ff 00 00", "address of 5 bytes"),
    BadValue(1, "", "empty address"),
    BadValue(2, "00 00 01", "int32 of 3 bytes"),
    BadValue(3, "", "empty address list"),
    BadValue(3, "c0 a8 01 01 c0", "address list of 5 bytes"),
    BadValue(13, "02 00 00", "uint16 of 3 bytes"),
    BadValue(19, "02", "boolean 2"),
    BadValue(19, "01 00", "boolean of 2 bytes"),
    BadValue(21, "0a 00 00 00 ff 00 00 00 0a 00 00 00", "address pairs of 12 bytes"),
    BadValue(23, "", "empty uint8"),
    BadValue(25, "05", "uint16 list of 1 byte"),
    BadValue(46, "01 02", "named of 2 bytes"),
    BadValue(51, "00 01 51", "lease time of 3 bytes"),
    BadValue(53, "", "empty message type"),
    BadValue(53, "01 01", "message type of 2 bytes"),
    BadValue(61, "", "empty client identifier"),
    BadValue(80, "01", "rapid commit with data"),
    BadValue(81, "01 00", "FQDN shorter than 3 bytes"),
    BadValue(81, "04 00 00 05 61 62", "FQDN wire label past the end"),
    BadValue(81, "04 00 00 01 61 00 62", "FQDN with bytes after the root label"),
    BadValue(82, "01", "suboption without a length"),
    BadValue(82, "01 05 61 62", "suboption running past the end"),
    BadValue(82, "01 02 61 62 02", "second suboption without a length"),
    BadValue(82, "05 03 0a 01 02", "link selection of 3 bytes"),
    BadValue(82, "0b 05 0a 00 00 01 00", "server id override of 5 bytes"),
    BadValue(82, "98 01 00", "VSS control with data"),
    BadValue(82, "09 06 00 00 0d e9 05 01", "vendor-specific data past its entry"),
    BadValue(93, "00 07 00", "architecture list of 3 bytes"),
    BadValue(94, "01 02", "interface identifier of 2 bytes"),
    BadValue(97, "", "empty machine identifier"),
    BadValue(116, "", "empty auto-configure"),
    BadValue(118, "0a 00 00", "subnet selection of 3 bytes"),
    BadValue(119, "03 61 62 63 c0 00", "pointer loop through a label"),
    BadValue(119, "c0 00", "pointer to itself"),
    BadValue(119, "c0 02 00 00", "forward pointer"),
    BadValue(119, "03 61 62 63 00 c0 05", "pointer to the pointer itself"),
    BadValue(119, "03 61 62 63 c0", "truncated pointer"),
    BadValue(119, "05 61 62", "label past the end"),
    BadValue(119, "03 61 62 63", "name without its root label"),
    BadValue(119, "41 61 00", "label type 01"),
    BadValue(119, "81 61 00", "label type 10"),
    BadValue(120, "", "empty SIP servers"),
    BadValue(120, "02 00", "SIP encoding 2"),
    BadValue(120, "01 0a 00 00", "SIP address of 3 bytes"),
    BadValue(121, "21 0a 00 00 00 0a 00 00 01 02", "width 33"),
    BadValue(121, "ff 0a 00 00 01", "width 255"),
    BadValue(121, "18 c0 a8 05 0a 00", "router cut short"),
    BadValue(121, "18 c0 a8", "destination cut short"),
    BadValue(121, "00 0a 00 00 01 08", "second route without destination"),
    BadValue(124, "00 00 0d", "enterprise number cut short"),
    BadValue(124, "00 00 0d e9 05 02 61", "vendor data past its length"),
    BadValue(124, "00 00 0d e9 03 05 61 62", "class item past its entry"),
    BadValue(125, "00 00 0d e9 03 01 05 41", "suboption past its entry"),
    BadValue(125, "00 00 0d e9 01 01", "suboption without a length"),
    BadValue(150, "c0 a8 00", "TFTP address of 3 bytes"),
    BadValue(151, "", "empty status code"),
    BadValue(152, "00 00 01", "base time of 3 bytes"),
]

@Suite("Malformed option values")
struct MalformedValueTests {
    @Test("Bytes that do not fit the shape throw DHCPValueError", arguments: badValues)
    func throwsValueError(_ bad: BadValue) {
        let option = DHCPOption(DHCPOptionCode(bad.code), hex(bad.wire))
        #expect(throws: DHCPValueError.self) { try option.value() }
    }

    @Test("A long pointer chain is bounded and never hangs")
    func pointerChain() {
        // 100 names, each a pointer to the name before it: at most 64 jumps are followed.
        var data: [UInt8] = [1, 0x61, 0]
        var previous = 0
        for _ in 0..<100 {
            let here = data.count
            data += [0xC0, UInt8(previous)]
            previous = here
            if here > 0xFF { break }
        }
        #expect(throws: DHCPValueError.self) { try DHCPOption(.domainSearch, data).value() }
        // A name longer than 255 bytes through repeated backward pointers throws.
        var long: [UInt8] = []
        for _ in 0..<5 { long += [63] + [UInt8](repeating: 0x61, count: 63) }
        long.append(0)
        #expect(throws: DHCPValueError.self) { try DHCPOption(.domainSearch, long).value() }
    }

    @Test("Random bytes never crash any shape's decoder, and a decoded value re-encodes to the same value")
    func randomBytes() throws {
        var random = SplitMix64(seed: 0xD1CE)
        for definition in DHCPOptionTable.definitions {
            for _ in 0..<300 {
                let length = Int.random(in: 0...40, using: &random)
                var data = random.bytes(length)
                // Bias towards bytes that parse: small lengths and pointer bytes.
                if Bool.random(using: &random) { data = data.map { $0 % 16 } }
                let option = DHCPOption(definition.code, data)
                guard let value = try? option.value() else { continue }
                let encoded = try #require(DHCPOption(definition.code, value: value),
                                           "option \(definition.code.rawValue) \(Hex.compact(data)) decoded to \(value) which does not encode")
                #expect(try encoded.value() == value,
                        "option \(definition.code.rawValue) \(Hex.compact(data)) → \(Hex.compact(encoded.data))")
            }
        }
    }
}
