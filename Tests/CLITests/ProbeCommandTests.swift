import Foundation
import Testing

@Suite("probe command")
struct ProbeCommandTests {
    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["probe", "--help"])
        #expect(result.status == 0)
        for option in ["-i <iface>", "--type <type,…>", "--mac <mac>", "--broadcast", "--vlan <id>", "--option <code=hex>",
                       "--request <codes>", "--address <ip>", "--giaddr <ip>", "--server <ip>", "--timeout <seconds>", "--retries <n>", "--inform", "--full",
                       "--expect <ip,…>", "--expect-mac <mac,…>", "--warn-ms <ms>", "--nagios", "--watch <seconds>",
                       "--count <n>", "-w <file>", "--json", "-v, --verbose", "3 UNKNOWN", "--metrics <addr:port>",
                       "--alert <command>", "--alert-severity <severity>", "--alert-interval <seconds>", "--alert-timeout <seconds>"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
    }

    /// Usage errors are UNKNOWN (3), as a Nagios plugin's must be. The interface does not exist, so nothing could
    /// be sent were a check missing.
    @Test(arguments: [
        ([], "-i"),
        (["-i", "nosuchif0", "--type", "discover,offer"], "--type"),
        (["-i", "nosuchif0", "--expect", "banana"], "--expect"),
        (["-i", "nosuchif0", "--expect-mac", "06:00"], "--expect-mac"),
        (["-i", "nosuchif0", "--vlan", "4095"], "--vlan"),
        (["-i", "nosuchif0", "--option", "300=01"], "--option"),
        (["-i", "nosuchif0", "--option", "60=xyz"], "--option"),
        (["-i", "nosuchif0", "--timeout", "0"], "--timeout"),
        (["-i", "nosuchif0", "--count", "3"], "--count"),
        (["-i", "nosuchif0", "--nagios", "--json"], "--nagios"),
        (["-i", "nosuchif0", "--giaddr", "198.18.0.9"], "--giaddr"),
        (["-i", "nosuchif0", "--alert", "true", "--alert-severity", "loud"], "--alert-severity"),
        (["-i", "nosuchif0", "--alert-timeout", "5"], "--alert"),
    ])
    func usageErrorsExit3(arguments: [String], mention: String) throws {
        let result = try CLI.run(["probe"] + arguments)
        #expect(result.status == 3, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func unknownInterfaceIsUnknown() throws {
        let result = try CLI.run(["probe", "-i", "nosuchif0"])
        #expect(result.status == 3)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("nosuchif0"))
    }

    @Test func loopbackIsRefused() throws {
        let result = try CLI.run(["probe", "-i", "lo", "--timeout", "0.5"])
        #expect(result.status == 3, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("not an Ethernet interface"))
    }

    /// mock-server on vB; probe on vA finds it, with --watch twice: two summaries, the second with no change;
    /// the -w file decodes to the DISCOVERs and OFFERs.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live probes need root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func findsMockServerTwice() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace(prefix: "198.18.252")
        defer { namespace.delete() }
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try namespace.acceptLocalTraffic()
        let capture = folder.appendingPathComponent("probe.pcap").path
        let server = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                        CLI.binary.path, "mock-server", "-i", "vB", "--json",
                                        "--range", "198.18.252.100-198.18.252.110", "--duration", "9"], in: folder)
        try server.waitForOutput(containing: "\"event\":\"ready\"")
        let probe = try SniffGate.run("/usr/bin/timeout", ["20", "/usr/sbin/ip", "netns", "exec", namespace.name, CLI.binary.path,
                                                          "probe", "-i", "vA", "--mac", "06:00:00:00:fc:01", "--json",
                                                          "--expect", "198.18.252.2", "--timeout", "1", "--watch", "0.5",
                                                          "--count", "2", "-w", capture])
        #expect(probe.status == 0, "stderr: \(probe.stderr)")
        let events = try probe.events()
        let summaries = events.filter { $0["event"] as? String == "summary" }
        #expect(summaries.map { $0["status"] as? String } == ["OK", "OK"])
        let servers = events.filter { $0["event"] as? String == "server" }
        #expect(servers.map { $0["id"] as? String } == ["198.18.252.2", "198.18.252.2"])
        #expect(servers.first?["offered"] as? String == "198.18.252.100" && servers.first?["expected"] as? Bool == true)
        #expect(!events.contains { $0["event"] as? String == "change" })
        // --expect-mac names a server too: one that does not answer is missing (WARNING), as an address is.
        let missing = try SniffGate.run("/usr/bin/timeout", ["20", "/usr/sbin/ip", "netns", "exec", namespace.name, CLI.binary.path,
                                                            "probe", "-i", "vA", "--mac", "06:00:00:00:fc:02", "--json",
                                                            "--expect", "198.18.252.2", "--expect-mac", "06:00:00:00:fc:99",
                                                            "--timeout", "1"])
        #expect(missing.status == 1, "stdout: \(missing.stdout) stderr: \(missing.stderr)")
        let verdict = try #require(try missing.events().last)
        #expect(verdict["status"] as? String == "WARNING" && verdict["missing"] as? [String] == ["06:00:00:00:fc:99"], "\(verdict)")
        #expect((verdict["text"] as? String)?.contains("06:00:00:00:fc:99 did not answer") == true, "\(verdict)")
        _ = try server.finish()
        let decoded = try CLI.run(["decode", "--json", capture])
        let types = try decoded.events().filter { $0["event"] as? String == "message" }
            .compactMap { ($0["dhcp"] as? [String: Any])?["type"] as? String }
        #expect(types == ["DISCOVER", "OFFER", "DISCOVER", "OFFER"])
    }
}
