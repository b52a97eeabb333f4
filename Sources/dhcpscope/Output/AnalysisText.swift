import DHCPAnalysis
import DHCPv6Protocol
import DHCPCore

/// The human report of analyse: summary, servers, clients with their final state, problems.
enum AnalysisText {
    /// Written line by line: with a hundred thousand clients the report is never held whole.
    static func report(summary: AnalysisSummary, servers: [ServerReport], analyzer: DHCPAnalyzer, v6 analyzer6: DHCPv6Analyzer,
                       problemLines: [UInt8], problemsListed: Int, problemsLeftOut: Int,
                       to output: OutputStream) {
        let lines = Lines(output: output)
        lines.append(summary.headline)
        if summary.evicted > 0 { lines.append("\(summary.evicted) transactions evicted past --max-transactions") }
        if summary.evictedClients > 0 { lines.append("\(summary.evictedClients) clients forgotten past --max-clients") }
        if summary.evictedLeases > 0 { lines.append("\(summary.evictedLeases) leases forgotten past --max-leases") }
        lines.append(summary.problemsLine)

        if !servers.isEmpty {
            lines.append("")
            lines.append("SERVERS")
            let widths = [17, 17, 19, 8, 8, 8, 9, 9, 9, 10]
            lines.append(columns(["id", "ip", "mac", "offers", "acks", "naks", "p50 ms", "p90 ms", "max ms", ""], widths))
            for server in servers {
                lines.append(columns([server.id.description, server.ip.description, server.mac?.description ?? "-",
                                      String(server.offers), String(server.acks), String(server.naks),
                                      milliseconds(server.p50Milliseconds), milliseconds(server.p90Milliseconds),
                                      milliseconds(server.maxMilliseconds),
                                      (server.expected ? "" : "UNEXPECTED ") + (server.relay.map { "via relay \($0)" } ?? "")], widths))
            }
        }
        if analyzer.clientCount > 0 {
            lines.append("")
            lines.append("CLIENTS")
            let widths = [17, 20, 11, 15, 8, 11]
            lines.append(columns(["mac", "hostname", "state", "address", "lease", "transitions"], widths))
            // Written as bytes cell by cell, without a closure per cell: a report lists every client.
            analyzer.forEachClient { client in
                writeRow(widths, to: output) { line, next in
                    client.client.appendDescription(to: &line)
                    next(&line)
                    line.append(contentsOf: (client.hostname ?? "-").utf8)
                    next(&line)
                    line.append(contentsOf: client.state.rawValue.utf8)
                    next(&line)
                    if let address = client.address { address.appendDottedQuad(to: &line) } else { line.append(UInt8(ascii: "-")) }
                    next(&line)
                    line.append(contentsOf: (client.leaseState?.rawValue ?? "-").utf8)
                    next(&line)
                    line.append(contentsOf: String(client.transitions).utf8)
                }
            }
        }
        reportV6(analyzer6, lines: lines)
        if problemsListed > 0 {
            lines.append("")
            lines.append("PROBLEMS")
            output.write(bytes: problemLines)
            if problemsLeftOut > 0 {
                lines.append("… and \(problemsLeftOut) more not listed: the report lists the first \(problemsListed); --json gives every one")
            }
        }
    }

