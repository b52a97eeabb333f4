import Capture
import Foundation
import NetworkPrimitives
import Testing

/// The pcap writer behind -w, -C and -G: what it writes reads back through PCAPFileReader, and its files are
/// named as tcpdump names them.
@Suite("PCAPDumpWriter")
struct PCAPDumpWriterTests {
    /// A 60-byte Ethernet frame; each record is 16 + 60 bytes, the file header 24.
    static let frame: [UInt8] = Array(repeating: 0xff, count: 6) + [6, 0, 0, 0, 0, 1, 0x08, 0x00] + Array(repeating: 0, count: 46)

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func write(_ writer: PCAPDumpWriter, at seconds: Int64, nanoseconds: UInt32 = 0) throws {
        try Self.frame.withUnsafeBytes { bytes in
            try writer.write(timestamp: Timestamp(seconds: seconds, nanoseconds: nanoseconds), wireLength: 60, bytes: bytes)
        }
    }

    func frames(in path: String) throws -> [(Timestamp, Int)] {
        let reader = try PCAPFileReader(path: path)
        var frames = [(Timestamp, Int)]()
        while let packet = try reader.next() { frames.append((packet.timestamp, packet.bytes.count)) }
        return frames
    }

    @Test func writesWhatTheReaderReadsInNanoseconds() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("one.pcap").path
        let writer = try PCAPDumpWriter(path: path, linkType: 1)
        try write(writer, at: 1_700_000_000, nanoseconds: 123_456_789)
        try write(writer, at: 1_700_000_001, nanoseconds: 5)
        writer.close()
        let read = try frames(in: path)
        #expect(read.map(\.0) == [Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789),
                                  Timestamp(seconds: 1_700_000_001, nanoseconds: 5)])
        #expect(read.map(\.1) == [60, 60])
        #expect(writer.paths == [path])
        #expect(writer.framesWritten == 2)
    }

    @Test func microsecondFiles() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("micro.pcap").path
        let writer = try PCAPDumpWriter(path: path, linkType: 1, nanosecond: false)
        try write(writer, at: 1_700_000_000, nanoseconds: 123_456_789)
        writer.close()
        #expect(try frames(in: path).map(\.0) == [Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_000)])
    }

    /// -C: a new file before a frame once the current one is larger than the limit: FILE, FILE1, FILE2.
    @Test func rotatesBySizeAsTcpdump() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("size.pcap").path
        // 24 + 2 × 76 = 176 > 150 after two frames: the third starts a new file.
        let writer = try PCAPDumpWriter(path: path, linkType: 1, rotation: .init(bytes: 150))
        for second in 0 ..< 5 { try write(writer, at: 1_700_000_000 + Int64(second)) }
        writer.close()
        #expect(writer.paths == [path, path + "1", path + "2"])
        #expect(try writer.paths.map { try frames(in: $0).count } == [2, 2, 1])
    }

    /// -G without a time pattern: a number per new file.
    @Test func rotatesByTimeWithNumbers() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("time.pcap").path
        let writer = try PCAPDumpWriter(path: path, linkType: 1, rotation: .init(seconds: 10), start: 1_700_000_000)
        for second in [0, 5, 9, 10, 12, 45] { try write(writer, at: 1_700_000_000 + Int64(second)) }
        writer.close()
        #expect(writer.paths == [path, path + "1", path + "2"])
        #expect(try writer.paths.map { try frames(in: $0).count } == [3, 2, 1])
    }

    /// -G with strftime patterns: the name of each period's start, and -C numbers within a period.
    @Test func rotatesByTimeWithStrftimeNames() throws {
        setenv("TZ", "UTC", 1)
        tzset()
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pattern = dir.appendingPathComponent("dhcp-%Y%m%d-%H%M%S.pcap").path
        let writer = try PCAPDumpWriter(path: pattern, linkType: 1, rotation: .init(bytes: 150, seconds: 60),
                                        start: 1_700_000_000)
        for second in [0, 1, 2, 70] { try write(writer, at: 1_700_000_000 + Int64(second)) }
        writer.close()
        let base = dir.path + "/"
        #expect(writer.paths == [base + "dhcp-20231114-221320.pcap", base + "dhcp-20231114-221320.pcap1",
                                 base + "dhcp-20231114-221430.pcap"])
        #expect(try writer.paths.map { try frames(in: $0).count } == [2, 1, 1])
    }

    @Test func unwritablePathFailsAtOnce() throws {
        #expect(throws: CaptureError.self) {
            _ = try PCAPDumpWriter(path: "/nonexistent-dhcpscope/x.pcap", linkType: 1)
        }
        do {
            _ = try PCAPDumpWriter(path: "/nonexistent-dhcpscope/x.pcap", linkType: 1)
        } catch {
            #expect(error.description == "/nonexistent-dhcpscope/x.pcap: cannot write: No such file or directory")
        }
    }

    @Test func filterExpressions() throws {
        #expect(PCAPLiveCapture.dhcpFilter(ports: []) == "udp and (port 67 or port 68 or port 546 or port 547)")
        #expect(PCAPLiveCapture.dhcpFilter(ports: [1067, 67]) == "udp and (port 67 or port 68 or port 546 or port 547 or port 1067)")
        #expect(PCAPLiveCapture.dhcpFilter(ports: [], narrowedBy: "vlan 20") == "(udp and (port 67 or port 68 or port 546 or port 547)) and (vlan 20)")
        #expect(PCAPLiveCapture.dhcpFilter(ports: [], narrowedBy: "  ") == "udp and (port 67 or port 68 or port 546 or port 547)")
        try PCAPLiveCapture.checkSyntax("udp and port 67")
        #expect(throws: CaptureError.self) { try PCAPLiveCapture.checkSyntax("port port") }
    }
}
