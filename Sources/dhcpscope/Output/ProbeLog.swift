import DHCPCore
import DHCPMetrics
import DHCPProtocol
import ServerProbe

/// What probe says: a line per server and the status line; `server` events and a `summary` with
/// `status` under --json; only the Nagios status line with performance data under --nagios.
struct ProbeLog {
    let output: OutputStream
    let json: Bool
    let nagios: Bool
    let verbose: Bool
    /// --metrics and --alert, when given.
    var metrics: ProbeMetrics?
    var alerts: AlertLog?
    private var problems = Events.ProblemCounts()

    init(output: OutputStream, json: Bool, nagios: Bool, verbose: Bool) {
        self.output = output; self.json = json; self.nagios = nagios; self.verbose = verbose
    }

    func ready(interface: String, kinds: [String], mac: MACAddress) {
        guard json else { return }
        output.event(Events.ready(interface: interface) { line in
            line.field("mac", mac.description)
            line.beginArray("types")
            for kind in kinds { line.string(kind) }
            line.endArray()
        })
    }

    func frame(_ frame: [UInt8], sent: Bool) {
        if verbose, !nagios { MockClientLog.frameLine(frame, sent: sent, to: output) }
    }

    func datagram(_ payload: [UInt8], peer: IPv4Address, sent: Bool) {
        if verbose, !nagios { MockClientLog.datagramLine(payload, peer: peer, sent: sent, to: output) }
    }

    /// A problem of a probe's client machine, or of the verdict (`server`: the one it is about).
    mutating func problem(_ problem: DHCPClientProblem, server: String? = nil) {
        problems.add(problem.severity.rawValue)
        metrics?.problem(code: problem.code, severity: problem.severity.rawValue)
        let event = Events.problem(Events.Problem(code: problem.code, severity: problem.severity.rawValue, rfc: problem.rfc,
                                                  ip: server.flatMap { IPv4Address($0) }, xid: problem.xid, text: problem.text))
        alerts?.problem(code: problem.code, severity: problem.severity.rawValue, subject: server, event: event)
        guard !nagios else { return }
        if json { output.event(event) } else { output.write(line: "problem \(problem.code): \(problem.text)") }
    }

    /// A server's first answer, as soon as it comes.
    func server(_ server: ServerProbe.Server) {
        guard !nagios else { return }
        if json {
            output.event(serverLine(server, event: "server"))
        } else {
            var text = "server \(server.id)"
            if server.sourceIP != server.id { text += " from \(server.sourceIP)" }
            if let mac = server.mac { text += " (\(mac))" }
            if let giaddr = server.giaddr { text += " via relay \(giaddr)" }
            if let offered = server.offered { text += " offered \(offered)" }
            if let lease = server.leaseTime { text += " lease \(lease) s" }
            if let mask = server.subnetMask { text += " mask \(mask)" }
            if !server.routers.isEmpty { text += " router \(server.routers.map(\.description).joined(separator: ","))" }
            if !server.dns.isEmpty { text += " dns \(server.dns.map(\.description).joined(separator: ","))" }
            if let domain = server.domain { text += " domain \(domain)" }
            if let time = server.responseTimes.first { text += " in \(Self.milliseconds(time)) ms" }
            text += server.expected ? "" : " ROGUE"
            output.write(line: text)
        }
    }

    /// With --watch: servers that appeared or went away since the last round.
    func changes(from previous: [ServerProbe.Server], to current: [ServerProbe.Server]) {
        guard !nagios else { return }
        let before = Set(previous.map(\.id)), after = Set(current.map(\.id))
        for (kind, ids) in [("appeared", after.subtracting(before)), ("disappeared", before.subtracting(after))] {
            for id in ids.sorted() {
                if json {
                    var line = JSONLine(event: "change")
                    line.field("change", kind)
                    line.key("id"); line.address(id)
                    output.event(line)
                } else {
                    output.write(line: "change: server \(id) \(kind)")
                }
            }
        }
    }

    mutating func summary(_ result: ServerProbe.Result, round: Int) {
        for finding in result.findings { problem(finding.problem, server: finding.server) }
        metrics?.round(status: result.status.rawValue, name: result.status.name, seconds: result.elapsed,
                       answers: result.servers.map { .init(server: $0.id.description, expected: $0.expected, milliseconds: $0.responseTimes) },
                       missing: result.missing.count + result.missingMACs.count)
        alerts?.report()
        let rogues = result.servers.filter { !$0.expected }.count
        let fastest = result.servers.compactMap { $0.responseTimes.min() }.min()
        if nagios {
            // Nagios plugin guidelines: 'label'=value[UOM];[warn];[crit];[min];[max]
            var perf = "servers=\(result.servers.count);;;0 rogue=\(rogues);;;0 missing=\(result.missing.count + result.missingMACs.count);;;0"
            if let fastest { perf += " time=\(Self.seconds(fastest))s;;;0" }
            output.write(line: "DHCP \(result.status.name) - \(result.statusText) | \(perf)")
        } else if json {
            output.event(Events.summary(problems: problems) { line in
                line.field("round", round)
                line.field("servers", result.servers.count)
                line.field("rogue", rogues)
                line.beginArray("missing")
                for address in result.missing { line.address(address) }
                for mac in result.missingMACs { line.string(mac.description) }
                line.endArray()
                line.field("elapsed", result.elapsed)
                line.field("status", result.status.name)
                line.field("status_code", result.status.rawValue)
                line.field("text", result.statusText)
            })
        } else {
            output.write(line: "DHCP \(result.status.name) - \(result.statusText)")
        }
        output.flush()
    }

    private func serverLine(_ server: ServerProbe.Server, event: String) -> JSONLine {
        var line = JSONLine(event: event)
        line.key("id"); line.address(server.id)
        line.key("ip"); line.address(server.sourceIP)
        line.field("mac", server.mac?.description)
        line.key("giaddr")
        if let giaddr = server.giaddr { line.address(giaddr) } else { line.null() }
        line.field("offers", server.answers["OFFER"] ?? 0)
        line.field("acks", server.answers["ACK"] ?? 0)
        line.field("naks", server.answers["NAK"] ?? 0)
        line.field("expected", server.expected)
        let times = server.responseTimes.sorted()
        let percentiles: [(StaticString, Double)] = [("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99)]
        for (name, fraction) in percentiles {
            line.key(name)
            if times.isEmpty { line.null() } else { line.double(times[min(times.count - 1, Int(Double(times.count) * fraction))]) }
        }
        line.key("max_ms")
        if let max = times.last { line.double(max) } else { line.null() }
        line.key("response_ms")
        if let first = server.responseTimes.first { line.double(first) } else { line.null() }
        line.key("offered")
        if let offered = server.offered { line.address(offered) } else { line.null() }
        line.field("lease_time", server.leaseTime.map { Int($0) })
        line.key("mask")
        if let mask = server.subnetMask { line.address(mask) } else { line.null() }
        line.beginArray("router")
        for router in server.routers { line.address(router) }
        line.endArray()
        line.beginArray("dns")
        for address in server.dns { line.address(address) }
        line.endArray()
        line.field("domain", server.domain)
        line.beginArray("types")
        for kind in server.kinds.sorted() { line.string(kind) }
        line.endArray()
        line.options("options", server.options)
        return line
    }

    static func milliseconds(_ value: Double) -> String { String(Double(Int(value * 1000)) / 1000) }
    static func seconds(_ milliseconds: Double) -> String { String(Double(Int(milliseconds * 1000)) / 1_000_000) }
}
