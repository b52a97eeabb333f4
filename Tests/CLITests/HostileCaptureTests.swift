import Foundation
import Testing

/// What decode and analyse must do with one hand-made hostile capture (Fixtures/hostile, made by make-hostile.py).
struct HostileCapture: CustomTestStringConvertible, Sendable {
    var file: String
    /// Exit status of decode and of analyse (dhcpscope(1): 0 clean, 1 problems found or damaged part-way).
    var status: Int32
    var messages: Int
    /// The `error.code` of every malformed message, sorted.
    var messageErrors: [String]
    var framingErrors: Int
    var captureErrors: Int
    var testDescription: String { file }

    init(_ file: String, status: Int32, messages: Int, messageErrors: [String] = [], framing: Int = 0, capture: Int = 0) {
        self.file = file; self.status = status; self.messages = messages; self.messageErrors = messageErrors
        self.framingErrors = framing; self.captureErrors = capture
    }

    static let all: [HostileCapture] = [
        // The file lies: everything before the damage is decoded, the damage is an error with its offset.
        HostileCapture("truncated-record.pcap", status: 1, messages: 1, capture: 1),
        HostileCapture("caplen-over-file.pcap", status: 1, messages: 1, capture: 1),
        HostileCapture("caplen-huge.pcap", status: 1, messages: 1, capture: 1),
        HostileCapture("snaplen-0.pcap", status: 0, messages: 1),
        HostileCapture("snaplen-2g.pcap", status: 0, messages: 1),
        HostileCapture("unsupported-linktype.pcap", status: 1, messages: 0, framing: 1, capture: 1),
        HostileCapture("pcapng-block-length-short.pcapng", status: 1, messages: 1, capture: 1),
        HostileCapture("pcapng-block-length-past-end.pcapng", status: 1, messages: 1, capture: 1),
        HostileCapture("pcapng-block-length-mismatch.pcapng", status: 1, messages: 1, capture: 1),
        HostileCapture("pcapng-block-length-unaligned.pcapng", status: 1, messages: 1, capture: 1),
        HostileCapture("pcapng-epb-caplen-past-block.pcapng", status: 1, messages: 1, capture: 1),
        // Headers lie: frames that cannot be read are counted as framing errors (not DHCP, so not malformed DHCP).
        HostileCapture("ipv4-header-length-lies.pcap", status: 0, messages: 3, framing: 3),
        HostileCapture("udp-length-lies.pcap", status: 1, messages: 5,
                       messageErrors: ["bad-udp-length", "bad-udp-length", "truncated-header", "truncated-header"], framing: 1),
        HostileCapture("link-layers-cut-short.pcap", status: 0, messages: 1, framing: 5),
        HostileCapture("vlan-stack.pcap", status: 0, messages: 1, framing: 1),
        HostileCapture("fragments.pcap.gz", status: 0, messages: 2, framing: 2),
        HostileCapture("random-bytes.pcap", status: 0, messages: 0, framing: 2),
        // DHCP messages lie.
        HostileCapture("hlen-over-16.pcap", status: 1, messages: 2, messageErrors: ["bad-hlen", "bad-hlen"]),
        HostileCapture("option-length-past-end.pcap", status: 1, messages: 5,
                       messageErrors: ["bad-magic-cookie", "option-truncated", "option-truncated", "option-truncated",
                                       "truncated-header"]),
        HostileCapture("overload-garbage.pcap", status: 1, messages: 5,
                       messageErrors: ["bad-option-overload", "bad-option-overload", "bad-option-overload",
                                       "option-truncated", "option-truncated"]),
        HostileCapture("overload-in-sname.pcap", status: 1, messages: 1, messageErrors: ["misplaced-option-overload"]),
        HostileCapture("missing-end.pcap", status: 0, messages: 2, messageErrors: ["missing-end-option", "missing-end-option"]),
        HostileCapture("endless-pad.pcap.gz", status: 0, messages: 1, messageErrors: ["missing-end-option"]),
        HostileCapture("rfc3396-64k.pcap.gz", status: 0, messages: 5),
    ]
}

@Suite("Hostile captures")
struct HostileCaptureTests {
    @Test("The table covers every capture in Fixtures/hostile")
    func everyFileIsListed() throws {
        let folder = CLI.fixtures.appendingPathComponent("hostile")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") || $0.hasSuffix(".gz") }
        #expect(Set(files) == Set(HostileCapture.all.map(\.file)))
    }

    @Test("decode finishes, reports each problem and exits as dhcpscope(1) says", arguments: HostileCapture.all)
    func decode(_ capture: HostileCapture) throws {
        let result = try CLI.run(["decode", "--json", "hostile/\(capture.file)"], timeout: 30)
        #expect(result.status == capture.status, "\(result.stderr)")
        let events = try result.events()
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary")
        #expect(summary["messages"] as? Int == capture.messages)
        #expect(summary["framing_errors"] as? Int == capture.framingErrors)
        #expect(summary["capture_errors"] as? Int == capture.captureErrors)
        let errors = events.compactMap { ($0["error"] as? [String: Any])?["code"] as? String }.sorted()
        #expect(errors == capture.messageErrors)
        // A damaged file is named with the byte offset of the damage, as a problem event and on standard error.
        let damage = events.filter { $0["event"] as? String == "problem" && $0["code"] as? String == "capture-file" }
        #expect(damage.count == capture.captureErrors)
        #expect(result.stderr.contains(capture.file) == (capture.captureErrors > 0))
    }

    @Test("analyse finishes and reports the same damage as problems", arguments: HostileCapture.all)
    func analyse(_ capture: HostileCapture) throws {
        let result = try CLI.run(["analyse", "--json", "hostile/\(capture.file)"], timeout: 30)
        #expect(result.status == capture.status, "\(result.stderr)")
        let events = try result.events()
        #expect(events.last?["event"] as? String == "summary")
        let problems = events.filter { $0["event"] as? String == "problem" }.compactMap { $0["code"] as? String }
        // A missing end option and a UDP length that lied are warnings; the other message errors are malformed.
        let malformed = capture.messageErrors.filter { !["missing-end-option", "bad-udp-length"].contains($0) }.count
        #expect(problems.filter { $0 == "malformed" }.count == malformed)
        #expect(problems.filter { $0 == "capture-file" }.count == capture.captureErrors)
    }

    @Test("RFC 3396: 252 instances of 255 bytes come back as one option of 64,260 bytes, decoded")
    func concatenationUpTo64KiB() throws {
        let result = try CLI.run(["decode", "--json", "hostile/rfc3396-64k.pcap.gz"], timeout: 30)
        let messages = try result.events().filter { $0["event"] as? String == "message" }
        let long = messages.compactMap { message -> [String: Any]? in
            let options = (message["dhcp"] as? [String: Any])?["options"] as? [[String: Any]]
            return options?.first { $0["code"] as? Int != 53 }
        }
        #expect(long.map { $0["code"] as? Int } == [43, 119, 82, 121, 12])
        #expect(long.allSatisfy { $0["length"] as? Int == 64_260 })
        // 7,140 routes of 9 bytes, cut across instances in the middle of a route, all decoded.
        #expect((long[3]["value"] as? [Any])?.count == 7_140)
        #expect(((long[2]["value"] as? [String: Any])?["circuit_id"] as? String)?.hasPrefix("ccc") == true)
    }
}