    /// The DHCPv6 servers and clients, when there were any.
    private static func reportV6(_ analyzer: DHCPv6Analyzer, lines: Lines) {
        let servers = analyzer.serverTable
        if !servers.isEmpty {
            lines.append("")
            lines.append("DHCPv6 SERVERS")
            let widths = [42, 26, 17, 10, 8, 9, 9, 9, 20]
            lines.append(columns(["id (DUID)", "ip", "mac", "advertises", "replies", "p50 ms", "p90 ms", "max ms", "status", ""], widths))
            for server in servers {
                let statuses = server.statuses.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ",")
                lines.append(columns([server.id.isEmpty ? "-" : Hex.colonSeparated(server.id), server.ip.description,
                                      server.mac?.description ?? "-", String(server.advertises), String(server.replies),
                                      milliseconds(server.p50Milliseconds), milliseconds(server.p90Milliseconds),
                                      milliseconds(server.maxMilliseconds), statuses.isEmpty ? "-" : statuses,
                                      server.expected ? "" : "UNEXPECTED"], widths))
            }
        }
        if analyzer.clientCount > 0 {
            lines.append("")
            lines.append("DHCPv6 CLIENTS")
            let widths = [42, 17, 11, 11]
            lines.append(columns(["duid", "mac", "state", "transitions", "leases"], widths))
            // Written as bytes cell by cell, as the DHCPv4 client rows: a report lists every client.
            analyzer.forEachClient { client in
                writeRow(widths, to: lines.output) { line, next in
                    Hex.appendColonSeparated(client.client.duid, to: &line)
                    next(&line)
                    line.append(contentsOf: (client.client.mac?.description ?? "-").utf8)
                    next(&line)
                    line.append(contentsOf: client.state.rawValue.utf8)
                    next(&line)
                    line.append(contentsOf: String(client.transitions).utf8)
                    next(&line)
                    if client.leases.isEmpty { line.append(UInt8(ascii: "-")) }
                    for (index, lease) in client.leases.enumerated() {
                        if index > 0 { line.append(UInt8(ascii: ",")) }
                        lease.appendText(to: &line)
                    }
                }
            }
        }
    }

    /// One table row written as bytes: `cells` appends the cells in turn, calling `next` after each but the last, which
    /// pads it to its column's width (`widths`, in order) and starts the next; trailing spaces are cut.
    private static func writeRow(_ widths: [Int], to output: OutputStream,
                                 _ cells: (inout [UInt8], (inout [UInt8]) -> Void) -> Void) {
        output.writeLine { line in
            let start = line.count
            var cell = start, column = 0
            cells(&line) { line in
                pad(&line, from: cell, to: column < widths.count ? widths[column] : nil)
                line.append(UInt8(ascii: " "))
                cell = line.count
                column += 1
            }
            trimTrailingSpaces(&line, from: start)
        }
    }

    /// Appends go straight to the output.
    private struct Lines {
        let output: OutputStream
        func append(_ line: String) { output.write(line: line) }
    }

    /// "WARNING nak (RFC 2131 4.3.2) 06:00:00:00:00:01 xid 0x3d1d frames 7: …": the report's line for a problem,
    /// and sniff's after "PROBLEM ".
    static func problem(_ problem: Problem) -> String {
        var line = [UInt8]()
        appendProblem(problem, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    /// `problem(_:)` appended as UTF-8 (the report keeps 10,000 of these lines).
    static func appendProblem(_ problem: Problem, to out: inout [UInt8]) {
        out.append(contentsOf: problem.severity.rawValue.uppercased().utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: problem.code.rawValue.utf8)
        if let rfc = problem.rfc {
            out.append(contentsOf: " (RFC ".utf8)
            out.append(contentsOf: rfc.utf8)
            if let check = problem.check {
                out.append(contentsOf: "; check ".utf8)
                out.append(contentsOf: check.utf8)
            }
            out.append(UInt8(ascii: ")"))
        }
        if let client = problem.client {
            out.append(UInt8(ascii: " "))
            client.appendDescription(to: &out)
        }
        if let v6 = problem.v6 {
            if let client = v6.client {
                out.append(contentsOf: " DHCPv6 ".utf8)
                out.append(contentsOf: (client.mac?.description ?? Hex.colonSeparated(client.duid)).utf8)
            }
            if let xid = problem.xid { out.append(contentsOf: (" xid " + Hex.xid6(xid)).utf8) }
        } else if let xid = problem.xid {
            out.append(contentsOf: " xid ".utf8)
            Hex.appendXID(xid, to: &out)
        }
        for (index, frame) in problem.frames.prefix(8).enumerated() {
            out.append(contentsOf: (index == 0 ? " frames " : ",").utf8)
            out.append(contentsOf: String(frame.frame).utf8)
        }
        out.append(contentsOf: ": ".utf8)
        out.append(contentsOf: problem.text.utf8)
    }

    static func transaction(_ report: TransactionReport) -> String {
        var line = "transaction xid \(Hex.xid(report.xid)) \(report.client) \(report.kind.rawValue) → \(report.outcome.rawValue)"
        if let address = report.address { line += " \(address)" }
        let frames = report.messages.map { String($0.frame) }.joined(separator: ",")
        return line + " in \(FixedPoint.format(report.totalMilliseconds / 1000)) s, frames " + frames
    }

    static func transaction(_ report: DHCPv6TransactionReport) -> String {
        let client = report.client.mac?.description ?? Hex.colonSeparated(report.client.duid)
        let frames = report.messages.map { String($0.frame) }.joined(separator: ",")
        return "transaction v6 xid \(Hex.xid6(report.xid)) \(client) \(report.kind.rawValue) → \(report.outcome.rawValue)"
            + " in \(FixedPoint.format(report.totalMilliseconds / 1000)) s, frames " + frames
    }

    static func transition(_ report: DHCPv6TransitionReport) -> String {
        let step = report.transition
        let client = report.client.mac?.description ?? Hex.colonSeparated(report.client.duid)
        return "\(report.frame?.time.description ?? "-") v6 \(client) \(step.from.rawValue) → \(step.to.rawValue) (\(step.event), RFC \(step.rfc))"
    }

    static func transition(_ report: TransitionReport) -> String {
        Events.transitionText(Events.Transition(report, names: []))
    }

    private static func milliseconds(_ value: Double?) -> String {
        value.map { FixedPoint.format($0) } ?? "-"
    }

    private static func columns(_ cells: [String], _ widths: [Int]) -> String {
        var line = [UInt8]()
        appendColumns(cells, widths, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    /// Each cell padded to its column's width (a cell past the last width to its length and one space), separated
    /// by a space, trailing spaces cut.
    private static func appendColumns(_ cells: [String], _ widths: [Int], to out: inout [UInt8]) {
        let start = out.count
        for (index, cell) in cells.enumerated() {
            appendCell(index < widths.count ? widths[index] : nil, to: &out, first: index == 0) { $0.append(contentsOf: cell.utf8) }
        }
        trimTrailingSpaces(&out, from: start)
    }

    /// One cell: a space unless `first`, what `write` appends, and its padding.
    private static func appendCell(_ width: Int?, to out: inout [UInt8], first: Bool = false, _ write: (inout [UInt8]) -> Void) {
        if !first { out.append(UInt8(ascii: " ")) }
        let start = out.count
        write(&out)
        pad(&out, from: start, to: width)
    }

    /// Spaces after the cell that began at `start`, up to `width` characters (nil: one space).
    private static func pad(_ out: inout [UInt8], from start: Int, to width: Int?) {
        var ascii = true
        for index in start..<out.count where out[index] >= 0x80 {
            ascii = false
            break
        }
        let length = ascii ? out.count - start : String(decoding: out[start...], as: UTF8.self).count
        for _ in length..<max(length, width ?? length + 1) { out.append(UInt8(ascii: " ")) }
    }

    private static func trimTrailingSpaces(_ out: inout [UInt8], from start: Int) {
        while out.count > start, out.last == UInt8(ascii: " ") { out.removeLast() }
    }
}
