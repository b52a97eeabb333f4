import Foundation
import Testing

/// decode on DHCPv6 captures (tcpdump's test files): the contract's `dhcp6` object, the text line, the verbose
/// nesting, and the filters that work for both families.
@Suite("dhcpscope decode, DHCPv6")
struct DecodeV6CommandTests {
    static func options(_ object: Any?) -> [[String: Any]] { (object as? [String: Any])?["options"] as? [[String: Any]] ?? [] }

    @Test("--json: dhcp6 with type, xid, options in wire order, IA_PD holding IAPREFIX, DUID fields")
    func json() throws {
        let result = try CLI.run(["decode", "--json", "v6/dhcpv6-ia-pd.pcap"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try result.events()
        #expect(events.count == 5)
        let advertise = events[1]
        #expect(advertise["family"] as? String == "v6")
        #expect(advertise["src"] as? String == "[fe80::211:22ff:fe33:4455]:547")
        let dhcp6 = try #require(advertise["dhcp6"] as? [String: Any])
        #expect(dhcp6["type"] as? String == "ADVERTISE" && dhcp6["msg_type"] as? Int == 2 && dhcp6["xid"] as? String == "0xe1e093")
        let top = Self.options(dhcp6)
        #expect(top.map { $0["code"] as? Int } == [25, 1, 2])
        let iaPD = top[0]
        #expect(iaPD["name"] as? String == "ia-pd")
        #expect((iaPD["value"] as? [String: Any])?["t1"] as? Int == 3600)
        let prefix = try #require(Self.options(iaPD).first)
        #expect(prefix["name"] as? String == "iaprefix")
        let value = try #require(prefix["value"] as? [String: Any])
        #expect(value["prefix"] as? String == "2a00:1:1:100::/56")
        #expect(value["preferred_lifetime"] as? Int == 4500 && value["valid_lifetime"] as? Int == 7200)
        let client = try #require(top[1]["value"] as? [String: Any])
        #expect(client["type"] as? String == "LL" && client["link_layer"] as? String == "00:01:02:03:04:05")
        let server = try #require(top[2]["value"] as? [String: Any])
        #expect(server["type"] as? String == "LLT" && server["time"] as? String == "2012-11-26T15:39:05.000000Z")
        let summary = try #require(events.last)
        #expect(summary["dhcpv6"] as? Int == 4 && summary["messages"] as? Int == 4)
        #expect((summary["types_v6"] as? [String: Int]) == ["SOLICIT": 1, "ADVERTISE": 1, "REQUEST": 1, "REPLY": 1])
    }

    @Test("--json: a relay message holds the relayed message as `message`; vendor class, FQDN, MUD URL typed")
    func relayed() throws {
        let result = try CLI.run(["decode", "--json", "-c", "1", "v6/dhcpv6-mud.pcap"])
        let event = try #require(try result.events().first)
        let relay = try #require(event["dhcp6"] as? [String: Any])
        #expect(relay["type"] as? String == "RELAY-FORW" && relay["hop_count"] as? Int == 0)
        #expect(relay["link_address"] as? String == "2001:8a8:1006:3:225:84ff:fedb:2380")
        #expect(relay["peer_address"] as? String == "fe80::ba27:ebff:feb8:53c8")
        let relayMessage = try #require(Self.options(relay).first { $0["code"] as? Int == 9 })
        #expect(relayMessage["value"] is NSNull)
        let inner = try #require(relayMessage["message"] as? [String: Any])
        #expect(inner["type"] as? String == "SOLICIT" && inner["xid"] as? String == "0x78244b")
        let byCode = Dictionary(Self.options(inner).map { ($0["code"] as? Int ?? -1, $0) }, uniquingKeysWith: { a, _ in a })
        #expect((byCode[16]?["value"] as? [String: Any])?["text"] as? [String] == ["dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709"])
        #expect((byCode[39]?["value"] as? [String: Any])?["name"] as? String == "raspberrypi")
        #expect(byCode[112]?["value"] as? String == "https://mudctl.example.com/.well-known/mud/v1/rasbp101")
        #expect(byCode[14]?["value"] as? Bool == true)
        #expect(byCode[6]?["value"] as? [Int] == [23, 24, 31, 39, 82, 83])
        #expect(Self.options(relay).last?["value"] as? String == "00:00:00:08", "interface-id")
    }

    @Test("Text: one line per message with DUIDs, the MAC they give, IA addresses with lifetimes; -v nests")
    func text() throws {
        let result = try CLI.run(["decode", "v6/dhcpv6-ia-na.pcap", "v6/dhcpv6-mud.pcap"])
        #expect(result.status == 0)
        let reply = try #require(result.lines.first { $0.contains(" REPLY ") })
        #expect(reply.contains("addr=") && reply.contains("pref=") && reply.contains("valid=") && reply.contains("ia-na="))
        #expect(reply.contains("server=00:01:00:01:"))
        let relayed = try #require(result.lines.last)
        #expect(relayed.contains("RELAY-FORW hops=0 link=2001:8a8:1006:3:225:84ff:fedb:2380 peer=fe80::ba27:ebff:feb8:53c8"))
        #expect(relayed.contains("| SOLICIT xid=0x78244b") && relayed.contains("mac=b8:27:eb:b8:53:c8") && relayed.contains("rapid-commit"))
        let verbose = try CLI.run(["decode", "-v", "-c", "1", "v6/dhcpv6-mud.pcap"])
        #expect(verbose.stdout.contains("  OPTION    9 (198) relay-msg"))
        #expect(verbose.stdout.contains("      TYPE    SOLICIT (1)"), "the relayed message is indented under option 9")
        #expect(verbose.stdout.contains("      OPTION  112 ( 54) mud-url-v6"))
    }

    @Test("--type, --xid, --mac and --duid select DHCPv6 messages; --duid selects no DHCPv4 message")
    func filters() throws {
        func shown(_ arguments: [String]) throws -> Int {
            let result = try CLI.run(["decode", "--json"] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return try result.events().filter { $0["event"] as? String == "message" }.count
        }
        #expect(try shown(["--type", "solicit,reply", "v6/dhcpv6-ia-pd.pcap"]) == 2)
        #expect(try shown(["--type", "REQUEST", "v6/dhcpv6-ia-pd.pcap", "dora.pcap"]) == 2, "REQUEST of both families")
        #expect(try shown(["--xid", "0x12b08a", "v6/dhcpv6-ia-pd.pcap"]) == 2)
        #expect(try shown(["--mac", "b8:27:eb:b8:53:c8", "v6/dhcpv6-mud.pcap", "v6/dhcpv6-ia-pd.pcap"]) == 5, "through the relay")
        #expect(try shown(["--duid", "00:03:00:01:00:01:02:03:04:05", "v6/dhcpv6-ia-pd.pcap", "dora.pcap"]) == 4)
        #expect(try shown(["--duid", "000300010001020304ff", "v6/dhcpv6-ia-pd.pcap"]) == 0)
        #expect(try shown(["--type", "RELAY-FORW", "v6/dhcpv6-mud.pcap"]) == 5)
        let bad = try CLI.run(["decode", "--duid", "xyz", "dora.pcap"])
        #expect(bad.status == 64 && bad.stderr.contains("--duid"))
    }
}
