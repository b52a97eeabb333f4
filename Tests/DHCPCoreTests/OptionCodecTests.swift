import DHCPCore
import Testing

/// One option value and the bytes the RFC says it is, written out by hand.
struct OptionCase: Sendable, CustomTestStringConvertible {
    var code: UInt8
    var value: DHCPOptionValue
    var wire: String
    var note: String

    init(_ code: UInt8, _ value: DHCPOptionValue, _ wire: String, _ note: String = "") {
        self.code = code; self.value = value; self.wire = wire; self.note = note
    }

    var testDescription: String { "option \(code)\(note.isEmpty ? "" : " (\(note))")" }
}

private func list(_ addresses: String...) -> DHCPOptionValue { .list(addresses.map { .ipv4(ip($0)) }) }
private func pair(_ a: String, _ b: String) -> DHCPOptionValue {
    .record([DHCPOptionField("address", .ipv4(ip(a))), DHCPOptionField("mask_or_router", .ipv4(ip(b)))])
}
private func route(_ destination: String, _ width: Int, _ router: String) -> DHCPOptionValue {
    .record([DHCPOptionField("destination", .prefix(ip(destination), width)), DHCPOptionField("router", .ipv4(ip(router)))])
}
private let yes = DHCPOptionValue.bool(true)
private let no = DHCPOptionValue.bool(false)

