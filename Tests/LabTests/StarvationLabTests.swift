import Foundation
import Glibc
import Testing

extension OneAtATime {
/// starvation and pool-exhausted against real servers, inside namespaces: a DHCPig-style flood written with
/// mock-client (Debian's DHCPig crashes with Debian's scapy) against kea-dhcp4, and a small pool that real clients
/// exhaust one after another. sniff watches live on the server's side; analyse reads the same traffic afterwards.
@Suite("Starvation and exhaustion", .serialized, .enabled(if: LabGate.enabled))
struct StarvationLabTests: MockServerScenario {
    /// sniff on srv0 of the server's namespace, writing what it sees to `file`.
    static func startSniff(_ lab: Lab, in namespace: String, file: String) async throws -> LabProcess {
        let sniff = try lab.start("sniff", in: namespace, [DHCPScope.binary.path, "sniff", "--json", "-i", "srv0", "-w", lab.path(file)],
                                  timeout: 90)
        try await lab.wait(for: "sniff's ready event") {
            if !sniff.isRunning { throw LabError.check("sniff ended before it was ready: \(sniff.output)") }
            return sniff.standardOutput.contains(#""event":"ready""#)
        }
        return sniff
    }

    static func codes(_ events: [Event]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for event in events where event.name == "problem" { counts[event.string("code") ?? "?", default: 0] += 1 }
        return counts
    }

    /// 250 mock-clients with new MACs DISCOVER at once and REQUEST every OFFER against kea-dhcp4's pool of 51
    /// addresses (Kea does not hold an address when it offers it: the REQUESTs exhaust it); then a real client
    /// (udhcpc) gets nothing. sniff reports starvation and pool-exhausted as they happen, analyse of its capture the same.
    @Test("a DHCPig-style flood against kea-dhcp4: starvation and pool-exhausted, and a real client gets nothing")
    func floodAgainstKea() async throws {
        try await Lab.run("starvation-kea", index: 73) { lab in
            let namespaces = try await Self.bridgedSegment(lab, servers: ["srv"], clients: ["flood", "real"])
            let kea = try await lab.startKea(in: namespaces["srv"]!, interface: "srv0", subnets: [lab.subnet], validLifetime: 600,
                                             renewTimer: 300, rebindTimer: 500)
            let sniff = try await Self.startSniff(lab, in: namespaces["srv"]!, file: "server.pcap")
            let flood = try lab.start("flood", in: namespaces["flood"]!, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                         "--clients", "250", "--mac", "06:05:00:00:00:01", "--once", "--timeout", "10"],
                                      timeout: 30)
            try await lab.wait(for: "the flood to end", seconds: 20) { !flood.isRunning }
            let bound = Self.events(flood).filter { $0.name == "lease" && $0.string("state") == "active" }.count
            try lab.check(bound > 0 && bound <= 51, "the flood bound \(bound) clients (pool of 51)")
            let real = try Self.startUdhcpc(lab, "real", in: namespaces["real"]!, ["-t", "3", "-T", "1", "-A", "1", "-n"])
            try await lab.wait(for: "udhcpc to give up", seconds: 15) { !real.isRunning }
            try lab.check(Self.bound(lab, "real") == nil, "the real client got an address: \(Self.scriptLog(lab, "real"))")
            try await Task.sleep(for: .milliseconds(500))
            sniff.signal(SIGINT)
            try lab.check(sniff.waitForExit(seconds: 10), "sniff did not stop")
            let live = Self.codes(Self.events(sniff))
            try lab.check(live["starvation"] == 1 && (live["pool-exhausted"] ?? 0) >= 1, "sniff's problems: \(live)")
            let exhausted = Self.events(sniff).filter { $0.name == "problem" && $0.string("code") == "pool-exhausted" }
            try lab.check(exhausted.allSatisfy { $0.string("ip") == lab.subnet.host(1) }, "pool-exhausted names another server: \(exhausted.map(\.object))")
            let analysed = try Self.analyse(lab, ["server.pcap"], errors: true)
            let offline = Self.codes(analysed)
            try lab.check(offline["starvation"] == 1 && (offline["pool-exhausted"] ?? 0) >= 1, "analyse's problems: \(offline)")
            kea.stop()
        }
    }

    /// mock-server with a pool of three; six udhcpc clients, one after another: the first three are bound, the
    /// others get nothing and retry; analyse of the server side reports pool-exhausted and no starvation.
    @Test("a small pool exhausted by real clients one after another: pool-exhausted, no starvation")
    func smallPool() async throws {
        try await Lab.run("exhausted-small-pool", index: 74) { lab in
            let tags = (1...6).map { "c\($0)" }
            let namespaces = try await Self.bridgedSegment(lab, servers: ["srv"], clients: tags)
            let mock = try await Self.startMock(lab, in: namespaces["srv"]!, ["--range", Self.range(lab.subnet, 100, 102), "--lease-time", "600"])
            let capture = try await lab.capture("tcpdump", in: namespaces["srv"]!, interface: "srv0", to: "server.pcap")
            var clients: [LabProcess] = []
            for tag in tags {
                clients.append(try Self.startUdhcpc(lab, tag, in: namespaces[tag]!, ["-t", "4", "-T", "1", "-A", "1", "-n"]))
                try await Task.sleep(for: .milliseconds(700))
            }
            try await lab.wait(for: "every udhcpc to be bound or give up", seconds: 20) { !clients.contains(where: \.isRunning) || tags.prefix(3).allSatisfy { Self.bound(lab, $0) != nil } && !clients.suffix(3).contains(where: \.isRunning) }
            try lab.check(tags.filter { Self.bound(lab, $0) != nil }.count == 3, "bound: \(tags.filter { Self.bound(lab, $0) != nil })")
            try await lab.stopCapture(capture)
            LabProcess.stop(clients)
            try Self.stopMock(lab, mock)
            let problems = Self.codes(try Self.analyse(lab, ["server.pcap"], errors: true))
            try lab.check((problems["pool-exhausted"] ?? 0) >= 1 && problems["starvation"] == nil, "analyse's problems: \(problems)")
        }
    }
}
}
