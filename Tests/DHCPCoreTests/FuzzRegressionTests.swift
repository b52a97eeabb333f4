import DHCPCore
import Foundation
import Testing

/// Inputs the fuzz targets (fuzz/) found, kept under Tests/FuzzRegressions/FuzzMessage as DHCP payloads:
/// each must parse, round-trip byte for byte and keep every property the fuzzer checks.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../FuzzRegressions/FuzzMessage").standardizedFileURL

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".bin") }.sorted()
    }

    @Test("The regression folder is not empty")
    func folderHasFiles() {
        #expect(Self.files.count >= 1)
    }

    @Test("Each fuzz finding parses and keeps the round-trip properties", arguments: files)
    func finding(_ name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.folder.appendingPathComponent(name)))
        let result = DHCPMessage.parse(bytes)
        #expect(result.message != nil)
        let broken = bytes.withUnsafeBytes { RoundTripProperties.message($0) }
        #expect(broken.isEmpty, "\(broken)")
    }

    @Test("Option 119: a name that grows past 255 bytes when written (Latin-1 text written as UTF-8) does not encode")
    func domainSearchNameOver255() throws {
        // 0x94 is not UTF-8: it reads as Latin-1 U+0094, two bytes when written back as UTF-8.
        let label = [UInt8](repeating: 0x94, count: 20)
        let wire: [UInt8] = (0..<12).flatMap { _ in [20] + label } + [0]
        let decoded = try #require(try DHCPOptionShape.domainList.decode(wire))
        #expect(DHCPOptionShape.domainList.encode(decoded) == nil)
        let expected: [UInt8] = [1, 0x61, 7] + Array("example".utf8) + [0]
        #expect(DHCPOptionShape.domainList.encode(.list([.text("a.example")])) == expected)
    }
}
