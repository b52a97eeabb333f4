import Foundation
import Glibc
import Testing

/// DHCPv6 with real peers in network namespaces (IPv6 on inside them only; 2001:db8::/32 and link-local addresses):
/// each scenario checked from the peers' own view (their lease files, their scripts) and from dhcpscope's analysis of
/// a capture — the same exchange, told the same way.
@Suite("Lab: DHCPv6 peers", .enabled(if: LabGate.enabled, LabGate.skipReason), .timeLimit(.minutes(2)))
struct DHCPv6LabTests {
    /// A client and a server namespace on one veth pair, the server at host 1 of the lab's /64.
    static func pair(_ lab: Lab) throws -> (client: String, server: String, mac: String) {
        let client = try lab.namespace("cli", ipv6: true), server = try lab.namespace("srv", ipv6: true)
        let mac = lab.mac(link: 0, side: 2)
        try lab.link((client, "cli0", mac, nil), (server, "srv0", lab.mac(link: 0, side: 1), "\(lab.subnet6.host(1))/64"))
        return (client, server, mac)
    }

    static func analyse(_ lab: Lab, _ capture: String) throws -> [Event] {
        let result = try DHCPScope.run(["analyse", "--json", lab.path(capture)])
        try lab.check(result.status <= 1, "analyse exited \(result.status): \(result.stderr)")
        return try result.events().filter { $0.name != "message" }
    }

    static func v6(_ events: [Event], _ name: String) -> [Event] {
        events.filter { $0.name == name && $0.string("family") == "v6" }
    }

