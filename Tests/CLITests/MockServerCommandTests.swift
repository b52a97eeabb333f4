import Foundation
import Testing

@Suite("mock-server command")
struct MockServerCommandTests {
    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["mock-server", "--help"])
        #expect(result.status == 0)
        for option in ["-i <iface>", "--config <file>", "--range <start-end>", "--subnet", "--server-ip", "--router", "--dns",
                       "--domain", "--lease-time", "--t1", "--t2", "--authoritative", "--drop", "--delay", "--nak-all",
                       "--offer-only", "--ignore-renew", "--wrong-server-id", "--exhaust", "--rogue", "--duplicate-ip",
                       "--answer-only", "--rate-limit", "--lease-db <url>", "--export-leases <file>", "-w <file>", "--json",
                       "-v, --verbose", "--duration", "--ha-mode <mode>", "--ha-role <role>", "--ha-partner <ip>",
                       "--ha-heartbeat <seconds>", "--ha-max-missed <n>", "--ha-secs-threshold <seconds>", "--ldap <url>",
                       "--ldap-base <dn>", "--ldap-bind-dn <dn>", "--ldap-password-file <file>", "--metrics <addr:port>"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
    }

    @Test(arguments: [
        (["--range", "198.18.0.10-198.18.0.20"], "-i"),                                          // no -i
        (["-i", "lo"], "--range"),                                                                 // neither --range nor --config
        (["-i", "lo", "--range", "198.18.0.20-198.18.0.10"], "--range"),                          // START > END
        (["-i", "lo", "--range", "banana"], "--range"),
        (["-i", "lo", "--range", "198.18.5.10-198.18.5.20", "--subnet", "198.18.0.0/24"], "subnet"),
        (["-i", "lo", "--range", "198.18.0.10-198.18.0.20", "--drop", "150"], "--drop"),
        (["-i", "lo", "--range", "198.18.0.10-198.18.0.20", "--drop", "FOO:10"], "--drop"),
        (["-i", "lo", "--range", "198.18.0.10-198.18.0.20", "--answer-only", "discover,bogus"], "--answer-only"),
        (["-i", "lo", "--config", "/nonexistent.conf", "--range", "198.18.0.10-198.18.0.20"], "--config"),
        (["-i", "lo", "--range", "198.18.0.10-198.18.0.20", "--lease-db", "mysql://db/leases"], "--lease-db"),
        (["-i", "lo", "--range", "198.18.0.10-198.18.0.20", "--ha-mode", "hot-standby", "--ha-role", "primary",
          "--ha-partner", "198.18.0.2"], "--ha-mode"),                                           // no shared database
        (["-i", "lo", "--range", "198.18.0.10-198.18.0.20", "--ha-mode", "hot-standby", "--ha-role", "secondary",
          "--ha-partner", "198.18.0.2", "--lease-db", "postgresql://x@/y"], "--ha-mode"),        // no secondary in hot-standby
        (["-i", "lo", "--range", "198.18.0.10-198.18.0.20", "--ha-partner", "198.18.0.2"], "--ha-mode"),
        (["-i", "lo", "--range", "198.18.0.10-198.18.0.20", "--ldap", "ldap://127.0.0.1"], "--ldap-base"),
    ])
    func usageErrorsExit64(arguments: [String], mention: String) throws {
        let result = try CLI.run(["mock-server"] + arguments)
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func badConfigFileIsAUsageErrorWithItsLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-mock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bad.conf").path
        try Data("subnet 198.18.0.0/24 {\n  pool 198.18.0.10-banana\n}\n".utf8).write(to: URL(fileURLWithPath: file))
        let result = try CLI.run(["mock-server", "-i", "lo", "--config", file])
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("bad.conf:2"), "stderr: \(result.stderr)")
    }

    @Test func unknownInterfaceExits2WithOneLine() throws {
        let result = try CLI.run(["mock-server", "-i", "nosuchif0", "--range", "198.18.0.10-198.18.0.20"])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("nosuchif0"))
        #expect(result.stdout.isEmpty)
    }

    /// A lease database that cannot be reached at start: exit 2, one line naming it (without its password), before any
    /// socket is opened.
    @Test func unreachableLeaseDatabaseExits2WithOneLine() throws {
        let url = "postgresql://dhcp:hunter2@/leases?host=/nonexistent-dhcpscope-socket-folder"
        let result = try CLI.run(["mock-server", "-i", "lo", "--range", "127.0.0.10-127.0.0.20", "--lease-db", url])
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("postgresql://dhcp:***@/leases") && !result.stderr.contains("hunter2"), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// With a configuration of several subnets, the ready event lists each with all its pools in `subnets`; `subnet`
    /// and `range` keep naming the first subnet and its first pool.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live serving needs root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func readyListsEverySubnet() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("two-subnets.conf")
        try Data("""
            subnet 198.18.250.0/24 {
              pool 198.18.250.100-198.18.250.110
              pool 198.18.250.200-198.18.250.210
            }
            subnet 198.18.251.0/24 {
              pool 198.18.251.100-198.18.251.199
            }

            """.utf8).write(to: config)
        let result = try SniffGate.run("/usr/bin/timeout", ["20", "/usr/sbin/ip", "netns", "exec", namespace.name, CLI.binary.path,
                                                           "mock-server", "-i", "vB", "--json", "--config", config.path,
                                                           "--duration", "0.5"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let ready = try #require(try result.events().first { $0["event"] as? String == "ready" })
        #expect(ready["subnet"] as? String == "198.18.250.0/24")
        #expect(ready["range"] as? String == "198.18.250.100-198.18.250.110")
        let subnets = try #require(ready["subnets"] as? [[String: Any]], "ready: \(ready)")
        #expect(subnets.map { $0["subnet"] as? String } == ["198.18.250.0/24", "198.18.251.0/24"])
        #expect(subnets.map { $0["pools"] as? [String] } == [["198.18.250.100-198.18.250.110", "198.18.250.200-198.18.250.210"],
                                                             ["198.18.251.100-198.18.251.199"]])
    }

    /// A DISCOVER from a UDP socket on vA, served by mock-server on vB: the OFFER comes back, the JSON stream has
    /// message events for both, and the -w file decodes to the same DISCOVER and OFFER.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live serving needs root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func servesADiscoverInANamespace() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("served.pcap").path
        try namespace.acceptLocalTraffic()
        let leases = folder.appendingPathComponent("dhcpd.leases").path

        let server = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                        CLI.binary.path, "mock-server", "-i", "vB", "--json", "-v", "-w", file,
                                        "--range", "198.18.250.100-198.18.250.110", "--duration", "4",
                                        "--export-leases", leases], in: folder)
        try server.waitForOutput(containing: "\"event\":\"ready\"")
        let script = """
            import socket, struct, sys
            mac = bytes([6, 0, 0, 0, 0, 0x2a])
            header = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, 0x2a2a, 0, 0x8000, bytes(4), bytes(4),
                                 bytes(4), bytes(4), mac + bytes(10), bytes(64), bytes(128))
            options = b'\\x63\\x82\\x53\\x63' + b'\\x35\\x01\\x01' + b'\\x37\\x03\\x01\\x03\\x06' + b'\\xff'
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'vA')
            s.bind(('0.0.0.0', 68))
            s.settimeout(5)
            s.sendto(header + options, ('255.255.255.255', 67))
            while True:
                data, source = s.recvfrom(2048)
                if data[0] == 2 and data[4:8] == struct.pack('!I', 0x2a2a):
                    print(socket.inet_ntoa(data[16:20]), source[0])
                    sys.exit(0)
            """
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        let client = try SniffGate.run("/usr/bin/timeout", ["10", "/usr/sbin/ip", "netns", "exec", namespace.name, python, "-c", script])
        #expect(client.status == 0, "client: \(client.stderr)")
        #expect(client.stdout.hasPrefix("198.18.250.100 198.18.250.2"), "client: \(client.stdout)")
        let result = try server.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let events = try result.events()
        let messages = events.filter { $0["event"] as? String == "message" }
        #expect(messages.compactMap { ($0["dhcp"] as? [String: Any])?["type"] as? String } == ["DISCOVER", "OFFER"])
        #expect(messages.map { $0["file"] as? String } == ["vB", "vB"])
        #expect(messages.map { $0["src"] as? String } == ["198.18.250.1:68", "198.18.250.2:67"])
        #expect(events.contains { $0["event"] as? String == "reply" && $0["type"] as? String == "OFFER" })

        let decoded = try CLI.run(["decode", "--json", file])
        #expect(decoded.status == 0, "stderr: \(decoded.stderr)")
        let read = try decoded.events().filter { $0["event"] as? String == "message" }
        #expect(read.compactMap { ($0["dhcp"] as? [String: Any])?["type"] as? String } == ["DISCOVER", "OFFER"])
        // The frames as the wire carried them: the client's MAC (vA) on the DISCOVER, the server's (vB) on the OFFER.
        let macs = try namespace.macs()
        #expect(read.map { $0["eth_src"] as? String } == [macs["vA"], macs["vB"]], "\(read)")
        #expect(messages.map { $0["eth_src"] as? String } == [macs["vA"], macs["vB"]], "\(messages)")
        #expect(read.compactMap { ($0["dhcp"] as? [String: Any])?["yiaddr"] as? String } == ["0.0.0.0", "198.18.250.100"])
        // An OFFER binds nothing: the export has the header and no lease.
        let export = try String(contentsOfFile: leases, encoding: .utf8)
        #expect(export.hasPrefix("# The format of this file is documented in the dhcpd.leases(5) manual page."))
        #expect(!export.contains("lease 198.18.250.100"))
    }

    /// --delay holds each reply back on its own timer: a second client's DISCOVER, sent while the first one's OFFER
    /// waits, is answered its delay after it came, not after the first reply went out.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live serving needs root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func delayedRepliesDoNotStallOtherClients() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace(prefix: "198.18.58")
        defer { namespace.delete() }
        try namespace.acceptLocalTraffic()
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                        CLI.binary.path, "mock-server", "-i", "vB", "--json", "--delay", "2000",
                                        "--range", "198.18.58.100-198.18.58.110", "--duration", "6"], in: folder)
        try server.waitForOutput(containing: "\"event\":\"ready\"")
        // Two DISCOVERs 0.3 s apart; print when each OFFER came, in seconds after the first DISCOVER.
        let script = """
            import socket, struct, sys, time
            def discover(xid, last):
                header = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, xid, 0, 0x8000, bytes(4), bytes(4),
                                     bytes(4), bytes(4), bytes([6, 0, 0, 0, 0x58, last]) + bytes(10), bytes(64), bytes(128))
                return header + b'\\x63\\x82\\x53\\x63\\x35\\x01\\x01\\xff'
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'vA')
            s.bind(('0.0.0.0', 68))
            s.settimeout(6)
            start = time.monotonic()
            s.sendto(discover(0x5801, 1), ('255.255.255.255', 67))
            time.sleep(0.3)
            s.sendto(discover(0x5802, 2), ('255.255.255.255', 67))
            seen = {}
            while len(seen) < 2:
                data, source = s.recvfrom(2048)
                xid = struct.unpack('!I', data[4:8])[0]
                if data[0] == 2 and xid in (0x5801, 0x5802) and xid not in seen:
                    seen[xid] = time.monotonic() - start
            print('%.3f %.3f' % (seen[0x5801], seen[0x5802]))
            """
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        let client = try SniffGate.run("/usr/bin/timeout", ["12", "/usr/sbin/ip", "netns", "exec", namespace.name, python, "-c", script])
        #expect(client.status == 0, "client: \(client.stdout) \(client.stderr)")
        let times = client.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(times.count == 2, "client: \(client.stdout)")
        if times.count == 2 {
            // Each OFFER about 2 s after its DISCOVER; in a loop that slept, the second would come 2 s after the first.
            #expect(times[0] >= 1.9 && times[1] >= 2.2, "OFFERs at \(times) s: earlier than the delay")
            #expect(times[1] - times[0] < 1.2, "OFFERs at \(times) s: the second waited for the first")
        }
        let result = try server.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")
    }
}
