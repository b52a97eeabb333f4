import Foundation
import Glibc
import Testing

extension OneAtATime {
/// The failover drill, run the same way against two redundant pairs: mock-server's hot-standby pair on PostgreSQL,
/// and kea-dhcp4's own HA hook (libdhcp_ha.so) in hot-standby. perf (DORA exchanges, layer 2) and mock-client
/// (clients renewing short leases) run through a kill -9 of the primary; their summaries give the longest stretch
/// without a completed exchange and how many clients kept their address across it.
@Suite("Failover drills", .serialized, .enabled(if: LabGate.enabled))
struct FailoverDrillLabTests: MockServerScenario {
    /// perf and mock-client started together, for as long as the drill takes: once both have completed exchanges,
    /// `kill` stops the primary; once `tookOver` says the partner serves, both run 10 s more (mock-client's clients
    /// rebind at T2, 7 s) and are stopped with SIGINT. Both summaries are checked: a gap of at least the failover's
    /// detection time and at most `maxGap`, and every client with an exchange on both sides of it kept its address.
    /// The steps wait on what the programs print, not on fixed delays, so that a busy machine only makes them slower.
    static func drill(_ lab: Lab, _ namespaces: [String: String], maxGap: Double, kill: () -> Void,
                      tookOver: @escaping () -> Bool) async throws {
        let perf = try lab.start("perf", in: namespaces["perf"]!, [DHCPScope.binary.path, "perf", "--json", "-i", "cli0", "--clients", "40",
                                                                   "--mac", "06:02:00:00:00:01", "--rate", "40", "--duration", "90"], timeout: 120)
        let clients = try lab.start("mock-client", in: namespaces["mc"]!, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                          "--clients", "10", "--mac", "06:03:00:00:00:01", "--duration", "90"],
                                    timeout: 120)
        try await lab.wait(for: "perf's and mock-client's first completed exchanges", seconds: 30) {
            Self.events(perf).contains { $0.name == "progress" && ($0.object["completed"] as? Int ?? 0) >= 40 }
                && Self.events(clients).contains { $0.name == "lease" && $0.string("state") == "renewed" }
        }
        kill()
        try await lab.wait(for: "the partner to take over", seconds: 30, tookOver)
        try await Task.sleep(for: .seconds(10))
        perf.signal(SIGINT)
        clients.signal(SIGINT)
        try await lab.wait(for: "perf and mock-client to end", seconds: 30) { !perf.isRunning && !clients.isRunning }
        for run in [perf, clients] {
            guard let result = Self.events(run).last, result.name == "summary" else {
                throw LabError.check("\(run.name): no summary:\n\(run.output.suffix(2000))")
            }
            let gap = result.object["longest_gap_s"] as? Double ?? -1
            let crossed = result.object["gap_clients"] as? Int ?? -1, kept = result.object["gap_kept"] as? Int ?? -1
            try lab.check(gap >= 0.5 && gap <= maxGap && crossed > 0 && kept == crossed,
                          "\(run.name): longest gap \(gap) s, \(kept) of \(crossed) clients kept their address: \(result.object)")
            FileHandle.standardOutput.write(Data("DRILL \(lab.scenario) \(run.name): longest gap \(gap) s, \(kept) of \(crossed) clients kept their address\n".utf8))
        }
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
            try await Self.drill(lab, namespaces, maxGap: 12, kill: { primary.stop(signal: SIGKILL) }) {
                Self.events(standby).contains { $0.name == "ha" && $0.string("state") == "taking-over" }
            }
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
            try await Self.drill(lab, namespaces, maxGap: 12, kill: { keas[0].stop(signal: SIGKILL) }) {
                keas[1].output.contains("PARTNER-DOWN")
            }
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
}