/// RFC 2132 §3–§9, every option 1–76 (62 and 63 are RFC 2242's; they are in the extra list).
let rfc2132Cases: [OptionCase] = [
    OptionCase(1, .ipv4(ip("255.255.255.0")), "ff ff ff 00"),
    OptionCase(2, .signed(-18000), "ff ff b9 b0", "negative, two's complement"),
    OptionCase(3, list("192.168.1.1", "192.168.1.2"), "c0 a8 01 01 c0 a8 01 02"),
    OptionCase(4, list("10.0.0.4"), "0a 00 00 04"),
    OptionCase(5, list("10.0.0.5"), "0a 00 00 05"),
    OptionCase(6, list("8.8.8.8", "1.1.1.1"), "08 08 08 08 01 01 01 01"),
    OptionCase(7, list("10.0.0.7"), "0a 00 00 07"),
    OptionCase(8, list("10.0.0.8"), "0a 00 00 08"),
    OptionCase(9, list("10.0.0.9"), "0a 00 00 09"),
    OptionCase(10, list("10.0.0.10"), "0a 00 00 0a"),
    OptionCase(11, list("10.0.0.11"), "0a 00 00 0b"),
    OptionCase(12, .text("myhost"), "6d 79 68 6f 73 74"),
    OptionCase(13, .unsigned(512), "02 00"),
    OptionCase(14, .text("/dump"), "2f 64 75 6d 70"),
    OptionCase(15, .text("example.com"), "65 78 61 6d 70 6c 65 2e 63 6f 6d"),
    OptionCase(16, .ipv4(ip("10.0.0.16")), "0a 00 00 10"),
    OptionCase(17, .text("/root"), "2f 72 6f 6f 74"),
    OptionCase(18, .text("/ext"), "2f 65 78 74"),
    OptionCase(19, yes, "01"),
    OptionCase(20, no, "00"),
    OptionCase(21, .list([pair("10.0.0.0", "255.0.0.0"), pair("172.16.0.0", "255.240.0.0")]),
               "0a 00 00 00 ff 00 00 00 ac 10 00 00 ff f0 00 00"),
    OptionCase(22, .unsigned(576), "02 40"),
    OptionCase(23, .unsigned(64), "40"),
    OptionCase(24, .unsigned(600), "00 00 02 58"),
    OptionCase(25, .list([.unsigned(68), .unsigned(296), .unsigned(1500)]), "00 44 01 28 05 dc"),
    OptionCase(26, .unsigned(1500), "05 dc"),
    OptionCase(27, yes, "01"),
    OptionCase(28, .ipv4(ip("192.168.1.255")), "c0 a8 01 ff"),
    OptionCase(29, no, "00"),
    OptionCase(30, yes, "01"),
    OptionCase(31, yes, "01"),
    OptionCase(32, .ipv4(ip("224.0.0.2")), "e0 00 00 02"),
    OptionCase(33, .list([pair("10.1.0.0", "192.168.1.1")]), "0a 01 00 00 c0 a8 01 01"),
    OptionCase(34, no, "00"),
    OptionCase(35, .unsigned(60), "00 00 00 3c"),
    OptionCase(36, yes, "01"),
    OptionCase(37, .unsigned(64), "40"),
    OptionCase(38, .unsigned(7200), "00 00 1c 20"),
    OptionCase(39, no, "00"),
    OptionCase(40, .text("nis"), "6e 69 73"),
    OptionCase(41, list("10.0.0.41"), "0a 00 00 29"),
    OptionCase(42, list("10.0.0.42", "10.0.0.43"), "0a 00 00 2a 0a 00 00 2b"),
    // RFC 2132 §8.4: encapsulated vendor options as code/length/data (PXE discovery control 6 = 8, a boot item 71).
    OptionCase(43, .list([
        .record([DHCPOptionField("code", .unsigned(6)), DHCPOptionField("data", .bytes([0x08]))]),
        .record([DHCPOptionField("code", .unsigned(71)), DHCPOptionField("data", .bytes([0x80, 0x00, 0x00, 0x00]))]),
    ]), "06 01 08 47 04 80 00 00 00", "encapsulated items"),
    OptionCase(43, .bytes([0x01, 0x09, 0x02]), "01 09 02", "opaque vendor bytes"),
    OptionCase(44, list("10.0.0.44"), "0a 00 00 2c"),
    OptionCase(45, list("10.0.0.45"), "0a 00 00 2d"),
    OptionCase(46, .named(code: 8, name: "H-node"), "08"),
    OptionCase(47, .text("scope"), "73 63 6f 70 65"),
    OptionCase(48, list("10.0.0.48"), "0a 00 00 30"),
    OptionCase(49, list("10.0.0.49"), "0a 00 00 31"),
    OptionCase(50, .ipv4(ip("192.168.1.100")), "c0 a8 01 64"),
    OptionCase(51, .unsigned(86400), "00 01 51 80"),
    OptionCase(52, .named(code: 3, name: "file+sname"), "03"),
    OptionCase(53, .named(code: 1, name: "DISCOVER"), "01"),
    OptionCase(54, .ipv4(ip("192.168.1.1")), "c0 a8 01 01"),
    OptionCase(55, .list([1, 3, 6, 15, 119, 252].map { .unsigned($0) }), "01 03 06 0f 77 fc"),
    OptionCase(56, .text("no lease"), "6e 6f 20 6c 65 61 73 65"),
    OptionCase(57, .unsigned(1500), "05 dc"),
    OptionCase(58, .unsigned(43200), "00 00 a8 c0"),
    OptionCase(59, .unsigned(75600), "00 01 27 50"),
    OptionCase(60, .text("MSFT 5.0"), "4d 53 46 54 20 35 2e 30"),
    OptionCase(61, .record([DHCPOptionField("type", .unsigned(1)), DHCPOptionField("mac", .text("00:11:22:33:44:55"))]),
               "01 00 11 22 33 44 55", "htype 1 + MAC"),
    OptionCase(64, .text("nisplus"), "6e 69 73 70 6c 75 73"),
    OptionCase(65, list("10.0.0.65"), "0a 00 00 41"),
    OptionCase(66, .text("tftp.example"), "74 66 74 70 2e 65 78 61 6d 70 6c 65"),
    OptionCase(67, .text("pxelinux.0"), "70 78 65 6c 69 6e 75 78 2e 30"),
    OptionCase(68, list("10.0.0.68"), "0a 00 00 44"),
    OptionCase(69, list("10.0.0.69"), "0a 00 00 45"),
    OptionCase(70, list("10.0.0.70"), "0a 00 00 46"),
    OptionCase(71, list("10.0.0.71"), "0a 00 00 47"),
    OptionCase(72, list("10.0.0.72"), "0a 00 00 48"),
    OptionCase(73, list("10.0.0.73"), "0a 00 00 49"),
    OptionCase(74, list("10.0.0.74"), "0a 00 00 4a"),
    OptionCase(75, list("10.0.0.75"), "0a 00 00 4b"),
    OptionCase(76, list("10.0.0.76"), "0a 00 00 4c"),
]

