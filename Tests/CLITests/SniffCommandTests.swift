import Foundation
import Glibc
import Testing

/// `dhcpscope sniff`: the command line and the failures anyone can check, then live capture in a network
/// namespace of the test's own (root only; under CI=true a skip is a failure).
@Suite("dhcpscope sniff")
struct SniffCommandTests {
    // MARK: command line

    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["sniff", "--help"])
        #expect(result.status == 0)
        for option in ["-i", "--interface", "--filter", "--port", "--promisc", "-w", "-C", "-G", "--duration", "-c",
                       "--xid", "--mac", "--expect", "--expect-mac", "--json", "-v", "--verbose", "--txn-timeout",
                       "--max-transactions", "--max-clients", "--max-leases", "--starvation-clients", "--starvation-window", "--exhaustion-clients",
                       "--nak-burst", "--metrics <addr:port>", "--stats-interval <s>", "--alert <command>",
                       "--alert-severity <severity>", "--alert-interval <seconds>", "--alert-timeout <seconds>"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
        #expect(result.stdout.contains("Exit status"))
        #expect(result.stdout.contains("CAP_NET_RAW"))
    }

    @Test(arguments: [["sniff"],
                      ["sniff", "--json"],
                      ["sniff", "-i", "lo", "-C", "1"],
                      ["sniff", "-i", "lo", "-G", "60"],
                      ["sniff", "-i", "lo", "-w", "x.pcap", "-C", "0"],
                      ["sniff", "-i", "lo", "-w", "x.pcap", "-G", "0"],
                      ["sniff", "-i", "lo", "--duration", "0"],
                      ["sniff", "-i", "lo", "--stats-interval", "0"],
                      ["sniff", "-i", "lo", "--starvation-window", "0"],
                      ["sniff", "-i", "lo", "-c", "0"],
                      ["sniff", "-i", "lo", "--txn-timeout", "0"],
                      ["sniff", "-i", "lo", "--max-leases", "0"],
                      ["sniff", "-i", "lo", "--port", "http"],
                      ["sniff", "-i", "lo", "--expect", "nowhere"],
                      ["sniff", "-i", "lo", "--mac", "zz"],
                      ["sniff", "-i", "lo", "--type", "ack"],
                      ["sniff", "-i", "lo", "--alert", "true", "--alert-severity", "loud"],
                      ["sniff", "-i", "lo", "--alert", "true", "--alert-timeout", "0"],
                      ["sniff", "-i", "lo", "--alert", " "],
                      ["sniff", "-i", "lo", "--alert-interval", "60"]])
    func usageErrorsExit64(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains("Error:"))
        #expect(result.stdout.isEmpty)
    }

    @Test func missingInterfaceIsAUsageError() throws {
        let result = try CLI.run(["sniff", "--json"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--interface"))
    }

    /// No such interface (as root), or no permission (otherwise): either way one line, exit 2, nothing on stdout.
    @Test func unknownInterfaceExitsTwo() throws {
        let result = try CLI.run(["sniff", "-i", "nosuchif0", "--json"], timeout: 20)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("dhcpscope: nosuchif0: "))
        if geteuid() == 0 { #expect(result.stderr.contains("no such interface")) }
    }

    /// The expression is checked before the interface is opened: the same answer with or without permission.
    @Test(arguments: ["port port", "udp and (", "no-such-keyword"])
    func badFilterExitsTwo(expression: String) throws {
        let result = try CLI.run(["sniff", "-i", "lo", "--filter", expression], timeout: 20)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("dhcpscope: lo: bad filter '(udp and (port 67 or port 68 or port 546 or port 547)) and (\(expression))'"))
    }

    /// Without root or CAP_NET_RAW: the binary run as `nobody`.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "needs root to run the binary as nobody"))
    func noPermissionExitsTwo() throws {
        try SniffGate.require(needsNamespaces: false)
        let result = try SniffGate.run("/usr/bin/setpriv",
                                       ["--reuid=nobody", "--regid=nogroup", "--clear-groups", CLI.binary.path,
                                        "sniff", "-i", "lo", "--json"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.hasPrefix("dhcpscope: lo: permission denied: capturing needs root or the CAP_NET_RAW capability"))
    }

    // MARK: live, in a namespace

    /// Two DISCOVERs injected from one end of a veth pair, captured on the other: the event stream, the summary,
    /// and the -w file read back by decode with the same messages.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live capture needs root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func liveCaptureInANamespace() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("live.pcap").path

        let sniff = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                       CLI.binary.path, "sniff", "-i", "vB", "--json", "-c", "2", "--duration", "10",
                                       "-w", file], in: folder)
        try sniff.waitForOutput(containing: "\"event\":\"ready\"")
        try namespace.inject(discovers: 2)
        let result = try sniff.finish()

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let events = try result.events()
        let names = events.compactMap { $0["event"] as? String }
        #expect(names.first == "ready")
        #expect(names.last == "summary")
        let ready = try #require(events.first)
        #expect(ready["interface"] as? String == "vB")
        #expect(ready["filter"] as? String == "udp and (port 67 or port 68 or port 546 or port 547)")
        #expect(ready["link_type"] as? String == "EN10MB")
        let messages = events.filter { $0["event"] as? String == "message" }
        #expect(messages.count == 2)
        let dhcp = messages.compactMap { $0["dhcp"] as? [String: Any] }
        #expect(dhcp.map { $0["type"] as? String } == ["DISCOVER", "DISCOVER"])
        #expect(dhcp.map { $0["xid"] as? String } == ["0x00001000", "0x00001001"])
        #expect(dhcp.map { $0["chaddr"] as? String } == ["06:00:00:00:00:01", "06:00:00:00:00:02"])
        #expect(messages.map { $0["file"] as? String } == ["vB", "vB"])
        #expect(messages.map { $0["src"] as? String } == ["198.18.250.1:68", "198.18.250.1:68"])
        #expect(events.contains { $0["event"] as? String == "transition" && $0["to"] as? String == "SELECTING" })

        let summary = try #require(events.last)
        #expect(summary["interface"] as? String == "vB")
        #expect(summary["messages"] as? Int == 2)
        #expect(summary["captured"] as? Int == 2)
        #expect(summary["clients"] as? Int == 2)
        #expect(summary["kernel_drops"] as? Int == 0)
        #expect(summary.keys.contains("interface_drops"))
        #expect((summary["problems"] as? [String: Int])?["error"] == 0)

        // The file holds the same frames: decode finds the same messages, field for field.
        let decoded = try CLI.run(["decode", "--json", file])
        #expect(decoded.status == 0, "stderr: \(decoded.stderr)")
        let decodedMessages = try decoded.events().filter { $0["event"] as? String == "message" }
        #expect(decodedMessages.count == 2)
        func canonical(_ value: Any?) throws -> String {
            let data = try JSONSerialization.data(withJSONObject: try #require(value), options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        for (live, read) in zip(messages, decodedMessages) {
            #expect(live["frame"] as? Int == read["frame"] as? Int)
            #expect(live["time"] as? String == read["time"] as? String)
            #expect(live["eth_src"] as? String == read["eth_src"] as? String)
            #expect(try canonical(live["dhcp"]) == canonical(read["dhcp"]))
        }
    }

    /// Text output while running: each message, then the PROBLEM line when the unanswered DISCOVERs time out
    /// (no message needed to notice it); SIGINT then stops it with the report and exit 0, and -C has rotated
    /// the file as tcpdump does.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live capture needs root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func textOutputTimeoutsInterruptAndRotation() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rotated.pcap").path

        // One frame of a DISCOVER is 316 bytes here; with 400 bytes per file, two fit in the first.
        let sniff = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                       CLI.binary.path, "sniff", "-i", "vB", "--txn-timeout", "1", "-w", file,
                                       "-C", "0.0004"], in: folder)
        try sniff.waitForError(containing: "listening on vB")
        try namespace.inject(discovers: 3)
        try sniff.waitForOutput(containing: "PROBLEM WARNING discover-unanswered (RFC 2131 4.4.1) 06:00:00:00:00:03")
        #expect(sniff.isRunning)
        try sniff.interrupt()
        let result = try sniff.finish()

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let lines = result.lines
        #expect(lines.prefix(3).allSatisfy { $0.contains("198.18.250.1:68 > 255.255.255.255:67 DISCOVER xid=0x0000100") })
        #expect(lines.filter { $0.hasPrefix("PROBLEM WARNING discover-unanswered") }.count == 3)
        #expect(lines.contains("3 DHCP messages in 3 frames; 3 transactions (3 no_offer); 3 clients; 0 leases; 0 servers"))
        #expect(lines.last?.hasPrefix("3 frames captured on vB; 0 dropped by the kernel, 0 by the interface; written to \(file), \(file)1") == true)
        #expect(result.stderr == "dhcpscope: listening on vB, link-type EN10MB (Ethernet), filter: udp and (port 67 or port 68 or port 546 or port 547)\n")

        let first = try CLI.run(["decode", "--json", file]).events().filter { $0["event"] as? String == "message" }
        let second = try CLI.run(["decode", "--json", file + "1"]).events().filter { $0["event"] as? String == "message" }
        #expect(first.count == 2)
        #expect(second.count == 1)
        #expect(!FileManager.default.fileExists(atPath: file + "2"))
    }

    /// The interface disappearing under the capture: an error line, the summary, exit 2.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live capture needs root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func interfaceGoingAwayExitsTwo() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace()
        defer { namespace.delete() }
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }

        let sniff = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                       CLI.binary.path, "sniff", "-i", "vB", "--json"], in: folder)
        try sniff.waitForOutput(containing: "\"event\":\"ready\"")
        try namespace.ip(["link", "set", "vB", "down"])
        let result = try sniff.finish()

        #expect(result.status == 2)
        #expect(result.stderr == "dhcpscope: vB: capture failed after 0 frames: the interface went down\n")
        let events = try result.events()
        #expect(events.map { $0["event"] as? String } == ["ready", "problem", "summary"])
        #expect(events.dropFirst().first?["code"] as? String == "capture-interface")
        #expect(events.last?["capture_errors"] as? Int == 1)
    }
}

