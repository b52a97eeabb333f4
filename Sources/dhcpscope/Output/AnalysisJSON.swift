import DHCPAnalysis
import DHCPCore

/// The CONTRACT.md events of analyse and sniff, as JSON Lines.
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
        frames(report.messages, names: names, into: &json, key: "messages")
        json.field("outcome", report.outcome.rawValue)
        json.key("ip")
        if let address = report.address { json.address(address) } else { json.null() }
        milliseconds("discover_offer_ms", report.discoverOfferMilliseconds, &json)
        milliseconds("request_ack_ms", report.requestAckMilliseconds, &json)
        milliseconds("total_ms", report.totalMilliseconds, &json)
        json.field("relayed", report.relayed)
        return json.finish()
    }

    static func transition(_ report: TransitionReport, names: [String]) -> [UInt8] {
        var json = JSONLine(event: "transition")
        json.field("mac", report.client.description)
        json.field("client_id", report.clientID.map { Hex.colonSeparated($0) })
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

    static func problem(_ problem: Problem, names: [String]) -> [UInt8] {
        var json = JSONLine(event: "problem")
        json.field("code", problem.code.rawValue)
        json.field("severity", problem.severity.rawValue)
        json.field("rfc", problem.rfc)
        json.field("mac", problem.client?.description)
        json.key("ip")
        if let ip = problem.ip { json.address(ip) } else { json.null() }
        json.key("xid")
        if let xid = problem.xid { json.hex32(xid) } else { json.null() }
        frames(problem.frames, names: names, into: &json, key: "frames")
        json.field("text", problem.text)
        return json.finish()
    }

    static func lease(_ lease: LeaseReport) -> [UInt8] {
        var json = JSONLine(event: "lease")
        json.key("ip"); json.address(lease.ip)
        json.field("mac", lease.client.description)
        json.field("client_id", lease.clientID.map { Hex.colonSeparated($0) })
        json.field("hostname", lease.hostname)
        json.key("server")
        if let server = lease.server { json.address(server) } else { json.null() }
        json.field("start", lease.start.description)
        json.field("end", lease.end?.description)
        json.key("lease_time")
        if let time = lease.leaseTime { json.unsigned(UInt64(time)) } else { json.null() }
        optionalNumber("t1", lease.t1, &json)
        optionalNumber("t2", lease.t2, &json)
        json.key("router")
        if let router = lease.router { json.address(router) } else { json.null() }
        json.beginArray("dns")
        for server in lease.dns { json.address(server) }
        json.endArray()
        json.field("domain", lease.domain)
        json.field("state", lease.state.rawValue)
        json.field("frame", lease.frame.frame)
        return json.finish()
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
        milliseconds("p50_ms", server.p50Milliseconds, &json)
        milliseconds("p90_ms", server.p90Milliseconds, &json)
        milliseconds("p99_ms", server.p99Milliseconds, &json)
        milliseconds("max_ms", server.maxMilliseconds, &json)
        return json.finish()
    }

    private static func frames(_ frames: [FrameReference], names: [String], into json: inout JSONLine, key: String) {
        json.beginArray(key)
        for frame in frames {
            if names.count > 1 {
                json.beginObject()
                json.field("file", names[frame.file])
                json.field("frame", frame.frame)
                json.endObject()
            } else {
                json.number(frame.frame)
            }
        }
        json.endArray()
    }

    static func milliseconds(_ key: String, _ value: Double?, _ json: inout JSONLine) {
        json.key(key)
        if let value { json.double((value * 1000).rounded() / 1000) } else { json.null() }
    }

    private static func optionalNumber(_ key: String, _ value: Double?, _ json: inout JSONLine) {
        json.key(key)
        if let value { json.double(value) } else { json.null() }
    }
}
