import DHCPAnalysis
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
        Events.problem(Events.Problem(code: problem.code.rawValue, severity: problem.severity.rawValue, rfc: problem.rfc,
                                      mac: problem.client?.description, ip: problem.ip, xid: problem.xid,
                                      frames: problem.frames, text: problem.text), names: names)
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
        json.field("offers", server.offers)
        json.field("acks", server.acks)
        json.field("naks", server.naks)
        json.field("expected", server.expected)
        Events.milliseconds("p50_ms", server.p50Milliseconds, &json)
        Events.milliseconds("p90_ms", server.p90Milliseconds, &json)
        Events.milliseconds("p99_ms", server.p99Milliseconds, &json)
        Events.milliseconds("max_ms", server.maxMilliseconds, &json)
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
