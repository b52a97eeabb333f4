import DHCPv6Core
import NetworkPrimitives
import Testing

/// DHCPv6's own option table and the typed values it drives.
@Suite("DHCPv6 option table and values")
struct OptionTableTests {
    @Test("One table per family: code 82 is SOL_MAX_RT here; codes are unique; unknown codes get a name")
    func table() {
        #expect(DHCPv6OptionTable.name(82) == "sol-max-rt")
        #expect(DHCPv6OptionTable.name(3) == "ia-na" && DHCPv6OptionTable.name(25) == "ia-pd")
        #expect(DHCPv6OptionTable.name(65000) == "option-65000")
        let codes = DHCPv6OptionTable.definitions.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(DHCPv6OptionValue(DHCPv6Option(82, [0, 0, 0x0e, 0x10])) == .number(3600))
    }

    @Test("DUIDs: LLT, EN, LL, UUID, other types kept as bytes, and those too short for their type")
    func duids() throws {
        let llt = try #require(DHCPv6DUID([0, 1, 0, 1, 0x1e, 0x62, 0x77, 0x0b, 0xb8, 0x27, 0xeb, 0xb8, 0x53, 0xc8]))
        #expect(llt.typeName == "LLT" && llt.hardwareType == 1 && llt.time == 0x1e62_770b)
        #expect(llt.mac?.description == "b8:27:eb:b8:53:c8")
        let en = try #require(DHCPv6DUID([0, 2, 0, 0, 0x75, 0x71, 1, 2, 3]))
        #expect(en.typeName == "EN" && en.enterprise == 30065 && en.identifier == [1, 2, 3] && en.mac == nil)
        let ll = try #require(DHCPv6DUID([0, 3, 0, 1, 0, 1, 2, 3, 4, 5]))
        #expect(ll.typeName == "LL" && ll.mac?.description == "00:01:02:03:04:05")
        let uuid = try #require(DHCPv6DUID([0, 4] + [UInt8](repeating: 0xa5, count: 16)))
        #expect(uuid.typeName == "UUID" && uuid.uuid?.count == 16)
        #expect(DHCPv6DUID([0, 9, 1, 2])?.typeName == "9")
        #expect(DHCPv6DUID([0, 1, 0, 1, 0]) == nil)
        #expect(DHCPv6DUID([0, 4, 1, 2, 3]) == nil)
        #expect(DHCPv6DUID([0]) == nil)
    }

    @Test("Values by shape, and data that does not fit its shape read as nothing", arguments: [
        (DHCPv6Option(6, [0, 23, 0, 24]), DHCPv6OptionValue.optionCodes([23, 24])),
        (DHCPv6Option(7, [255]), .number(255)),
        (DHCPv6Option(8, [0x01, 0x2c]), .elapsedTime(300)),
        (DHCPv6Option(13, [0, 2] + Array("none".utf8)), .status(code: 2, message: "none")),
        (DHCPv6Option(14, []), .empty),
        (DHCPv6Option(16, [0, 0, 0x75, 0x71, 0, 2, 0x61, 0x62, 0, 0]), .vendorClass(enterprise: 30065, items: [[0x61, 0x62], []])),
        (DHCPv6Option(17, [0, 0, 0x75, 0x71, 0, 1, 0, 1, 9]),
         .vendorOptions(enterprise: 30065, options: [DHCPv6Option(1, [9])])),
        (DHCPv6Option(15, [0, 1, 0x41, 0, 2, 0x42, 0x43]), .opaqueList([[0x41], [0x42, 0x43]])),
        (DHCPv6Option(37, [0, 0, 0x0d, 0xe9, 0xab, 0xcd]), .enterprise(number: 3561, data: [0xab, 0xcd])),
        (DHCPv6Option(60, [0, 1, 0x41]), .textList(["A"])),
        (DHCPv6Option(61, [0, 7, 0, 16]), .numbers([7, 16])),
        (DHCPv6Option(79, [0, 1, 2, 0, 0, 0, 0, 9]),
         .linkLayerAddress(hardwareType: 1, address: [2, 0, 0, 0, 0, 9])),
        (DHCPv6Option(67, [64, 0x80]), .pdExclude(length: 64, subnetID: [0x80])),
        (DHCPv6Option(11, [3, 1, 0] + [0, 0, 0, 0, 0, 0, 1, 2] + [0xAA]),
         .authentication(protocol: 3, algorithm: 1, rdm: 0, replayDetection: 0x102, information: [0xAA])),
        (DHCPv6Option(56, [0, 3, 0, 5, 3, 0x6e, 0x74, 0x70, 0, 0, 9, 0, 1, 7]),
         .ntpServers([.fqdn("ntp"), .other(DHCPv6Option(9, [7]))])),
        (DHCPv6Option(3, [0, 0, 0, 7, 0, 0, 0, 100, 0, 0, 0, 160]), .identityAssociation(iaid: 7, t1: 100, t2: 160)),
        (DHCPv6Option(4, [0, 0, 0, 7]), .temporaryAssociation(iaid: 7)),
    ])
    func values(option: DHCPv6Option, expected: DHCPv6OptionValue) {
        #expect(DHCPv6OptionValue(option) == expected)
    }

