import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite("dhcpscope analyse")
struct AnalyseCommandTests {
    // MARK: command line

    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["analyse", "--help"])
        #expect(result.status == 0)
        for option in ["--txn-timeout", "--max-transactions", "--max-clients", "--starvation-clients", "--starvation-window",
                       "--exhaustion-clients", "--nak-burst", "--timer-tolerance", "--leases", "--ladder", "--svg", "--threads",
                       "--expect", "--expect-mac", "--json", "-v", "--verbose", "--filter", "--port", "--mac", "--xid",
                       "-c", "<file>"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
        #expect(result.stdout.contains("Exit status"))
    }

    @Test func analyzeIsAnAlias() throws {
        let british = try CLI.run(["analyse", "dora.pcap"])
        let american = try CLI.run(["analyze", "dora.pcap"])
        #expect(american.status == 0)
        #expect(american.stdout == british.stdout)
    }

    @Test(arguments: [["analyse", "--type", "ack", "dora.pcap"],
                      ["analyse", "--ladder", "dora.pcap"],
                      ["analyse", "--txn-timeout", "-1", "dora.pcap"],
                      ["analyse", "--txn-timeout", "0", "dora.pcap"],
                      ["analyse", "--max-transactions", "0", "dora.pcap"],
                      ["analyse", "--max-clients", "0", "dora.pcap"],
                      ["analyse", "--timer-tolerance", "-2", "dora.pcap"],
                      ["analyse", "--leases", "xml", "dora.pcap"],
                      ["analyse", "--json", "--leases", "csv", "dora.pcap"],
                      ["analyse", "--ladder", "--mac", "00:0b:82:01:fc:42", "--json", "dora.pcap"],
                      ["analyse", "--expect", "not-an-address", "dora.pcap"],
                      ["analyse", "--expect-mac", "zz", "dora.pcap"],
                      ["analyse"]])
    func usageErrorsExit64(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains("Error:"))
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: ["missing.pcap", "not-a-capture.pcap", "empty.pcap"])
    func unreadableInputExitsTwo(file: String) throws {
        let result = try CLI.run(["analyse", file])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("dhcpscope: \(file): "))
    }

    /// 50 DISCOVERs from 50 MACs under --max-clients 8: one client-cap problem, the summary's clients stay at the cap
    /// and the rest are counted as forgotten; every transaction is still reported.
    @Test func clientCapBoundsTheClientTable() throws {
        let result = try CLI.run(["analyse", "--json", "--max-clients", "8", "zeek-unique-xid.pcapng"])
        #expect(result.status == 0)
        let events = try result.events()
        #expect(events.filter { $0["code"] as? String == "client-cap" }.count == 1)
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary")
        #expect(summary["transactions"] as? Int == 50)
        let clients = try #require(summary["clients"] as? Int), forgotten = try #require(summary["evicted_clients"] as? Int)
        #expect(clients <= 8 && clients + forgotten == 50)
    }

    /// The same 50 new MACs within 5 ms: a starvation problem (an error: exit status 1) under --starvation-clients 20,
    /// none under the default 100.
    @Test func starvationThresholdIsAFlag() throws {
        let flood = try CLI.run(["analyse", "--json", "--starvation-clients", "20", "zeek-unique-xid.pcapng"])
        #expect(flood.status == 1)
        let problems = try flood.events().filter { $0["code"] as? String == "starvation" }
        #expect(problems.count == 1)
        #expect((problems.first?["text"] as? String)?.hasPrefix("20 previously unseen clients sent DISCOVER within 0.002 s") == true)
        let quiet = try CLI.run(["analyse", "--json", "zeek-unique-xid.pcapng"])
        #expect(quiet.status == 0 && !quiet.stdout.contains("starvation"))
    }

    // MARK: report

    /// A pcap file of `count` DISCOVERs from as many MACs, none answered: a problem each.
    static func unansweredDiscovers(_ count: Int) throws -> URL {
        try CLI.capture(ofRequests: Array(repeating: [53, 1, 1, 255], count: count), named: "discovers.pcap")
    }

    /// JSON events rendered on other threads come out exactly as one thread writes them: several batches of
    /// events, and a file damaged part-way whose problem event must stay where it happened.
    @Test func threadsWriteWhatOneThreadWrites() throws {
        let capture = try Self.unansweredDiscovers(3_000)
        defer { try? FileManager.default.removeItem(at: capture.deletingLastPathComponent()) }
        let files = [capture.path] + Array(repeating: "zeek-dhcp.pcap", count: 10) + ["truncated.pcap", "dora.pcap"]
        let one = try CLI.run(["analyse", "--json", "--threads", "1"] + files)
        let three = try CLI.run(["analyse", "--json", "--threads", "3"] + files)
        #expect(one.status == 1, "unanswered DISCOVERs and a damaged file: \(one.stderr)")
        #expect(one.lines.count > 6_000)
        #expect(three.status == one.status)
        #expect(three.stdout == one.stdout)
    }

    /// The report lists the first 10000 problems and says how many it left out; --json writes every one. (10,025 new
    /// MACs at once are a starvation: its threshold is set out of reach, so that the count is the DISCOVERs'.)
    @Test func textReportSaysHowManyProblemsItLeftOut() throws {
        let capture = try Self.unansweredDiscovers(10_025)
        defer { try? FileManager.default.removeItem(at: capture.deletingLastPathComponent()) }
        let text = try CLI.run(["analyse", "--starvation-clients", "1000000", capture.path])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        #expect(text.lines.filter { $0.contains(" discover-unanswered ") }.count == 10_000)
        #expect(text.lines.last == "… and 25 more not listed: the report lists the first 10000; --json gives every one",
                "\(text.lines.suffix(2))")
        let json = try CLI.run(["analyse", "--json", "--starvation-clients", "1000000", capture.path])
        #expect(try json.events().filter { $0["code"] as? String == "discover-unanswered" }.count == 10_025)
    }

    /// On a terminal, analyse says how far it has read while it reads (the report comes after); the line is erased.
    @Test func progressOnATerminal() throws {
        let capture = try Self.unansweredDiscovers(20_000)
        defer { try? FileManager.default.removeItem(at: capture.deletingLastPathComponent()) }
        // stdout and stderr on one pseudo-terminal, as in a shell.
        let script = """
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], [sys.argv[1], 'analyse', sys.argv[2]])
            out = b''
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            os.waitpid(pid, 0)
            sys.stdout.write(out.decode('utf-8', 'replace'))
            """
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        let run = try SniffGate.run("/usr/bin/timeout", ["60", python, "-c", script, CLI.binary.path, capture.path], timeout: 70)
        #expect(run.status == 0, "\(run.stderr)")
        let progress = try #require(run.stdout.range(of: "16384 frames, 16384 DHCP messages…"), "\(run.stdout.prefix(300))")
        let report = try #require(run.stdout.range(of: "20000 DHCP messages in 20000 frames"))
        #expect(progress.upperBound <= report.lowerBound, "the progress line comes before the report")
        #expect(run.stdout.contains("\r\u{1B}[K"), "the progress line is erased")
    }

    @Test func textReportOnDORA() throws {
        let result = try CLI.run(["analyse", "dora.pcap"])
        #expect(result.status == 0)
        #expect(result.lines.first?.hasPrefix("4 DHCP messages in 4 frames; 1 transactions (1 ack)") == true)
        try CLI.assertSnapshot(result.stdout, named: "analyse-dora.txt")
    }

    @Test func textReportOnZeek() throws {
        let result = try CLI.run(["analyse", "zeek-dhcp.pcap"])
        #expect(result.status == 0)
        for code in ["nak", "decline", "request-unanswered"] { #expect(result.stdout.contains(" \(code) ")) }
        try CLI.assertSnapshot(result.stdout, named: "analyse-zeek-dhcp.txt")
    }

    // MARK: JSON

    static let duringEvents: Set<String> = ["transaction", "transition", "problem"]
    static let contractFields: [String: [String]] = [
        "transaction": ["xid", "mac", "client_id", "kind", "servers", "messages", "outcome", "discover_offer_ms",
                        "request_ack_ms", "total_ms"],
        "transition": ["mac", "client_id", "from", "to", "time", "frame", "reason"],
        "lease": ["ip", "mac", "client_id", "hostname", "server", "start", "end", "lease_time", "t1", "t2", "router",
                  "dns", "domain", "state"],
        "server": ["id", "ip", "mac", "offers", "acks", "naks", "expected", "p50_ms", "p90_ms", "p99_ms", "max_ms"],
        "problem": ["code", "severity", "rfc", "mac", "ip", "xid", "frames", "text"],
        "summary": ["messages", "transactions", "clients", "leases", "problems"],
    ]

    @Test func jsonStreamFollowsTheContract() throws {
        let result = try CLI.run(["analyse", "--json", "zeek-dhcp.pcap"])
        #expect(result.status == 0)
        let events = try result.events()
        let kinds = events.map { $0["event"] as? String ?? "?" }
        // transaction, transition and problem as they happen; then leases, servers, and the summary last.
        let rank = kinds.map { Self.duringEvents.contains($0) ? 0 : $0 == "lease" ? 1 : $0 == "server" ? 2 : $0 == "summary" ? 3 : 9 }
        #expect(rank == rank.sorted(), "events out of order: \(kinds)")
        #expect(kinds.last == "summary")
        #expect(kinds.filter { $0 == "summary" }.count == 1)
        #expect(!kinds.contains("message"))
        for kind in ["transaction", "transition", "problem", "lease", "server", "summary"] {
            #expect(kinds.contains(kind), "no \(kind) event")
        }
        for event in events {
            let kind = try #require(event["event"] as? String)
            for field in Self.contractFields[kind] ?? [] {
                #expect(event.keys.contains(field), "\(kind) event lacks \(field)")
            }
            for (key, value) in event where ["time", "start", "end"].contains(key) {
                if let time = value as? String { #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil) }
            }
            if let xid = event["xid"] as? String { #expect(xid.wholeMatch(of: /0x[0-9a-f]{8}/) != nil) }
            if let mac = event["mac"] as? String { #expect(mac.wholeMatch(of: /[0-9a-f]{2}(:[0-9a-f]{2}){5}/) != nil) }
        }
        let transactions = events.filter { $0["event"] as? String == "transaction" }
        #expect(transactions.map { $0["kind"] as? String } == ["dora", "init_reboot", "decline", "release", "inform"])
        #expect(transactions.map { $0["outcome"] as? String } == ["nak", "ack", "declined", "released", "timeout"])
        let lease = try #require(events.first { $0["event"] as? String == "lease" })
        #expect(lease["ip"] as? String == "128.2.6.189")
        #expect(lease["hostname"] as? String == "btest.is.cool")
        #expect(lease["dns"] as? [String] == ["128.2.1.11", "128.2.1.10"])
        let server = try #require(events.first { $0["event"] as? String == "server" })
        #expect(server["expected"] as? Bool == true)
        #expect(server["naks"] as? Int == 1)
        let summary = try #require(events.last)
        #expect(summary["messages"] as? Int == 9)
        #expect(summary["transactions"] as? Int == 5)
        let problems = try #require(summary["problems"] as? [String: Int])
        #expect(problems == ["info": 1, "warning": 5, "error": 0], "nak, decline, request-unanswered and missing-address twice")
    }

    @Test func verboseJSONAddsMessageEvents() throws {
        let plain = try CLI.run(["analyse", "--json", "zeek-dhcp.pcap"]).events()
        let verbose = try CLI.run(["analyse", "-v", "--json", "zeek-dhcp.pcap"]).events()
        let messages = verbose.filter { $0["event"] as? String == "message" }
        #expect(messages.count == 9)
        #expect(verbose.count == plain.count + 9)
        // Each message comes before the events it causes.
        let firstMessage = try #require(verbose.firstIndex { $0["event"] as? String == "message" })
        let firstTransition = try #require(verbose.firstIndex { $0["event"] as? String == "transition" })
        #expect(firstMessage < firstTransition)
    }

    @Test func countAndFilterLimitWhatIsAnalysed() throws {
        let counted = try CLI.run(["analyse", "--json", "-c", "2", "zeek-dhcp.pcap"]).events()
        #expect(counted.last?["messages"] as? Int == 2)
        let filtered = try CLI.run(["analyse", "--json", "--filter", "udp src port 68", "zeek-dhcp.pcap"]).events()
        #expect(filtered.last?["messages"] as? Int == 6)
        #expect(!filtered.contains { $0["event"] as? String == "server" })
    }

    // MARK: expected servers

    @Test func anUnexpectedServerIsAnError() throws {
        let result = try CLI.run(["analyse", "--json", "--expect", "10.9.9.9", "zeek-dhcp.pcap"])
        #expect(result.status == 1)
        let events = try result.events()
        let problem = try #require(events.first { $0["code"] as? String == "unexpected-server" })
        #expect(problem["event"] as? String == "problem")
        #expect(problem["severity"] as? String == "error")
        #expect(problem["ip"] as? String == "128.2.6.152")
        let server = try #require(events.first { $0["event"] as? String == "server" })
        #expect(server["expected"] as? Bool == false)
        #expect((events.last?["problems"] as? [String: Int])?["error"] == 1)

        let text = try CLI.run(["analyse", "--expect", "10.9.9.9", "zeek-dhcp.pcap"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("UNEXPECTED"))
        #expect(text.stdout.contains("ERROR unexpected-server"))
    }

    @Test(arguments: [["--expect", "128.2.6.152"], ["--expect", "10.9.9.9,128.2.6.152"], ["--expect-mac", "00:0c:29:40:0e:ef"]])
    func theRealServerIsExpected(arguments: [String]) throws {
        let result = try CLI.run(["analyse", "--json"] + arguments + ["zeek-dhcp.pcap"])
        #expect(result.status == 0)
        let events = try result.events()
        #expect(!events.contains { $0["code"] as? String == "unexpected-server" })
        #expect(events.first { $0["event"] as? String == "server" }?["expected"] as? Bool == true)
    }

    @Test func onlyTheOtherOfTwoServersIsUnexpected() throws {
        let result = try CLI.run(["analyse", "--json", "--expect", "198.18.0.1", "two-servers.pcap"])
        #expect(result.status == 1)
        let servers = try result.events().filter { $0["event"] as? String == "server" }
        #expect(servers.map { $0["id"] as? String } == ["198.18.0.1", "198.18.0.2"])
        #expect(servers.map { $0["expected"] as? Bool } == [true, false])
    }

    // MARK: ladder

    @Test func ladderOfDORA() throws {
        let result = try CLI.run(["analyse", "--ladder", "--mac", "00:0b:82:01:fc:42", "dora.pcap"])
        #expect(result.status == 0)
        #expect(!result.stdout.contains("relay"))
        #expect(result.stdout.contains("|-----DISCOVER----->|"))
        #expect(result.stdout.contains("|<------OFFER-------|"))
        try CLI.assertSnapshot(result.stdout, named: "analyse-ladder-dora.txt")
    }

    @Test func ladderByXID() throws {
        let byXID = try CLI.run(["analyse", "--ladder", "--xid", "0x3d1e", "dora.pcap"])
        #expect(byXID.lines.filter { $0.contains("xid=0x") }.count == 2)
        #expect(byXID.stdout.contains("REQUEST") && byXID.stdout.contains("ACK") && !byXID.stdout.contains("OFFER"))
    }

    @Test func ladderOfARelayedCapture() throws {
        let result = try CLI.run(["analyse", "--ladder", "--mac", "5a:4f:34:b1:af:66", "tcpdump-rfc4388.pcap"])
        #expect(result.status == 0)  // --mac leaves out the capture's malformed messages
        let header = try #require(result.lines.first)
        #expect(header.contains("client") && header.contains("relay") && header.contains("server"))
        #expect(result.lines[1].contains("10.30.1.1") && result.lines[1].contains("10.50.1.1"))
        try CLI.assertSnapshot(result.stdout, named: "analyse-ladder-rfc4388.txt")
    }

    @Test func ladderWithTwoServersAndARelay() throws {
        let result = try CLI.run(["analyse", "--ladder", "--mac", "06:00:00:00:01:01,06:00:00:00:01:02", "two-servers.pcap"])
        #expect(result.status == 0)
        let header = try #require(result.lines.first)
        #expect(header.components(separatedBy: "server").count - 1 == 2)
        #expect(result.lines[1].contains("198.18.0.1") && result.lines[1].contains("198.18.0.2"))
        // The client's broadcast leg of a relayed message ends at the relay; the relay's leg at the server.
        let discover = try #require(result.lines.first { $0.contains("xid=0x22220001") && $0.contains("DISCOVER") })
        #expect(discover.contains("|-----DISCOVER----->|                   |                   |"))
        try CLI.assertSnapshot(result.stdout, named: "analyse-ladder-two-servers.txt")
    }

    @Test func ladderOfNothing() throws {
        let result = try CLI.run(["analyse", "--ladder", "--mac", "06:00:00:00:00:99", "dora.pcap"])
        #expect(result.status == 0)
        #expect(result.stdout == "no messages match\n")
    }

    // MARK: leases

    @Test func leasesAsCSV() throws {
        let result = try CLI.run(["analyse", "--leases", "csv", "two-servers.pcap"])
        #expect(result.status == 0)
        #expect(result.lines.first == "ip,mac,client_id,hostname,server,start,end,lease_time,t1,t2,router,dns,domain,state,family,iaid,ia,preferred_lifetime")
        let rows = Self.parseCSV(result.stdout)
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.count == 18 })
        #expect(rows.dropFirst().allSatisfy { $0[14] == "v4" })
        let first = rows[1]
        #expect(first[0] == "198.18.0.100")
        #expect(first[2] == "01:06:00:00:00:01:01")
        #expect(first[3] == "lab \"pc\", 1")
        #expect(first[7] == "3600" && first[8] == "1800" && first[9] == "3150")
        #expect(first[11] == "198.18.0.53 198.18.0.54")
        #expect(first[12] == "example.test" && first[13] == "active")
        let second = rows[2]
        #expect(second[6] == "")  // infinite: no end
        #expect(second[13] == "released")
        try CLI.assertSnapshot(result.stdout, named: "analyse-leases-two-servers.csv")
    }

    @Test func leasesAsDhcpdLeases() throws {
        let dora = try CLI.run(["analyse", "--leases", "dhcpd", "dora.pcap"])
        #expect(dora.status == 0)
        #expect(dora.lines.first?.hasPrefix("# ") == true)
        for line in ["lease 192.168.0.10 {", "  starts 0 2004/12/05 19:16:24;", "  ends 0 2004/12/05 20:16:24;",
                     "  binding state active;", "  hardware ethernet 00:0b:82:01:fc:42;",
                     "  uid \"\\001\\000\\013\\202\\001\\374B\";", "}"] {
            #expect(dora.lines.contains(line), "missing: \(line)")
        }
        let result = try CLI.run(["analyse", "--leases", "dhcpd", "two-servers.pcap"])
        #expect(result.stdout.contains("  client-hostname \"lab \\\"pc\\\", 1\";"))
        #expect(result.stdout.contains("  ends never;"))
        #expect(result.stdout.contains("  binding state free;"))
        try CLI.assertSnapshot(result.stdout, named: "analyse-leases-two-servers.dhcpd")
    }

    /// RFC 4180: fields separated by commas, quoted fields may hold commas, quotes (doubled) and line breaks.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows = [[String]](), row = [String](), field = "", quoted = false
        var characters = text.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    let next = characters.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else { field.append(character) }
            } else if character == "\"" { quoted = true }
            else if character == "," { row.append(field); field = "" }
            else if character == "\n" { row.append(field); rows.append(row); row = []; field = "" }
            else { field.append(character) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    // MARK: SVG

    final class SVGCollector: NSObject, XMLParserDelegate {
        var root: String?
        var namespace: String?
        var clientRows = [String]()
        var leaseRects = [String]()
        var transitions = 0
        var texts = [String]()
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if root == nil { root = name; namespace = attributes["xmlns"] }
            if name == "g", attributes["class"] == "client" { clientRows.append(attributes["data-mac"] ?? "") }
            if name == "rect", let kind = attributes["class"], kind.hasPrefix("lease ") { leaseRects.append(String(kind.dropFirst(6))) }
            if name == "circle", attributes["class"] == "transition" { transitions += 1 }
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text" { texts.append(text) }
        }
    }

    func svg(_ capture: String) throws -> (SVGCollector, CLIResult) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-\(UUID().uuidString).svg")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try CLI.run(["analyse", "--svg", file.path, capture])
        let data = try Data(contentsOf: file)
        let parser = XMLParser(data: data)
        let collector = SVGCollector()
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")")
        return (collector, result)
    }

    @Test func svgTimelineHasARowPerClientAndABarPerLease() throws {
        let (picture, result) = try svg("two-servers.pcap")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("14 DHCP messages"))  // the report is still printed
        #expect(picture.root == "svg")
        #expect(picture.namespace == "http://www.w3.org/2000/svg")
        #expect(picture.clientRows == ["06:00:00:00:01:01", "06:00:00:00:01:02"])
        #expect(picture.leaseRects == ["active", "released"])
        #expect(picture.transitions > 0)
        #expect(picture.texts.contains("06:00:00:00:01:01 lab \"pc\", 1"))  // escaped in the file, intact when parsed
    }

    @Test(arguments: [("zeek-dhcp.pcap", 1, 1), ("dora.pcap", 1, 1), ("tcpdump-rfc4388.pcap", 1, 2)])
    func svgTimelineOfRealCaptures(capture: String, clients: Int, leases: Int) throws {
        let (picture, _) = try svg(capture)
        #expect(picture.clientRows.count == clients)
        #expect(picture.leaseRects.count == leases)
    }

    @Test func svgToAnUnwritablePathExitsTwo() throws {
        let result = try CLI.run(["analyse", "--svg", "/nonexistent/folder/out.svg", "dora.pcap"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot write"))
    }
}
