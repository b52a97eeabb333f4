import Foundation
import Glibc
import Testing

extension OneAtATime {
/// --metrics read back by scraping the endpoint inside the lab while real peers talk: Prometheus's own promtool
/// accepts the exposition, and the values agree with the traffic.
@Suite("Prometheus metrics", .serialized, .enabled(if: LabGate.enabled))
struct MetricsLabTests: MockServerScenario {
    /// `curl` of http://ADDR/metrics from inside `namespace`.
    static func scrape(_ lab: Lab, in namespace: String, _ address: String) throws -> String {
        try lab.run("curl", in: namespace, ["/usr/bin/curl", "-sS", "--max-time", "5", "http://\(address)/metrics"])
    }

    /// The value of the series `name{labels}` (labels as written, in the exposition's order), or nil.
    static func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// sniff --metrics beside mock-server --metrics while mock-client binds five clients: both endpoints pass promtool;
    /// sniff's counts the DISCOVERs it saw and the server's response times, lists the five clients as BOUND and their
    /// leases active; mock-server's counts its replies and its pool's leased and free addresses; a second sniff on the
    /// same port cannot start (exit 2, one line); sniff's --stats-interval prints a stats event every 2 s.
    @Test("sniff and mock-server --metrics: scrapes that promtool accepts and that agree with the traffic")
    func sniffMetrics() async throws {
        try await Lab.run("metrics-sniff", index: 75) { lab in
            let (client, server, _) = try Self.pair(lab, link: 1, serverAddress: lab.subnet.host(1))
            let endpoint = "\(lab.subnet.host(1)):9467"
            let sniff = try lab.start("sniff", in: server, [DHCPScope.binary.path, "sniff", "--json", "-i", "srv0", "--metrics", endpoint,
                                                            "--stats-interval", "2"], timeout: 90)
            try await lab.wait(for: "sniff's ready event") {
                if !sniff.isRunning { throw LabError.check("sniff ended before it was ready: \(sniff.output)") }
                return sniff.standardOutput.contains(#""event":"ready""#)
            }
            let second = try lab.start("sniff-2", in: server, [DHCPScope.binary.path, "sniff", "--json", "-i", "srv0", "--metrics", endpoint])
            try await lab.wait(for: "the second sniff to give up", seconds: 10) { !second.isRunning }
            let refusal = (try? String(contentsOf: second.stderrURL, encoding: .utf8)) ?? ""
            try lab.check(second.exitStatus == 2 && refusal.split(separator: "\n").count == 1 && refusal.contains(endpoint),
                          "a second listener on \(endpoint): exit \(second.exitStatus ?? -1), stderr \(refusal)")

            let serverEndpoint = "\(lab.subnet.host(1)):9468"
            let mock = try await Self.startMock(lab, in: server, ["--range", Self.range(lab.subnet, 100, 150), "--lease-time", "600",
                                                                  "--metrics", serverEndpoint])
            let clients = try lab.start("mock-client", in: client, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                   "--clients", "5", "--mac", "06:06:00:00:00:01", "--once", "--timeout", "15"])
            try await lab.wait(for: "five clients bound", seconds: 20) { !clients.isRunning }
            try lab.check(clients.exitStatus == 0, "mock-client exited \(clients.exitStatus ?? -1): \(clients.output.suffix(1500))")
            // The tables (clients, leases) are read every 5 s; a DORA's transaction ends when its ACK is seen.
            try await Task.sleep(for: .seconds(6))
            let text = try Self.scrape(lab, in: server, endpoint)
            let file = try lab.write("metrics.txt", text)
            // promtool exits non-zero on a malformed exposition or a convention broken (lint): `run` throws then.
            let check = try lab.run("promtool", in: server, ["/bin/sh", "-c", "/usr/bin/promtool check metrics < \(file)"])
            try lab.check(check.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(check)\n\(text)")

            let discovers = Self.events(sniff).filter { $0.name == "message" && $0.messageType == "DISCOVER" }.count
            let seen = Self.value(text, #"dhcp_messages_total{family="v4",type="DISCOVER"}"#)
            try lab.check(seen == Double(discovers) && discovers >= 5, "DISCOVERs: sniff printed \(discovers), metrics say \(seen ?? -1)\n\(text)")
            let acks = Self.value(text, #"dhcp_transactions_total{family="v4",kind="dora",outcome="ack"}"#)
            try lab.check(acks == 5, "ACKed DORA transactions: \(acks ?? -1)\n\(text)")
            let offers = Self.value(text, #"dhcp_server_response_seconds_count{server="\#(lab.subnet.host(1))",step="discover-offer"}"#)
            try lab.check(offers == 5, "the server's DISCOVER→OFFER response times: \(offers ?? -1)\n\(text)")
            try lab.check(Self.value(text, #"dhcp_clients{state="BOUND"}"#) == 5 && Self.value(text, "dhcp_leases_active") == 5
                          && Self.value(text, #"dhcp_servers{expected="true"}"#) == 1, "tables:\n\(text)")

            // mock-server's own endpoint: replies by type, and its pool (51 addresses, 5 leased) read every 5 s.
            let served = try Self.scrape(lab, in: server, serverEndpoint)
            let servedFile = try lab.write("server-metrics.txt", served)
            let servedCheck = try lab.run("promtool-server", in: server, ["/bin/sh", "-c", "/usr/bin/promtool check metrics < \(servedFile)"])
            try lab.check(servedCheck.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(servedCheck)\n\(served)")
            let subnet = lab.subnet.cidr
            try lab.check(Self.value(served, #"dhcp_server_replies_total{type="ACK"}"#) == 5
                          && Self.value(served, #"dhcp_server_messages_received_total{type="DISCOVER"}"#) == Double(discovers)
                          && Self.value(served, #"dhcp_server_addresses{subnet="\#(subnet)",state="pool"}"#) == 51
                          && Self.value(served, #"dhcp_server_addresses{subnet="\#(subnet)",state="leased"}"#) == 5
                          && Self.value(served, #"dhcp_server_addresses{subnet="\#(subnet)",state="free"}"#) == 46,
                          "mock-server's metrics:\n\(served)")
            try Self.stopMock(lab, mock)
            sniff.signal(SIGINT)
            try lab.check(sniff.waitForExit(seconds: 10) && sniff.exitStatus == 0, "sniff did not stop cleanly: \(sniff.output.suffix(1000))")
            // --stats-interval 2: a stats event every 2 s (sniff runs 6 s at least after the clients are bound: two or more),
            // of the summary's form, its counts never going back.
            let elapsed = Self.events(sniff).filter { $0.name == "stats" }.compactMap { $0.object["elapsed"] as? Double }
            try lab.check(elapsed.enumerated().allSatisfy { $1 >= 2 * Double($0 + 1) - 0.5 } && elapsed == elapsed.sorted(),
                          "stats every 2 s: \(elapsed)")
            let stats = Self.events(sniff).filter { $0.name == "stats" }
            let counts = stats.compactMap { $0.object["messages"] as? Int }
            let final = try #require(Self.events(sniff).last { $0.name == "summary" })
            try lab.check(stats.count >= 2 && counts == counts.sorted() && counts.last.map { $0 <= (final.object["messages"] as? Int ?? -1) } == true
                          && counts.last.map { $0 >= discovers } == true && stats.allSatisfy { $0.object["captured"] != nil },
                          "stats events: \(stats.map(\.object))")
        }
    }
}
}