// MARK: - support

/// Root and network namespaces; under CI=true a test that cannot run fails instead of skipping.
enum SniffGate {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let isRoot = geteuid() == 0

    static func require(needsNamespaces: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var missing: String?
        if !isRoot { missing = "needs root" }
        else if needsNamespaces, !FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") { missing = "needs /usr/sbin/ip (iproute2)" }
        else if !needsNamespaces, !FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") { missing = "needs /usr/bin/setpriv" }
        guard let missing else { return }
        Issue.record("\(missing) — under CI=true a skipped live test is a failure", sourceLocation: sourceLocation)
        throw SniffTestError(missing)
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-sniff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Runs any executable to its end (at most `timeout` seconds), output in files.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 30) throws -> CLIResult {
        let run = try BackgroundRun([executable] + arguments, in: FileManager.default.temporaryDirectory)
        return try run.finish(timeout: timeout)
    }
}

struct SniffTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A process running in the background with stdout and stderr in files, read while it runs.
final class BackgroundRun {
    let process = Process()
    let folder: URL
    let arguments: [String]
    private let outURL: URL, errURL: URL

    init(_ command: [String], in directory: URL) throws {
        arguments = command
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        outURL = folder.appendingPathComponent("stdout")
        errURL = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: folder)
    }

    var isRunning: Bool { process.isRunning }
    var stdout: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    func waitForOutput(containing text: String, timeout: TimeInterval = 15) throws {
        try wait(timeout: timeout, "stdout to contain \(text)") { self.stdout.contains(text) }
    }

    func waitForError(containing text: String, timeout: TimeInterval = 15) throws {
        try wait(timeout: timeout, "stderr to contain \(text)") { self.stderr.contains(text) }
    }

    private func wait(timeout: TimeInterval, _ what: String, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline, process.isRunning || condition() else {
                throw SniffTestError("waited in vain for \(what); stdout: \(stdout) stderr: \(stderr)")
            }
            usleep(20_000)
        }
    }

    /// SIGINT, as ^C in a terminal, to the process timeout(1) runs (`ip netns exec` becomes it): timeout passes
    /// signals on only when it can receive them, and a test runner may start it with SIGINT blocked.
    func interrupt() throws {
        let pid = process.processIdentifier
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        let child = try #require(children.split(separator: " ").first.flatMap { Int32($0) }, "no child of timeout(1)")
        kill(child, SIGINT)
    }

    func finish(timeout: TimeInterval = 30) throws -> CLIResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("\(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}

/// A network namespace of the test's own, with both ends of a veth pair in it (vA PREFIX.1/24, vB PREFIX.2/24;
/// 198.18.250 unless told) and no route out. Nothing is ever sent outside it.
struct TestNamespace {
    let name = "dhcpscope-t-" + String(UInt32.random(in: 0 ... .max), radix: 16)

    init(prefix: String = "198.18.250") throws {
        try Self.command(["/usr/sbin/ip", "netns", "add", name])
        do {
            try ip(["link", "add", "vA", "type", "veth", "peer", "name", "vB"])
            try ip(["addr", "add", "\(prefix).1/24", "dev", "vA"])
            try ip(["addr", "add", "\(prefix).2/24", "dev", "vB"])
            for link in ["lo", "vA", "vB"] { try ip(["link", "set", link, "up"]) }
        } catch {
            delete()
            throw error
        }
    }

    func ip(_ arguments: [String]) throws { try Self.command(["/usr/sbin/ip", "-n", name] + arguments) }

    func delete() { try? Self.command(["/usr/sbin/ip", "netns", "del", name]) }

    /// The MAC address of each interface, by name.
    func macs() throws -> [String: String] {
        let result = try SniffGate.run("/usr/sbin/ip", ["-n", name, "-o", "link", "show"], timeout: 15)
        var macs = [String: String]()
        for line in result.stdout.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count > 1, let ether = words.firstIndex(of: "link/ether"), ether + 1 < words.count else { continue }
            let name = words[1].split(separator: "@").first.map { $0.replacingOccurrences(of: ":", with: "") } ?? ""
            macs[name] = String(words[ether + 1])
        }
        return macs
    }

    /// Both ends of the veth are in one namespace: each end must accept packets whose source is a local address.
    func acceptLocalTraffic() throws {
        for link in ["all", "vA", "vB"] {
            for setting in ["accept_local=1", "rp_filter=0"] {
                try Self.command(["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/sysctl", "-qw", "net.ipv4.conf.\(link).\(setting)"])
            }
        }
    }

    /// DISCOVERs from 198.18.250.1:68 on vA, xid 0x1000 + i, chaddr 06:00:00:00:00:0(i+1). Broadcast and bound
    /// to vA: both addresses are local to the namespace, so a unicast would take the loopback, not the veth.
    func inject(discovers count: Int) throws {
        let script = """
            import socket, struct
            def discover(xid, mac):
                header = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, xid, 0, 0x8000, bytes(4), bytes(4),
                                     bytes(4), bytes(4), mac + bytes(10), bytes(64), bytes(128))
                options = b'\\x63\\x82\\x53\\x63' + b'\\x35\\x01\\x01' + b'\\x3d\\x07\\x01' + mac + b'\\x37\\x03\\x01\\x03\\x06' + b'\\xff'
                return header + options
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'vA')
            s.bind(('198.18.250.1', 68))
            for i in range(\(count)):
                s.sendto(discover(0x1000 + i, bytes([6, 0, 0, 0, 0, i + 1])), ('255.255.255.255', 67))
            """
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        try Self.command(["/usr/bin/timeout", "10", "/usr/sbin/ip", "netns", "exec", name, python, "-c", script])
    }

    private static func command(_ arguments: [String]) throws {
        let result = try SniffGate.run(arguments[0], Array(arguments.dropFirst()), timeout: 15)
        guard result.status == 0 else {
            throw SniffTestError("\(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
    }
}
