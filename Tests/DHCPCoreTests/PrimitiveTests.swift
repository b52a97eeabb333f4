import DHCPCore
import Testing

struct TimestampCase: Sendable, CustomTestStringConvertible {
    var seconds: Int64
    var nanoseconds: UInt32
    var text: String
    var testDescription: String { text }
}

@Suite("Network primitives")
struct PrimitiveTests {
    @Test("Timestamp.rfc3339 with six fraction digits", arguments: [
        TimestampCase(seconds: 0, nanoseconds: 0, text: "1970-01-01T00:00:00.000000Z"),
        TimestampCase(seconds: 1_428_069_892, nanoseconds: 248_716_000, text: "2015-04-03T14:04:52.248716Z"),
        TimestampCase(seconds: 1_709_208_000, nanoseconds: 999_999_999, text: "2024-02-29T12:00:00.999999Z"),
        TimestampCase(seconds: 951_868_799, nanoseconds: 1_000, text: "2000-02-29T23:59:59.000001Z"),
        TimestampCase(seconds: 951_868_800, nanoseconds: 0, text: "2000-03-01T00:00:00.000000Z"),
        TimestampCase(seconds: -1, nanoseconds: 0, text: "1969-12-31T23:59:59.000000Z"),
        TimestampCase(seconds: -86_400, nanoseconds: 0, text: "1969-12-31T00:00:00.000000Z"),
        TimestampCase(seconds: -86_401, nanoseconds: 500_000_000, text: "1969-12-30T23:59:59.500000Z"),
        TimestampCase(seconds: -14_182_940, nanoseconds: 0, text: "1969-07-20T20:17:40.000000Z"),
        TimestampCase(seconds: -2_203_891_200, nanoseconds: 0, text: "1900-03-01T00:00:00.000000Z"),
        TimestampCase(seconds: -11_670_998_400, nanoseconds: 0, text: "1600-02-29T00:00:00.000000Z"),
        TimestampCase(seconds: 4_102_444_800, nanoseconds: 0, text: "2100-01-01T00:00:00.000000Z"),
    ])
    func rfc3339(_ c: TimestampCase) {
        let timestamp = Timestamp(seconds: c.seconds, nanoseconds: c.nanoseconds)
        #expect(timestamp.rfc3339(fractionDigits: 6) == c.text)
        #expect(timestamp.description == c.text)
    }

    @Test("Timestamp fraction digits and ordering")
    func fractionDigits() {
        let timestamp = Timestamp(seconds: 1_428_069_892, nanoseconds: 248_716_123)
        #expect(timestamp.rfc3339(fractionDigits: 0) == "2015-04-03T14:04:52Z")
        #expect(timestamp.rfc3339(fractionDigits: 3) == "2015-04-03T14:04:52.248Z")
        #expect(timestamp.rfc3339(fractionDigits: 9) == "2015-04-03T14:04:52.248716123Z")
        #expect(Timestamp(seconds: 1, nanoseconds: 5) < Timestamp(seconds: 1, nanoseconds: 6))
        #expect(Timestamp(seconds: -1, nanoseconds: 999) < Timestamp(seconds: 0, nanoseconds: 0))
        #expect(Timestamp(seconds: 10, nanoseconds: 500_000_000).seconds(since: Timestamp(seconds: 9, nanoseconds: 750_000_000)) == 0.75)
    }

    @Test("IPv4Address parses dotted quads and prints them", arguments: [
        ("0.0.0.0", UInt32(0)), ("255.255.255.255", 0xFFFF_FFFF), ("192.168.1.1", 0xC0A8_0101), ("10.0.0.001", 0x0A00_0001),
    ])
    func ipv4Valid(_ text: String, _ raw: UInt32) throws {
        let address = try #require(IPv4Address(text))
        #expect(address.rawValue == raw)
        #expect(IPv4Address(address.description) == address)
        #expect(address.octets == [UInt8(raw >> 24), UInt8(raw >> 16 & 0xFF), UInt8(raw >> 8 & 0xFF), UInt8(raw & 0xFF)])
        var bytes = [UInt8]()
        address.append(to: &bytes)
        #expect(bytes == address.octets)
    }

    @Test("IPv4Address rejects anything else", arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4.", "+1.2.3.4",
        "1.2.3.-0", "1.2.3.0x1", "1.2.3.1000",
    ])
    func ipv4Invalid(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test("IPv4Address prints dotted quad")
    func ipv4Description() {
        #expect(IPv4Address(192, 168, 0, 254).description == "192.168.0.254")
        #expect(IPv4Address.broadcast.description == "255.255.255.255")
        #expect(IPv4Address.any.description == "0.0.0.0")
        #expect(IPv4Address(10, 0, 0, 1) < IPv4Address(10, 0, 0, 2))
    }

    @Test("MACAddress parses colon and dash forms and prints lower case")
    func macValid() throws {
        let mac = try #require(MACAddress("00:1A:2b:3C:4d:FF"))
        #expect(mac.description == "00:1a:2b:3c:4d:ff")
        #expect(mac.bytes == [0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0xFF])
        #expect(MACAddress("00-1a-2b-3c-4d-ff") == mac)
        #expect(MACAddress(bytes: [0x00, 0x1A, 0x2B, 0x3C, 0x4D, 0xFF]) == mac)
        #expect(MACAddress(bytes: [1, 2, 3]) == nil)
        #expect(MACAddress(rawValue: 0xFFFF_0000_0000_0001).rawValue == 0x0000_0000_0001)
        #expect(MACAddress.broadcast.description == "ff:ff:ff:ff:ff:ff")
    }

    @Test("MACAddress rejects anything else", arguments: [
        "", "00:11:22:33:44", "00:11:22:33:44:55:66", "001122334455", "gg:11:22:33:44:55", "000:11:22:33:44:55",
        "00:11:22:33:44:55:", ":00:11:22:33:44:55", "00::11:22:33:44:55", "+0:11:22:33:44:55",
    ])
    func macInvalid(_ text: String) {
        #expect(MACAddress(text) == nil)
    }

    @Test("Hex prints and parses")
    func hexRoundTrip() {
        #expect(Hex.colonSeparated([0x0A, 0x1B, 0xFF]) == "0a:1b:ff")
        #expect(Hex.colonSeparated([]) == "")
        #expect(Hex.compact([0x0A, 0x1B, 0xFF]) == "0a1bff")
        #expect(Hex.parse("0a:1b:ff") == [0x0A, 0x1B, 0xFF])
        #expect(Hex.parse("0x0A1BFF") == [0x0A, 0x1B, 0xFF])
        #expect(Hex.parse("0a-1b ff") == [0x0A, 0x1B, 0xFF])
        #expect(Hex.parse("") == [])
        #expect(Hex.parse("abc") == nil)
        #expect(Hex.parse("zz") == nil)
        #expect(Hex.parse("0g") == nil)
        let all = (0...255).map(UInt8.init)
        #expect(Hex.parse(Hex.compact(all)) == all)
        #expect(Hex.parse(Hex.colonSeparated(all)) == all)
    }
}
