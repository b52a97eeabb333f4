import Foundation
import Glibc
import Testing

enum LabError: Error, CustomStringConvertible {
    case cannotRun(String)
    case command(String, status: Int32, output: String)
    case timeout(String, seconds: Double)
    case check(String)

    var description: String {
        switch self {
        case .cannotRun(let reason): "lab cannot run: \(reason)"
        case .command(let command, let status, let output): "`\(command)` exited \(status): \(output)"
        case .timeout(let what, let seconds): "timed out after \(seconds) s waiting for \(what)"
        case .check(let text): text
        }
    }
}

/// A /24 of 198.18.0.0/15 (RFC 2544 benchmarking space), the only addresses the lab uses.
struct LabSubnet {
    let prefix: String
    func host(_ n: Int) -> String { "\(prefix).\(n)" }
    var network: String { "\(prefix).0" }
    var cidr: String { "\(prefix).0/24" }
    func contains(_ address: String) -> Bool { address.hasPrefix(prefix + ".") }
}

/// A throwaway network of namespaces for one scenario, and the programs running in it.
///
/// Namespaces are `dhcpscope-lab-<scenario>-<pid>x<random>-<role>`, joined only by veth pairs created directly
/// inside them; nothing is created in, or routed to, the root namespace. Scenario `index` uses 198.18.(10+index).0/24
/// and, when it needs a second subnet (relay), 198.19.(10+index).0/24. Everything started is stopped by process id
/// and every namespace deleted when the scenario ends, failed or not.
final class Lab {
    let scenario: String
    let index: Int
    let tag: String
    let folder: URL
    private(set) var namespaces: [String] = []
    private(set) var processes: [LabProcess] = []
    private var commandCount = 0

    static let prefix = "dhcpscope-lab-"

