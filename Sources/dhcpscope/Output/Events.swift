import Capture
import DHCPAnalysis
import DHCPCore
import DHCPProtocol

/// The events every subcommand writes — `problem`, `lease`, `ready` and `summary` — each by one function here, so
/// that each has one schema whatever the subcommand (the man page's JSON OUTPUT lists their fields once).
enum Events {
    // MARK: problem

    /// A problem as any subcommand reports it: every field is always there, null (or `[]` for frames) where the
    /// subcommand does not know it.
    struct Problem {
        var code: String
        /// `info`, `warning` or `error`.
        var severity: String
        /// "2131 4.4.5"; nil when no RFC clause applies.
        var rfc: String?
        var mac: String?
        var ip: IPv4Address?
        var xid: UInt32?
        var frames: [FrameReference] = []
        var text: String
        /// A capture file's problem only: the file and the byte offset of the damage.
        var file: String?
        var offset: Int?
        /// The conformance check it is a failure of (analyse, sniff), when it is one.
        var check: String?
        /// A DHCPv6 problem: `family` "v6", its client's DUID, and `ip` an IPv6 address; its xid has 24 bits.
        var v6: (duid: [UInt8]?, address: IPv6Address?)?

        init(code: String, severity: String, rfc: String? = nil, mac: String? = nil, ip: IPv4Address? = nil,
             xid: UInt32? = nil, frames: [FrameReference] = [], text: String, file: String? = nil, offset: Int? = nil) {
            self.code = code; self.severity = severity; self.rfc = rfc.flatMap { $0.isEmpty ? nil : $0 }
            self.mac = mac; self.ip = ip; self.xid = xid; self.frames = frames; self.text = text; self.file = file
            self.offset = offset
        }
    }

    /// `names`: the input files, when frames are numbered in several (then a frame is {file, frame}).
    static func problem(_ problem: Problem, names: [String] = []) -> [UInt8] {
        var json = JSONLine(event: "problem")
        json.field("code", problem.code)
        json.field("severity", problem.severity)
        json.field("rfc", problem.rfc)
        json.field("mac", problem.mac)
        if let v6 = problem.v6 {
            json.field("family", "v6")
            json.field("duid", v6.duid.map { Hex.colonSeparated($0) })
            json.field("ip", v6.address?.description)
            json.field("xid", problem.xid.map(Hex.xid6))
        } else {
            json.key("ip")
            if let ip = problem.ip { json.address(ip) } else { json.null() }
            json.key("xid")
            if let xid = problem.xid { json.hex32(xid) } else { json.null() }
        }
        frames(problem.frames, names: names, into: &json, key: "frames")
        json.field("text", problem.text)
        if let check = problem.check { json.field("check", check) }
        if problem.file != nil || problem.offset != nil {
            json.field("file", problem.file)
            json.field("offset", problem.offset)
        }
        return json.finish()
    }

    /// A capture file that cannot be read, or is damaged part way (decode and analyse go on with the next).
    static func captureProblem(_ error: CaptureError) -> [UInt8] {
        problem(Problem(code: DHCPAnalysis.Problem.Code.captureFile.rawValue, severity: "error", text: error.description,
                        file: error.source, offset: error.offset.map { Int($0) }))
    }

