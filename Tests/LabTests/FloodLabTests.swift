import Foundation
import Glibc
import Testing

/// Issue 10 item 4: `mock-server --rate-limit` under a DHCPig starvation flood. Scenario index 80 (198.18.90.0/24).
///
/// The mock serves a pool of 50 addresses on a bridge, `--rate-limit 10` (a bucket of 10 new allocations/s, burst
/// 10). A dhclient (the legitimate client) binds first; T1 = 3 s, so that it renews every 3 s or so during the flood
/// (udhcpc would not: it renews no sooner than 61 s).
/// DHCPig (Debian's dhcpig, option 55 of its DISCOVER adapted to scapy 2.5, see `dhcpigScript`: DHCPv4 only, no `-6`, no ARP scan `-n`, no gratuitous ARP `-g`, no release of neighbours
/// `-r`, no fuzzing `-f`; `-x 0`: no pause between DISCOVERs) floods from its own namespace for 10 s under
/// `timeout -s KILL`. A bridge-family nft rule drops the mock's replies on the attacker's port: DHCPig answers each
/// OFFER it sees with a REQUEST naming siaddr (0.0.0.0 from the mock) as the server, which makes the mock withdraw
/// the offer at once; unanswered, every offer the flood obtains stays held for the full 30 s, the worst case for the
/// pool and the hold table. The scenario checks:
/// - the rate limit: flood OFFERs ≤ burst + rate × time, the rest refused with a `problem` naming the rate limit;
/// - the hold table: the flood's held offers fill the pool (50, far below the table's cap of 4096) and no more;
/// - the known client keeps being served: each of its renewals during the flood is ACKed, it never loses its address;
/// - memory: mock-server's peak RSS (VmHWM) after the flood stays under 64 MiB (a few MiB of Swift runtime plus the
///   bounded tables: ≤ 50 holds, ≤ 4096 rate-limit windows of a few dozen bytes; measured: 26 MiB before and after.
///   DHCPig, one scapy `sendp` per frame, sends only a few dozen DISCOVERs/s here: the bound is for growth, not volume);
/// - the holds expire: the pool is full of the flood's holds when it ends; a new client (udhcpc) started once the
///   first holds are 30 s old binds within seconds, to an address the flood held.
@Suite("Lab: mock-server under a flood", .enabled(if: LabGate.enabled, LabGate.skipReason), .timeLimit(.minutes(2)))
struct FloodLabTests: MockServerScenario {
    static let poolSize = 50
    static let rate = 10
    static let holdTime = 30.0
    static let floodSeconds = 10
    static let peakRSSBoundKiB = 64 * 1024