/// The options past RFC 2132 that the product promises typed values for, plus one representative of
/// every remaining shape (flag, status code, SIP servers).
let extendedCases: [OptionCase] = [
    // RFC 2132 §9.6 with RFC 4388 §6.1 leasequery message types.
    OptionCase(53, .named(code: 5, name: "ACK"), "05", "ACK"),
    OptionCase(53, .named(code: 10, name: "LEASEQUERY"), "0a", "RFC 4388 LEASEQUERY"),
    OptionCase(53, .named(code: 11, name: "LEASEUNASSIGNED"), "0b", "RFC 4388 LEASEUNASSIGNED"),
    OptionCase(53, .named(code: 12, name: "LEASEUNKNOWN"), "0c", "RFC 4388 LEASEUNKNOWN"),
    OptionCase(53, .named(code: 13, name: "LEASEACTIVE"), "0d", "RFC 4388 LEASEACTIVE"),
    OptionCase(53, .named(code: 200, name: nil), "c8", "unnamed type"),
    OptionCase(61, .record([DHCPOptionField("type", .unsigned(255)), DHCPOptionField("iaid", .unsigned(0x0102_0304)),
                            DHCPOptionField("duid", .bytes(hex("00 03 00 01 00 11 22 33 44 55")))]),
               "ff 01 02 03 04 00 03 00 01 00 11 22 33 44 55", "RFC 4361 IAID + DUID"),
    OptionCase(61, .record([DHCPOptionField("type", .unsigned(0)), DHCPOptionField("id", .bytes(bytes(of: "client-7")))]),
               "00 63 6c 69 65 6e 74 2d 37", "type 0 opaque"),
    // RFC 3004 user class: length-prefixed classes; a Microsoft bare string stays text.
    OptionCase(77, .list([.text("abc"), .text("de")]), "03 61 62 63 02 64 65", "RFC 3004 list"),
    OptionCase(77, .text("MSFT"), "4d 53 46 54", "bare string"),
    // RFC 4039 rapid commit: the flag shape.
    OptionCase(80, yes, "", "rapid commit"),
    // RFC 4702 client FQDN: flags, rcode1, rcode2, name (wire format when E is set).
    OptionCase(81, .record([DHCPOptionField("flags", .unsigned(0x05)), DHCPOptionField("rcode1", .unsigned(0)),
                            DHCPOptionField("rcode2", .unsigned(0)), DHCPOptionField("name", .text("host.example.com"))]),
               "05 00 00 04 68 6f 73 74 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00", "E bit, wire name"),
    OptionCase(81, .record([DHCPOptionField("flags", .unsigned(0x01)), DHCPOptionField("rcode1", .unsigned(0)),
                            DHCPOptionField("rcode2", .unsigned(255)), DHCPOptionField("name", .text("host"))]),
               "01 00 ff 68 6f 73 74", "ASCII name"),
    // RFC 3046 relay agent information with suboptions 1, 2 (RFC 3046), 5 (RFC 3527), 9 (RFC 4243),
    // 11 (RFC 5107), 151, 152 (RFC 6607).
    OptionCase(82, .record([
        DHCPOptionField("circuit_id", .text("eth0/1")),
        DHCPOptionField("remote_id", .bytes(hex("00 11 22 33 44 55"))),
        DHCPOptionField("link_selection", .ipv4(ip("10.1.2.0"))),
        // RFC 4243: enterprise 3561 (Broadband Forum), data length, then code/length/data items (TR-101 0x81).
        DHCPOptionField("vendor_specific", .list([.record([
            DHCPOptionField("enterprise", .unsigned(3561)),
            DHCPOptionField("suboptions", .list([.record([DHCPOptionField("code", .unsigned(0x81)),
                                                          DHCPOptionField("data", .bytes(hex("00 00 03 e8")))])])),
        ])])),
        DHCPOptionField("server_id_override", .ipv4(ip("10.0.0.1"))),
        DHCPOptionField("vss", .record([DHCPOptionField("type", .unsigned(0)), DHCPOptionField("id", .bytes(bytes(of: "vpn")))])),
        DHCPOptionField("vss_control", yes),
    ]), """
        01 06 65 74 68 30 2f 31
        02 06 00 11 22 33 44 55
        05 04 0a 01 02 00
        09 0b 00 00 0d e9 06 81 04 00 00 03 e8
        0b 04 0a 00 00 01
        97 04 00 76 70 6e
        98 00
        """, "suboptions 1 2 5 9 11 151 152"),
    OptionCase(82, .record([DHCPOptionField("suboption_200", .bytes(hex("01 02")))]), "c8 02 01 02", "unknown suboption"),
    // RFC 4388 leasequery options.
    OptionCase(91, .unsigned(3600), "00 00 0e 10", "client-last-transaction-time"),
    OptionCase(92, list("192.168.1.10", "192.168.1.11"), "c0 a8 01 0a c0 a8 01 0b", "associated-ip"),
    // RFC 4578 PXE.
    OptionCase(93, .list([.unsigned(7)]), "00 07", "x64 UEFI"),
    OptionCase(93, .list([.unsigned(0), .unsigned(9)]), "00 00 00 09", "two architectures"),
    OptionCase(94, .record([DHCPOptionField("type", .unsigned(1)), DHCPOptionField("major", .unsigned(2)),
                            DHCPOptionField("minor", .unsigned(1))]), "01 02 01", "UNDI 2.1"),
    OptionCase(97, .record([DHCPOptionField("type", .unsigned(0)),
                            DHCPOptionField("id", .bytes(hex("00112233445566778899aabbccddeeff")))]),
               "00 00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff", "GUID"),
    // RFC 2563, RFC 3011.
    OptionCase(116, .named(code: 1, name: "auto-configure"), "01"),
    OptionCase(116, .named(code: 0, name: "do-not-auto-configure"), "00"),
    OptionCase(118, .ipv4(ip("10.0.0.0")), "0a 00 00 00"),
    // RFC 3397 §2's own example: the second name ends with a pointer to "apple.com" at byte 4.
    OptionCase(119, .list([.text("eng.apple.com"), .text("marketing.apple.com")]),
               "03 65 6e 67 05 61 70 70 6c 65 03 63 6f 6d 00 09 6d 61 72 6b 65 74 69 6e 67 c0 04",
               "RFC 3397 example, compressed"),
    // A pointer to a whole earlier name and one to the middle of it.
    OptionCase(119, .list([.text("example.com"), .text("www.example.com"), .text("com")]),
               "07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 03 77 77 77 c0 00 c0 08", "pointers to start and middle"),
    OptionCase(120, .record([DHCPOptionField("names", .list([.text("sip.example.com")]))]),
               "00 03 73 69 70 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00", "RFC 3361 names"),
    OptionCase(120, .record([DHCPOptionField("addresses", list("10.0.0.1"))]), "01 0a 00 00 01", "RFC 3361 addresses"),
    // RFC 3442: width, significant octets, router.
    OptionCase(121, .list([route("0.0.0.0", 0, "10.0.0.1"), route("10.0.0.0", 8, "10.0.0.2"),
                           route("192.168.5.0", 24, "10.0.0.3"), route("10.9.8.7", 32, "10.0.0.4")]),
               "00 0a 00 00 01  08 0a 0a 00 00 02  18 c0 a8 05 0a 00 00 03  20 0a 09 08 07 0a 00 00 04",
               "widths 0 8 24 32"),
    OptionCase(121, .list([route("172.16.0.0", 12, "10.0.0.1")]), "0c ac 10 0a 00 00 01", "width 12"),
    // RFC 3925: enterprise number, data length, then data items (124) or suboptions (125).
    OptionCase(124, .list([.record([DHCPOptionField("enterprise", .unsigned(4491)),
                                    DHCPOptionField("data", .list([.text("docsis3.0")]))])]),
               "00 00 11 8b 0a 09 64 6f 63 73 69 73 33 2e 30"),
    OptionCase(125, .list([.record([DHCPOptionField("enterprise", .unsigned(3561)),
                                    DHCPOptionField("suboptions", .list([
                                        .record([DHCPOptionField("code", .unsigned(1)), DHCPOptionField("data", .text("ABC"))]),
                                        .record([DHCPOptionField("code", .unsigned(2)), DHCPOptionField("data", .bytes([0, 1]))]),
                                    ]))])]),
               "00 00 0d e9 09 01 03 41 42 43 02 02 00 01"),
    // RFC 5859, RFC 6926, draft WPAD.
    OptionCase(150, list("192.168.0.10"), "c0 a8 00 0a"),
    OptionCase(151, .record([DHCPOptionField("code", .unsigned(0)), DHCPOptionField("message", .text("ok"))]),
               "00 6f 6b", "status code"),
    OptionCase(152, .unsigned(1_700_000_000), "65 53 f1 00", "base time"),
    OptionCase(252, .text("http://wpad/wpad.dat"), "68 74 74 70 3a 2f 2f 77 70 61 64 2f 77 70 61 64 2e 64 61 74"),
]

