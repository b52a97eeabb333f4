import Foundation
import Testing

/// Runs the built `dhcpscope` binary, as a user would.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    /// The JSON Lines of stdout, each parsed; a line that is not a JSON object fails the test.
    func events(sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        try lines.map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not a JSON object: \(line)", sourceLocation: sourceLocation)
        }
    }
}

enum CLI {
    static var fixtures: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    static var snapshots: URL { Bundle.module.url(forResource: "Snapshots", withExtension: nil)! }

    /// The products folder holds the resource bundle and the executable side by side.
    static var binary: URL { Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("dhcpscope") }

    /// Runs with the fixtures folder as working directory, so that file names in output are short and stable.
    static func run(_ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 60) throws -> CLIResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = fixtures
        // Files, not pipes: a large output can never block the process, and nothing is shared between threads.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
        let inURL = folder.appendingPathComponent("stdin")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: stdin ?? Data())
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = try FileHandle(forReadingFrom: inURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("dhcpscope \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                         stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Compares with Snapshots/NAME; RECORD_SNAPSHOTS=1 rewrites the file in the source tree instead.
    static func assertSnapshot(_ text: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/\(name)")
            try Data(text.utf8).write(to: source)
            return
        }
        let expected = try String(contentsOf: snapshots.appendingPathComponent(name), encoding: .utf8)
        #expect(text == expected, "output differs from Snapshots/\(name); re-record with RECORD_SNAPSHOTS=1 and review",
                sourceLocation: sourceLocation)
    }
}
