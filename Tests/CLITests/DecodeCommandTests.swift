import Foundation
import Testing

@Suite("dhcpscope decode")
struct DecodeCommandTests {
    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["decode", "--help"])
        #expect(result.status == 0)
        for option in ["--filter", "--port", "-c", "--xid", "--mac", "--type", "--json", "--verbose", "--count-only", "--threads", "<file>"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
        #expect(result.stdout.contains("Exit status"))
    }

    /// Rendering on other threads writes exactly what one thread writes: 40 files merged (several batches of 256
    /// messages, overloaded options, fragments, malformed messages, a file damaged part-way whose problem event
    /// must come after the messages before it), in each output form.
    @Test(arguments: [["--json"], [], ["-v"]])
    func threadsWriteWhatOneThreadWrites(form: [String]) throws {
        let files = Array(repeating: "zeek-dhcp.pcap", count: 30) + Array(repeating: "tcpdump-rfc4388.pcap", count: 6)
            + ["suricata-overload-both.pcap", "hostile/fragments.pcap.gz", "hostile/hlen-over-16.pcap", "truncated.pcap"]
        let one = try CLI.run(["decode", "--threads", "1"] + form + files)
        let three = try CLI.run(["decode", "--threads", "3"] + form + files)
        #expect(one.status == 1 && three.status == 1, "a damaged file and malformed messages: \(one.stderr)")
        #expect(one.lines.count > 400)
        #expect(three.stdout == one.stdout)
        #expect(three.stderr == one.stderr)
    }

    /// An option value that is malformed part-way is written as null with the reason, whether it is written as
    /// it is decoded (JSON) or built first (text): what was written of it before the fault is taken back.
    @Test func valueMalformedPartWay() throws {
        // Option 124: a whole vendor entry, then two bytes of another. Option 82: a circuit-id, then a
        // link-selection suboption of 3 bytes (4 are needed).
        let options: [UInt8] = [53, 1, 1, 124, 10, 0, 0, 0, 9, 3, 2, 0x61, 0x62, 0, 0,
                                82, 8, 1, 1, 0x78, 5, 3, 1, 2, 3, 12, 2, 0x68, 0x69, 255]
        let capture = try CLI.capture(ofRequests: [options], named: "malformed-values.pcap")
        defer { try? FileManager.default.removeItem(at: capture.deletingLastPathComponent()) }
        let json = try CLI.run(["decode", "--json", capture.path])
        #expect(json.status == 0, "a bad value is a diagnostic of the option, not of the message: \(json.stderr)")
        let message = try #require(try json.events().first)
        let list = try #require((message["dhcp"] as? [String: Any])?["options"] as? [[String: Any]])
        let byCode = Dictionary(uniqueKeysWithValues: list.compactMap { option in (option["code"] as? Int).map { ($0, option) } })
        #expect(byCode[124]?["value"] is NSNull)
        #expect(byCode[124]?["value_error"] as? String == "vendor entry at byte 8 is truncated")
        #expect(byCode[82]?["value"] is NSNull)
        #expect(byCode[82]?["value_error"] as? String == "length 3, expected 4")
        // The options after them are whole.
        #expect(byCode[12]?["value"] as? String == "hi")
        #expect(byCode[53]?["value"] as? String == "DISCOVER")
        let text = try CLI.run(["decode", "-v", capture.path])
        #expect(text.stdout.contains("[bad value: vendor entry at byte 8 is truncated]"))
        #expect(text.stdout.contains("[bad value: length 3, expected 4]"))
    }

    /// Text values are written into the JSON line straight from the option's bytes when they are ASCII: quotes,
    /// backslashes and control characters escaped; other bytes go through the same text rules as `-v` (UTF-8 when
    /// valid, Latin-1 otherwise).
    @Test func textValuesAreEscaped() throws {
        let hostName: [UInt8] = Array("a\"b\\c".utf8) + [0x01, 0x7F, 0x09, 0x0A]
        let options: [UInt8] = [53, 1, 1, 12, UInt8(hostName.count)] + hostName
            + [15, 6, 0x63, 0x61, 0x66, 0xC3, 0xA9, 0x2E]      // "café." as UTF-8
            + [14, 3, 0x61, 0xE9, 0x62]                         // not UTF-8: Latin-1 "aéb"
            + [119, 8, 3, 0x61, 0x22, 0x62, 2, 0x63, 0x64, 0]   // a name whose label holds a quote
            + [66, 20] + Array("abcdefghijklmnop".utf8) + [0x7F, 0x71, 0x22, 0x73]   // escapes after 16 plain bytes
            + [67, 12] + Array("0123456789".utf8) + [0xC3, 0xA9]                   // UTF-8 after 10 plain bytes
            + [82, 4, 1, 2, 0x67, 0x5C, 255]                    // circuit-id "g\"
        let capture = try CLI.capture(ofRequests: [options], named: "escapes.pcap")
        defer { try? FileManager.default.removeItem(at: capture.deletingLastPathComponent()) }
        let json = try CLI.run(["decode", "--json", capture.path])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains(#""value":"a\"b\\c\u0001\u007f\t\n""#), "\(json.stdout)")
        let message = try #require(try json.events().first)
        let list = try #require((message["dhcp"] as? [String: Any])?["options"] as? [[String: Any]])
        let byCode = Dictionary(uniqueKeysWithValues: list.compactMap { option in (option["code"] as? Int).map { ($0, option) } })
        #expect(byCode[12]?["value"] as? String == "a\"b\\c\u{01}\u{7F}\t\n")
        #expect(byCode[15]?["value"] as? String == "café.")
        #expect(byCode[14]?["value"] as? String == "aéb")
        #expect(byCode[119]?["value"] as? [String] == ["a\"b.cd"])
        #expect((byCode[82]?["value"] as? [String: Any])?["circuit_id"] as? String == "g\\")
        #expect(byCode[66]?["value"] as? String == "abcdefghijklmnop\u{7F}q\"s")
        #expect(json.stdout.contains(#""value":"abcdefghijklmnop\u007fq\"s""#))
        #expect(byCode[67]?["value"] as? String == "0123456789é")
    }

    @Test func textSnapshot() throws {
        let result = try CLI.run(["decode", "zeek-dhcp.pcap"])
        #expect(result.status == 0)
        #expect(result.lines.count == 9)
        try CLI.assertSnapshot(result.stdout, named: "decode-zeek-dhcp.txt")
    }

    @Test func verboseSnapshotShowsOverloadedOptions() throws {
        let result = try CLI.run(["decode", "-v", "suricata-overload-both.pcap"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("file+sname"))
        #expect(result.stdout.contains("[3 instances, RFC 3396]"))
        try CLI.assertSnapshot(result.stdout, named: "decode-overload-verbose.txt")
    }

    @Test func jsonFollowsTheContract() throws {
        let result = try CLI.run(["decode", "--json", "zeek-dhcp.pcap"])
        #expect(result.status == 0)
        let events = try result.events()
        #expect(events.count == 10)
        let messages = events.filter { $0["event"] as? String == "message" }
        #expect(messages.map { ($0["dhcp"] as? [String: Any])?["type"] as? String } ==
                ["DISCOVER", "OFFER", "REQUEST", "NAK", "REQUEST", "ACK", "DECLINE", "RELEASE", "INFORM"])
        for message in messages {
            for key in ["file", "frame", "time", "src", "dst", "eth_src", "eth_dst", "vlan", "dhcp"] {
                #expect(message.keys.contains(key), "message event lacks \(key)")
            }
            let dhcp = try #require(message["dhcp"] as? [String: Any])
            for key in ["op", "htype", "hlen", "hops", "xid", "secs", "flags", "ciaddr", "yiaddr", "siaddr", "giaddr",
                        "chaddr", "sname", "file", "type", "options"] {
                #expect(dhcp.keys.contains(key), "dhcp object lacks \(key)")
            }
            let time = try #require(message["time"] as? String)
            #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
        }
        let offer = messages[1]
        #expect(offer["frame"] as? Int == 2)
        #expect(offer["src"] as? String == "128.2.6.152:67")
        let dhcp = try #require(offer["dhcp"] as? [String: Any])
        #expect(dhcp["xid"] as? String == "0x000007c0")
        #expect(dhcp["yiaddr"] as? String == "128.2.6.97")
        let options = try #require(dhcp["options"] as? [[String: Any]])
        let dns = try #require(options.first { $0["code"] as? Int == 6 })
        #expect(dns["value"] as? [String] == ["128.2.1.11", "128.2.1.10"])
        #expect(dns["hex"] as? String == "8002010b8002010a")
        #expect(dns["name"] as? String == "domain-name-servers")
        let lease = try #require(options.first { $0["code"] as? Int == 51 })
        #expect(lease["value"] as? Int == 900)
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary")
        #expect(summary["messages"] as? Int == 9)
        try CLI.assertSnapshot(result.stdout, named: "decode-zeek-dhcp.jsonl")
    }

    @Test func relayAgentInformationIsAnObjectOfSuboptions() throws {
        let result = try CLI.run(["decode", "--json", "--type", "LEASEQUERY", "-c", "1", "tcpdump-rfc4388.pcap"])
        let message = try #require(try result.events().first)
        let dhcp = try #require(message["dhcp"] as? [String: Any])
        #expect(dhcp["giaddr"] as? String != "0.0.0.0")
        let options = try #require(dhcp["options"] as? [[String: Any]])
        #expect(options.contains { $0["code"] as? Int == 53 && $0["value"] as? String == "LEASEQUERY" })
    }

    @Test func malformedMessagesGetADiagnosticAndDecodingGoesOn() throws {
        let result = try CLI.run(["decode", "--json", "zeek-bad-cookie.pcap"])
        #expect(result.status == 1)
        let messages = try result.events().filter { $0["event"] as? String == "message" }
        #expect(messages.count == 5)
        let errors = messages.compactMap { $0["error"] as? [String: Any] }
        #expect(errors.count == 3)
        #expect(errors.allSatisfy { $0["code"] as? String == "bad-magic-cookie" && $0["offset"] as? Int == 236 })
        #expect((messages.last?["dhcp"] as? [String: Any])?["type"] as? String == "DISCOVER")
    }

    @Test func truncatedFileDecodesWhatCameBeforeAndNamesTheOffset() throws {
        let result = try CLI.run(["decode", "truncated.pcap"])
        #expect(result.status == 1)
        #expect(result.lines.count == 3)
        #expect(result.stderr.contains("truncated.pcap: at byte 1101"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test(arguments: ["not-a-capture.pcap", "empty.pcap", "missing.pcap"])
    func unreadableInputExitsTwoWithOneLine(file: String) throws {
        let result = try CLI.run(["decode", file])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("dhcpscope: \(file): "))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func aBadFileAmongGoodOnesIsReportedAndTheRestDecoded() throws {
        let result = try CLI.run(["decode", "--json", "not-a-capture.pcap", "zeek-dhcp.pcap"])
        #expect(result.status == 1)
        let events = try result.events()
        #expect(events.first?["event"] as? String == "problem")
        #expect(events.filter { $0["event"] as? String == "message" }.count == 9)
    }

    @Test(arguments: [["decode"], ["decode", "--bogus", "zeek-dhcp.pcap"], ["decode", "-c", "0", "zeek-dhcp.pcap"],
                      ["decode", "--mac", "nonsense", "zeek-dhcp.pcap"], ["decode", "--type", "HELLO", "zeek-dhcp.pcap"],
                      ["decode", "--port", "70000", "zeek-dhcp.pcap"]])
    func usageErrorsExit64(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains("Error:"))
    }

    @Test func badFilterExpressionIsAClearError() throws {
        let result = try CLI.run(["decode", "--filter", "port 67 and", "zeek-dhcp.pcap"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad filter"))
    }

    @Test func filtersSelectMessagesAndFramesKeepTheirNumbers() throws {
        let byType = try CLI.run(["decode", "--json", "--type", "ack,nak", "zeek-dhcp.pcap"]).events()
        #expect(byType.compactMap { $0["frame"] as? Int } == [4, 6])
        let byBPF = try CLI.run(["decode", "--json", "--filter", "udp src port 67", "zeek-dhcp.pcap"]).events()
        #expect(byBPF.compactMap { $0["frame"] as? Int } == [2, 4, 6])
        let byXID = try CLI.run(["decode", "--json", "--xid", "0x79c", "zeek-dhcp.pcap"]).events()
        #expect(byXID.compactMap { ($0["dhcp"] as? [String: Any])?["type"] as? String } == ["RELEASE"])
        let byMAC = try CLI.run(["decode", "--mac", "90:b1:1c:99:49:29", "-c", "2", "zeek-dhcp.pcap"])
        #expect(byMAC.lines.count == 2)
        let none = try CLI.run(["decode", "--mac", "06:00:00:00:00:01", "zeek-dhcp.pcap"])
        #expect(none.status == 0 && none.stdout.isEmpty)
    }

    @Test func readsStandardInput() throws {
        let data = try Data(contentsOf: CLI.fixtures.appendingPathComponent("zeek-dhcp.pcap"))
        let result = try CLI.run(["decode", "--json", "-"], stdin: data)
        #expect(result.status == 0)
        let events = try result.events()
        #expect(events.first?["file"] as? String == "stdin")
        #expect(events.filter { $0["event"] as? String == "message" }.count == 9)
    }

    @Test func readsGzipCompressedCaptures() throws {
        let plain = try CLI.run(["decode", "zeek-dhcp.pcap"])
        let compressed = try CLI.run(["decode", "zeek-dhcp.pcap.gz"])
        #expect(compressed.status == 0)
        #expect(compressed.stdout == plain.stdout)
        let cut = try CLI.run(["decode", "truncated.pcap.gz"])
        #expect(cut.status == 1)
        #expect(!cut.lines.isEmpty && cut.lines.count < 9)
        #expect(cut.stderr.contains("truncated.pcap.gz: after frame \(cut.lines.count): the gzip stream is cut short or corrupt"))
    }

    @Test func mergesFilesByTimestamp() throws {
        let result = try CLI.run(["decode", "--json", "zeek-unique-xid.pcapng", "zeek-dhcp.pcap"])
        let times = try result.events().compactMap { $0["time"] as? String }
        #expect(times.count == 59)
        #expect(times == times.sorted())
    }

    @Test func countOnlyPrintsTheSummary() throws {
        let text = try CLI.run(["decode", "--count-only", "zeek-dhcp.pcap"])
        #expect(text.lines.count == 1)
        #expect(text.stdout.hasPrefix("9 DHCP messages in 9 frames"))
        let json = try CLI.run(["decode", "--count-only", "--json", "zeek-dhcp.pcap"]).events()
        #expect(json.count == 1)
        #expect(json[0]["event"] as? String == "summary")
        #expect((json[0]["types"] as? [String: Int])?["ACK"] == 1)
    }
}
