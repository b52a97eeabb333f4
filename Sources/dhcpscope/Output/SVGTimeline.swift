import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import DHCPv6Protocol

/// Clients' leases on a time axis, as a standalone SVG picture: one row per client, a bar per lease from its
/// start to its end (or to the RELEASE, DECLINE or NAK that ended it), coloured by the lease's final state, and a
/// dot per state transition. The axis covers the capture's messages plus a margin; longer leases are clipped and
/// end in an arrowhead.
enum SVGTimeline {
    static let colours: [(LeaseState, String)] = [
        (.active, "#2e9e44"), (.renewed, "#17a2a2"), (.released, "#9e9e9e"),
        (.expired, "#f08c00"), (.declined, "#d62828"), (.nak, "#7f0000"),
    ]

    static func colour(_ state: LeaseState) -> String { colours.first { $0.0 == state }?.1 ?? "#000000" }

    private static let labelWidth = 280.0
    private static let plotWidth = 720.0
    private static let rowHeight = 26.0
    private static let top = 62.0

    /// A lease's bar: its row (a client, or a DHCPv6 client's IA type), when it starts and ends (nil: never), its
    /// final state, the text on it and its tooltip.
    struct Bar {
        var row: String
        var start: Timestamp
        var end: Timestamp?
        var state: LeaseState
        var text: String
        var title: String
    }

    /// A state transition's dot.
    struct Mark {
        var row: String
        var time: Timestamp
        var state: String
        var title: String
    }

    /// `captureEnd`: the last message's time, so the axis covers the whole capture. DHCPv6 leases get a row per client
    /// and IA type (an address and a delegated prefix are held at once), after the DHCPv4 clients seen at the same time.
    static func render(leases: [LeaseReport], transitions: [TransitionReport], leases6: [DHCPv6LeaseReport] = [],
                       transitions6: [DHCPv6TransitionReport] = [], captureEnd: Timestamp? = nil) -> String {
        var hostnames = [String: String]()
        var bars = [Bar](), marks = [Mark](), rowsByClient = [String: [String]]()
        func row(_ key: String, client: String) -> String {
            if !(rowsByClient[client] ?? []).contains(key) { rowsByClient[client, default: []].append(key) }
            return key
        }
        for transition in transitions {
            guard let frame = transition.frame else { continue }
            let step = transition.transition
            marks.append(Mark(row: transition.client.description, time: frame.time, state: step.to.rawValue,
                              title: "\(step.from.rawValue) → \(step.to.rawValue) (\(step.event)) frame \(frame.frame), \(frame.time)"))
        }
        for lease in leases {
            if let hostname = lease.hostname { hostnames[lease.client.description] = hostname }
            bars.append(Bar(row: lease.client.description, start: lease.start, end: endOfBar(lease, transitions), state: lease.state,
                            text: lease.ip.description,
                            title: "\(lease.ip) \(lease.state.rawValue): \(lease.start) to \(lease.end?.description ?? "never")"
                                + (lease.server.map { " from \($0)" } ?? "")))
        }
        for lease in leases6 {
            let client = lease.client.mac?.description ?? Hex.colonSeparated(lease.client.duid)
            let key = row("\(client) IA_\(lease.ia.rawValue.uppercased())", client: client)
            bars.append(Bar(row: key, start: lease.start, end: endOfBar(lease, transitions6), state: lease.state, text: lease.text,
                            title: "\(lease.text) \(lease.state.rawValue): \(lease.start) to \(lease.end?.description ?? "never")"
                                + (lease.server.map { " from " + Hex.colonSeparated($0) } ?? "")))
        }
        for transition in transitions6 {
            guard let frame = transition.frame else { continue }
            let client = transition.client.mac?.description ?? Hex.colonSeparated(transition.client.duid)
            let step = transition.transition
            // On the client's first row (its address's, else its prefix's), or a row of its own.
            let key = rowsByClient[client]?.sorted().first ?? row("\(client) DHCPv6", client: client)
            marks.append(Mark(row: key, time: frame.time, state: step.to.rawValue,
                              title: "\(step.from.rawValue) → \(step.to.rawValue) (\(step.event)) frame \(frame.frame), \(frame.time)"))
        }
        return render(bars: bars, marks: marks, hostnames: hostnames, captureEnd: captureEnd)
    }

