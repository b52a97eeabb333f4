import Foundation
import Glibc

/// One line of dhcpscope's JSON Lines output.
struct Event {
    let object: [String: Any]
    var name: String { object["event"] as? String ?? "" }
    subscript(key: String) -> Any? { object[key] }
    func string(_ key: String) -> String? { object[key] as? String }
    /// The `dhcp` object of a `message` event.
    var dhcp: [String: Any] { object["dhcp"] as? [String: Any] ?? [:] }
    var messageType: String? { dhcp["type"] as? String }
    var xid: String? { dhcp["xid"] as? String }
    var chaddr: String? { dhcp["chaddr"] as? String }
    var optionCodes: [Int] { (dhcp["options"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? Int } }
    /// The `time` of a `message` event.
    var date: Date? {
        string("time").flatMap { text in
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: text)
        }
    }
}

struct DHCPScopeResult {
    var status: Int32
    var stdout: String
    var stderr: String

    func events() throws -> [Event] {
        try stdout.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw LabError.check("not a JSON object: \(line)")
            }
            return Event(object: object)
        }
    }
}

/// The dhcpscope executable built beside this test bundle.
enum DHCPScope {
    /// `DHCPSCOPE_BINARY`, else the products folder of the running test bundle (the one `swift test --scratch-path`
    /// built), else the folder of `Bundle.main`.
    static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["DHCPSCOPE_BINARY"] { return URL(fileURLWithPath: path) }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent(),
            Bundle.main.bundleURL.resolvingSymlinksInPath(),
            Bundle.main.bundleURL.resolvingSymlinksInPath().deletingLastPathComponent(),
        ]
        for folder in candidates {
            let url = folder.appendingPathComponent("dhcpscope")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("dhcpscope")
    }()

    /// Runs dhcpscope on files in the root namespace (reading files sends nothing), at most `timeout` seconds.
    static func run(_ arguments: [String], timeout: Double = 60) throws -> DHCPScopeResult {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-lab-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("stdout"), err = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try LabProcess.runUnblocked(process)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return DHCPScopeResult(status: process.terminationStatus,
                               stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                               stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
