import DHCPCore
import DHCPProtocol
import Testing

@Suite("Reservations from ISC dhcpd's LDAP schema (pure)")
struct DHCPLDAPHostsTests {
    typealias Entry = DHCPLDAPHosts.Entry

    @Test func hostEntriesBecomeReservationsWithTheirOptions() throws {
        let entries = [
            Entry(dn: "cn=pc1,ou=hosts,dc=lab", attributes: [
                "cn": ["pc1"], "dhcpHWAddress": ["ethernet 06:00:00:00:00:42"],
                "dhcpStatements": ["fixed-address 198.18.0.42;", "default-lease-time 600"],
                "dhcpOption": ["domain-name \"pc1.lab.example\"", "domain-name-servers 198.18.0.53, 198.18.0.54"],
            ]),
            Entry(dn: "cn=pc2,ou=hosts,dc=lab", attributes: [
                "dhcpclientid": ["01:06:00:00:00:00:43"], "dhcpstatements": ["fixed-address 198.18.0.43"],
            ]),
        ]
        let (reservations, problems) = DHCPLDAPHosts.reservations(entries)
        #expect(reservations.count == 2)
        let first = try #require(reservations.first)
        #expect(first.key == .hardwareAddress(MACAddress(rawValue: 0x0600_0000_0042)) && first.address == IPv4Address(198, 18, 0, 42))
        #expect(first.options.map(\.code) == [.domainName, .domainNameServers])
        #expect(first.options.first?.data == Array("pc1.lab.example".utf8))
        #expect(reservations[1].key == .clientIdentifier([1, 6, 0, 0, 0, 0, 0x43]))
        // The unsupported statement is named, with its entry and attribute; the entry is used.
        #expect(problems == ["cn=pc1,ou=hosts,dc=lab: dhcpStatements: 'default-lease-time 600' is not supported: passed over"])
    }

    @Test func errorsNameTheEntryAndTheAttribute() {
        let entries = [
            Entry(dn: "cn=a,dc=lab", attributes: ["dhcpHWAddress": ["token-ring 06:00:00:00:00:01"], "dhcpStatements": ["fixed-address 198.18.0.5"]]),
            Entry(dn: "cn=b,dc=lab", attributes: ["dhcpHWAddress": ["ethernet 06:00:00:00:00:02"], "dhcpStatements": ["fixed-address banana"]]),
            Entry(dn: "cn=c,dc=lab", attributes: ["dhcpHWAddress": ["ethernet 06:00:00:00:00:03"]]),
            Entry(dn: "cn=d,dc=lab", attributes: ["dhcpStatements": ["fixed-address 198.18.0.6"]]),
            Entry(dn: "cn=e,dc=lab", attributes: ["dhcpHWAddress": ["ethernet 06:00:00:00:00:05"], "dhcpStatements": ["fixed-address 198.18.0.7"],
                                                  "dhcpOption": ["lease-time 60"]]),
        ]
        let (reservations, problems) = DHCPLDAPHosts.reservations(entries)
        #expect(reservations.isEmpty)
        #expect(problems.count == 5)
        #expect(problems[0].hasPrefix("cn=a,dc=lab: dhcpHWAddress: "))
        #expect(problems[1].hasPrefix("cn=b,dc=lab: dhcpStatements: 'fixed-address banana'"))
        #expect(problems[2] == "cn=c,dc=lab: dhcpStatements: no fixed-address")
        #expect(problems[3].hasPrefix("cn=d,dc=lab: dhcpHWAddress: missing"))
        #expect(problems[4].hasPrefix("cn=e,dc=lab: dhcpOption: 'lease-time 60'"))
    }

    @Test func replacedReservationsAreServedWithTheirOptionsAndConflictsAreRefused() throws {
        var server = makeServer()
        let client = TestClient(7)
        let host = DHCPReservation(.hardwareAddress(client.mac), address: address(42), options: [
            DHCPOption(.domainNameServers, IPv4Address(198, 18, 0, 99).octets),
        ])
        let clash = DHCPReservation(.hardwareAddress(TestClient(8).mac), address: address(42))
        let outside = DHCPReservation(.hardwareAddress(TestClient(9).mac), address: IPv4Address(198, 19, 200, 1))
        let refused = server.replaceReservations([host, clash, outside])
        #expect(refused.map(\.1) == ["198.18.0.42 is already reserved", "198.19.200.1 is in no subnet served"])
        let offer = try #require(server.handle(client.discover(), from: onLAN, now: 0).reply)
        #expect(offer.yourAddress == address(42) && offer.address(.domainNameServers) == IPv4Address(198, 18, 0, 99))
        // Read again without it: the client gets a pool address and the subnet's DNS server.
        server.replaceReservations([])
        let other = try #require(server.handle(TestClient(10).discover(), from: onLAN, now: 1).reply)
        #expect(other.address(.domainNameServers) != IPv4Address(198, 18, 0, 99))
    }
}
