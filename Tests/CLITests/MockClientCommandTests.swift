import Foundation
import Testing

@Suite("mock-client command")
struct MockClientCommandTests {
    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["mock-client", "--help"])
        #expect(result.status == 0)
        for option in ["-i <iface>", "--mac <mac>", "--clients <n>", "--client-id", "--hostname", "--vendor-class", "--fqdn",
                       "--request-list", "--max-message-size", "--broadcast", "--requested-ip", "--offer-window",
                       "--prefer-server", "--release", "--decline", "--arp-check", "--inform <ip>", "--time-scale <k>",
                       "--lease-file <file>", "--once", "--timeout", "--duration", "--count", "-w <file>", "--json",
                       "-v, --verbose", "--metrics <addr:port>"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
    }

    @Test(arguments: [
        (["--once"], "-i"),
        (["-i", "nosuchif0", "--mac", "banana"], "--mac"),
        (["-i", "nosuchif0", "--clients", "0"], "--clients"),
        (["-i", "nosuchif0", "--clients", "2", "--client-id", "01:02"], "--client-id"),
        (["-i", "nosuchif0", "--client-id", "zz"], "--client-id"),
        (["-i", "nosuchif0", "--request-list", "1,3,300"], "--request-list"),
        (["-i", "nosuchif0", "--time-scale", "0"], "--time-scale"),
        (["-i", "nosuchif0", "--inform", "198.18.0.9", "--release"], "--inform"),
        (["-i", "nosuchif0", "--inform", "not-an-ip"], "--inform"),
        (["-i", "nosuchif0", "--fqdn", "a..b"], "--fqdn"),
    ])
    /// The interface does not exist: were a check missing, the run would end with status 2, never send anything.
    func usageErrorsExit64(arguments: [String], mention: String) throws {
        let result = try CLI.run(["mock-client"] + arguments)
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func unknownInterfaceExits2WithOneLine() throws {
        let result = try CLI.run(["mock-client", "-i", "nosuchif0", "--once"])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("nosuchif0"))
    }

    @Test func loopbackIsRefused() throws {
        let result = try CLI.run(["mock-client", "-i", "lo", "--once", "--timeout", "1"])
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("not an Ethernet interface"), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func unreadableLeaseFileExits2NamingItsLine() throws {
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("client.leases")
        try Data("# leases\nmac=06:00:00:00:00:01 ip=banana\n".utf8).write(to: file)
        let result = try CLI.run(["mock-client", "-i", "nosuchif0", "--once", "--lease-file", file.path])
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("client.leases:2"), "stderr: \(result.stderr)")
    }

    /// mock-client on vA, mock-server on vB: DORA, then RELEASE; the client's events, the server's, and the
    /// client's -w file (decoded by decode) tell the same story.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live clients need root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func boundThenReleasedAgainstMockServer() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try namespace.acceptLocalTraffic()
        let capture = folder.appendingPathComponent("client.pcap").path
        let server = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                        CLI.binary.path, "mock-server", "-i", "vB", "--json",
                                        "--range", "198.18.250.100-198.18.250.110", "--router", "198.18.250.2",
                                        "--duration", "5"], in: folder)
        try server.waitForOutput(containing: "\"event\":\"ready\"")
        let client = try SniffGate.run("/usr/bin/timeout", ["20", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                                           CLI.binary.path, "mock-client", "-i", "vA", "--mac", "06:00:00:00:fa:01",
                                                           "--hostname", "cli-test", "--once", "--release", "--json",
                                                           "-w", capture, "--timeout", "10"])
        #expect(client.status == 0, "stderr: \(client.stderr)")
        let events = try client.events()
        let steps = events.filter { $0["event"] as? String == "transition" }.compactMap { event -> String? in
            guard let from = event["from"] as? String, let to = event["to"] as? String else { return nil }
            return "\(from)→\(to)"
        }
        #expect(steps == ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND", "BOUND→RELEASED"])
        let leases = events.filter { $0["event"] as? String == "lease" }
        #expect(leases.map { $0["state"] as? String } == ["active", "released"])
        #expect(leases.map { $0["ip"] as? String } == ["198.18.250.100", "198.18.250.100"])
        #expect(leases.first?["router"] as? String == "198.18.250.2" && leases.first?["server"] as? String == "198.18.250.2")
        #expect(leases.first?["hostname"] as? String == "cli-test" && leases.first?["t1"] as? Int == 1800)
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary" && summary["bound"] as? Int == 1 && summary["holding"] as? Int == 0)

        let served = try server.finish()
        let serverLeases = try served.events().filter { $0["event"] as? String == "lease" }
        #expect(serverLeases.map { $0["state"] as? String } == ["active", "released"])
        #expect(serverLeases.first?["hostname"] as? String == "cli-test")

        let decoded = try CLI.run(["decode", "--json", capture])
        #expect(decoded.status == 0, "stderr: \(decoded.stderr)")
        let types = try decoded.events().filter { $0["event"] as? String == "message" }
            .compactMap { ($0["dhcp"] as? [String: Any])?["type"] as? String }
        #expect(types == ["DISCOVER", "OFFER", "REQUEST", "ACK", "RELEASE"])
    }

    /// Nobody answers: --once gives up after --timeout, and the exit status says a client was never bound.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live clients need root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func noServerExits1() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let client = try SniffGate.run("/usr/bin/timeout", ["20", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                                           CLI.binary.path, "mock-client", "-i", "vA", "--clients", "2",
                                                           "--once", "--json", "--timeout", "1.5", "--time-scale", "4"])
        #expect(client.status == 1, "stderr: \(client.stderr)")
        let events = try client.events()
        let discovers = events.filter { $0["event"] as? String == "transition" && $0["to"] as? String == "SELECTING" }
        #expect(Set(discovers.compactMap { $0["mac"] as? String }).count == 2)
        let summary = try #require(events.last)
        #expect(summary["clients"] as? Int == 2 && summary["bound"] as? Int == 0)
        // At scale 4 the first retransmission comes after (4 ± 1) / 4 s: two DISCOVERs per client in 1.5 s.
        #expect(summary["sent"] as? Int == 4)
    }
}
