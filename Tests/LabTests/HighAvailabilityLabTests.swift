import Foundation
import Glibc
import Testing

extension OneAtATime {
/// mock-server as a redundant pair on one PostgreSQL database the test starts: hot-standby with real clients
/// (dhclient, udhcpc, dhcpcd) across a kill -9 of the primary, and load-balancing with 200 mock-clients.
@Suite("High availability", .serialized, .enabled(if: LabGate.enabled))
struct HighAvailabilityLabTests: MockServerScenario {
    static func haStates(_ mock: LabProcess) -> [String] {
        events(mock).filter { $0.name == "ha" }.compactMap { $0.string("state") }
    }

    static func acked(_ mock: LabProcess, _ address: String) -> Bool {
        replies(mock).contains { $0.string("type") == "ACK" && $0.string("yiaddr") == address }
    }

    /// Hot-standby: dhclient, udhcpc and dhcpcd bound through the primary (the standby answers nothing); the primary
    /// killed with SIGKILL: the standby declares it down after three missed heartbeats and takes over; the clients'
    /// renewals to the primary go unanswered, they rebind at T2 and the standby ACKs the same addresses, which
    /// stay in their own lease files and in the database; the primary started again: the standby stands down.
    @Test("hot-standby pair: the clients keep their addresses across kill -9 of the primary")
    func hotStandby() async throws {
        try await Lab.run("ha-hot-standby", index: 66) { lab in
            let database = try lab.namespace("db")
            let postgres = try await LabPostgreSQL(lab, in: database)
            let clients = try await Self.bridgedSegment(lab, servers: ["a", "b"], clients: ["dhclient", "udhcpc", "dhcpcd"])
            let (a, b) = (clients["a"]!, clients["b"]!), serverMAC = lab.mac(link: 0, side: 2)
            let common = ["--range", Self.range(lab.subnet, 100, 150), "--lease-time", "30", "--lease-db", postgres.url,
                          "--ha-mode", "hot-standby"]
            let primaryArguments = common + ["--ha-role", "primary", "--ha-partner", lab.subnet.host(2)]
            let primary = try await Self.startMock(lab, "primary-1", in: a, primaryArguments)
            let standby = try await Self.startMock(lab, "standby", in: b, common + ["--ha-role", "standby", "--ha-partner", lab.subnet.host(1)],
                                                   timeout: 200)
            let ready = try #require(Self.events(standby).first { $0.name == "ready" })
            try lab.check((ready.object["ha"] as? [String: Any])?["state"] as? String == "standing-by", "the standby's ready: \(ready.object)")

            let dhclient = try Self.startDhclient(lab, "dhclient", in: clients["dhclient"]!)
            let udhcpc = try Self.startUdhcpc(lab, "u", in: clients["udhcpc"]!)
            let dhcpcd = try lab.startDhcpcd("dhcpcd", in: clients["dhcpcd"]!, interface: "cli0")
            try await lab.wait(for: "the three clients bound", seconds: 20) {
                lab.dhclientAddress != nil && Self.bound(lab, "u") != nil && lab.dhcpcdLeaseAddress(interface: "cli0") != nil
            }
            let bound = ["dhclient": try #require(lab.dhclientAddress), "udhcpc": try #require(Self.bound(lab, "u")),
                         "dhcpcd": try #require(lab.dhcpcdLeaseAddress(interface: "cli0"))]
            try lab.check(Set(bound.values).count == 3, "two clients share an address: \(bound)")
            try await lab.wait(for: "the primary's ACKs") { bound.values.allSatisfy { Self.acked(primary, $0) } }
            try lab.check(Self.replies(standby).allSatisfy { $0.string("mac") == serverMAC },
                          "the standby answered a client while the primary was up: \(Self.replies(standby).map(\.object))")

            primary.stop(signal: SIGKILL)
            try await lab.wait(for: "the standby to take over", seconds: 10) { Self.haStates(standby).contains("taking-over") }
            try lab.check(Self.haStates(standby).prefix(2) == ["partner-down", "taking-over"], "the standby's states: \(Self.haStates(standby))")
            // T1 15 s (renewals to the dead primary), T2 26.25 s: each client rebinds and the standby ACKs its address.
            try await lab.wait(for: "the standby's ACK of every client's address", seconds: 45) {
                bound.values.allSatisfy { Self.acked(standby, $0) }
            }
            try lab.check(lab.dhclientAddress == bound["dhclient"] && lab.dhcpcdLeaseAddress(interface: "cli0") == bound["dhcpcd"]
                          && Self.scriptLog(lab, "u").last { $0.hasPrefix("bound") || $0.hasPrefix("renew") }?.split(separator: " ")[1] == bound["udhcpc"].map { Substring($0) },
                          "a client changed address: dhclient \(lab.dhclientAddress ?? "-"), dhcpcd \(lab.dhcpcdLeaseAddress(interface: "cli0") ?? "-"), udhcpc \(Self.scriptLog(lab, "u"))")
            let rows = try postgres.psql("SELECT host(address) FROM dhcpscope_lease4 WHERE state = 'bound'", database: "leases")
            try lab.check(Set(rows.split(separator: "\n").map(String.init)).isSuperset(of: bound.values), "the database's bound rows: \(rows)")

            let back = try await Self.startMock(lab, "primary-2", in: a, primaryArguments)
            try await lab.wait(for: "the standby to stand down", seconds: 10) {
                Self.haStates(standby).suffix(2) == ["partner-back", "standing-by"]
            }
            LabProcess.stop([dhclient, udhcpc, dhcpcd])
            try Self.stopMock(lab, back)
            try Self.stopMock(lab, standby)
            let summary = try #require(Self.events(standby).last)
            try lab.check((summary.object["ha"] as? [String: Any])?["state"] as? String == "standing-by", "the standby's summary: \(summary.object)")
            postgres.stop()
        }
    }

    /// Load-balancing: 200 mock-clients split between the pair by the RFC 3074 hash (each server ACKs only its
    /// own, about half); perf drives the pair with the same clients; one server killed (SIGKILL): the survivor
    /// takes over and binds 15 new clients of either half (the pool holds 241);
    /// every bound address in the database belongs to one client.
    @Test("load-balancing pair: the clients split by the hash, the survivor serves all")
    func loadBalancing() async throws {
        try await Lab.run("ha-load-balancing", index: 67) { lab in
            let database = try lab.namespace("db")
            let postgres = try await LabPostgreSQL(lab, in: database)
            let clients = try await Self.bridgedSegment(lab, servers: ["a", "b"], clients: ["cli"])
            let (a, b) = (clients["a"]!, clients["b"]!)
            let common = ["--range", Self.range(lab.subnet, 10, 250), "--lease-time", "600", "--lease-db", postgres.url,
                          "--ha-mode", "load-balancing", "--ha-max-missed", "2"]
            let primary = try await Self.startMock(lab, "primary", in: a, common + ["--ha-role", "primary", "--ha-partner", lab.subnet.host(2)])
            let secondary = try await Self.startMock(lab, "secondary", in: b, common + ["--ha-role", "secondary", "--ha-partner", lab.subnet.host(1)])
            let first = try lab.start("mock-client-1", in: clients["cli"]!, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                            "--clients", "200", "--mac", "06:01:00:00:00:01", "--once", "--timeout", "40"],
                                      timeout: 60)
            try await lab.wait(for: "200 clients bound", seconds: 50) { !first.isRunning }
            try lab.check(first.exitStatus == 0, "mock-client exited \(first.exitStatus ?? -1): \(first.output.suffix(2000))")
            func ackedMACs(_ mock: LabProcess, _ prefix: String) -> Set<String> {
                Set(Self.replies(mock).filter { $0.string("type") == "ACK" && $0.string("mac")?.hasPrefix(prefix) == true }
                    .compactMap { $0.string("mac") })
            }
            // The servers' lines are flushed within 50 ms of their last reply.
            try await lab.wait(for: "the two servers' ACKs of the 200 clients", seconds: 5) {
                ackedMACs(primary, "06:01").union(ackedMACs(secondary, "06:01")).count == 200
            }
            let macsA = ackedMACs(primary, "06:01"), macsB = ackedMACs(secondary, "06:01")
            try lab.check(macsA.isDisjoint(with: macsB) && (60...140).contains(macsA.count),
                          "ACKed by the primary \(macsA.count), by the secondary \(macsB.count), both \(macsA.intersection(macsB).count)")

            // perf drives the pair with the same 200 clients again (DORA at layer 2). The lab runs the debug build on a
            // machine that may be busy, so the rate is modest; bench/server-vs-kea measures the release build's rates.
            let perf = try lab.start("perf", in: clients["cli"]!, [DHCPScope.binary.path, "perf", "--json", "-i", "cli0", "--clients", "200",
                                                                  "--mac", "06:01:00:00:00:01", "--rate", "400", "--duration", "3"], timeout: 30)
            try await lab.wait(for: "perf to end", seconds: 20) { !perf.isRunning }
            let perfSummary = try #require(Self.events(perf).last { $0.name == "summary" }, "perf printed no summary: \(perf.output.suffix(2000))")
            let completed = perfSummary.object["completed"] as? Int ?? 0, drops = perfSummary.object["drops"] as? Int ?? -1
            try lab.check(completed >= 900 && drops * 100 <= completed,
                          "perf against the pair: completed \(completed), drops \(drops), achieved \(perfSummary.object["achieved_rate"] ?? "?")/s")
            FileHandle.standardOutput.write(Data("HA load-balancing pair under perf: \(completed) exchanges completed, \(drops) drops, achieved \(perfSummary.object["achieved_rate"] ?? "?")/s\n".utf8))

            secondary.stop(signal: SIGKILL)
            try await lab.wait(for: "the primary to take over", seconds: 10) { Self.haStates(primary).contains("taking-over") }
            let second = try lab.start("mock-client-2", in: clients["cli"]!, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                             "--clients", "15", "--mac", "06:01:00:00:10:01", "--once", "--timeout", "30"],
                                       timeout: 50)
            try await lab.wait(for: "15 more clients bound by the survivor", seconds: 40) { !second.isRunning }
            try lab.check(second.exitStatus == 0, "mock-client exited \(second.exitStatus ?? -1): \(second.output.suffix(2000))")
            try await lab.wait(for: "the survivor's ACKs of the 15 new clients", seconds: 5) {
                ackedMACs(primary, "06:01:00:00:10").count == 15
            }
            let duplicates = try postgres.psql("""
                SELECT count(*) FROM (SELECT client FROM dhcpscope_lease4 WHERE state = 'bound' GROUP BY client HAVING count(*) > 1) AS d
                """, database: "leases")
            let rows = try postgres.psql("SELECT count(*) FROM dhcpscope_lease4 WHERE state = 'bound'", database: "leases")
            try lab.check(duplicates.trimmingCharacters(in: .whitespacesAndNewlines) == "0" && rows.trimmingCharacters(in: .whitespacesAndNewlines) == "215",
                          "bound rows \(rows), clients with two addresses \(duplicates)")
            try Self.stopMock(lab, primary)
            postgres.stop()
        }
    }
}
}
