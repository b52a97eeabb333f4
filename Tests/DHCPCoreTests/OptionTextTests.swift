import DHCPCore
import Testing

/// Every option of the table has a text form that round-trips: bytes → value → text → value → bytes.
@Suite("Option text forms")
struct OptionTextTests {
    /// Sample bytes for a shape, so that every table entry is exercised.
    static func samples(_ shape: DHCPOptionShape) -> [[UInt8]] {
        switch shape {
        case .ipv4: [[198, 18, 0, 1]]
        case .ipv4List: [[198, 18, 0, 1], [198, 18, 0, 1, 198, 18, 0, 2]]
        case .ipv4Pairs: [[10, 0, 0, 0, 255, 0, 0, 0, 198, 18, 0, 0, 198, 18, 0, 1]]
        case .uint8: [[0], [255]]
        case .uint16: [[0x05, 0xDC]]
        case .uint32: [[0, 0, 0x0E, 0x10], [0xFF, 0xFF, 0xFF, 0xFF]]
        case .int32: [[0xFF, 0xFF, 0xF1, 0xF0], [0, 0, 0x0E, 0x10]]
        case .uint16List: [[0, 1, 0, 7]]
        case .bool: [[0], [1]]
        case .flag: [[]]
        case .text: [Array("lab.example".utf8), Array("say \"hi\"\\ now".utf8), [0x61, 0x09, 0x7F, 0x62], Array("été".utf8)]
        case .bytes: [[0x01, 0xAB, 0xFF], []]
        case .named(let names): names.keys.sorted().prefix(2).map { [UInt8($0)] } + [[0xEE]]
        case .optionCodes: [[1, 3, 6, 15, 119, 252]]
        case .clientIdentifier: [[1, 6, 0, 0, 0, 0, 1], [255, 0, 0, 0, 1, 0, 3, 0, 1, 6, 0, 0, 0, 0, 1], [0] + Array("host-7".utf8)]
        case .relayAgentInformation:
            [[1, 2, 0x76, 0x42, 2, 6] + Array("lab-59".utf8) + [5, 4, 198, 18, 1, 0, 11, 4, 198, 18, 0, 1],
             [1, 3, 0, 1, 2, 9, 9, 0, 0, 0x0D, 0xE9, 4, 1, 2, 0xAB, 0xCD, 151, 3, 1, 0x41, 0x42, 152, 0, 200, 2, 1, 2]]
        case .domainList: [[3] + Array("lab".utf8) + [7] + Array("example".utf8) + [0, 1, 0x62, 0xC0, 0]]
        case .classlessRoutes: [[24, 198, 18, 1, 198, 18, 0, 1, 0, 198, 18, 0, 254, 32, 198, 18, 2, 3, 198, 18, 0, 1]]
        case .clientFQDN: [[5, 0, 0, 4] + Array("host".utf8) + [3] + Array("lab".utf8) + [0], [0, 255, 255] + Array("host lab".utf8)]
        case .userClass: [[3] + Array("abc".utf8) + [2, 0x01, 0x02], Array("MSFT 5.0".utf8)]
        case .vendorIdentifyingClass: [[0, 0, 0x0D, 0xE9, 8, 3] + Array("abc".utf8) + [3, 1, 2, 3]]
        case .vendorIdentifyingOptions: [[0, 0, 0x0D, 0xE9, 9, 1, 3] + Array("abc".utf8) + [2, 2, 0x01, 0x02]]
        case .networkInterfaceIdentifier: [[1, 2, 1]]
        case .machineIdentifier: [[0, 1, 2, 3, 4]]
        case .statusCode: [[0] + Array("all \"good\"".utf8), [1]]
        case .sipServers: [[0, 3] + Array("sip".utf8) + [7] + Array("example".utf8) + [0], [1, 198, 18, 0, 5]]
        case .vendorEncapsulated: [[1, 2, 0xAA, 0xBB, 2, 0], [0xFF, 0x10]]
        case .structure(let fields):
            [fields.flatMap { field -> [UInt8] in
                switch field.kind {
                case .uint8: [7]
                case .uint16: [1, 2]
                case .uint32: [0, 0, 1, 0]
                case .uint64: [0, 0, 0, 0, 0, 0, 0, 9]
                case .flag: [1]
                case .restBytes: [0xAB, 0xCD]
                case .restText: Array("scope-a,scope-b".utf8)
                case .restAddresses: [198, 18, 0, 1, 198, 18, 0, 2]
                }
            }]
        }
    }