@Suite("Option values ⇄ wire bytes")
struct OptionCodecTests {
    @Test("RFC 2132 options encode to the RFC bytes and decode back", arguments: rfc2132Cases)
    func rfc2132(_ c: OptionCase) throws {
        try check(c)
    }

    @Test("Extended options encode to the RFC bytes and decode back", arguments: extendedCases)
    func extended(_ c: OptionCase) throws {
        try check(c)
    }

    func check(_ c: OptionCase) throws {
        let expected = hex(c.wire)
        let option = try #require(DHCPOption(DHCPOptionCode(c.code), value: c.value), "value does not fit the shape")
        #expect(option.data == expected)
        #expect(try option.value() == c.value)
        #expect(try DHCPOption(DHCPOptionCode(c.code), expected).value() == c.value)
    }

    @Test("RFC 2132 cases cover every option 1–76 except RFC 2242's 62 and 63")
    func coverage() {
        let covered = Set(rfc2132Cases.map(\.code))
        #expect(covered == Set((1...76).map(UInt8.init)).subtracting([62, 63]))
    }

    @Test("A code the table does not know has no typed value")
    func unknownCode() throws {
        #expect(try DHCPOption(DHCPOptionCode(222), [1, 2, 3]).value() == nil)
        #expect(DHCPOption(DHCPOptionCode(222), value: .bytes([1])) == nil)
        #expect(DHCPOptionCode(222).name == "option-222")
        #expect(DHCPOptionCode(53).name == "dhcp-message-type")
    }

