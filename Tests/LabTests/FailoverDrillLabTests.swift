import Foundation
import Glibc
import Testing

/// The failover drill, run the same way against two redundant pairs: mock-server's hot-standby pair on PostgreSQL,
/// and kea-dhcp4's own HA hook (libdhcp_ha.so) in hot-standby. perf (DORA exchanges, layer 2) and mock-client
/// (clients renewing short leases) run through a kill -9 of the primary; their summaries give the longest stretch
/// without a completed exchange and how many clients kept their address across it.
@Suite("Failover drills", .serialized, .enabled(if: LabGate.enabled))
struct FailoverDrillLabTests: MockServerScenario {
    /// perf and mock-client started together; `kill` runs 4 s in; both summaries are checked: a gap of at least the
    /// failover's detection time and at most `maxGap`, and every client with an exchange on both sides of it kept its
    /// address.
    static func drill(_ lab: Lab, _ namespaces: [String: String], maxGap: Double, kill: () -> Void) async throws
        -> (perf: [String: Any], mockClient: [String: Any]) {
        let perf = try lab.start("perf", in: namespaces["perf"]!, [DHCPScope.binary.path, "perf", "--json", "-i", "cli0", "--clients", "40",
                                                                   "--mac", "06:02:00:00:00:01", "--rate", "40", "--duration", "14"], timeout: 40)
        let clients = try lab.start("mock-client", in: namespaces["mc"]!, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                          "--clients", "10", "--mac", "06:03:00:00:00:01", "--duration", "16"],
                                    timeout: 40)
        try await Task.sleep(for: .seconds(4))
        kill()
        try await lab.wait(for: "perf and mock-client to end", seconds: 30) { !perf.isRunning && !clients.isRunning }
        func summary(_ run: LabProcess) throws -> [String: Any] {
            guard let last = Self.events(run).last, last.name == "summary" else { throw LabError.check("\(run.name): no summary:\n\(run.output.suffix(2000))") }
            return last.object
        }
        let results = (try summary(perf), try summary(clients))
        for (name, result) in [("perf", results.0), ("mock-client", results.1)] {
            let gap = result["longest_gap_s"] as? Double ?? -1, crossed = result["gap_clients"] as? Int ?? -1, kept = result["gap_kept"] as? Int ?? -1
            try lab.check(gap >= 0.5 && gap <= maxGap && crossed > 0 && kept == crossed,
                          "\(name): longest gap \(gap) s, \(kept) of \(crossed) clients kept their address: \(result)")
            FileHandle.standardOutput.write(Data("DRILL \(lab.scenario) \(name): longest gap \(gap) s, \(kept) of \(crossed) clients kept their address\n".utf8))
        }
        return results
    }

    @Test("failover drill: mock-server's hot-standby pair on PostgreSQL")
    func mockServerPair() async throws {
        try await Lab.run("drill-mock-server-pair", index: 70) { lab in
            let postgres = try await LabPostgreSQL(lab, in: try lab.namespace("db"))
            let namespaces = try await Self.bridgedSegment(lab, servers: ["a", "b"], clients: ["perf", "mc"])
            let common = ["--range", Self.range(lab.subnet, 10, 250), "--lease-time", "8", "--lease-db", postgres.url,
                          "--ha-mode", "hot-standby", "--ha-heartbeat", "0.5", "--ha-max-missed", "2"]
            let primary = try await Self.startMock(lab, "primary", in: namespaces["a"]!, common + ["--ha-role", "primary", "--ha-partner", lab.subnet.host(2)])
            let standby = try await Self.startMock(lab, "standby", in: namespaces["b"]!, common + ["--ha-role", "standby", "--ha-partner", lab.subnet.host(1)])
            _ = try await Self.drill(lab, namespaces, maxGap: 8) { primary.stop(signal: SIGKILL) }
            try lab.check(Self.events(standby).contains { $0.name == "ha" && $0.string("state") == "taking-over" }, "the standby did not take over")
            try Self.stopMock(lab, standby)
            postgres.stop()
        }
    }

    @Test("failover drill: kea-dhcp4's HA hook in hot-standby")
    func keaHotStandby() async throws {
        try await Lab.run("drill-kea-ha", index: 71) { lab in
            let namespaces = try await Self.bridgedSegment(lab, servers: ["a", "b"], clients: ["perf", "mc"])
            var keas: [LabProcess] = []
            for (index, tag) in ["a", "b"].enumerated() {
                keas.append(try await Self.startKeaHA(lab, name: "server\(index + 1)", in: namespaces[tag]!))
            }
            try await lab.wait(for: "both Kea servers in their HA state", seconds: 20) {
                keas[0].output.contains("HA_STATE_TRANSITION") && keas[0].output.contains("HOT-STANDBY")
                    && keas[1].output.contains("HOT-STANDBY")
            }
            _ = try await Self.drill(lab, namespaces, maxGap: 10) { keas[0].stop(signal: SIGKILL) }
            try lab.check(keas[1].output.contains("PARTNER-DOWN"), "the standby Kea never went to partner-down:\n\(keas[1].output.suffix(3000))")
            keas[1].stop()
        }
    }

    /// kea-dhcp4 `name` (server1 primary on host 1, server2 standby on host 2) with the HA hook in hot-standby:
    /// heartbeats every second, the partner down 2 s after they stop (no unacked-clients wait), multi-threaded with
    /// the hook's own HTTP listener on port 8001; each its own memfile.
    static func startKeaHA(_ lab: Lab, name: String, in namespace: String) async throws -> LabProcess {
        let hooks = "/usr/lib/x86_64-linux-gnu/kea/hooks"
        let config = """
            {"Dhcp4": {
              "interfaces-config": {"interfaces": ["srv0"], "dhcp-socket-type": "raw"},
              "lease-database": {"type": "memfile", "persist": true, "name": "\(lab.path("\(name)-leases4.csv"))", "lfc-interval": 0},
              "valid-lifetime": 8, "renew-timer": 4, "rebind-timer": 7,
              "multi-threading": {"enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 64},
              "hooks-libraries": [
                {"library": "\(hooks)/libdhcp_lease_cmds.so"},
                {"library": "\(hooks)/libdhcp_ha.so", "parameters": {"high-availability": [{
                  "this-server-name": "\(name)", "mode": "hot-standby",
                  "heartbeat-delay": 1000, "max-response-delay": 2000, "max-ack-delay": 1000, "max-unacked-clients": 0,
                  "multi-threading": {"enable-multi-threading": true, "http-dedicated-listener": true,
                                      "http-listener-threads": 1, "http-client-threads": 1},
                  "peers": [
                    {"name": "server1", "url": "http://\(lab.subnet.host(1)):8001/", "role": "primary", "auto-failover": true},
                    {"name": "server2", "url": "http://\(lab.subnet.host(2)):8001/", "role": "standby", "auto-failover": true}
                  ]}]}}
              ],
              "subnet4": [{"id": 1, "subnet": "\(lab.subnet.cidr)", "pools": [{"pool": "\(lab.subnet.host(10)) - \(lab.subnet.host(250))"}]}],
              "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "stdout"}], "severity": "INFO"}]
            }}

            """
        try lab.write("\(name).json", config)
        let folder = lab.path("\(name)-run")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let process = try lab.start(name, in: namespace, ["/usr/sbin/kea-dhcp4", "-c", lab.path("\(name).json")],
                                    environment: ["KEA_PIDFILE_DIR": folder, "KEA_LOCKFILE_DIR": folder], timeout: 120)
        try await lab.wait(for: process, toPrint: "DHCP4_STARTED", seconds: 20)
        return process
    }
}