    /// Runs one scenario: creates the lab, runs `body`, tears down; on failure records the logs as an issue
    /// (the folder is then kept and named); on success prints `LAB PASS <scenario>`.
    static func run(_ scenario: String, index: Int, _ body: (Lab) async throws -> Void) async throws {
        try LabGate.require()
        _ = leftoversRemoved
        let lab = try Lab(scenario: scenario, index: index)
        var passed = false
        defer { lab.tearDown(keepFolder: !passed) }
        let started = Date()
        do {
            try await body(lab)
            passed = true
        } catch {
            lab.stopAll()
            Issue.record(Comment(rawValue: "lab \(scenario) failed: \(error)\nlab folder (kept): \(lab.folder.path)\n\(lab.report())"))
            return
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        FileHandle.standardOutput.write(Data("LAB PASS \(scenario) (\(seconds) s)\n".utf8))
    }

    private init(scenario: String, index: Int) throws {
        precondition((0..<90).contains(index), "scenario index out of 198.18.10-99")
        self.scenario = scenario
        self.index = index
        tag = "\(getpid())x" + String(UInt32.random(in: 0..<0xFFFF), radix: 16)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(Lab.prefix)\(scenario)-\(tag)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    // MARK: Topology

    /// The scenario's first subnet, 198.18.(10+index).0/24, and its second, 198.19.(10+index).0/24.
    var subnet: LabSubnet { LabSubnet(prefix: "198.18.\(10 + index)") }
    var secondSubnet: LabSubnet { LabSubnet(prefix: "198.19.\(10 + index)") }

    /// A locally administered MAC, unique per scenario, link and side.
    func mac(link: Int, side: Int) -> String {
        String(format: "06:00:00:%02x:%02x:%02x", index, link, side)
    }

    /// Creates a namespace with lo up and IPv6 off (no router solicitations in the captures). With `ipv6`, IPv6 is on
    /// inside it alone, for DHCPv6: link-local addresses at once (no duplicate address detection), no router
    /// solicitations or advertisements, no forwarding; global addresses only from 2001:db8::/32 (`link`).
    func namespace(_ role: String, ipv6: Bool = false) throws -> String {
        let name = "\(Lab.prefix)\(scenario)-\(tag)-\(role)"
        try command(["/usr/sbin/ip", "netns", "add", name])
        namespaces.append(name)
        try command(["/usr/sbin/ip", "-n", name, "link", "set", "lo", "up"])
        let settings = ipv6
            ? ["disable_ipv6=0", "accept_dad=0", "router_solicitations=0", "accept_ra=0", "forwarding=0"]
            : ["disable_ipv6=1"]
        for scope in ["all", "default"] {
            for setting in settings {
                try command(["/usr/sbin/ip", "netns", "exec", name, "/usr/sbin/sysctl", "-qw", "net.ipv6.conf.\(scope).\(setting)"])
            }
        }
        return name
    }

    /// A veth pair created directly inside the two namespaces, both ends up; addresses as "a.b.c.d/24".
    func link(_ a: (namespace: String, interface: String, mac: String, address: String?),
              _ b: (namespace: String, interface: String, mac: String, address: String?)) throws {
        precondition(namespaces.contains(a.namespace) && namespaces.contains(b.namespace), "link outside the lab")
        try command(["/usr/sbin/ip", "link", "add", a.interface, "netns", a.namespace, "address", a.mac, "type", "veth",
                     "peer", "name", b.interface, "netns", b.namespace, "address", b.mac])
        for end in [a, b] {
            if let address = end.address {
                precondition(address.hasPrefix("198.18.") || address.hasPrefix("198.19.") || address.hasPrefix("2001:db8:"),
                             "lab addresses are 198.18.0.0/15 and 2001:db8::/32")
                try command(["/usr/sbin/ip", "-n", end.namespace, "addr", "add", address, "dev", end.interface])
            }
            try command(["/usr/sbin/ip", "-n", end.namespace, "link", "set", end.interface, "up"])
        }
        // Daemons refuse an interface that is not yet running (Kea: "the interface srv0 is not running").
        for end in [a, b] {
            let deadline = Date().addingTimeInterval(5)
            while try !command(["/usr/sbin/ip", "-n", end.namespace, "link", "show", "dev", end.interface]).contains("LOWER_UP") {
                if Date() > deadline { throw LabError.timeout("\(end.interface) in \(end.namespace) to be running", seconds: 5) }
                usleep(20_000)
            }
        }
    }

    /// `ip -n NS ARGS`, for routes and checks inside the lab.
    @discardableResult
    func ip(_ namespace: String, _ arguments: String...) throws -> String {
        precondition(namespaces.contains(namespace), "ip outside the lab")
        return try command(["/usr/sbin/ip", "-n", namespace] + arguments)
    }

    // MARK: Programs

    /// Starts a long-running program inside a namespace, bounded by `timeout` seconds.
    @discardableResult
    func start(_ name: String, in namespace: String, _ arguments: [String], environment: [String: String] = [:],
               timeout: Int = 90) throws -> LabProcess {
        precondition(namespaces.contains(namespace), "programs run only in the lab's namespaces")
        let process = try LabProcess(name: name, namespace: namespace, arguments: arguments, environment: environment,
                                     timeout: timeout, folder: folder)
        processes.append(process)
        return process
    }

    /// Runs a short program inside a namespace to its end (at most `timeout` seconds); its output.
    @discardableResult
    func run(_ name: String, in namespace: String, _ arguments: [String], timeout: Int = 20,
             allowFailure: Bool = false) throws -> String {
        let process = try start(name, in: namespace, arguments, timeout: timeout)
        process.waitForExit(seconds: Double(timeout) + 5)
        let status = process.exitStatus ?? -1
        if status != 0, !allowFailure {
            throw LabError.command(arguments.joined(separator: " "), status: status, output: process.output)
        }
        return process.output
    }

    /// Runs a host command (only `ip` and `sysctl` on the lab's namespaces) to its end, at most 15 s.
    @discardableResult
    private func command(_ arguments: [String]) throws -> String {
        commandCount += 1
        let result = try Lab.execute(arguments, folder: folder, name: "cmd\(commandCount)")
        if result.status != 0 {
            throw LabError.command(arguments.joined(separator: " "), status: result.status, output: result.output)
        }
        return result.output
    }

    static func execute(_ arguments: [String], folder: URL, name: String, timeout: Double = 15)
        throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let url = folder.appendingPathComponent("\(name).txt")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close(); try? FileManager.default.removeItem(at: url) }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try LabProcess.runUnblocked(process)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(5_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        let output = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }

    // MARK: Files and waiting

    func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    func path(_ name: String) -> String { file(name).path }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let url = file(name)
        try Data(text.utf8).write(to: url)
        if executable { chmod(url.path, 0o755) }
        return url.path
    }

    func read(_ name: String) -> String { (try? String(contentsOf: file(name), encoding: .utf8)) ?? "" }

