import DHCPAnalysis
import DHCPv6Protocol
import DHCPCore

/// The events of analyse and sniff, as JSON Lines: transaction and server here; transition, problem and lease
/// through `Events`, as every subcommand writes them.
enum AnalysisJSON {
    static func transaction(_ report: TransactionReport, names: [String]) -> [UInt8] {
        var json = JSONLine(event: "transaction")
        json.key("xid"); json.hex32(report.xid)
        json.field("mac", report.client.description)
        json.field("client_id", report.clientID.map { Hex.colonSeparated($0) })
        json.field("kind", report.kind.rawValue)
        json.beginArray("servers")
        for server in report.servers { json.address(server) }
        json.endArray()
        Events.frames(report.messages, names: names, into: &json, key: "messages")
        json.field("outcome", report.outcome.rawValue)
        json.key("ip")
        if let address = report.address { json.address(address) } else { json.null() }
        Events.milliseconds("discover_offer_ms", report.discoverOfferMilliseconds, &json)
        Events.milliseconds("request_ack_ms", report.requestAckMilliseconds, &json)
        Events.milliseconds("total_ms", report.totalMilliseconds, &json)
        json.field("relayed", report.relayed)
        return json.finish()
    }

    static func transition(_ report: TransitionReport, names: [String]) -> [UInt8] {
        Events.transition(Events.Transition(report, names: names))
    }

    static func problem(_ problem: Problem, names: [String]) -> [UInt8] {
        var event = Events.Problem(code: problem.code.rawValue, severity: problem.severity.rawValue, rfc: problem.rfc,
                                   mac: problem.client?.description, ip: problem.ip, xid: problem.xid,
                                   frames: problem.frames, text: problem.text)
        event.check = problem.check
        if let v6 = problem.v6 {
            event.mac = v6.client?.mac?.description
            event.v6 = (v6.client.map(\.duid), v6.address)
        }
        return Events.problem(event, names: names)
    }

    // MARK: DHCPv6

    static func transaction(_ report: DHCPv6TransactionReport, names: [String]) -> [UInt8] {
        var json = JSONLine(event: "transaction")
        json.field("family", "v6")
        json.field("xid", Hex.xid6(report.xid))
        if let requestXID = report.requestXID { json.field("request_xid", Hex.xid6(requestXID)) }
        json.field("duid", Hex.colonSeparated(report.client.duid))
        json.field("mac", report.client.mac?.description)
        json.field("kind", report.kind.rawValue)
        json.beginArray("servers")
        for server in report.servers { json.string(Hex.colonSeparated(server)) }
        json.endArray()
        Events.frames(report.messages, names: names, into: &json, key: "messages")
        json.field("outcome", report.outcome.rawValue)
        json.field("rapid_commit", report.rapidCommit)
        json.field("relayed", report.relayed)
        Events.milliseconds("solicit_advertise_ms", report.solicitAdvertiseMilliseconds, &json)
        Events.milliseconds("request_reply_ms", report.requestReplyMilliseconds, &json)
        Events.milliseconds("total_ms", report.totalMilliseconds, &json)
        return json.finish()
    }

    static func transition(_ report: DHCPv6TransitionReport, names: [String]) -> [UInt8] {
        var json = JSONLine(event: "transition")
        json.field("family", "v6")
        json.field("duid", Hex.colonSeparated(report.client.duid))
        json.field("mac", report.client.mac?.description)
        json.field("from", report.transition.from.rawValue)
        json.field("to", report.transition.to.rawValue)
        json.field("time", report.frame?.time.description)
        json.field("frame", report.frame?.frame)
        if names.count > 1, let frame = report.frame { json.field("file", names[frame.file]) }
        json.field("reason", report.transition.event.description)
        json.field("rfc", report.transition.rfc)
        json.field("in_rfc", report.inRFC)
        return json.finish()
    }

    static func lease(_ lease: DHCPv6LeaseReport) -> [UInt8] {
        var json = JSONLine(event: "lease")
        json.field("family", "v6")
        json.field("duid", Hex.colonSeparated(lease.client.duid))
        json.field("mac", lease.client.mac?.description)
        json.field("iaid", Int(lease.iaid))
        json.field("ia", lease.ia.rawValue)
        if lease.prefixLength != nil { json.field("prefix", lease.text) } else { json.field("ip", lease.text) }
        json.field("server", lease.server.map { Hex.colonSeparated($0) })
        json.field("start", lease.start.description)
        json.field("end", lease.end?.description)
        json.field("preferred_lifetime", Int(lease.preferredLifetime))
        json.field("valid_lifetime", Int(lease.validLifetime))
        json.field("t1", lease.t1.map { Int($0) })
        json.field("t2", lease.t2.map { Int($0) })
        json.field("state", lease.state.rawValue)
        json.field("frame", lease.frame.frame)
        return json.finish()
    }

    static func server(_ server: DHCPv6ServerReport) -> [UInt8] {
        var json = JSONLine(event: "server")
        json.field("family", "v6")
        json.field("id", Hex.colonSeparated(server.id))
        json.field("ip", server.ip.description)
        json.field("mac", server.mac?.description)
        json.field("advertises", server.advertises)
        json.field("replies", server.replies)
        json.beginObject("status")
        for (name, count) in server.statuses.sorted(by: { $0.key < $1.key }) { json.key(text: name); json.number(count) }
        json.endObject()
        latencies(server.expected, server.p50Milliseconds, server.p90Milliseconds, server.p99Milliseconds,
                  server.maxMilliseconds, into: &json)
        return json.finish()
    }

    /// A server event's `expected` and latency percentiles, both families.
    private static func latencies(_ expected: Bool, _ p50: Double?, _ p90: Double?, _ p99: Double?, _ max: Double?,
                                  into json: inout JSONLine) {
        json.field("expected", expected)
        Events.milliseconds("p50_ms", p50, &json)
        Events.milliseconds("p90_ms", p90, &json)
        Events.milliseconds("p99_ms", p99, &json)
        Events.milliseconds("max_ms", max, &json)
    }

    static func lease(_ lease: LeaseReport) -> [UInt8] {
        Events.lease(Events.Lease(ip: lease.ip, mac: lease.client.description, clientID: lease.clientID,
                                  hostname: lease.hostname, server: lease.server, start: lease.start, end: lease.end,
                                  leaseTime: lease.leaseTime, t1: lease.t1, t2: lease.t2, router: lease.router,
                                  dns: lease.dns, domain: lease.domain, state: lease.state.rawValue,
                                  frame: lease.frame.frame))
    }

    static func server(_ server: ServerReport) -> [UInt8] {
        var json = JSONLine(event: "server")
        json.key("id"); json.address(server.id)
        json.key("ip"); json.address(server.ip)
        json.field("mac", server.mac?.description)
        json.key("relay")
        if let relay = server.relay { json.address(relay) } else { json.null() }
        json.field("offers", server.offers)
        json.field("acks", server.acks)
        json.field("naks", server.naks)
        latencies(server.expected, server.p50Milliseconds, server.p90Milliseconds, server.p99Milliseconds,
                  server.maxMilliseconds, into: &json)
        return json.finish()
    }
}

extension Events.Transition {
    /// analyse's and sniff's transition: `names`, the input files, when frames are numbered in several.
    init(_ report: TransitionReport, names: [String]) {
        self.init(mac: report.client.description, clientID: report.clientID, step: report.transition, time: report.frame?.time,
                  frame: report.frame?.frame, file: names.count > 1 ? report.frame.map { names[$0.file] } : nil,
                  inRFC: report.inRFC)
    }
}