    @Test("mock-server --rate-limit under a DHCPig flood: known client served, memory bounded, holds expire")
    func dhcpigFlood() async throws {
        try await Lab.run("mock-server-dhcpig-flood", index: 80) { lab in
            let server = try lab.namespace("srv"), client = try lab.namespace("cli")
            let attacker = try lab.namespace("att"), newcomer = try lab.namespace("new")
            try Self.bridge(lab, in: server, mac: lab.mac(link: 0, side: 3), address: lab.subnet.host(1))
            let clientMAC = lab.mac(link: 0, side: 2), newcomerMAC = lab.mac(link: 2, side: 2)
            try await Self.attach(lab, (client, "cli0", clientMAC, nil), to: server, port: "p-cli", portMAC: lab.mac(link: 0, side: 1))
            try await Self.attach(lab, (attacker, "att0", lab.mac(link: 1, side: 2), nil), to: server, port: "p-att",
                                  portMAC: lab.mac(link: 1, side: 1))
            try await Self.attach(lab, (newcomer, "cli0", newcomerMAC, nil), to: server, port: "p-new", portMAC: lab.mac(link: 2, side: 1))
            try Self.dropReplies(lab, in: server, port: "p-att")

            let mock = try await Self.startMock(lab, in: server, ["--range", Self.range(lab.subnet, 100, 100 + Self.poolSize - 1),
                                                                 "--lease-time", "20", "--t1", "3", "--t2", "15",
                                                                 "--rate-limit", String(Self.rate)])
            let mockPID = try #require(mock.commandPID)
            let dhclient = try Self.startDhclient(lab, "dhclient", in: client)
            try await lab.wait(for: "the known client's BOUND") { lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.dhclientAddress != nil }
            let address = try #require(lab.dhclientAddress)
            let before = try Self.memory(pid: mockPID)

            // The flood.
            let renewalsBefore = lab.clientScriptLog.filter { $0.hasPrefix("RENEW ") }.count
            let floodStart = Date()
            let dhcpig = try lab.start("dhcpig", in: attacker, ["/usr/bin/timeout", "-s", "KILL", String(Self.floodSeconds),
                                                               "/usr/bin/python3", try Self.dhcpigScript(lab), "-x", "0", "-v", "1", "att0"],
                                       timeout: Self.floodSeconds + 10)
            var firstFloodOffer: Date?
            try await lab.wait(for: "DHCPig's end (SIGKILL after \(Self.floodSeconds) s)", seconds: Double(Self.floodSeconds) + 5) {
                if firstFloodOffer == nil, Self.floodOffers(mock, excluding: [clientMAC]).count > 0 { firstFloodOffer = Date() }
                return !dhcpig.isRunning
            }
            let floodEnd = Date()
            // The inner timeout kills its whole process group, itself included; the lab's outer timeout re-raises that
            // SIGKILL, so Foundation reports the signal's number.
            try lab.check(dhcpig.exitStatus == SIGKILL && !dhcpig.output.contains("Traceback"),
                          "dhcpig did not run its \(Self.floodSeconds) s: status \(dhcpig.exitStatus ?? -1): \(dhcpig.output.suffix(2000))")
            let after = try Self.memory(pid: mockPID)

            // The rate limit and the hold table.
            let floodOffers = Self.floodOffers(mock, excluding: [clientMAC])
            let offered = Set(floodOffers.compactMap { $0.string("yiaddr") })
            let problems = Self.problems(mock).compactMap { $0.string("text") }
            let rateRefusals = problems.filter { $0.contains("rate limit") }.count
            let poolRefusals = problems.filter { $0.hasPrefix("no free address") }.count
            let seconds = floodEnd.timeIntervalSince(floodStart)
            try lab.check(floodOffers.count <= Self.rate + Int(seconds.rounded(.up)) * Self.rate,
                          "\(floodOffers.count) OFFERs to the flood in \(seconds) s: more than the rate limit allows")
            try lab.check(rateRefusals > 0, "the rate limit refused nothing: \(problems.prefix(5))")
            try lab.check(floodOffers.count == offered.count && offered.count == Self.poolSize - 1 && poolRefusals > 0,
                          "the flood holds \(offered.count) addresses in \(floodOffers.count) OFFERs, \(poolRefusals) refused for an empty pool; expected the rest of the pool (\(Self.poolSize - 1)), each held once")
            try lab.check(!problems.contains { $0.contains("offers held (the maximum)") }, "the hold table reached its cap")
            try lab.check(try Self.droppedReplies(lab, in: server) >= offered.count, "nft dropped fewer replies than the flood's OFFERs")

            // The known client, served throughout.
            let log = lab.clientScriptLog
            let renewals = log.filter { $0.hasPrefix("RENEW ") }.count - renewalsBefore
            try lab.check(renewals >= 2 && log.allSatisfy { $0 == "RENEW \(address) \(address)" || $0.hasPrefix("PREINIT") || $0.hasPrefix("BOUND \(address)") },
                          "the known client renewed \(renewals) times during the flood, expected ≥ 2, keeping \(address): \(log)")
            try lab.check(after.peakKiB < Self.peakRSSBoundKiB,
                          "mock-server's peak RSS is \(after.peakKiB) KiB after the flood (before: \(before.peakKiB) KiB)")

            // The held offers expire: the pool was full of them when the flood ended (the refusals above); a new client
            // started once the flood's first holds are 30 s old binds at once. It starts no sooner: each DISCOVER it
            // sent into the full pool would count against its per-MAC budget (4 new allocations in 60 s), and with
            // udhcpc's one DISCOVER a second it would be refused for a minute after the holds expired.
            let firstOffer = try #require(firstFloodOffer, "no OFFER to the flood was seen")
            try await Task.sleep(for: .seconds(max(0, firstOffer.addingTimeInterval(Self.holdTime + 0.5).timeIntervalSinceNow)))
            _ = try Self.startUdhcpc(lab, "new", in: newcomer)
            try await lab.wait(for: "the new client's bound (holds expired)", seconds: 6) { Self.bound(lab, "new") != nil }
            let boundAfter = Date().timeIntervalSince(firstOffer)
            let newAddress = try #require(Self.bound(lab, "new"))
            try lab.check(offered.contains(newAddress), "the new client got \(newAddress), not an address the flood held")
            try lab.check(!lab.clientScriptLog.contains { $0.hasPrefix("EXPIRE") || $0.hasPrefix("FAIL") } && dhclient.isRunning,
                          "the known client lost its lease: \(lab.clientScriptLog)")
            let end = try Self.memory(pid: mockPID)
            try Self.stopMock(lab, mock)
            let summary = try #require(Self.events(mock).last)
            FileHandle.standardOutput.write(Data("""
                flood: \(summary["received"] ?? "?") messages received by mock-server in \(String(format: "%.1f", seconds)) s of DHCPig and after; \
                \(floodOffers.count) OFFERs to the flood, \(rateRefusals) refused by the rate limit, \(poolRefusals) for a full pool; \
                known client renewed \(renewals) times; new client bound \(String(format: "%.1f", boundAfter)) s after the first flood OFFER; \
                mock-server VmHWM before \(before.peakKiB) KiB, after the flood \(after.peakKiB) KiB (VmRSS \(after.residentKiB) KiB), at the end \(end.peakKiB) KiB

                """.utf8))
        }
    }

