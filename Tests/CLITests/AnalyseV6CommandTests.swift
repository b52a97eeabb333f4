import Foundation
import Testing

/// analyse on DHCPv6 captures: the v6 events of the contract, one report for both families, the lease CSV, --expect
/// by DUID.
@Suite("dhcpscope analyse, DHCPv6")
struct AnalyseV6CommandTests {
    @Test("--json: a v6 transaction from SOLICIT to REPLY, its transitions, the lease of its prefix, the server by DUID")
    func json() throws {
        let result = try CLI.run(["analyse", "--json", "v6/dhcpv6-ia-pd.pcap"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try result.events()
        let transaction = try #require(events.first { $0["event"] as? String == "transaction" })
        #expect(transaction["family"] as? String == "v6" && transaction["kind"] as? String == "solicit")
        #expect(transaction["xid"] as? String == "0xe1e093" && transaction["request_xid"] as? String == "0x12b08a")
        #expect(transaction["duid"] as? String == "00:03:00:01:00:01:02:03:04:05" && transaction["mac"] as? String == "00:01:02:03:04:05")
        #expect(transaction["outcome"] as? String == "reply" && transaction["messages"] as? [Int] == [1, 2, 3, 4])
        #expect(transaction["servers"] as? [String] == ["00:01:00:01:18:46:49:99:00:11:22:33:44:55"])
        #expect(transaction["rapid_commit"] as? Bool == false && transaction["relayed"] as? Bool == false)
        #expect(transaction["solicit_advertise_ms"] as? Double == 5.32)
        let states = events.filter { $0["event"] as? String == "transition" }.map { "\($0["from"]!)→\($0["to"]!)" }
        #expect(states == ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND"])
        let lease = try #require(events.first { $0["event"] as? String == "lease" })
        #expect(lease["prefix"] as? String == "2a00:1:1:100::/56" && lease["ia"] as? String == "pd" && lease["iaid"] as? Int == 33_752_069)
        #expect(lease["preferred_lifetime"] as? Int == 4500 && lease["valid_lifetime"] as? Int == 7200 && lease["t2"] as? Int == 5400)
        let server = try #require(events.first { $0["event"] as? String == "server" })
        #expect(server["id"] as? String == "00:01:00:01:18:46:49:99:00:11:22:33:44:55" && server["replies"] as? Int == 1)
        let problem = try #require(events.first { $0["event"] as? String == "problem" })
        #expect(problem["code"] as? String == "bad-timers" && problem["rfc"] as? String == "8415 21.21" && problem["family"] as? String == "v6")
        let summary = try #require(events.last)
        #expect(summary["transactions"] as? Int == 1 && summary["leases"] as? Int == 1 && summary["clients"] as? Int == 1)
    }

    @Test("Both families in one report; relayed rapid-commit SOLICITs never answered are one transaction")
    func mixedReport() throws {
        let result = try CLI.run(["analyse", "dora.pcap", "v6/dhcpv6-ia-na.pcap", "v6/dhcpv6-mud.pcap"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.lines.first?.hasPrefix("13 DHCP messages") == true, "\(result.lines.first ?? "")")
        #expect(result.lines.first?.contains("3 transactions") == true)
        for heading in ["SERVERS", "CLIENTS", "DHCPv6 SERVERS", "DHCPv6 CLIENTS", "PROBLEMS"] {
            #expect(result.lines.contains(heading), "no \(heading)")
        }
        #expect(result.stdout.contains("WARNING solicit-unanswered (RFC 8415 18.2.1) DHCPv6 b8:27:eb:b8:53:c8 xid 0x78244b"))
        // Its lease ended (2012) before the last message read (2016): no active lease is listed.
        #expect(result.lines.contains { $0.hasPrefix("00:03:00:01:00:01:02:03:04:05") && $0.hasSuffix("BOUND       3           -") })
    }

    @Test("--leases csv lists the v6 leases after the v4 ones, with their IAID, IA and lifetimes")
    func leasesCSV() throws {
        let result = try CLI.run(["analyse", "--leases", "csv", "dora.pcap", "v6/dhcpv6-ia-pd.pcap"])
        #expect(result.status == 0)
        let rows = AnalyseCommandTests.parseCSV(result.stdout)
        #expect(rows.count == 3)
        #expect(rows[1][14] == "v4")
        #expect(rows[2] == ["2a00:1:1:100::/56", "00:01:02:03:04:05", "00:03:00:01:00:01:02:03:04:05", "",
                           "00:01:00:01:18:46:49:99:00:11:22:33:44:55", "2012-11-26T15:39:35.465365Z",
                           "2012-11-26T17:39:35.465365Z", "7200", "3600", "5400", "", "", "", "active", "v6", "33752069", "pd", "4500"])
    }

    @Test("--expect by DUID: another server is unexpected (exit 1); the listed one is not; IPv4 addresses alone leave v6 servers be")
    func expect() throws {
        let listed = try CLI.run(["analyse", "--json", "--expect", "00:01:00:01:18:46:49:99:00:11:22:33:44:55", "v6/dhcpv6-ia-pd.pcap"])
        #expect(listed.status == 0)
        let other = try CLI.run(["analyse", "--json", "--expect", "00:01:00:01:00:00:00:00:00:11:22:33:44:55", "v6/dhcpv6-ia-pd.pcap"])
        #expect(other.status == 1)
        #expect(try other.events().contains { $0["code"] as? String == "unexpected-server" && $0["ip"] as? String == "fe80::211:22ff:fe33:4455" })
        let byAddress = try CLI.run(["analyse", "--json", "--expect", "fe80::211:22ff:fe33:4455", "v6/dhcpv6-ia-pd.pcap"])
        #expect(byAddress.status == 0)
        let v4 = try CLI.run(["analyse", "--json", "--expect", "198.18.0.1", "v6/dhcpv6-ia-pd.pcap"])
        #expect(v4.status == 0)
        let bad = try CLI.run(["analyse", "--expect", "zz", "dora.pcap"])
        #expect(bad.status == 64)
    }

    @Test("--duid selects one client's messages for analysis")
    func duidFilter() throws {
        let result = try CLI.run(["analyse", "--json", "--duid", "00:01:00:01:1e:62:77:0b:b8:27:eb:b8:53:c8",
                                  "v6/dhcpv6-ia-pd.pcap", "v6/dhcpv6-mud.pcap"])
        let summary = try #require(try result.events().last)
        #expect(summary["messages"] as? Int == 5 && summary["transactions"] as? Int == 1)
    }

    @Test("--ladder --duid: a relayed DHCPv6 exchange with a column for the client, the relay (its link address) and the server")
    func ladder() throws {
        let result = try CLI.run(["analyse", "--ladder", "--duid", "00:01:00:01:32:a9:4c:61:06:00:00:51:00:02",
                                  "v6/relay-kea-dhclient.pcap"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.lines
        #expect(lines.count == 12, "\(result.stdout)")
        #expect(lines[0].contains("client") && lines[0].contains("relay") && lines[0].contains("server"))
        #expect(lines[1].contains("06:00:00:51:00:02") && lines[1].contains("2001:db8:51::1") && lines[1].contains("2001:db8:52::2"))
        #expect(lines[3].contains("|------SOLICIT----->|                   |  xid=0x195d1e"), "client to relay")
        #expect(lines[4].contains("|                   |------SOLICIT----->|  xid=0x195d1e"), "relay to server")
        #expect(lines[6].contains("|<----ADVERTISE-----|                   |  xid=0x195d1e addr=2001:db8:51::100"), "relay to client")
        let bad = try CLI.run(["analyse", "--ladder", "v6/relay-kea-dhclient.pcap"])
        #expect(bad.status == 64 && bad.stderr.contains("--duid"))
    }

    @Test("--svg draws DHCPv6 leases, one row per client and IA type, beside DHCPv4 clients")
    func svg() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-svg6-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("t.svg").path
        let result = try CLI.run(["analyse", "--svg", file, "dora.pcap", "v6/dhcpv6-ia-pd.pcap"])
        #expect(result.status == 0)
        let svg = try String(contentsOfFile: file, encoding: .utf8)
        #expect(svg.contains("data-mac=\"00:0b:82:01:fc:42\"") && svg.contains("data-mac=\"00:01:02:03:04:05 IA_PD\""))
        #expect(svg.contains("<title>2a00:1:1:100::/56 active: 2012-11-26T15:39:35.465365Z to 2012-11-26T17:39:35.465365Z from 00:01:00:01:18:46:49:99:00:11:22:33:44:55</title>"))
        #expect(svg.components(separatedBy: "<circle class=\"transition\"").count - 1 == 6, "3 DHCPv4 and 3 DHCPv6 steps")
    }
}
