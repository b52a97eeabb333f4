import Capture
import DHCPAnalysis
import DHCPCore
import Framing
import Testing

@Suite("tshark conformance")
struct TsharkConformanceTests {
    /// Every capture, frame by frame: which frames are DHCPv4 (and DHCPv6), every header field, every option
    /// instance (code, length, bytes, in order, the overloaded sname/file too), the typed values tshark shows,
    /// the pad/end layout, and the byte-exact round trip. Differences must be listed in known-differences.tsv,
    /// and every listed difference must still occur.
    @Test("every capture decodes as tshark decodes it", arguments: Fixtures.captures)
    func capture(_ capture: CaptureCase) throws {
        var comparison = CaptureComparison(capture)
        try comparison.run()
        // Rows for "v6." fields belong to the DHCPv6 comparison (DHCPv6ConformanceTests).
        let known = KnownDifference.forFile(capture.path).filter { !$0.field.hasPrefix("v6.") }
        var used = Set<KnownDifference>()
        for difference in comparison.differences {
            if let entry = known.first(where: { $0.matches(frame: difference.frame, field: difference.field) }) {
                used.insert(entry)
            } else {
                Issue.record("\(capture.path): \(difference)")
            }
        }
        for entry in known where !used.contains(entry) {
            Issue.record("\(capture.path): listed difference no longer occurs: \(entry) (\(entry.reason))")
        }
        print("conformance \(capture.path): \(comparison.tally.summary)")
    }

    /// The whole corpus at once, for the summary line and a floor on what is compared.
    @Test("totals over every capture")
    func totals() throws {
        var total = Tally()
        for capture in Fixtures.captures {
            var comparison = CaptureComparison(capture)
            try comparison.run()
            total.add(comparison.tally)
        }
        print("conformance TOTAL: \(total.summary)")
        #expect(total.captures == Fixtures.captures.count)
        #expect(total.captures >= 60)
        #expect(total.messagesCompared >= 750)
        #expect(total.optionsCompared >= 2500)
        #expect(total.typedCompared >= 1950)
        #expect(total.roundTrips >= 750)
    }

    /// Every capture the index lists is in the bundle with its reference, and every synthetic capture has one.
    @Test("fixtures are complete")
    func fixtures() {
        #expect(Fixtures.corpusCaptures.count >= 40)
        #expect(Fixtures.captures.contains { $0.format == .ek })
        for capture in Fixtures.captures {
            #expect(Fixtures.bytes(capture.path) != nil, "missing capture \(capture.path)")
            #expect(Fixtures.bytes(capture.reference) != nil, "missing reference \(capture.reference)")
        }
        for entry in KnownDifference.all {
            #expect(!entry.reason.isEmpty, "known difference without a reason: \(entry)")
            #expect(Fixtures.captures.contains { $0.path == entry.file } || TcpdumpCase.all.contains { $0.output == entry.file },
                    "known difference for an unknown file: \(entry)")
        }
    }

    /// tshark does not join the split option 82 of long-options.pcap (known difference); check our joined value.
    @Test("split option 82 (RFC 3396) joins into its sub-options")
    func splitRelayAgentInformation() throws {
        let capture = try #require(Fixtures.captures.first { $0.path == "synthetic/long-options.pcap" })
        let message = try #require(FrameMessages.all(capture)[1])
        #expect(message.optionInstances.filter { $0.option.code == .relayAgentInformation }.count == 2)
        let value = try #require(try message.option(.relayAgentInformation)?.value())
        #expect(value[field: "circuit_id"] == .text("ge-0/0/14.100:vlan100"))
        #expect(value[field: "remote_id"] == .text("remote-id-06000000010e"))
        #expect(value[field: "link_selection"] == .ipv4(IPv4Address(198, 18, 0, 0)))
    }

    /// The parser keeps duplicate keys, in order.
    @Test("ordered JSON keeps duplicate keys")
    func orderedJSON() throws {
        let json = try OrderedJSON.parse(Array(#"{"a": "1", "b": {"x": [1, true, null]}, "a": "2\u00e9\n"}"#.utf8))
        #expect(json.all("a") == [.string("1"), .string("2é\n")])
        #expect(json.members?.map(\.key) == ["a", "b", "a"])
        #expect(json["b"]?["x"] == .array([.number("1"), .bool(true), .null]))
        #expect(throws: (any Error).self) { try OrderedJSON.parse(Array(#"{"a": }"#.utf8)) }
    }

    /// tshark's string rendering, as seen in the references.
    @Test("tshark text rendering")
    func tsharkText() {
        #expect(TsharkText.render(Array("\u{06}ABC-01\u{05}modem".utf8)) == #"\x06ABC-01\x05modem"#)
        #expect(TsharkText.render(Array("unx.ca".utf8) + [0]) == "unx.ca")
        #expect(TsharkText.render(Array("café".utf8)) == "café")
    }
}

/// The DHCP messages of a capture by frame number, as our decoder reads them.
enum FrameMessages {
    static func all(_ capture: CaptureCase) throws -> [Int: DHCPMessage] { try all(at: capture.url.path) }

    static func all(at path: String) throws -> [Int: DHCPMessage] {
        let reader = try PCAPFileReader(path: path)
        let linkType = LinkType(rawValue: reader.linkType)
        var decoder = DHCPFrameDecoder()
        var messages = [Int: DHCPMessage]()
        while let packet = try reader.next() {
            if case .dhcp(let record) = decoder.decode(packet.bytes, linkType: linkType, time: packet.timestamp).content,
               let message = record.message {
                messages[packet.frameNumber] = message
            }
        }
        return messages
    }
}