    @Test("Addresses and prefixes")
    func addressesAndPrefixes() throws {
        let address = try #require(IPv6Address("2001:db8::5"))
        let iaaddr = DHCPv6Option(5, fields: address.bytes + [0, 0, 0, 60, 0, 0, 0, 90], options: [])
        #expect(DHCPv6OptionValue(iaaddr) == .address(address, preferredLifetime: 60, validLifetime: 90))
        let prefix = try #require(IPv6Address("2001:db8:1::"))
        let iaprefix = DHCPv6Option(26, fields: [0, 0, 0, 60, 0, 0, 0, 90, 56] + prefix.bytes, options: [])
        #expect(DHCPv6OptionValue(iaprefix) == .prefix(prefix, length: 56, preferredLifetime: 60, validLifetime: 90))
        #expect(DHCPv6OptionValue(DHCPv6Option(23, address.bytes + prefix.bytes)) == .addresses([address, prefix]))
    }

    @Test("Data that does not fit its shape", arguments: [
        DHCPv6Option(6, [0, 23, 0]), DHCPv6Option(7, [1, 2]), DHCPv6Option(8, [1]), DHCPv6Option(13, [0]),
        DHCPv6Option(14, [0]), DHCPv6Option(23, [UInt8](repeating: 0, count: 17)), DHCPv6Option(3, [0, 0, 0, 1]),
        DHCPv6Option(26, [UInt8](repeating: 0, count: 24)), DHCPv6Option(1, [0, 1, 0]),
        DHCPv6Option(37, [0, 0, 1]), DHCPv6Option(16, [0, 0, 1]), DHCPv6Option(16, [0, 0, 0, 1, 0, 3, 0x61]), DHCPv6Option(15, [0]),
        DHCPv6Option(17, [0, 0, 0, 1, 0, 1, 0, 9]), DHCPv6Option(61, [0]), DHCPv6Option(61, []),
        DHCPv6Option(79, [1]), DHCPv6Option(67, [0]), DHCPv6Option(67, [129]), DHCPv6Option(11, [3, 1, 0, 0]),
        DHCPv6Option(56, [0, 1, 0, 16, 0]),
    ])
    func misfits(option: DHCPv6Option) {
        #expect(DHCPv6OptionValue(option) == nil)
    }

    @Test("DNS names: a search list, one name, a partial client FQDN, and names that do not decode")
    func names() {
        let list: [UInt8] = [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0] + [3] + Array("lab".utf8) + [0]
        #expect(DHCPv6OptionValue(DHCPv6Option(24, list)) == .names(["example.com", "lab"]))
        #expect(DHCPv6OptionValue(DHCPv6Option(64, [4] + Array("aftr".utf8) + [0])) == .names(["aftr"]))
        #expect(DHCPv6OptionValue(DHCPv6Option(39, [1, 4] + Array("host".utf8))) == .fqdn(flags: 1, name: "host"))
        #expect(DHCPv6OptionValue(DHCPv6Option(24, [9, 1, 2])) == nil)
        #expect(DHCPv6OptionValue(DHCPv6Option(64, [1, 0x61, 0, 0])) == nil)
        #expect(DHCPv6OptionValue(DHCPv6Option(39, [])) == nil)
    }

    @Test("Status code names, RFC 8415 §21.13 and the registry")
    func statusNames() {
        #expect(DHCPv6OptionValue.statusName(2) == "NoAddrsAvail")
        #expect(DHCPv6OptionValue.statusName(6) == "NoPrefixAvail")
        #expect(DHCPv6OptionValue.statusName(999) == "999")
    }
}
