import Foundation
import Testing

@Suite("perf command")
struct PerfCommandTests {
    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["perf", "--help"])
        #expect(result.status == 0)
        for option in ["-i <iface>", "--server <ip>", "--relay <giaddr[,giaddr…]>", "--clients <n>", "--mac <mac>", "--client-id",
                       "--rate <r>", "--duration <s>", "--count <n>", "--warmup <s>", "--drop-time <s>", "--max-drops <n|p%>",
                       "--exchange <2way|4way>", "--mix <mix>", "--shard <i/N>", "--merge <file>", "-w <file>", "--json",
                       "perfdhcp exits 3", "per client", "--metrics <addr:port>"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
    }

    @Test(arguments: [
        ([], "give one of"),
        (["-i", "nosuchif0", "--server", "198.18.79.1", "--relay", "198.18.79.2"], "give one of"),
        (["--server", "198.18.79.1"], "--relay"),
        (["--relay", "198.18.79.2"], "--server"),
        (["--server", "198.18.79.1", "--relay", "198.18.79.2,banana"], "--relay"),
        (["-i", "nosuchif0", "--rate", "0"], "--rate"),
        (["-i", "nosuchif0", "--clients", "0"], "--clients"),
        (["-i", "nosuchif0", "--mac", "banana"], "--mac"),
        (["-i", "nosuchif0", "--client-id", "01:02"], "--client-id"),
        (["-i", "nosuchif0", "--duration", "0"], "--duration"),
        (["-i", "nosuchif0", "--count", "0"], "--count"),
        (["-i", "nosuchif0", "--drop-time", "4"], "--drop-time"),
        (["-i", "nosuchif0", "--max-drops", "x%"], "--max-drops"),
        (["-i", "nosuchif0", "--exchange", "3way"], "--exchange"),
        (["-i", "nosuchif0", "--mix", "renew:10"], "--mix"),
        (["-i", "nosuchif0", "--mix", "dora:1,bogus:2"], "--mix"),
        (["-i", "nosuchif0", "--shard", "3/2"], "--shard"),
    ])
    /// The interface does not exist: were a check missing, the run would end with status 2, never send anything.
    func usageErrorsExit64(arguments: [String], mention: String) throws {
        let result = try CLI.run(["perf"] + arguments)
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func unknownInterfaceExits2WithOneLine() throws {
        let result = try CLI.run(["perf", "-i", "nosuchif0", "--count", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("nosuchif0"))
    }

    @Test func unreadableMergeInputExits2() throws {
        let result = try CLI.run(["perf", "--merge", "/nonexistent/a.jsonl"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent/a.jsonl"))
    }

    /// Two shards' summaries (as `perf --json` writes them): counts add up, the histograms are merged — the p90 of
    /// the whole is the slow shard's, which no average of the two p90s gives — and the drop allowance applies to
    /// the whole.
    @Test func mergeAddsHistograms() throws {
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func summary(sent: Int, drops: Int, rate: Double, latency: Int) -> String {
            let histogram = #"{"count":\#(sent - drops),"histogram":[[\#(latency),\#(sent - drops)]]}"#
            return #"{"event":"summary","clients":10,"runs":1,"duration":1,"offered_rate":\#(rate),"send_rate":\#(rate),"#
                + #""achieved_rate":\#(rate),"sent":\#(sent),"completed":\#(sent - drops),"drops":\#(drops),"naks":0,"#
                + #""drops_discover_offer":\#(drops),"drops_request_ack":0,"duplicates":0,"late_replies":0,"#
                + #""unexpected_replies":0,"unfinished":0,"no_free_client":0,"late_starts":0,"max_start_delay_ms":0,"#
                + #""generator_limited":false,"messages_sent":0,"messages_received":0,"send_errors":0,"kinds":{},"#
                + #""problems":{},"problem_codes":{},"discover_offer":\#(histogram),"request_ack":\#(histogram),"exchange":\#(histogram)}"#
        }
        let a = folder.appendingPathComponent("a.jsonl"), b = folder.appendingPathComponent("b.jsonl")
        try Data((#"{"event":"ready"}"# + "\n" + summary(sent: 80, drops: 0, rate: 80, latency: 1000) + "\n").utf8).write(to: a)
        try Data(summary(sent: 20, drops: 2, rate: 20, latency: 9000).utf8).write(to: b)
        let merged = try CLI.run(["perf", "--json", "--merge", a.path, b.path, "--max-drops", "5%"])
        #expect(merged.status == 0, "stderr: \(merged.stderr)")
        let result = try #require(try merged.events().last)
        #expect(result["runs"] as? Int == 2 && result["sent"] as? Int == 100 && result["completed"] as? Int == 98)
        #expect(result["offered_rate"] as? Double == 100)
        let exchange = try #require(result["exchange"] as? [String: Any])
        #expect(exchange["count"] as? Int == 98)
        #expect(exchange["p50_ms"] as? Double == 1)
        #expect(exchange["p90_ms"] as? Double == 9)
        let strict = try CLI.run(["perf", "--merge", a.path, b.path, "--max-drops", "1"])
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("drops-exceeded") && strict.stdout.contains("2 runs merged"), "stdout: \(strict.stdout)")
    }

    /// perf on vA, mock-server on vB, one namespace: 60 DORAs at 30/s by 20 clients (each client several times),
    /// a -w capture of them, and a `--mix` run whose renewals and releases the server sees.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live clients need root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func againstMockServer() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace(prefix: "198.18.79")
        defer { namespace.delete() }
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try namespace.acceptLocalTraffic()
        let capture = folder.appendingPathComponent("perf.pcap").path
        let server = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                        CLI.binary.path, "mock-server", "-i", "vB", "--json",
                                        "--range", "198.18.79.100-198.18.79.199", "--duration", "8"], in: folder)
        try server.waitForOutput(containing: "\"event\":\"ready\"")
        let perf = try SniffGate.run("/usr/bin/timeout", ["20", "/usr/sbin/ip", "netns", "exec", namespace.name, CLI.binary.path,
                                                         "perf", "-i", "vA", "--json", "--clients", "20", "--rate", "30",
                                                         "--count", "60", "-w", capture])
        #expect(perf.status == 0, "stderr: \(perf.stderr)")
        let events = try perf.events()
        #expect(events.first?["event"] as? String == "ready" && events.first?["mode"] as? String == "layer2")
        #expect(events.contains { $0["event"] as? String == "progress" })
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary")
        #expect(summary["sent"] as? Int == 60 && summary["completed"] as? Int == 60 && summary["drops"] as? Int == 0)
        #expect(summary["messages_sent"] as? Int == 120 && summary["messages_received"] as? Int == 120)
        for step in ["discover_offer", "request_ack", "exchange"] {
            let latency = try #require(summary[step] as? [String: Any])
            #expect(latency["count"] as? Int == 60)
            for key in ["p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms"] { #expect(latency[key] is Double, "\(step) \(key)") }
        }
        let decoded = try CLI.run(["decode", "--json", capture])
        let types = try decoded.events().filter { $0["event"] as? String == "message" }
            .compactMap { ($0["dhcp"] as? [String: Any])?["type"] as? String }
        #expect(types.filter { $0 == "DISCOVER" }.count == 60 && types.filter { $0 == "ACK" }.count == 60)

        let mixed = try SniffGate.run("/usr/bin/timeout", ["20", "/usr/sbin/ip", "netns", "exec", namespace.name, CLI.binary.path,
                                                          "perf", "-i", "vA", "--json", "--clients", "20", "--rate", "40",
                                                          "--count", "80", "--mix", "dora:50,renew:30,release:20",
                                                          "--mac", "06:00:00:00:4f:01", "-v"])
        #expect(mixed.status == 0, "stderr: \(mixed.stderr)")
        let kinds = try #require(try mixed.events().last?["kinds"] as? [String: [String: Any]])
        // -v: every client's steps along Figure 5, each one of its arrows.
        let steps = try mixed.events().filter { $0["event"] as? String == "transition" }
        #expect(steps.allSatisfy { $0["in_rfc"] as? Bool == true && ($0["mac"] as? String ?? "").hasPrefix("06:00:00:00:4f") })
        let arrows = Set(steps.compactMap { step in (step["from"] as? String).flatMap { from in (step["to"] as? String).map { "\(from)→\($0)" } } })
        #expect(arrows.isSuperset(of: ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND", "BOUND→RENEWING",
                                       "RENEWING→BOUND", "BOUND→RELEASED"]), "\(arrows)")
        let releases = try #require(kinds["release"]?["sent"] as? Int)
        #expect(releases > 0 && (kinds["renew"]?["completed"] as? Int ?? 0) > 0)
        let served = try server.finish()
        let states = try served.events().filter { $0["event"] as? String == "lease" && ($0["mac"] as? String ?? "").hasPrefix("06:00:00:00:4f") }
            .compactMap { $0["state"] as? String }
        #expect(states.filter { $0 == "released" }.count == releases)
    }
}