    @Test("A value of the wrong shape does not encode")
    func wrongShape() {
        #expect(DHCPOption(.subnetMask, value: .text("255.255.255.0")) == nil)
        #expect(DHCPOption(DHCPOptionCode(23), value: .unsigned(256)) == nil)
        #expect(DHCPOption(DHCPOptionCode(13), value: .unsigned(65536)) == nil)
        #expect(DHCPOption(.timeOffset, value: .signed(Int64(Int32.max) + 1)) == nil)
        #expect(DHCPOption(.classlessStaticRoutes, value: .list([route("10.0.0.0", 33, "10.0.0.1")])) == nil)
        #expect(DHCPOption(.domainSearch, value: .list([.text(String(repeating: "x", count: 64) + ".com")])) == nil)
        #expect(DHCPOption(DHCPOptionCode(80), value: .bool(false)) == nil)
    }

    @Test("Our option 119 encoder compresses repeated suffixes")
    func domainSearchCompression() throws {
        let names: [DHCPOptionValue] = [.text("a.example.org"), .text("b.example.org"), .text("example.org"), .text("c.b.example.org")]
        let option = try #require(DHCPOption(.domainSearch, value: .list(names)))
        // a.example.org in full (15 bytes), then 01 62 c0 02 (b + pointer to example.org at byte 2),
        // c0 02 (example.org), 01 63 c0 0f (c + pointer to b.example.org at byte 15).
        #expect(option.data == hex("01 61 07 65 78 61 6d 70 6c 65 03 6f 72 67 00  01 62 c0 02  c0 02  01 63 c0 0f"))
        #expect(try option.value() == .list(names))
    }

    @Test("An RFC 3396 long option 119 decodes across the split")
    func longDomainSearch() throws {
        let names = (0..<40).map { DHCPOptionValue.text("host\($0).zone\($0 % 3).example.net") }
        let option = try #require(DHCPOption(.domainSearch, value: .list(names)))
        #expect(option.data.count > 255)
        let message = DHCPMessage(op: 2, xid: 1, chaddr: [1, 2, 3, 4, 5, 6], options: [option])
        let parsed = try #require(DHCPMessage.parse(message.serialize()).message)
        #expect(parsed.optionInstances.count > 1)
        #expect(parsed.value(.domainSearch) == .list(names))
    }

    @Test("Client FQDN: a partial wire name (no root label) decodes")
    func partialFQDN() throws {
        let option = DHCPOption(.clientFQDN, hex("04 00 00 04 68 6f 73 74"))
        #expect(try option.value()?[field: "name"] == .text("host"))
    }

    @Test("Message type names parse in any case, with or without the DHCP prefix")
    func messageTypeNames() {
        #expect(DHCPMessageType(name: "dhcpdiscover") == .discover)
        #expect(DHCPMessageType(name: "LeaseActive") == .leaseActive)
        #expect(DHCPMessageType(name: "13") == .leaseActive)
        #expect(DHCPMessageType(name: "bogus") == nil)
        #expect(DHCPMessageType.leaseUnassigned.description == "LEASEUNASSIGNED")
        #expect(DHCPMessageType(rawValue: 99).description == "99")
    }
}