    private static func render(bars: [Bar], marks: [Mark], hostnames: [String: String], captureEnd: Timestamp?) -> String {
        // Rows: every client with a lease or a transition, in order of first appearance.
        var order = [String](), firstSeen = [String: Timestamp]()
        func see(_ client: String, _ time: Timestamp) {
            if firstSeen[client] == nil { order.append(client); firstSeen[client] = time }
            if let seen = firstSeen[client], time < seen { firstSeen[client] = time }
        }
        for mark in marks { see(mark.row, mark.time) }
        for bar in bars { see(bar.row, bar.start) }
        let clients = order.enumerated().sorted { (firstSeen[$0.1]!, $0.0) < (firstSeen[$1.1]!, $1.0) }.map(\.1)
        let row = Dictionary(uniqueKeysWithValues: clients.enumerated().map { ($1, $0) })

        // The axis: from the first to the last thing seen (a second when that is one instant), plus 5 % each side.
        let times = marks.map(\.time) + bars.map(\.start) + (captureEnd.map { [$0] } ?? [])
        let first = times.min() ?? Timestamp(seconds: 0, nanoseconds: 0)
        let last = times.max() ?? first
        let seen = last.seconds(since: first)
        let span = seen > 0 ? max(seen, 0.001) : 1
        let margin = span * 0.05
        let axisStart = -margin, axisEnd = span + margin
        func x(_ time: Timestamp) -> Double {
            labelWidth + (time.seconds(since: first) - axisStart) / (axisEnd - axisStart) * plotWidth
        }
        let plotLeft = labelWidth, plotRight = labelWidth + plotWidth
        let width = plotRight + 20
        let rowsBottom = top + Double(max(clients.count, 1)) * rowHeight
        let height = rowsBottom + 56

        var svg = [String]()
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"sans-serif\" font-size=\"12\">")
        svg.append("<title>dhcpscope lease timeline</title>")
        svg.append("<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>")
        let caption = "\(clients.count) client\(clients.count == 1 ? "" : "s"), \(bars.count) lease\(bars.count == 1 ? "" : "s"); "
            + "\(first.rfc3339(fractionDigits: 3)) to \(last.rfc3339(fractionDigits: 3))"
        svg.append("<text x=\"10\" y=\"20\" font-size=\"14\" font-weight=\"bold\">\(escape(caption))</text>")

        // Axis and ticks, labelled with UTC time of day.
        let step = tickStep(axisEnd - axisStart)
        let fractionDigits = step >= 1 ? 0 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3
        svg.append("<g class=\"axis\" stroke=\"#cccccc\">")
        svg.append("<line x1=\"\(n(plotLeft))\" y1=\"\(n(top - 4))\" x2=\"\(n(plotRight))\" y2=\"\(n(top - 4))\" stroke=\"#444444\"/>")
        let origin = first.timeInterval
        var tick = ((origin + axisStart) / step).rounded(.up) * step
        var tickLabels = [String]()
        while tick <= origin + axisEnd + step * 1e-6 {
            let offset = tick - origin
            let time = Timestamp(seconds: Int64(tick.rounded(.down)),
                                 nanoseconds: UInt32(max(0, min(999_999_999, ((tick - tick.rounded(.down)) * 1e9).rounded()))))
            let tx = labelWidth + (offset - axisStart) / (axisEnd - axisStart) * plotWidth
            svg.append("<line x1=\"\(n(tx))\" y1=\"\(n(top - 8))\" x2=\"\(n(tx))\" y2=\"\(n(rowsBottom))\"/>")
            let iso = time.rfc3339(fractionDigits: fractionDigits)
            let clock = String(iso.dropFirst(11).dropLast())
            tickLabels.append("<text x=\"\(n(tx))\" y=\"\(n(top - 12))\" text-anchor=\"middle\" fill=\"#444444\" stroke=\"none\">\(escape(clock))</text>")
            tick += step
        }
        svg.append("</g>")
        svg.append("<g class=\"ticks\" font-size=\"10\">")
        svg.append(contentsOf: tickLabels)
        svg.append("</g>")

        // Rows.
        for (index, client) in clients.enumerated() {
            let y = top + Double(index) * rowHeight
            svg.append("<g class=\"client\" data-mac=\"\(escape(client))\">")
            if index % 2 == 1 {
                svg.append("<rect x=\"0\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(rowHeight))\" fill=\"#f4f4f4\"/>")
            }
            var label = client
            if let hostname = hostnames[client] { label += " " + hostname }
            if label.count > 42 { label = String(label.prefix(41)) + "…" }
            svg.append("<text x=\"10\" y=\"\(n(y + rowHeight / 2 + 4))\" font-family=\"monospace\">\(escape(label))</text>")
            let own = bars.filter { $0.row == client }.sorted { $0.start < $1.start }
            for (position, bar) in own.enumerated() {
                // A client holds one address at a time: a later lease ends the bar of the one before.
                var end = bar.end
                if position + 1 < own.count { end = min(end ?? own[position + 1].start, own[position + 1].start) }
                let x1 = max(plotLeft, x(bar.start))
                let fullX2 = end.map(x) ?? .infinity
                let clipped = fullX2 > plotRight
                let x2 = max(x1 + 2, min(plotRight, fullX2))
                let colour = colour(bar.state)
                svg.append("<rect class=\"lease \(bar.state.rawValue)\" x=\"\(n(x1))\" y=\"\(n(y + 6))\" width=\"\(n(x2 - x1))\" height=\"\(n(rowHeight - 12))\" rx=\"3\" fill=\"\(colour)\"><title>\(escape(bar.title))</title></rect>")
                if clipped {
                    svg.append("<polygon points=\"\(n(x2)),\(n(y + 4)) \(n(x2 + 8)),\(n(y + rowHeight / 2)) \(n(x2)),\(n(y + rowHeight - 4))\" fill=\"\(colour)\"/>")
                }
                if x2 - x1 > Double(bar.text.count) * 7 + 8 {
                    svg.append("<text x=\"\(n(x1 + 4))\" y=\"\(n(y + rowHeight / 2 + 4))\" fill=\"#ffffff\" font-size=\"11\">\(escape(bar.text))</text>")
                }
            }
            svg.append("</g>")
        }