    /// kea-dhcp6 gives an address and a /56; dhclient -6 -N -P takes both (SOLICIT, ADVERTISE, REQUEST, REPLY), then
    /// releases them. sniff watches live beside tcpdump.
    @Test("kea-dhcp6 + dhclient -6: SARR with IA_NA and IA_PD, then release; sniff live")
    func keaDhclientSARR() async throws {
        try await Lab.run("v6-kea-dhclient", index: 52) { lab in
            let (client, server, mac) = try Self.pair(lab)
            _ = try await lab.startKea6(in: server, interface: "srv0")
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap", filter: Lab.dhcpv6Filter)
            let sniff = try lab.start("sniff", in: client, [DHCPScope.binary.path, "sniff", "-i", "cli0", "--json", "--duration", "30"])
            try await lab.wait(for: sniff, toPrint: "\"event\":\"ready\"")
            _ = try lab.startDhclient6(in: client, interface: "cli0", modes: ["-N", "-P"])

            try await lab.wait(for: "dhclient's BOUND6 and lease file, Kea's two leases") {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND6") } && !lab.dhclient6Leases.prefixes.isEmpty
                    && lab.keaLeases6().count == 2
            }
            let held = lab.dhclient6Leases
            let address = try #require(held.addresses.first), prefix = try #require(held.prefixes.first)
            try lab.check(lab.subnet6.contains(address) && lab.subnet6.delegated(prefix), "dhclient holds \(address) and \(prefix)")
            let kea = lab.keaLeases6()
            try lab.check(kea.contains { $0.address == address && $0.type == 0 && $0.validLifetime == 4000 }, "Kea's rows \(kea)")
            try lab.check(kea.contains { "\($0.address)/\($0.prefixLength)" == prefix && $0.type == 2 }, "Kea's rows \(kea)")

            try lab.releaseDhclient6(in: client, interface: "cli0", modes: ["-N", "-P"])
            try await lab.wait(for: "Kea to record both releases (valid lifetime 0)") {
                lab.keaLeases6().suffix(2).allSatisfy { $0.validLifetime == 0 } && lab.keaLeases6().count >= 4
            }
            try await lab.stopCapture(capture)
            sniff.stop(signal: SIGINT)
            sniff.waitForExit(seconds: 10)

            let events = try Self.analyse(lab, "client.pcap")
            let transactions = Self.v6(events, "transaction")
            try lab.check(transactions.map { $0.string("kind") ?? "" } == ["solicit", "release"], "transactions: \(transactions.map(\.object))")
            let sarr = transactions[0]
            try lab.check(sarr.string("outcome") == "reply" && (sarr["messages"] as? [Int])?.count == 4 && sarr["request_xid"] != nil,
                          "SARR: \(sarr.object)")
            try lab.check(sarr.string("mac") == mac, "the client's MAC from its DUID-LLT: \(sarr.object)")
            try lab.check(transactions[1].string("outcome") == "reply", "release: \(transactions[1].object)")
            let leases = Self.v6(events, "lease")
            try lab.check(leases.contains { $0.string("ip") == address && $0.string("ia") == "na" && $0.string("state") == "released" }
                          && leases.contains { $0.string("prefix") == prefix && $0.string("ia") == "pd" && $0.string("state") == "released" },
                          "leases: \(leases.map(\.object))")
            let states = Self.v6(events, "transition").map { "\($0.string("from") ?? "")→\($0.string("to") ?? "")" }
            try lab.check(states == ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND", "BOUND→RELEASED"], "states \(states)")
            try lab.check(!events.contains { $0.name == "problem" && $0.string("severity") != "info" },
                          "problems: \(events.filter { $0.name == "problem" }.map(\.object))")

            // sniff saw the same, live.
            let live = try DHCPScopeResult(status: sniff.exitStatus ?? -1, stdout: sniff.output, stderr: "").events()
            try lab.check(live.contains { $0.name == "transaction" && $0.string("kind") == "solicit" && $0.string("outcome") == "reply" },
                          "sniff's transactions: \(live.filter { $0.name == "transaction" }.map(\.object))")
            try lab.check(live.contains { $0.name == "lease" && $0.string("prefix") == prefix }, "sniff's leases")
        }
    }

    /// kea-dhcp6 with rapid commit; dhcpcd asks for it: SOLICIT and REPLY only.
    @Test("kea-dhcp6 + dhcpcd: rapid commit")
    func keaDhcpcdRapidCommit() async throws {
        try await Lab.run("v6-kea-dhcpcd-rapid", index: 53) { lab in
            let (client, server, _) = try Self.pair(lab)
            _ = try await lab.startKea6(in: server, interface: "srv0", rapidCommit: true)
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap", filter: Lab.dhcpv6Filter)
            _ = try lab.startDhcpcd6(in: client, interface: "cli0")
            try await lab.wait(for: "dhcpcd's BOUND6 and Kea's lease", seconds: 15) {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND6") } && !lab.keaLeases6().isEmpty
            }
            let lease = try #require(lab.keaLeases6().first)
            try lab.check(lab.clientScriptLog.contains("BOUND6 \(lease.address)"), "dhcpcd's script: \(lab.clientScriptLog)")
            try await lab.wait(for: "dhcpcd's lease file to hold \(lease.address)") { lab.dhcpcd6LeaseHolds(interface: "cli0", address: lease.address) }
            try await lab.stopCapture(capture)

            let events = try Self.analyse(lab, "client.pcap")
            let transaction = try #require(Self.v6(events, "transaction").first)
            try lab.check(transaction.string("kind") == "solicit" && transaction["rapid_commit"] as? Bool == true
                          && transaction.string("outcome") == "reply" && (transaction["messages"] as? [Int])?.count == 2,
                          "rapid commit: \(transaction.object)")
            let states = Self.v6(events, "transition").map { "\($0.string("from") ?? "")→\($0.string("to") ?? "")" }
            try lab.check(states == ["INIT→SELECTING", "SELECTING→BOUND"], "states \(states)")
            try lab.check(Self.v6(events, "lease").contains { $0.string("ip") == lease.address }, "analyse's leases")
            try lab.check(!events.contains { $0.name == "problem" }, "problems: \(events.filter { $0.name == "problem" }.map(\.object))")
        }
    }

    /// ISC dhcpd -6 with T1 4 s and T2 8 s: dhclient renews; dhcpd is stopped; dhclient rebinds and gets no answer.
    @Test("dhcpd -6 + dhclient -6: renew, then rebind with the server stopped")
    func dhcpdDhclientRenewRebind() async throws {
        try await Lab.run("v6-dhcpd-dhclient-rebind", index: 54) { lab in
            let (client, server, _) = try Self.pair(lab)
            let dhcpd = try await lab.startDhcpd6(in: server, interface: "srv0", preferred: 30, valid: 40, t1: 4, t2: 8)
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap", filter: Lab.dhcpv6Filter)
            let dhclient = try lab.startDhclient6(in: client, interface: "cli0", modes: ["-N"])
            try await lab.wait(for: "dhclient's RENEW6 after its BOUND6", seconds: 20) {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND6") } && lab.clientScriptLog.contains { $0.hasPrefix("RENEW6") }
            }
            let address = try #require(lab.dhclient6Leases.addresses.first)
            try lab.check(lab.dhcpd6Leases().contains { $0.address == address && $0.state == "active" }, "dhcpd6.leases: \(lab.dhcpd6Leases())")
            dhcpd.stop(signal: SIGTERM)
            try await lab.wait(for: "dhclient to rebind", seconds: 20) { dhclient.output.contains("Forming Rebind") }
            try await Task.sleep(for: .seconds(2))
            try await lab.stopCapture(capture)

            let events = try Self.analyse(lab, "client.pcap")
            let kinds = Self.v6(events, "transaction").map { "\($0.string("kind") ?? ""):\($0.string("outcome") ?? "")" }
            try lab.check(kinds.first == "solicit:reply" && kinds.contains("renew:reply") && kinds.last == "rebind:no_reply",
                          "transactions \(kinds)")
            let client6 = Self.v6(events, "transition").last
            try lab.check(client6?.string("to") == "REBINDING", "last step \(client6?.object ?? [:])")
            try lab.check(Self.v6(events, "lease").contains { $0.string("ip") == address && $0.string("state") == "renewed" },
                          "leases \(Self.v6(events, "lease").map(\.object))")
            // dhclient renews at T1, but rebinds late: its RENEW's retransmission timer (REN_TIMEOUT, 10 s) runs past T2
            // instead of ending there (RFC 8415 §15's MRD). analyse says so, and only of the REBIND.
            let timing = events.filter { $0.name == "problem" && $0.string("code") == "renew-timing" }
            try lab.check(timing.allSatisfy { $0.string("rfc") == "8415 18.2.5" }, "a RENEW off T1: \(timing.map(\.object))")
        }
    }

    /// Stateless: dhclient -6 -S asks INFORMATION-REQUEST; Kea answers with its DNS server.
    @Test("kea-dhcp6 + dhclient -6 -S: stateless INFORMATION-REQUEST")
    func stateless() async throws {
        try await Lab.run("v6-stateless", index: 55) { lab in
            let (client, server, _) = try Self.pair(lab)
            _ = try await lab.startKea6(in: server, interface: "srv0")
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap", filter: Lab.dhcpv6Filter)
            _ = try lab.startDhclient6(in: client, interface: "cli0", modes: ["-S"])
            try await lab.wait(for: "dhclient's script with the DNS server") {
                lab.clientScriptLog.contains { $0.contains(lab.subnet6.host(0x53)) }
            }
            try await lab.stopCapture(capture)
            let events = try Self.analyse(lab, "client.pcap")
            let transaction = try #require(Self.v6(events, "transaction").first)
            try lab.check(transaction.string("kind") == "information_request" && transaction.string("outcome") == "reply",
                          "\(transaction.object)")
            try lab.check(Self.v6(events, "transition").last?.string("to") == "INFORMED", "client state")
            try lab.check(Self.v6(events, "lease").isEmpty, "no lease from a stateless exchange")
            let decoded = try DHCPScope.run(["decode", "--json", "--type", "REPLY", lab.path("client.pcap")]).events()
            let options = ((decoded.first?.object["dhcp6"] as? [String: Any])?["options"] as? [[String: Any]]) ?? []
            try lab.check(options.contains { $0["code"] as? Int == 23 && ($0["value"] as? [String]) == [lab.subnet6.host(0x53)] },
                          "decode's DNS servers: \(options)")
        }
    }

    /// dhcrelay -6 between the client's link and Kea's: both legs captured on the relay are one transaction.
    @Test("dhcrelay -6 + kea-dhcp6 + dhclient -6: the relay's two legs merged")
    func relay() async throws {
        try await Lab.run("v6-relay-kea", index: 56) { lab in
            let client = try lab.namespace("cli", ipv6: true), relay = try lab.namespace("rly", ipv6: true)
            let server = try lab.namespace("srv", ipv6: true)
            let subnet = lab.subnet6, upstream = LabSubnet6(index: lab.index + 40)
            try lab.link((client, "cli0", lab.mac(link: 0, side: 2), nil), (relay, "down0", lab.mac(link: 0, side: 1), "\(subnet.host(1))/64"))
            try lab.link((relay, "up0", lab.mac(link: 1, side: 1), "\(upstream.host(1))/64"),
                         (server, "srv0", lab.mac(link: 1, side: 2), "\(upstream.host(2))/64"))
            try lab.ip(server, "-6", "route", "add", subnet.cidr, "via", upstream.host(1))
            _ = try await lab.startKea6(in: server, interface: "srv0", unicastAddress: upstream.host(2))
            _ = try await lab.startDhcrelay6(in: relay, lower: "down0", upper: "up0", server: upstream.host(2))
            let capture = try await lab.capture("tcpdump-relay", in: relay, interface: "any", to: "relay.pcap", filter: Lab.dhcpv6Filter)
            _ = try lab.startDhclient6(in: client, interface: "cli0", modes: ["-N"])
            try await lab.wait(for: "dhclient's BOUND6 and Kea's lease") {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND6") } && !lab.keaLeases6().isEmpty
            }
            let address = try #require(lab.dhclient6Leases.addresses.first)
            try lab.check(lab.keaLeases6().first?.address == address, "Kea \(lab.keaLeases6()), dhclient \(address)")
            try await lab.stopCapture(capture)

            let events = try Self.analyse(lab, "relay.pcap")
            let transactions = Self.v6(events, "transaction")
            try lab.check(transactions.count == 1, "one transaction: \(transactions.map(\.object))")
            let transaction = transactions[0]
            try lab.check(transaction["relayed"] as? Bool == true && (transaction["messages"] as? [Int])?.count == 8
                          && transaction.string("outcome") == "reply", "\(transaction.object)")
            let servers = Self.v6(events, "server")
            try lab.check(servers.count == 1 && servers[0].string("ip") == upstream.host(2), "the server, not the relay: \(servers.map(\.object))")
            try lab.check(Self.v6(events, "lease").contains { $0.string("ip") == address }, "lease")
            try lab.check(!events.contains { $0.name == "problem" }, "problems: \(events.filter { $0.name == "problem" }.map(\.object))")
        }
    }

    /// Kea and dnsmasq on one segment both advertise to dhclient's SOLICIT.
    @Test("kea-dhcp6 and dnsmasq answering one SOLICIT: multiple-servers; --expect flags the other")
    func twoServers() async throws {
        try await Lab.run("v6-two-servers", index: 57) { lab in
            let segment = try lab.namespace("seg")
            try lab.bridge6("br0", in: segment, mac: lab.mac(link: 9, side: 9))
            let client = try lab.namespace("cli", ipv6: true), kea = try lab.namespace("kea", ipv6: true)
            let dnsmasq = try lab.namespace("dnsm", ipv6: true)
            for (number, end) in [(client, "cli0", nil), (kea, "srv0", lab.subnet6.host(1)), (dnsmasq, "srv0", lab.subnet6.host(2))].enumerated() {
                try lab.link((end.0, end.1, lab.mac(link: number, side: 2), end.2.map { "\($0)/64" }),
                             (segment, "p\(number)", lab.mac(link: number, side: 1), nil))
                try lab.ip(segment, "link", "set", "p\(number)", "master", "br0")
            }
            try await lab.wait(for: "the bridge's ports to forward", seconds: 5) {
                try (0..<3).allSatisfy { try lab.ip(segment, "-d", "link", "show", "dev", "p\($0)").contains("state forwarding") }
            }
            _ = try await lab.startKea6(in: kea, interface: "srv0")
            _ = try await lab.startDnsmasq6(in: dnsmasq, interface: "srv0")
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap", filter: Lab.dhcpv6Filter)
            _ = try lab.startDhclient6(in: client, interface: "cli0", modes: ["-N"])
            try await lab.wait(for: "dhclient's BOUND6", seconds: 15) { lab.clientScriptLog.contains { $0.hasPrefix("BOUND6") } }
            let address = try #require(lab.dhclient6Leases.addresses.first)
            let fromKea = lab.keaLeases6().contains { $0.address == address }
            let fromDnsmasq = lab.dnsmasqLeases6().contains { $0.address == address }
            try lab.check(fromKea != fromDnsmasq, "one server's lease: Kea \(lab.keaLeases6()), dnsmasq \(lab.dnsmasqLeases6())")
            try await lab.stopCapture(capture)

            let events = try Self.analyse(lab, "client.pcap")
            let solicit = try #require(Self.v6(events, "transaction").first)
            try lab.check((solicit["servers"] as? [String])?.count == 2, "both servers in the transaction: \(solicit.object)")
            try lab.check(events.contains { $0.name == "problem" && $0.string("code") == "multiple-servers" }, "multiple-servers")
            let servers = Self.v6(events, "server")
            try lab.check(servers.count == 2 && servers.allSatisfy { ($0["advertises"] as? Int) == 1 }, "servers: \(servers.map(\.object))")
            // Kea's DUID is DUID-LL of its MAC: expect it alone, and dnsmasq is a rogue.
            let keaDUID = "00:03:00:01:" + lab.mac(link: 1, side: 2)
            let judged = try DHCPScope.run(["analyse", "--json", "--expect", keaDUID, lab.path("client.pcap")])
            try lab.check(judged.status == 1, "an unexpected server is an error: exit \(judged.status)")
            let rogues = try judged.events().filter { $0.name == "problem" && $0.string("code") == "unexpected-server" }
            try lab.check(rogues.count == 1 && rogues[0].string("ip") == "fe80::" + Self.interfaceID(lab.mac(link: 2, side: 2)),
                          "rogue: \(rogues.map(\.object))")
        }
    }

    /// The EUI-64 interface identifier of a MAC, as the link-local address carries it: "400:ff:fe50:2".
    static func interfaceID(_ mac: String) -> String {
        var bytes = mac.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        bytes[0] ^= 0x02
        let full = Array(bytes[0..<3]) + [0xFF, 0xFE] + Array(bytes[3..<6])
        return stride(from: 0, to: 8, by: 2).map { String(UInt16(full[$0]) << 8 | UInt16(full[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }

    /// perfdhcp -6 runs 100 SARR exchanges against Kea; analyse counts them as the wire shows them.
    @Test("perfdhcp -6 against kea-dhcp6: analyse's transactions match the REPLYs on the wire and perfdhcp's counts")
    func perfdhcp() async throws {
        try await Lab.run("v6-perfdhcp-kea", index: 58) { lab in
            let (client, server, _) = try Self.pair(lab)
            _ = try await lab.startKea6(in: server, interface: "srv0")
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap",
                                                bufferKiB: 8192, filter: Lab.dhcpv6Filter)
            let output = try lab.run("perfdhcp6", in: client, ["/usr/sbin/perfdhcp", "-6", "-l", "cli0", "-r", "50", "-n", "100",
                                                                "-R", "100", "-p", "6"], timeout: 30, allowFailure: true)
            try await lab.stopCapture(capture)
            // perfdhcp's own count of completed REQUEST-REPLY exchanges.
            let blocks = output.components(separatedBy: "***Statistics for: REQUEST-REPLY***")
            let received = blocks.last?.split(separator: "\n").first { $0.hasPrefix("received packets:") }
                .flatMap { Int($0.split(separator: " ").last ?? "") }
            let replies = try #require(received, "perfdhcp printed no REQUEST-REPLY statistics: \(output.suffix(1500))")
            try lab.check(replies >= 90, "perfdhcp completed \(replies) of 100")
            let events = try Self.analyse(lab, "client.pcap")
            let summary = try #require(events.last)
            let outcomes = summary["outcomes"] as? [String: Int] ?? [:]
            // Every REPLY on the wire completes one exchange; perfdhcp counts one that came after its drop time as lost,
            // so it may count fewer under load, never more.
            let decoded = try DHCPScope.run(["decode", "--json", "--count-only", lab.path("client.pcap")]).events()
            let wire = ((decoded.last?.object["types_v6"] as? [String: Int]) ?? [:])["REPLY"] ?? -1
            try lab.check(outcomes["reply"] == wire && wire >= replies && wire <= 100,
                          "analyse: \(outcomes), REPLYs on the wire: \(wire), perfdhcp: \(replies) replies")
            try lab.check(summary["leases"] as? Int == wire && summary["clients"] as? Int == 100, "summary \(summary.object)")
            try lab.check(!events.contains { $0.name == "problem" && $0.string("severity") == "error" }, "errors")
        }
    }
}