    /// The packaged /usr/bin/dhcpig, copied into the lab folder with the one change Debian's scapy 2.5 needs: its
    /// DISCOVER lists option 55's codes as `chr(N)` strings, which scapy 2.5 refuses ("Incorrect type of value for
    /// field opcode"), killing the sending thread at its first DISCOVER. The codes become the integers they stand for.
    static func dhcpigScript(_ lab: Lab) throws -> String {
        let packaged = try String(contentsOfFile: "/usr/bin/dhcpig", encoding: .utf8)
        let codes = [1, 121, 3, 6, 15, 119, 252, 95, 44, 46]
        let broken = codes.map { "chr(\($0))" }.joined(separator: ","), fixed = codes.map(String.init).joined(separator: ",")
        try lab.check(packaged.contains(broken), "/usr/bin/dhcpig no longer has its option 55 list as chr() strings: check it as is")
        return try lab.write("dhcpig.py", packaged.replacingOccurrences(of: broken, with: fixed))
    }

    /// Drops, in `namespace`, every DHCP reply (UDP from port 67) the bridge would send out of `port`, whether the
    /// mock sent it (output) or it came through the bridge (forward).
    static func dropReplies(_ lab: Lab, in namespace: String, port: String) throws {
        let rules = try lab.write("nft-flood.conf", """
            table bridge dhcpscope_lab {
              chain output {
                type filter hook output priority 0; policy accept;
                oifname "\(port)" udp sport 67 counter drop
              }
              chain forward {
                type filter hook forward priority 0; policy accept;
                oifname "\(port)" udp sport 67 counter drop
              }
            }

            """)
        try lab.run("nft-flood", in: namespace, ["/usr/sbin/nft", "-f", rules])
    }

    /// How many replies the rules of `dropReplies` dropped.
    static func droppedReplies(_ lab: Lab, in namespace: String) throws -> Int {
        let text = try lab.run("nft-list", in: namespace, ["/usr/sbin/nft", "list", "table", "bridge", "dhcpscope_lab"])
        let counters = try Regex(#"counter packets (\d+)"#)
        return text.matches(of: counters).compactMap { Int($0.output[1].substring ?? "") }.reduce(0, +)
    }

    /// The mock's OFFERs to clients other than `known`: the flood's.
    static func floodOffers(_ mock: LabProcess, excluding known: [String]) -> [Event] {
        replies(mock).filter { $0.string("type") == "OFFER" && !known.contains($0.string("mac") ?? "") }
    }

    /// Peak (VmHWM) and current (VmRSS) resident memory of `pid`, in KiB.
    static func memory(pid: Int32) throws -> (peakKiB: Int, residentKiB: Int) {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) throws -> Int {
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix(name + ":") }, "no \(name) in /proc/\(pid)/status")
            return try #require(line.split(separator: " ").dropFirst().first.flatMap { Int($0) }, "\(line)")
        }
        return (try field("VmHWM"), try field("VmRSS"))
    }
}
