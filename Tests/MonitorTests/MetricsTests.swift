import DHCPProtocol
import Prometheus
import Testing
@testable import DHCPMetrics

/// The roles' metrics as a scrape reads them: the exposition text of the registry.
@Suite("role metrics")
struct MetricsTests {
    /// `name{labels} value` lines of a scrape, by series.
    func scrape(_ registry: PrometheusCollectorRegistry) -> [String: Double] {
        var series: [String: Double] = [:]
        for line in String(decoding: registry.emitToBuffer(), as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            series[String(line[..<space])] = value
        }
        return series
    }

    @Test func probeRoundsSayWhoAnsweredAndHowFast() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ProbeMetrics(registry: registry)
        metrics.round(status: 2, name: "CRITICAL", seconds: 3, answers: [
            .init(server: "198.18.0.1", expected: true, milliseconds: [2, 4]),
            .init(server: "198.18.0.66", expected: false, milliseconds: [30]),
        ], missing: 0)
        var now = scrape(registry)
        #expect(now["dhcp_probe_success"] == 0 && now["dhcp_probe_status"] == 2 && now["dhcp_probe_rogue_servers"] == 1)
        #expect(now[#"dhcp_probe_rounds_total{status="CRITICAL"}"#] == 1 && now[#"dhcp_probe_rounds_total{status="OK"}"#] == 0)
        #expect(now[#"dhcp_probe_response_seconds_count{server="198.18.0.1"}"#] == 2)
        #expect(now[#"dhcp_probe_response_seconds_bucket{server="198.18.0.66",le="0.05"}"#] == 1)
        #expect(now[#"dhcp_probe_response_seconds_bucket{server="198.18.0.66",le="0.025"}"#] == 0)
        #expect(now[#"dhcp_probe_server_up{server="198.18.0.66"}"#] == 1)
        // The rogue went away: down, and the round is OK again.
        metrics.round(status: 0, name: "OK", seconds: 3, answers: [.init(server: "198.18.0.1", expected: true, milliseconds: [3])], missing: 0)
        now = scrape(registry)
        #expect(now[#"dhcp_probe_server_up{server="198.18.0.66"}"#] == 0 && now[#"dhcp_probe_server_up{server="198.18.0.1"}"#] == 1)
        #expect(now["dhcp_probe_success"] == 1 && now[#"dhcp_probe_servers{expected="false"}"#] == 0)
        #expect(now[#"dhcp_probe_response_seconds_count{server="198.18.0.1"}"#] == 3)
    }

    @Test func serverLabelsAreBounded() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ProbeMetrics(registry: registry)
        let answers = (0..<100).map { ProbeMetrics.Answer(server: "198.18.1.\($0)", expected: false, milliseconds: [1]) }
        metrics.round(status: 2, name: "CRITICAL", seconds: 1, answers: answers, missing: 0)
        let now = scrape(registry)
        let servers = Set(now.keys.filter { $0.hasPrefix("dhcp_probe_server_up{") })
        #expect(servers.count == AnalysisMetrics.maximumServers)
        #expect(now[#"dhcp_probe_response_seconds_count{server="other"}"#] == Double(100 - AnalysisMetrics.maximumServers))
    }

    @Test func perfCountersOnlyGrow() {
        let registry = PrometheusCollectorRegistry()
        let metrics = PerfMetrics(registry: registry)
        metrics.progress(sent: 100, completed: 90, drops: 2, naks: 1, inFlight: 7)
        metrics.latency(step: "exchange", seconds: 0.002)
        metrics.progress(sent: 250, completed: 240, drops: 2, naks: 1, inFlight: 3)
        var now = scrape(registry)
        #expect(now["dhcp_perf_exchanges_started_total"] == 250 && now["dhcp_perf_exchanges_completed_total"] == 240)
        #expect(now["dhcp_perf_exchanges_dropped_total"] == 2 && now["dhcp_perf_exchanges_in_flight"] == 3)
        #expect(now[#"dhcp_perf_latency_seconds_count{step="exchange"}"#] == 1)
        #expect(now[#"dhcp_perf_latency_seconds_count{step="request-ack"}"#] == 0)
        // A smaller total (a merged or restarted count) never makes a counter go back.
        metrics.progress(sent: 10, completed: 5, drops: 0, naks: 0, inFlight: 0)
        now = scrape(registry)
        #expect(now["dhcp_perf_exchanges_started_total"] == 250)
    }

    @Test func clientMachinesMoveBetweenStates() {
        let registry = PrometheusCollectorRegistry()
        let metrics = ClientMetrics(registry: registry, clients: 3, rebooting: 1)
        var now = scrape(registry)
        #expect(now[#"dhcp_client_machines{state="INIT"}"#] == 2 && now[#"dhcp_client_machines{state="INIT-REBOOT"}"#] == 1)
        metrics.transition(DHCPClientTransition(from: .initial, to: .selecting, event: .sendDiscover, rfc: "2131 4.4.1"))
        metrics.transition(DHCPClientTransition(from: .selecting, to: .requesting, event: .sendRequest(.selecting), rfc: "2131 4.4.1"))
        metrics.transition(DHCPClientTransition(from: .requesting, to: .bound, event: .receiveAck, rfc: "2131 4.4.1"))
        metrics.lease(state: "active")
        metrics.message(type: "DISCOVER", sent: true)
        now = scrape(registry)
        #expect(now[#"dhcp_client_machines{state="INIT"}"#] == 1 && now[#"dhcp_client_machines{state="BOUND"}"#] == 1)
        #expect(now[#"dhcp_client_machines{state="SELECTING"}"#] == 0)
        #expect(now[#"dhcp_client_lease_events_total{state="active"}"#] == 1)
        #expect(now[#"dhcp_client_messages_total{direction="sent",type="DISCOVER"}"#] == 1)
    }

    @Test func relayDropsAreCountedByReason() {
        let registry = PrometheusCollectorRegistry()
        let metrics = RelayMetrics(registry: registry)
        metrics.received()
        metrics.forwarded(type: "DISCOVER", toServer: true)
        metrics.problem(code: "hop-limit", severity: "warning", dropped: true)
        metrics.problem(code: "agent-information-too-long", severity: "warning", dropped: false)
        let now = scrape(registry)
        #expect(now["dhcp_relay_messages_received_total"] == 1)
        #expect(now[#"dhcp_relay_forwarded_total{direction="to_server",type="DISCOVER"}"#] == 1)
        #expect(now[#"dhcp_relay_dropped_total{reason="hop-limit"}"#] == 1)
        #expect(now[#"dhcp_relay_dropped_total{reason="agent-information-too-long"}"#] == nil)
        #expect(now[#"dhcp_relay_problems_total{code="agent-information-too-long",severity="warning"}"#] == 1)
    }
}
