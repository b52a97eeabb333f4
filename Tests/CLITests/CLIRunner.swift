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

    /// A pcap file (in a temporary folder) of BOOTREQUESTs, one per element, from 06:00:00:xx:xx:xx with xid
    /// 0x10000000 + n: each element is the message's options after the magic cookie, end option included.
    static func capture(ofRequests options: [[UInt8]], named name: String) throws -> URL {
        func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(value >> (8 * $0) & 0xFF) } }
        var file = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65_535) + le32(1)
        for (number, options) in options.enumerated() {
            let mac: [UInt8] = [6, 0, 0, UInt8(number >> 16 & 0xFF), UInt8(number >> 8 & 0xFF), UInt8(number & 0xFF)]
            var dhcp: [UInt8] = [1, 1, 6, 0] + le32(0x1000_0000 + number).reversed() + [UInt8](repeating: 0, count: 20)
            dhcp += mac + [UInt8](repeating: 0, count: 10 + 64 + 128) + [99, 130, 83, 99] + options
            let udp = be16(68) + be16(67) + be16(8 + dhcp.count) + [0, 0] + dhcp
            var ip: [UInt8] = [0x45, 0] + be16(20 + udp.count) + [0, 0, 0x40, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255]
            var sum = 0
            for index in stride(from: 0, to: 20, by: 2) { sum += Int(ip[index]) << 8 | Int(ip[index + 1]) }
            while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
            ip[10...11] = ArraySlice(be16(~sum & 0xFFFF))
            let frame = [UInt8](repeating: 0xFF, count: 6) + mac + [8, 0] + ip + udp
            file += le32(1_700_000_000 + number / 1000) + le32(number % 1000 * 1000) + le32(frame.count) + le32(frame.count) + frame
        }
        let url = try SniffGate.temporaryFolder().appendingPathComponent(name)
        try Data(file).write(to: url)
        return url
    }
}
