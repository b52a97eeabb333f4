import Foundation
import Glibc
import Testing

extension OneAtATime {
/// --metrics of relay, mock-client, probe --watch and perf, scraped from inside the lab while they talk to
/// kea-dhcp4 through our relay: promtool accepts every scrape, and the values agree with what each one printed.
@Suite("role metrics", .serialized, .enabled(if: LabGate.enabled))
struct RoleMetricsLabTests: MockServerScenario {
    /// A scrape of `address` from `namespace`, checked by promtool.
    static func scrape(_ lab: Lab, in namespace: String, _ address: String, _ name: String) throws -> String {
        let text = try MetricsLabTests.scrape(lab, in: namespace, address)
        let file = try lab.write("\(name)-metrics.txt", text)
        let check = try lab.run("promtool-\(name)", in: namespace, ["/bin/sh", "-c", "/usr/bin/promtool check metrics < \(file)"])
        try lab.check(check.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool on \(name)'s metrics: \(check)\n\(text)")
        return text
    }

    static func value(_ text: String, _ series: String) -> Double? { MetricsLabTests.value(text, series) }

    @Test("relay, mock-client, probe --watch and perf --metrics, through our relay to kea-dhcp4")
    func roleMetrics() async throws {
        try await Lab.run("metrics-roles", index: 77) { lab in
            let topology = try RelayLabTests.topology(lab, clientLinks: 1)
            let client = topology.clients[0], subnet = topology.clientSubnets[0]
            // The client namespace's own address, for the endpoints (the clients' frames do not use it).
            try lab.ip(client, "addr", "add", "\(subnet.host(5))/24", "dev", "cli0")
            let kea = topology.serverAddress
            _ = try await lab.startKea(in: topology.server, interface: "srv0", subnets: [topology.serverSubnet, subnet], validLifetime: 600,
                                       renewTimer: 300, rebindTimer: 500)
            let relayEndpoint = "\(topology.giaddr(0)):9470"
            let relay = try await RelayLabTests.startRelay(lab, topology, extra: ["--metrics", relayEndpoint])

            // mock-client: three clients bound, held until SIGINT.
            let clientEndpoint = "\(subnet.host(5)):9471"
            let clients = try lab.start("mock-client", in: client, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json", "--clients", "3",
                                                                   "--mac", "06:07:00:00:00:01", "--duration", "60", "--metrics", clientEndpoint],
                                        timeout: 90)
            try await lab.wait(for: "three leases", seconds: 20) {
                Self.events(clients).filter { $0.name == "lease" && $0.string("state") == "active" }.count == 3
            }
            let clientText = try Self.scrape(lab, in: client, clientEndpoint, "mock-client")
            let clientEvents = Self.events(clients)
            let discovers = clientEvents.filter { $0.name == "transition" && $0.string("to") == "SELECTING" }.count
            try lab.check(Self.value(clientText, #"dhcp_client_machines{state="BOUND"}"#) == 3
                          && Self.value(clientText, #"dhcp_client_machines{state="INIT"}"#) == 0
                          && Self.value(clientText, #"dhcp_client_lease_events_total{state="active"}"#) == 3
                          && Self.value(clientText, #"dhcp_client_messages_total{direction="received",type="ACK"}"#) == 3
                          && (Self.value(clientText, #"dhcp_client_messages_total{direction="sent",type="DISCOVER"}"#) ?? 0) >= Double(max(3, discovers)),
                          "mock-client's metrics:\n\(clientText)")
            clients.signal(SIGINT)
            try lab.check(clients.waitForExit(seconds: 10), "mock-client did not stop")

            // probe --watch: rounds that kea answers, each OK.
            let probeEndpoint = "\(subnet.host(5)):9472"
            let probe = try lab.start("probe", in: client, [DHCPScope.binary.path, "probe", "-i", "cli0", "--json", "--expect", kea,
                                                           "--timeout", "1", "--watch", "0.5", "--count", "40", "--metrics", probeEndpoint],
                                      timeout: 60)
            try await lab.wait(for: "two probe rounds", seconds: 20) { Self.events(probe).filter { $0.name == "summary" }.count >= 2 }
            let probeText = try Self.scrape(lab, in: client, probeEndpoint, "probe")
            probe.signal(SIGINT)
            try lab.check(probe.waitForExit(seconds: 10), "probe --watch did not stop")
            let rounds = Self.events(probe).filter { $0.name == "summary" }
            let okRounds = Self.value(probeText, #"dhcp_probe_rounds_total{status="OK"}"#) ?? -1
            let answers = Self.value(probeText, #"dhcp_probe_response_seconds_count{server="\#(kea)"}"#) ?? -1
            try lab.check(okRounds >= 2 && okRounds <= Double(rounds.count) && Self.value(probeText, "dhcp_probe_success") == 1
                          && Self.value(probeText, #"dhcp_probe_server_up{server="\#(kea)"}"#) == 1
                          && Self.value(probeText, "dhcp_probe_rogue_servers") == 0 && answers >= okRounds,
                          "probe's metrics after \(rounds.count) rounds:\n\(probeText)")

            // perf: 40 exchanges a second for 6 s, scraped while it runs.
            let perfEndpoint = "\(subnet.host(5)):9473"
            let perf = try lab.start("perf", in: client, [DHCPScope.binary.path, "perf", "-i", "cli0", "--json", "--clients", "30",
                                                         "--mac", "06:07:00:01:00:01", "--rate", "40", "--duration", "6",
                                                         "--metrics", perfEndpoint], timeout: 60)
            try await lab.wait(for: "perf's third progress event", seconds: 20) {
                Self.events(perf).filter { $0.name == "progress" }.count >= 3
            }
            let perfText = try Self.scrape(lab, in: client, perfEndpoint, "perf")
            try lab.check(perf.waitForExit(seconds: 30), "perf did not end")
            let summary = try #require(Self.events(perf).last { $0.name == "summary" })
            let started = Self.value(perfText, "dhcp_perf_exchanges_started_total") ?? -1
            let completed = Self.value(perfText, "dhcp_perf_exchanges_completed_total") ?? -1
            let timed = Self.value(perfText, #"dhcp_perf_latency_seconds_count{step="exchange"}"#) ?? -1
            try lab.check(started >= 80 && completed >= 70 && completed <= started && timed >= completed
                          && timed <= Double(summary.object["completed"] as? Int ?? 0)
                          && Self.value(perfText, "dhcp_perf_exchanges_dropped_total") == 0,
                          "perf's metrics (summary \(summary.object)):\n\(perfText)")

            // The relay passed all of it on: its counters equal its relay events.
            let relayText = try Self.scrape(lab, in: client, relayEndpoint, "relay")
            relay.stop(signal: SIGINT)
            let passed = try RelayLabTests.relayEvents(relay).filter { $0.name == "relay" }
            for (direction, type) in [("to_server", "DISCOVER"), ("to_server", "REQUEST"), ("to_client", "OFFER"), ("to_client", "ACK")] {
                let printed = passed.filter { $0.string("direction") == direction && $0.string("type") == type }.count
                try lab.check(printed > 0 && Self.value(relayText, #"dhcp_relay_forwarded_total{direction="\#(direction)",type="\#(type)"}"#) == Double(printed),
                              "relay \(direction) \(type): printed \(printed)\n\(relayText)")
            }
        }
    }
}
}
