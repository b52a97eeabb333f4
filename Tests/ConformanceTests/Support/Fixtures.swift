import Capture
import DHCPAnalysis
import Framing
import Foundation
import Testing

/// One capture with its tshark reference decode. Paths are relative to the bundle's Fixtures folder.
struct CaptureCase: Sendable, Hashable, CustomTestStringConvertible {
    enum Format: String, Sendable { case json, ek }
    var path: String
    var reference: String
    var format: Format

    var testDescription: String { path }
    var url: URL { Fixtures.root.appendingPathComponent(path) }
    var referenceURL: URL { Fixtures.root.appendingPathComponent(reference) }
}

enum Fixtures {
    /// The Fixtures folder copied into the test bundle.
    static let root: URL = {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("the ConformanceTests bundle has no Fixtures folder")
        }
        return url
    }()

    static func text(_ relative: String) -> String? {
        try? String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    static func bytes(_ relative: String) -> [UInt8]? {
        (try? Data(contentsOf: root.appendingPathComponent(relative))).map { [UInt8]($0) }
    }

    /// Rows of a tab-separated file with a header line, as dictionaries by column name.
    static func tsv(_ relative: String) -> [[String: String]] {
        guard let text = text(relative) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else { return [] }
        let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return lines.compactMap { line in
            if line.hasPrefix("#") { return nil }
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var row = [String: String]()
            for (index, name) in header.enumerated() where index < cells.count { row[name] = cells[index] }
            return row
        }
    }

    /// Every DHCP record of every capture, decoded frame by frame.
    static func forEachDHCPRecord(_ body: (CaptureCase, CapturedPacket, LinkType, DHCPRecord) throws -> Void) throws {
        for capture in captures {
            let reader = try PCAPFileReader(path: capture.url.path)
            let linkType = LinkType(rawValue: reader.linkType)
            var decoder = DHCPFrameDecoder()
            while let packet = try reader.next() {
                guard case .dhcp(let record) = decoder.decode(packet.bytes, linkType: linkType, time: packet.timestamp).content
                else { continue }
                try body(capture, packet, linkType, record)
            }
        }
    }

    /// Every capture: the corpus by its INDEX.tsv, then each synthetic capture that has a reference beside it.
    static let captures: [CaptureCase] = corpusCaptures + syntheticCaptures

    static let corpusCaptures: [CaptureCase] = tsv("corpus/INDEX.tsv").compactMap { row in
        guard let file = row["file"], let reference = row["reference"], !reference.isEmpty else { return nil }
        let format: CaptureCase.Format = row["reference_format"] == "ek" ? .ek : .json
        return CaptureCase(path: "corpus/" + file, reference: "corpus/" + reference, format: format)
    }

    /// Synthetic captures are listed by directory; a capture without a reference is reported by the tests.
    static let syntheticCaptures: [CaptureCase] = {
        let folder = root.appendingPathComponent("synthetic")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map { name in
            let ek = "synthetic/\(name).tshark.ek.json"
            if FileManager.default.fileExists(atPath: root.appendingPathComponent(ek).path) {
                return CaptureCase(path: "synthetic/" + name, reference: ek, format: .ek)
            }
            return CaptureCase(path: "synthetic/" + name, reference: "synthetic/\(name).tshark.json", format: .json)
        }
    }()
}

/// One allowed difference from `Fixtures/known-differences.tsv`: file, frame ("*" for every frame),
/// field (exact, or a prefix ending in "*"), reason.
struct KnownDifference: Sendable, Hashable, CustomStringConvertible {
    var file: String
    var frame: String
    var field: String
    var reason: String

    func matches(frame number: Int, field name: String) -> Bool {
        guard frame == "*" || frame == String(number) else { return false }
        if field.hasSuffix("*") { return name.hasPrefix(field.dropLast()) }
        return field == name
    }

    var description: String { "\(file)\t\(frame)\t\(field)" }

    static let all: [KnownDifference] = Fixtures.tsv("known-differences.tsv").compactMap { row in
        guard let file = row["file"], let frame = row["frame"], let field = row["field"] else { return nil }
        return KnownDifference(file: file, frame: frame, field: field, reason: row["reason"] ?? "")
    }

    static func forFile(_ path: String) -> [KnownDifference] { all.filter { $0.file == path } }
}