    /// Frame numbers; objects {file, frame} when there are several input files.
    static func frames(_ frames: [FrameReference], names: [String], into json: inout JSONLine, key: StaticString) {
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

    // MARK: lease

    /// One lease of one client, as analyse rebuilds it, mock-server grants it and mock-client holds it.
    struct Lease {
        var ip: IPv4Address
        var mac: String
        var clientID: [UInt8]?
        var hostname: String?
        var server: IPv4Address?
        var start: Timestamp
        var end: Timestamp?
        var leaseTime: UInt32?
        var t1: Double?
        var t2: Double?
        var router: IPv4Address?
        var dns: [IPv4Address]
        var domain: String?
        /// `active`, `renewed`, `expired`, `released`, `declined`, `nak`.
        var state: String
        /// analyse: the frame of the ACK that granted it.
        var frame: Int?
    }

    static func lease(_ lease: Lease) -> [UInt8] {
        var json = JSONLine(event: "lease")
        json.key("ip"); json.address(lease.ip)
        json.field("mac", lease.mac)
        json.field("client_id", lease.clientID.map { Hex.colonSeparated($0) })
        json.field("hostname", lease.hostname)
        json.key("server")
        if let server = lease.server { json.address(server) } else { json.null() }
        json.field("start", lease.start.description)
        json.field("end", lease.end?.description)
        json.key("lease_time")
        if let time = lease.leaseTime { json.unsigned(UInt64(time)) } else { json.null() }
        number("t1", lease.t1, &json)
        number("t2", lease.t2, &json)
        json.key("router")
        if let router = lease.router { json.address(router) } else { json.null() }
        json.beginArray("dns")
        for server in lease.dns { json.address(server) }
        json.endArray()
        json.field("domain", lease.domain)
        json.field("state", lease.state)
        json.field("frame", lease.frame)
        return json.finish()
    }

    // MARK: transition

    /// One step of a client along RFC 2131 Figure 5, as analyse and sniff rebuild it and mock-client and perf take it.
    struct Transition {
        var mac: String
        var clientID: [UInt8]?
        var step: DHCPClientTransition
        var time: Timestamp?
        /// analyse, sniff: the frame of the message that caused it, and its file when several are read.
        var frame: Int?
        var file: String?
        /// False when Figure 5 draws no such arrow and analyse inferred the step.
        var inRFC = true
    }

    static func transition(_ transition: Transition) -> [UInt8] {
        var json = JSONLine(event: "transition")
        json.field("mac", transition.mac)
        json.field("client_id", transition.clientID.map { Hex.colonSeparated($0) })
        json.field("from", transition.step.from.rawValue)
        json.field("to", transition.step.to.rawValue)
        json.field("time", transition.time?.description)
        json.field("frame", transition.frame)
        if let file = transition.file { json.field("file", file) }
        json.field("reason", transition.step.event.description)
        json.field("rfc", transition.step.rfc)
        json.field("in_rfc", transition.inRFC)
        return json.finish()
    }

    /// "TIME MAC FROM → TO (reason, RFC clause)", the text line of a transition.
    static func transitionText(_ transition: Transition) -> String {
        let step = transition.step
        return "\(transition.time?.description ?? "-") \(transition.mac) \(step.from.rawValue) → \(step.to.rawValue) (\(step.event), RFC \(step.rfc))"
    }

    // MARK: ready and summary

    /// `ready`: the interface first (null where the command has none, as perf in relay mode), then what the
    /// command listens on or sends from.
    static func ready(interface: String?, _ details: (inout JSONLine) -> Void) -> [UInt8] {
        var json = JSONLine(event: "ready")
        json.field("interface", interface)
        details(&json)
        return json.finish()
    }

    /// Problem counts by severity, as every `summary` ends them.
    struct ProblemCounts {
        var info = 0, warning = 0, error = 0

        init() {}

        init(_ counts: some Sequence<(String, Int)>) {
            for (severity, count) in counts { add(severity, count) }
        }

        mutating func add(_ severity: String, _ count: Int = 1) {
            switch severity {
            case "error": error += count
            case "warning": warning += count
            default: info += count
            }
        }

        var total: Int { info + warning + error }
    }

    /// `summary`, every command's last line: its own counts, then `problems` by severity.
    /// The `summary` event (or another of the same form: sniff's `stats`), the problem counts last.
    static func summary(event: String = "summary", problems: ProblemCounts, _ details: (inout JSONLine) -> Void) -> [UInt8] {
        var json = JSONLine(event: event)
        details(&json)
        json.beginObject("problems")
        json.field("info", problems.info)
        json.field("warning", problems.warning)
        json.field("error", problems.error)
        json.endObject()
        return json.finish()
    }

    static func number(_ key: StaticString, _ value: Double?, _ json: inout JSONLine) {
        json.key(key)
        if let value { json.double(value) } else { json.null() }
    }

    /// Milliseconds rounded to the microsecond.
    static func milliseconds(_ key: StaticString, _ value: Double?, _ json: inout JSONLine) {
        number(key, value.map { ($0 * 1000).rounded() / 1000 }, &json)
    }
}
