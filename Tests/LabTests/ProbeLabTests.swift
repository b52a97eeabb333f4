import Foundation
import Glibc
import Testing

/// dhcpscope probe on a bridged segment with real servers: dnsmasq as the expected server, mock-server --rogue as
/// the rogue; the Nagios verdicts as servers come and go; nmap's broadcast-dhcp-discover on the same segment finds the
/// same servers, and dhcp_probe the same rogue; a server that answers only INIT-REBOOT is found only by that probe type.
@Suite("probe lab", .serialized)
struct ProbeLabTests: MockServerScenario {
    /// Runs probe in `namespace` to its end: its exit status and JSON events.
    static func probe(_ lab: Lab, in namespace: String, _ name: String, _ arguments: [String]) throws -> (status: Int32, events: [Event]) {
        let process = try lab.start(name, in: namespace, [DHCPScope.binary.path, "probe", "-i", "cli0", "--json"] + arguments,
                                    timeout: 30)
        try lab.check(process.waitForExit(seconds: 35), "\(name) did not end")
        let events = process.standardOutput.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).map(Event.init)
        }
        return (process.exitStatus ?? -1, events)
    }

    static func servers(_ events: [Event]) -> [String: Bool] {
        Dictionary(events.filter { $0.name == "server" }.compactMap { event in
            event.string("id").map { ($0, event["expected"] as? Bool ?? false) }
        }, uniquingKeysWith: { first, _ in first })
    }

    static func status(_ events: [Event]) -> String? { events.last { $0.name == "summary" }?.string("status") }

    @Test("probe: expected dnsmasq and a rogue mock-server; OK, WARNING, CRITICAL as they come and go; nmap and dhcp_probe agree")
    func rogueAndExpected() async throws {
        try await Lab.run("probe-rogue", index: 70) { lab in
            let server = try lab.namespace("srv"), client = try lab.namespace("cli"), rogue = try lab.namespace("rogue")
            let real = lab.subnet.host(1), rogueAddress = lab.subnet.host(2), rogueID = lab.subnet.host(3)
            try Self.bridge(lab, in: server, mac: lab.mac(link: 9, side: 1), address: real)
            // The probing host has an address (nmap's script needs one to send from); probe does not use it.
            try await Self.attach(lab, (client, "cli0", lab.mac(link: 0, side: 2), "\(lab.subnet.host(250))/24"), to: server,
                                  port: "p-cli", portMAC: lab.mac(link: 0, side: 1))
            try await Self.attach(lab, (rogue, "srv0", lab.mac(link: 1, side: 2), "\(rogueAddress)/24"), to: server,
                                  port: "p-rogue", portMAC: lab.mac(link: 1, side: 1))
            let dnsmasq = try await lab.startDnsmasq(in: server, interface: "srv0", subnet: lab.subnet)
            let rogueMock = try await Self.startMock(lab, "mock-rogue", in: rogue, ["--range", Self.range(lab.subnet, 160, 199), "--rogue"])

            // Both answer: the rogue makes it CRITICAL (2); each server reported with what it offered.
            let both = try Self.probe(lab, in: client, "probe-both", ["--expect", real, "-w", lab.path("probe.pcap")])
            try lab.check(both.status == 2 && Self.status(both.events) == "CRITICAL", "probe with a rogue: \(both.status) \(Self.status(both.events) ?? "-")")
            try lab.check(Self.servers(both.events) == [real: true, rogueID: false], "servers: \(Self.servers(both.events))")
            let rogueEvent = try #require(both.events.first { $0.name == "server" && $0.string("id") == rogueID })
            try lab.check(rogueEvent.string("ip") == rogueAddress && rogueEvent.string("mac") == lab.mac(link: 1, side: 2)
                              && (rogueEvent["router"] as? [String]) == [rogueID]
                              && lab.subnet.contains(rogueEvent.string("offered") ?? ""),
                          "the rogue's server event: \(rogueEvent.object)")
            let realEvent = try #require(both.events.first { $0.name == "server" && $0.string("id") == real })
            try lab.check(realEvent["lease_time"] as? Int == 120 && realEvent.string("mask") == "255.255.255.0",
                          "dnsmasq's server event: \(realEvent.object)")
            // A probe leaves no lease: dnsmasq's lease file holds nothing for the probing MAC.
            try lab.check(lab.dnsmasqLease(mac: lab.mac(link: 0, side: 2)) == nil, "the probe left a lease in dnsmasq")
            // analyse --expect on the probe's own capture flags the same rogue (one ServerExpectation for all).
            let analysed = try Self.analyse(lab, ["probe.pcap"], ["--expect", real], errors: true)
            let unexpected = analysed.filter { $0.name == "problem" && $0.string("code") == "unexpected-server" }
            try lab.check(unexpected.map { $0.string("ip") } == [rogueID], "analyse --expect: \(unexpected.map(\.object))")

            // nmap's broadcast-dhcp-discover, in the same namespace, finds the same two server identifiers.
            let nmap = try lab.run("nmap", in: client, ["/usr/bin/nmap", "-e", "cli0", "--script", "broadcast-dhcp-discover",
                                                         "--script-args", "broadcast-dhcp-discover.timeout=3"], timeout: 25)
            let found = Set(nmap.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: "Server Identifier: ") else { return nil }
                return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            })
            try lab.check(found == Set(Self.servers(both.events).keys), "nmap found \(found.sorted()), probe \(Self.servers(both.events).keys.sorted())")

            // dhcp_probe (-T: its socket receive timeout; without it, it blocks in libpcap on Linux) with dnsmasq as the
            // legal server reports the same rogue, by source address. It probes until killed: one cycle is enough.
            let configuration = try lab.write("dhcp_probe.cf", "legal_server \(real)\nresponse_wait_time 1500\ncycle_time 60\n")
            let dhcpProbe = try lab.run("dhcp_probe", in: client, ["/usr/bin/timeout", "-s", "KILL", "6", "/usr/sbin/dhcp_probe", "-T",
                                                                   "-f", "-c", configuration, "-p", lab.path("dhcp_probe.pid"), "cli0"],
                                        timeout: 15, allowFailure: true)
            let unexpectedSources = Set(dhcpProbe.split(separator: "\n").compactMap { line -> String? in
                guard line.contains("received unexpected response"), let range = line.range(of: "IP source ") else { return nil }
                return line[range.upperBound...].split(separator: " ").first.map(String.init)
            })
            let rogueSources = Set(both.events.filter { $0.name == "server" && $0["expected"] as? Bool == false }.compactMap { $0.string("ip") })
            try lab.check(unexpectedSources == rogueSources, "dhcp_probe's unexpected servers \(unexpectedSources.sorted()), probe's rogues \(rogueSources.sorted())")

            // Only the expected server: OK (0). An expected server missing: WARNING (1).
            try Self.stopMock(lab, rogueMock)
            let alone = try Self.probe(lab, in: client, "probe-alone", ["--expect", real])
            try lab.check(alone.status == 0 && Self.servers(alone.events) == [real: true], "probe alone: \(alone.status) \(Self.servers(alone.events))")
            let missing = try Self.probe(lab, in: client, "probe-missing", ["--expect", "\(real),\(lab.subnet.host(9))"])
            try lab.check(missing.status == 1 && Self.status(missing.events) == "WARNING", "probe missing: \(missing.status)")
            let nagios = try lab.run("probe-nagios", in: client, [DHCPScope.binary.path, "probe", "-i", "cli0", "--nagios",
                                                                  "--expect", real, "--timeout", "1"], timeout: 10)
            try lab.check(nagios.hasPrefix("DHCP OK - 1 server answered: \(real) | servers=1;;;0 rogue=0;;;0 missing=0;;;0 time="),
                          "nagios line: \(nagios)")

            // Nobody: CRITICAL (2).
            dnsmasq.signal(SIGTERM)
            try lab.check(dnsmasq.waitForExit(seconds: 5), "dnsmasq did not stop")
            let none = try Self.probe(lab, in: client, "probe-none", ["--timeout", "1"])
            try lab.check(none.status == 2 && Self.status(none.events) == "CRITICAL" && Self.servers(none.events).isEmpty,
                          "probe with no server: \(none.status)")
        }
    }

    @Test("probe: a server that answers only INIT-REBOOT is found by --type init-reboot, not by DISCOVER; also as a relay agent")
    func answerOnlyInitReboot() async throws {
        try await Lab.run("probe-answer-only", index: 71) { lab in
            let (client, server, _) = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            let mock = try await Self.startMock(lab, in: server, ["--range", Self.range(lab.subnet, 100, 150), "--authoritative",
                                                                  "--answer-only", "init-reboot"])
            let plain = try Self.probe(lab, in: client, "probe-discover", ["--timeout", "1.5"])
            try lab.check(plain.status == 2 && Self.servers(plain.events).isEmpty, "DISCOVER probe: \(plain.status) \(Self.servers(plain.events))")
            // An INIT-REBOOT for an address of another network: the authoritative server NAKs it.
            let reboot = try Self.probe(lab, in: client, "probe-init-reboot",
                                        ["--timeout", "1.5", "--type", "init-reboot", "--address", "198.19.200.7"])
            try lab.check(reboot.status == 0 && Self.servers(reboot.events).keys.sorted() == [lab.subnet.host(1)],
                          "INIT-REBOOT probe: \(reboot.status) \(Self.servers(reboot.events))")
            let event = try #require(reboot.events.first { $0.name == "server" })
            try lab.check(event["naks"] as? Int == 1 && (event["types"] as? [String]) == ["init-reboot"], "server event: \(event.object)")
            // The same probe as a relay agent (UDP from giaddr:67 to the server): the NAK comes back to the relay.
            let giaddr = lab.subnet.host(250)
            try lab.ip(client, "addr", "add", "\(giaddr)/24", "dev", "cli0")
            let relayed = try Self.probe(lab, in: client, "probe-relayed", ["--timeout", "1.5", "--type", "init-reboot",
                                                                            "--address", "198.19.200.7", "--giaddr", giaddr,
                                                                            "--server", lab.subnet.host(1)])
            let relayedEvent = try #require(relayed.events.first { $0.name == "server" }, "relayed probe: \(relayed.status)")
            try lab.check(relayed.status == 0 && relayedEvent.string("giaddr") == giaddr && relayedEvent["naks"] as? Int == 1
                              && relayedEvent["mac"] is NSNull,
                          "relayed probe's server event: \(relayedEvent.object)")
            try Self.stopMock(lab, mock)
        }
    }
}