    /// The options that were raw bytes now have typed values: checked as decoded, not by the shape the table declares.
    @Test func formerlyOpaqueOptionsDecodeToTypedValues() throws {
        func decoded(_ code: UInt8, _ bytes: [UInt8]) throws -> DHCPOptionValue? {
            try DHCPOption(DHCPOptionCode(code), bytes).value()
        }
        // 63, NetWare/IP suboptions (RFC 2242 §2): code, length, data.
        #expect(try decoded(63, [5, 1, 1, 8, 4, 198, 18, 0, 7]) == .list([
            .record([DHCPOptionField("code", .unsigned(5)), DHCPOptionField("data", .bytes([1]))]),
            .record([DHCPOptionField("code", .unsigned(8)), DHCPOptionField("data", .bytes([198, 18, 0, 7]))])]))
        // 78, SLP directory agents (RFC 2610 §3): mandatory byte, addresses.
        #expect(try decoded(78, [1, 198, 18, 0, 7]) == .record([
            DHCPOptionField("mandatory", .bool(true)), DHCPOptionField("agents", .list([.ipv4(IPv4Address(198, 18, 0, 7))]))]))
        // 79, SLP scopes (RFC 2610 §4): mandatory byte, the scope list as text.
        #expect(try decoded(79, [0] + Array("lab,test".utf8)) == .record([
            DHCPOptionField("mandatory", .bool(false)), DHCPOptionField("scopes", .text("lab,test"))]))
        // 90, authentication (RFC 3118 §2): protocol, algorithm, RDM, 8-byte replay detection, information.
        #expect(try decoded(90, [1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x2C, 0xAA, 0xBB]) == .record([
            DHCPOptionField("protocol", .unsigned(1)), DHCPOptionField("algorithm", .unsigned(1)), DHCPOptionField("rdm", .unsigned(0)),
            DHCPOptionField("replay_detection", .unsigned(300)), DHCPOptionField("information", .bytes([0xAA, 0xBB]))]))
        // 159, port parameters (RFC 7618 §4): offset, PSID length, PSID.
        #expect(try decoded(159, [6, 8, 0x12, 0x34]) == .record([
            DHCPOptionField("offset", .unsigned(6)), DHCPOptionField("psid_length", .unsigned(8)), DHCPOptionField("psid", .unsigned(0x1234))]))
        // Malformed: a reason, not a guess.
        #expect(throws: DHCPValueError.self) { try decoded(159, [6, 8, 0x12]) }
        #expect(throws: DHCPValueError.self) { try decoded(78, [2, 198, 18, 0, 7]) }
    }

    @Test("parse(render(value)) == value and the bytes come back, for every table entry",
          arguments: DHCPOptionTable.definitions.map(\.code.rawValue))
    func roundTrip(code: UInt8) throws {
        let definition = try #require(DHCPOptionTable.definition(for: DHCPOptionCode(code)))
        for bytes in Self.samples(definition.shape) {
            let value = try definition.shape.decode(bytes)
            let text = definition.text(value)
            let parsed = try definition.value(fromText: text)
            #expect(parsed == value, "\(definition.name) \(bytes): \(value) → \(text) → \(parsed)")
            #expect(definition.shape.encode(parsed) == bytes, "\(definition.name): \(text) encodes to \(definition.shape.encode(parsed) ?? [])")
            #expect(definition.text(parsed) == text)
        }
    }

    @Test("The forms people write: values as the table decodes them")
    func writtenForms() throws {
        func value(_ code: DHCPOptionCode, _ text: String) throws -> DHCPOptionValue {
            try #require(DHCPOptionTable.definition(for: code)).value(fromText: text)
        }
        #expect(try value(.routers, "198.18.0.1, 198.18.0.2") == .list([.ipv4(IPv4Address(198, 18, 0, 1)), .ipv4(IPv4Address(198, 18, 0, 2))]))
        #expect(try value(.routers, "198.18.0.1 198.18.0.2") == value(.routers, "198.18.0.1,198.18.0.2"))
        #expect(try value(.domainName, "lab example") == .text("lab example"))
        #expect(try value(.domainName, "\"lab\\x09\"") == .text("lab\t"))
        #expect(try value(.messageType, "ACK") == .named(code: 5, name: "ACK"))
        #expect(try value(.messageType, "5") == value(.messageType, "ACK (5)"))
        #expect(try value(.parameterRequestList, "routers, 6 domain-name") == .list([.unsigned(3), .unsigned(6), .unsigned(15)]))
        #expect(try value(DHCPOptionCode(33), "10.1.0.0 10.0.0.1") == .list([.record([
            DHCPOptionField("address", .ipv4(IPv4Address(10, 1, 0, 0))), DHCPOptionField("mask_or_router", .ipv4(IPv4Address(10, 0, 0, 1)))])]))
        #expect(try value(.classlessStaticRoutes, "198.18.1.0/24 198.18.0.1") == .list([.record([
            DHCPOptionField("destination", .prefix(IPv4Address(198, 18, 1, 0), 24)), DHCPOptionField("router", .ipv4(IPv4Address(198, 18, 0, 1)))])]))
        #expect(try value(DHCPOptionCode(80), "") == .bool(true))
        #expect(try value(.clientFQDN, "{flags=5 rcode1=0 rcode2=0 name=\"h.lab\"}")[field: "name"] == .text("h.lab"))
        #expect(throws: DHCPValueError.self) { try value(.subnetMask, "198.18.0") }
        #expect(throws: DHCPValueError.self) { try value(DHCPOptionCode(26), "70000") }
        #expect(throws: DHCPValueError.self) { try value(.classlessStaticRoutes, "198.18.1.1/24 198.18.0.1") }
        #expect(throws: DHCPValueError.self) { try value(.clientFQDN, "{flags=5 color=red}") }
        #expect(throws: DHCPValueError.self) { try value(.domainName, "\"unterminated") }
    }
}
