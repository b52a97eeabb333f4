import Foundation
import Glibc
import Testing

extension OneAtATime {
/// `dhcpscope conformance` against real servers and mock-server, each alone on a segment with the battery's
/// namespace: what the lab knows of each server shows as the matching result.
@Suite("conformance", .serialized, .enabled(if: LabGate.enabled))
struct ConformanceLabTests: MockServerScenario {
    /// The battery from `namespace` on cli0: its exit status and results by check id (and the check events).
    static func battery(_ lab: Lab, in namespace: String, _ name: String, _ target: [String] = ["-i", "cli0"])
        throws -> (status: Int32, results: [String: String], checks: [Event]) {
        let process = try lab.start(name, in: namespace, [DHCPScope.binary.path, "conformance", "--json", "--wait", "1",
                                                          "-w", lab.path("\(name).pcap")] + target, timeout: 90)
        try lab.check(process.waitForExit(seconds: 95), "\(name) did not end")
        let events = process.standardOutput.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).map(Event.init)
        }
        let checks = events.filter { $0.name == "check" }
        var results: [String: String] = [:]
        for check in checks { if let id = check.string("id") { results[id] = check.string("result") } }
        return (process.exitStatus ?? -1, results, checks)
    }

    /// Every check the battery has was judged, none left out.
    static func complete(_ lab: Lab, _ run: (status: Int32, results: [String: String], checks: [Event]), _ name: String) throws {
        try lab.check(run.results.count == 38, "\(name): \(run.results.count) checks judged of 38")
    }

    @Test("conformance: mock-server passes every MUST; its leases are all given back")
    func mockServer() async throws {
        try await Lab.run("conformance-mock-server", index: 78) { lab in
            let (client, server, _) = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            // An option of 300 bytes (code 252): sent split in two instances (RFC 3396).
            let long = (0..<300).map { _ in "61" }.joined(separator: ":")
            let config = try lab.write("mock.conf", """
                subnet \(lab.subnet.cidr) {
                  pool \(lab.subnet.host(100))-\(lab.subnet.host(150))
                  lease-time 600
                  option 252 = \(long)
                }

                """)
            let mock = try await Self.startMock(lab, in: server, ["--config", config])
            let run = try Self.battery(lab, in: client, "mock")
            try lab.check(run.results["long-option-split"] == "pass", "mock-server's 300-byte option: \(run.results["long-option-split"] ?? "none")")
            try Self.complete(lab, run, "mock-server")
            let mustFailed = run.checks.filter { $0.string("level") == "MUST" && $0.string("result") == "fail" }
            try lab.check(run.status == 0 && mustFailed.isEmpty, "mock-server: exit \(run.status), MUST failed: \(mustFailed.map(\.object))")
            let others = run.checks.filter { $0.string("result") == "fail" }.compactMap { $0.string("id") }
            try lab.check(others.isEmpty, "mock-server fails: \(others)")
            try Self.stopMock(lab, mock)
            // Every lease the battery took was released (or declined): none is left bound in the mock's view.
            var latest: [String: String] = [:]
            for lease in Self.leases(mock) { if let ip = lease.string("ip") { latest[ip] = lease.string("state") } }
            let bound = latest.filter { $0.value == "active" || $0.value == "renewed" }
            try lab.check(bound.isEmpty, "leases the battery left bound: \(bound)")
        }
    }

    @Test("conformance: kea-dhcp4 drops a REQUEST for an address it never offered (no NAK), and is silent to a stranger's INIT-REBOOT when not authoritative")
    func kea() async throws {
        try await Lab.run("conformance-kea", index: 79) { lab in
            let (client, server, _) = try Self.pair(lab, link: 0, serverAddress: lab.subnet.host(1))
            _ = try await lab.startKea(in: server, interface: "srv0", subnets: [lab.subnet], validLifetime: 600, renewTimer: 300, rebindTimer: 500)
            let run = try Self.battery(lab, in: client, "kea")
            try Self.complete(lab, run, "kea-dhcp4")
            try lab.check(run.results["request-not-offered"] == "fail" && run.results["init-reboot-wrong-network"] == "not-applicable"
                          && run.results["option82-only-relayed"] == "fail"
                          && run.status == 0, "kea: exit \(run.status), \(run.results)")
        }
    }

    @Test("conformance: dnsmasq, ISC dhcpd and udhcpd: every check judged, the known facts shown")
    func otherServers() async throws {
        try await Lab.run("conformance-servers", index: 80) { lab in
            var runs: [String: (status: Int32, results: [String: String], checks: [Event])] = [:]
            for (link, name) in ["dnsmasq", "dhcpd", "udhcpd"].enumerated() {
                let (client, server, _) = try Self.pair(lab, name, link: link, serverAddress: lab.subnet.host(1))
                let process: LabProcess
                switch name {
                case "dnsmasq": process = try await lab.startDnsmasq(in: server, interface: "srv0", subnet: lab.subnet)
                case "dhcpd": process = try await lab.startDhcpd(in: server, interface: "srv0", subnet: lab.subnet, leaseTime: 600, t1: 300, t2: 500)
                default: process = try await lab.startUdhcpd(in: server, interface: "srv0", subnet: lab.subnet, leaseTime: 600)
                }
                runs[name] = try Self.battery(lab, in: client, name)
                try Self.complete(lab, try #require(runs[name]), name)
                process.stop()
            }
            // What each does, as the lab saw it: none echoes the client identifier (RFC 6842 came after them);
            // dnsmasq puts a lease time in its ACK to an INFORM and offers a declined dynamic address again; ISC
            // dhcpd, authoritative here, answers INFORM; udhcpd broadcasts its OFFERs and does not give a released
            // address to the next client asking for it.
            let expected: [(String, String, String)] = [
                ("dnsmasq", "client-id-echo", "fail"), ("dhcpd", "client-id-echo", "fail"), ("udhcpd", "client-id-echo", "fail"),
                ("dnsmasq", "inform-no-lease", "fail"), ("dnsmasq", "decline-quarantine", "fail"),
                ("dhcpd", "inform-answered", "pass"), ("dhcpd", "offer-server-id", "pass"),
                ("dnsmasq", "option82-only-relayed", "fail"), ("dhcpd", "option82-only-relayed", "fail"),
                ("udhcpd", "option82-only-relayed", "pass"),
                ("dnsmasq", "request-acked", "pass"), ("dhcpd", "request-acked", "pass"), ("udhcpd", "request-acked", "pass"),
                ("dnsmasq", "server-id-is-source", "pass"), ("dhcpd", "server-id-is-source", "pass"), ("udhcpd", "server-id-is-source", "pass"),
                ("udhcpd", "unicast-reply", "fail"), ("udhcpd", "requested-address", "fail"),
            ]
            for (server, check, result) in expected {
                try lab.check(runs[server]?.results[check] == result, "\(server) \(check): \(runs[server]?.results[check] ?? "none"), expected \(result)")
            }
            for (server, run) in runs { try lab.check(run.status == 1, "\(server): exit \(run.status), a MUST failed so 1") }
        }
    }

    /// Each of mock-server's faults, alone: the battery fails exactly the checks the fault breaks, and no other.
    @Test("conformance: each mock-server fault fails exactly its checks")
    func faults() async throws {
        try await Lab.run("conformance-faults", index: 81) { lab in
            let cases: [(name: String, flags: [String], failing: Set<String>, status: Int32)] = [
                ("nak-all", ["--nak-all"], ["request-acked"], 1),
                // No ACK, so a REQUEST for an address never offered gets no NAK either.
                ("offer-only", ["--offer-only"], ["request-acked", "request-not-offered"], 1),
                // Clients unicast RENEW and RELEASE to the identifier the replies name: nobody is there.
                ("wrong-server-id", ["--wrong-server-id"], ["server-id-is-source", "renew-extends", "release-frees", "requested-address"], 1),
                ("ignore-renew", ["--ignore-renew"], ["renew-extends"], 1),
                // RELEASEs lost: the released address is still bound when the next client asks for it.
                ("drop-release", ["--drop", "RELEASE:100"], ["release-frees", "requested-address"], 0),
            ]
            var wrong: [String] = []
            for (link, fault) in cases.enumerated() {
                let (client, server, _) = try Self.pair(lab, fault.name, link: link, serverAddress: lab.subnet.host(1))
                let mock = try await Self.startMock(lab, "mock-\(fault.name)", in: server,
                                                    ["--range", Self.range(lab.subnet, 100, 150), "--lease-time", "600"] + fault.flags)
                let run = try Self.battery(lab, in: client, fault.name)
                let failed = Set(run.checks.filter { $0.string("result") == "fail" }.compactMap { $0.string("id") })
                if failed != fault.failing || run.status != fault.status {
                    wrong.append("--\(fault.name): exit \(run.status), failed \(failed.sorted()), expected \(fault.failing.sorted())")
                }
                try Self.stopMock(lab, mock)
            }
            try lab.check(wrong.isEmpty, wrong.joined(separator: "; "))
            // --exhaust: nobody offers, the battery cannot run.
            let (client, server, _) = try Self.pair(lab, "exhaust", link: cases.count, serverAddress: lab.subnet.host(1))
            let mock = try await Self.startMock(lab, "mock-exhaust", in: server, ["--range", Self.range(lab.subnet, 100, 150), "--exhaust"])
            let run = try Self.battery(lab, in: client, "exhaust")
            try lab.check(run.status == 2 && run.checks.isEmpty, "--exhaust: exit \(run.status), \(run.checks.count) checks")
            try Self.stopMock(lab, mock)
        }
    }

    /// As a relay agent, through a router to kea-dhcp4 on another link: Kea answers to giaddr with giaddr kept,
    /// echoes option 82, and honours subnet selection (118) and link selection (82.5) for a third subnet.
    @Test("conformance --giaddr --server --subnet: kea-dhcp4 through a router, the relay checks")
    func keaAsRelayAgent() async throws {
        try await Lab.run("conformance-relay-kea", index: 82) { lab in
            let topology = try RelayLabTests.topology(lab, clientLinks: 1)
            let client = topology.clients[0], subnet = topology.clientSubnets[0]
            try lab.ip(client, "addr", "add", "\(subnet.host(5))/24", "dev", "cli0")
            let other = LabSubnet(prefix: "198.18.\(10 + lab.index + 5)")
            _ = try await lab.startKea(in: topology.server, interface: "srv0", subnets: [topology.serverSubnet, subnet, other],
                                       validLifetime: 600, renewTimer: 300, rebindTimer: 500)
            let run = try Self.battery(lab, in: client, "relay", ["--giaddr", subnet.host(5), "--server", topology.serverAddress,
                                                                  "--subnet", other.host(1)])
            try Self.complete(lab, run, "kea-dhcp4 through a relay")
            let expected = ["relay-reply-to-giaddr": "pass", "option82-echo": "pass", "subnet-selection": "pass", "link-selection": "pass",
                            "request-acked": "pass", "unicast-reply": "not-applicable", "renew-extends": "not-applicable",
                            "inform-answered": "not-applicable"]
            for (check, result) in expected {
                try lab.check(run.results[check] == result, "\(check): \(run.results[check] ?? "none"), expected \(result); all: \(run.results)")
            }
        }
    }
}
}
