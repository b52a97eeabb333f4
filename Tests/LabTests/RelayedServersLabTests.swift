import Foundation
import Glibc
import Testing

extension OneAtATime {
/// Two real servers behind one ISC dhcrelay: kea-dhcp4 and dnsmasq on two upstream links of a router, the client
/// link on a third. On the client link every reply comes from the relay's address and MAC; probe, sniff and analyse
/// must still see two servers (by option 54), never the relay, and "several servers answered" must hold. Only kea is
/// expected, so dnsmasq is the rogue, and the alert commands run for it: one that records its input, one that fails,
/// one that hangs.
@Suite("servers behind a relay", .serialized, .enabled(if: LabGate.enabled))
struct RelayedServersLabTests: MockServerScenario {
    @Test("dhcrelay → kea-dhcp4 and dnsmasq: probe, probe --giaddr, sniff and analyse list both servers; --alert runs, fails, is killed")
    func twoServersBehindDhcrelay() async throws {
        try await Lab.run("relayed-servers", index: 76) { lab in
            let client = LabSubnet(prefix: "198.18.\(10 + lab.index)")
            let keaLink = LabSubnet(prefix: "198.18.\(11 + lab.index)"), dnsmasqLink = LabSubnet(prefix: "198.18.\(12 + lab.index)")
            let clients = try lab.namespace("cli"), router = try lab.namespace("rtr")
            let keaNS = try lab.namespace("kea"), dnsmasqNS = try lab.namespace("dnsm")
            try lab.link((clients, "cli0", lab.mac(link: 0, side: 2), "\(client.host(5))/24"),
                         (router, "r0", lab.mac(link: 0, side: 1), "\(client.host(1))/24"))
            for (link, (namespace, subnet)) in [(keaNS, keaLink), (dnsmasqNS, dnsmasqLink)].enumerated() {
                try lab.link((router, "up\(link)", lab.mac(link: link + 1, side: 1), "\(subnet.host(1))/24"),
                             (namespace, "srv0", lab.mac(link: link + 1, side: 2), "\(subnet.host(2))/24"))
                try lab.ip(namespace, "route", "add", client.cidr, "via", subnet.host(1))
            }
            try lab.run("ip-forward", in: router, ["/usr/sbin/sysctl", "-qw", "net.ipv4.ip_forward=1"])
            let kea = keaLink.host(2), dnsmasq = dnsmasqLink.host(2), relay = client.host(1)
            _ = try await lab.startKea(in: keaNS, interface: "srv0", subnets: [keaLink, client], validLifetime: 120)
            _ = try await lab.startDnsmasq(in: dnsmasqNS, interface: "srv0", subnet: dnsmasqLink,
                                           extra: ["--dhcp-range=\(client.host(160)),\(client.host(200)),255.255.255.0,2m"])
            _ = try await lab.startDhcrelay(in: router, downstream: "r0", upstreams: ["up0", "up1"], servers: [kea, dnsmasq])

            // sniff on the client link, with an alert command that records what it is given.
            let record = lab.path("alert-record.jsonl")
            let recorder = try lab.write("record-alert.sh", "#!/bin/sh\ncat >> \(record)\necho \"$DHCPSCOPE_CODE $DHCPSCOPE_SUBJECT\" >> \(record).env\n",
                                         executable: true)
            let sniff = try lab.start("sniff", in: clients, [DHCPScope.binary.path, "sniff", "-i", "cli0", "--json", "--expect", kea,
                                                             "-w", lab.path("client.pcap"), "--alert", recorder, "--alert-severity", "error"],
                                      timeout: 120)
            try await lab.wait(for: sniff, toPrint: #""event":"ready""#)

            // probe on the link, through the relay: two servers, each named by its own identifier.
            let probe = try ProbeLabTests.probe(lab, in: clients, "probe", ["--expect", kea, "--timeout", "3"])
            let servers = probe.events.filter { $0.name == "server" }
            let ids = Set(servers.compactMap { $0.string("id") })
            try lab.check(ids == [kea, dnsmasq], "probe's servers behind the relay: \(servers.map(\.object))")
            try lab.check(servers.allSatisfy { $0.string("ip") == relay && $0.string("giaddr") == relay },
                          "every reply came from the relay \(relay): \(servers.map(\.object))")
            try lab.check(probe.status == 2 && servers.first { $0.string("id") == dnsmasq }?.object["expected"] as? Bool == false,
                          "dnsmasq unexpected, CRITICAL: exit \(probe.status)\n\(probe.events.map(\.object))")
            let verdict = probe.events.filter { $0.name == "problem" && $0.string("code") == "unexpected-server" }
            try lab.check(verdict.map { $0.string("ip") } == [dnsmasq], "the rogue named is dnsmasq, not the relay: \(verdict.map(\.object))")

            // probe as a relay agent itself, through dhcrelay: giaddr set, sent to the relay, answered by both.
            let relayed = try ProbeLabTests.probe(lab, in: clients, "probe-giaddr", ["--giaddr", client.host(5), "--server", relay, "--timeout", "3"])
            let relayedIDs = Set(relayed.events.filter { $0.name == "server" }.compactMap { $0.string("id") })
            try lab.check(relayed.status == 0 && relayedIDs == [kea, dnsmasq],
                          "probe --giaddr through dhcrelay: exit \(relayed.status), servers \(relayedIDs)\n\(relayed.events.map(\.object))")

            // probe --watch: the rogue answers every round, a failing alert command runs once (--alert-interval).
            let failing = try ProbeLabTests.probe(lab, in: clients, "probe-failing-alert", ["--expect", kea, "--timeout", "1", "--watch", "0.2",
                                                                                            "--count", "3", "--alert", "exit 3", "--alert-interval", "60"])
            let failingEvents = failing.events
            let failedAlerts = failingEvents.filter { $0.name == "alert" }
            try lab.check(failingEvents.filter { $0.name == "summary" }.count == 3 && failing.status == 2,
                          "three rounds despite the failing command: exit \(failing.status)\n\(failingEvents.map(\.object))")
            try lab.check(failedAlerts.count == 1 && failedAlerts[0].string("result") == "failed" && failedAlerts[0].object["exit_status"] as? Int == 3
                          && failedAlerts[0].string("code") == "unexpected-server" && failedAlerts[0].string("subject") == dnsmasq,
                          "one failed alert for the rogue: \(failedAlerts.map(\.object))")
            // A command that hangs is killed after --alert-timeout; the rounds go on meanwhile.
            let started = Date()
            let hanging = try ProbeLabTests.probe(lab, in: clients, "probe-hanging-alert", ["--expect", kea, "--timeout", "1", "--watch", "0.2",
                                                                                            "--count", "2", "--alert", "sleep 30", "--alert-timeout", "1"])
            let hangingAlerts = hanging.events.filter { $0.name == "alert" }
            try lab.check(hangingAlerts.map { $0.string("result") } == ["timeout"] && Date().timeIntervalSince(started) < 15,
                          "the hanging command killed: \(hangingAlerts.map(\.object)) after \(Date().timeIntervalSince(started)) s")

            sniff.signal(SIGINT)
            try lab.check(sniff.waitForExit(seconds: 15), "sniff did not stop")
            let sniffed = Self.events(sniff)
            let sniffedIDs = Set(sniffed.filter { $0.name == "server" }.compactMap { $0.string("id") })
            try lab.check(sniffedIDs == [kea, dnsmasq], "sniff's servers: \(sniffed.filter { $0.name == "server" }.map(\.object))")
            let codes = Set(sniffed.filter { $0.name == "problem" }.compactMap { $0.string("code") })
            try lab.check(codes.isSuperset(of: ["multiple-servers", "unexpected-server"]), "sniff's problems: \(codes)")
            // The recording command got the unexpected-server event, once (--alert-interval 300), about dnsmasq.
            let recorded = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
            let recordedEnv = try String(contentsOfFile: record + ".env", encoding: .utf8).split(separator: "\n")
            let first = try #require(recorded.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            try lab.check(first["event"] as? String == "problem" && first["code"] as? String == "unexpected-server" && first["ip"] as? String == dnsmasq
                          && recordedEnv == ["unexpected-server \(dnsmasq)"] && recorded.count == 1,
                          "recorded: \(recorded) env: \(recordedEnv)")
            let sniffAlerts = sniffed.filter { $0.name == "alert" }
            try lab.check(sniffAlerts.map { $0.string("result") } == ["ok"], "sniff's alert events: \(sniffAlerts.map(\.object))")

            // analyse of the client side: the same two servers, each with the relay it came through.
            let analysed = try DHCPScope.run(["analyse", "--json", "--expect", kea, lab.path("client.pcap")])
            let table = try analysed.events().filter { $0.name == "server" }
            try lab.check(Set(table.compactMap { $0.string("id") }) == [kea, dnsmasq] && table.allSatisfy { $0.string("relay") == relay },
                          "analyse's servers: \(table.map(\.object))")
            let analysedCodes = Set(try analysed.events().filter { $0.name == "problem" }.compactMap { $0.string("code") })
            try lab.check(analysedCodes.isSuperset(of: ["multiple-servers", "unexpected-server"]), "analyse's problems: \(analysedCodes)")
        }
    }
}
}