    /// Polls `condition` every 50 ms for at most `seconds`; a timeout throws, naming what was awaited.
    func wait(for what: String, seconds: Double = 10, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if try condition() { return }
            if Date() >= deadline { throw LabError.timeout(what, seconds: seconds) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits for a program to print a line containing `text` (on stdout or stderr).
    func wait(for process: LabProcess, toPrint text: String, seconds: Double = 10) async throws {
        try await wait(for: "\(process.name) to print \"\(text)\"", seconds: seconds) {
            if process.output.contains(text) { return true }
            if !process.isRunning {
                throw LabError.command(process.arguments.joined(separator: " "), status: process.exitStatus ?? -1,
                                       output: "ended before printing \"\(text)\": \(process.output)")
            }
            return false
        }
    }

    /// Whether the program has a UDP socket bound to `udpPort`: /proc/PID/net/udp is its own namespace's table.
    func listens(_ process: LabProcess, udpPort: Int) -> Bool {
        guard let pid = process.commandPID,
              let table = try? String(contentsOfFile: "/proc/\(pid)/net/udp", encoding: .utf8) else { return false }
        let port = String(format: ":%04X", udpPort)
        return table.split(separator: "\n").dropFirst().contains { line in
            line.split(separator: " ").dropFirst().first?.hasSuffix(port) == true
        }
    }

    func check(_ condition: Bool, _ text: @autoclosure () -> String) throws {
        if !condition { throw LabError.check(text()) }
    }

    // MARK: Capture

    /// tcpdump on `interface` inside `namespace`, writing DHCP (UDP 67/68) to `file`; returns once listening. Immediate
    /// mode: without it packets wait up to a second in the kernel buffer and a stop loses them. A burst (many clients at
    /// once) needs a kernel buffer of more than the default 2 MiB: `bufferKiB`.
    func capture(_ name: String, in namespace: String, interface: String, to file: String,
                 bufferKiB: Int = 2048, filter: String = "udp and (port 67 or port 68)") async throws -> LabProcess {
        let process = try start(name, in: namespace, ["/usr/bin/tcpdump", "-Z", "root", "-n", "-U", "--immediate-mode", "-B", String(bufferKiB),
                                                      "-i", interface, "-w", path(file), filter])
        try await wait(for: process, toPrint: "listening on")
        return process
    }

    /// Stops a capture cleanly (SIGINT flushes), after a moment for the last frames.
    func stopCapture(_ process: LabProcess) async throws {
        try await Task.sleep(for: .milliseconds(300))
        process.stop(signal: SIGINT)
    }

    // MARK: Teardown

    func stopAll() {
        LabProcess.stop(processes)
    }

    /// Stops every program by process id, kills anything left in the namespaces, deletes them.
    func tearDown(keepFolder: Bool) {
        stopAll()
        for namespace in namespaces.reversed() { Lab.removeNamespace(namespace, folder: folder) }
        namespaces.removeAll()
        if !keepFolder { try? FileManager.default.removeItem(at: folder) }
    }

    static func removeNamespace(_ namespace: String, folder: URL) {
        if let pids = try? execute(["/usr/sbin/ip", "netns", "pids", namespace], folder: folder, name: "pids-\(namespace)") {
            for pid in pids.output.split(whereSeparator: \.isWhitespace).compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        _ = try? execute(["/usr/sbin/ip", "netns", "del", namespace], folder: folder, name: "del-\(namespace)")
    }

    /// Once per test process: removes `dhcpscope-lab-*` namespaces left by earlier runs (their owner, the pid in the
    /// name, is gone), killing what still runs in them.
    static let leftoversRemoved: Void = {
        let folder = FileManager.default.temporaryDirectory
        guard let list = try? execute(["/usr/sbin/ip", "netns", "list"], folder: folder, name: "lab-netns-list-\(getpid())")
        else { return }
        for line in list.output.split(separator: "\n") {
            guard let name = line.split(separator: " ").first.map(String.init), name.hasPrefix(prefix) else { continue }
            if let owner = ownerPID(name), owner != getpid(), kill(owner, 0) == 0 { continue }  // another live run
            removeNamespace(name, folder: folder)
        }
    }()

    /// The pid in `…-<pid>x<hex>-…`, if the name has one.
    static func ownerPID(_ name: String) -> Int32? {
        for part in name.split(separator: "-") {
            let pieces = part.split(separator: "x", maxSplits: 1)
            if pieces.count == 2, let pid = Int32(pieces[0]), pieces[1].allSatisfy(\.isHexDigit) { return pid }
        }
        return nil
    }

    // MARK: Failure report

    /// The tail of every text file of the folder (binary files by size only) and the addresses in each namespace, for the failure issue.
    func report() -> String {
        var text = ""
        for namespace in namespaces {
            let addresses = (try? Lab.execute(["/usr/sbin/ip", "-n", namespace, "-br", "addr"], folder: folder,
                                              name: "report-addr").output) ?? ""
            text += "--- ip -n \(namespace) -br addr\n\(addresses)"
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        for name in names where !name.hasSuffix(".pcap") {
            guard let data = FileManager.default.contents(atPath: path(name)) else { continue }
            if data.contains(0) {  // a database or other binary file: its bytes would cut the report short
                text += "--- \(name) (binary, \(data.count) bytes)\n"
                continue
            }
            let body = String(decoding: data.suffix(2500), as: UTF8.self)
            text += "--- \(name)\(data.count > 2500 ? " (last 2500 bytes)" : "")\n\(body)\n"
        }
        for name in names where name.hasSuffix(".pcap") {
            if let decoded = try? DHCPScope.run(["decode", path(name)]) {
                text += "--- dhcpscope decode \(name)\n\(decoded.stdout.suffix(3000))\n"
            }
        }
        return text
    }
}