        // Transitions.
        svg.append("<g class=\"transitions\" stroke=\"#ffffff\" stroke-width=\"1\">")
        for mark in marks {
            guard let index = row[mark.row] else { continue }
            let y = top + Double(index) * rowHeight + rowHeight / 2
            svg.append("<circle class=\"transition\" cx=\"\(n(x(mark.time)))\" cy=\"\(n(y))\" r=\"3.5\" fill=\"\(markerColour(mark.state))\"><title>\(escape(mark.title))</title></circle>")
        }
        svg.append("</g>")

        // Legend.
        var lx = 10.0
        let ly = rowsBottom + 30
        svg.append("<g class=\"legend\" font-size=\"11\">")
        for (state, colour) in colours {
            svg.append("<rect x=\"\(n(lx))\" y=\"\(n(ly - 9))\" width=\"14\" height=\"10\" rx=\"2\" fill=\"\(colour)\"/>")
            svg.append("<text x=\"\(n(lx + 18))\" y=\"\(n(ly))\">\(state.rawValue)</text>")
            lx += 90
        }
        svg.append("<circle cx=\"\(n(lx + 6))\" cy=\"\(n(ly - 4))\" r=\"3.5\" fill=\"#333333\"/>")
        svg.append("<text x=\"\(n(lx + 14))\" y=\"\(n(ly))\">state transition</text>")
        svg.append("</g>")
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// Where a lease's bar ends: at the RELEASE, DECLINE or NAK that ended it when one was seen, else its end
    /// (nil for an infinite lease).
    static func endOfBar(_ lease: LeaseReport, _ transitions: [TransitionReport]) -> Timestamp? {
        let ending: DHCPClientEvent?
        switch lease.state {
        case .released: ending = .sendRelease
        case .declined: ending = .sendDecline
        case .nak: ending = .receiveNak
        default: ending = nil
        }
        if let ending, let transition = transitions.first(where: {
            $0.client == lease.client && $0.transition.event == ending && ($0.frame?.time).map { $0 >= lease.start } ?? false
        }), let time = transition.frame?.time {
            return lease.end.map { min($0, time) } ?? time
        }
        return lease.end
    }

    /// The same for a DHCPv6 lease: at the RELEASE or DECLINE that ended it.
    static func endOfBar(_ lease: DHCPv6LeaseReport, _ transitions: [DHCPv6TransitionReport]) -> Timestamp? {
        let ending: DHCPv6ClientEvent? = lease.state == .released ? .sendRelease : lease.state == .declined ? .sendDecline : nil
        if let ending, let time = transitions.first(where: {
            $0.client.duid == lease.client.duid && $0.transition.event == ending && ($0.frame?.time).map { $0 >= lease.start } ?? false
        })?.frame?.time {
            return lease.end.map { min($0, time) } ?? time
        }
        return lease.end
    }

    /// By state name: DHCPv4's and DHCPv6's share theirs.
    private static func markerColour(_ state: String) -> String {
        switch state {
        case "BOUND": "#1b6e2c"
        case "RENEWING", "REBINDING": "#0d6b6b"
        case "RELEASED": "#6e6e6e"
        case "INFORMED": "#3a5fa8"
        default: "#333333"
        }
    }

    /// 1, 2 or 5 times a power of ten seconds, or whole minutes and hours, giving about eight ticks.
    static func tickStep(_ span: Double) -> Double {
        let candidates: [Double] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300,
                                    600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172_800, 604_800]
        return candidates.first { span / $0 <= 8 } ?? (span / 8).rounded(.up)
    }

    /// Text safe in XML 1.0 content and attributes: markup characters escaped, control characters replaced.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xfffe...0xffff).contains(scalar.value) { out += "\u{fffd}" }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    private static func n(_ value: Double) -> String { FixedPoint.format(value, fractionDigits: 1) }
}
