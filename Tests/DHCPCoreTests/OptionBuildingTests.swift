import DHCPCore
import Testing

/// The options the roles build go through the option table: each decodes back to the value it was built from, with
/// the bytes RFC 2132 gives.
@Suite("Options the roles build, through the table")
struct OptionBuildingTests {
    let address = IPv4Address(198, 18, 0, 1)

    @Test func addresses() throws {
        for code in [DHCPOptionCode.subnetMask, .broadcastAddress, .requestedAddress, .serverIdentifier] {
            let option = DHCPOption(code, address: address)
            #expect(option.data == [198, 18, 0, 1])
            #expect(try option.value() == .ipv4(address))
        }
        for code in [DHCPOptionCode.routers, .domainNameServers, .ntpServers, .tftpServerAddresses] {
            let option = DHCPOption(code, addresses: [address, IPv4Address(198, 18, 0, 2)])
            #expect(option.data == [198, 18, 0, 1, 198, 18, 0, 2])
            #expect(try option.value() == .list([.ipv4(address), .ipv4(IPv4Address(198, 18, 0, 2))]))
        }
    }

    @Test func numbersAndText() throws {
        for code in [DHCPOptionCode.leaseTime, .renewalTime, .rebindingTime] {
            let option = DHCPOption(code, uint32: 3600)
            #expect(option.data == [0, 0, 0x0E, 0x10])
            #expect(try option.value() == .unsigned(3600))
        }
        #expect(DHCPOption(.maximumMessageSize, uint16: 1500).data == [0x05, 0xDC])
        for code in [DHCPOptionCode.hostName, .domainName, .message, .vendorClassIdentifier, .tftpServerName, .bootfileName] {
            let option = DHCPOption(code, text: "lab.example")
            #expect(option.data == Array("lab.example".utf8))
            #expect(try option.value() == .text("lab.example"))
        }
    }

    @Test func messageTypeRequestListOverloadIdentifierFQDN() throws {
        #expect(DHCPOption(messageType: .request).data == [3])
        #expect(try DHCPOption(messageType: .request).value() == .named(code: 3, name: "REQUEST"))
        #expect(DHCPOption(parameterRequestList: [1, 3, 6]).data == [1, 3, 6])
        #expect(DHCPOption(optionOverload: 3).data == [3])
        let id = try #require(DHCPOption(clientIdentifier: [1, 6, 0, 0, 0, 0, 1]))
        #expect(id.data == [1, 6, 0, 0, 0, 0, 1])
        #expect(try id.value() == .record([DHCPOptionField("type", .unsigned(1)), DHCPOptionField("mac", .text("06:00:00:00:00:01"))]))
        #expect(DHCPOption(clientIdentifier: []) == nil)
        let fqdn = try #require(DHCPOption.clientFQDN("host.lab.example"))
        #expect(fqdn.data == [5, 0, 0, 4] + Array("host".utf8) + [3] + Array("lab".utf8) + [7] + Array("example".utf8) + [0])
        #expect(DHCPOption.clientFQDN("bad..name") == nil)
    }
}
