import DHCPAnalysis
import DHCPCore
import DHCPProtocol

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

    /// `captureEnd`: the last message's time, so the axis covers the whole capture.
    static func render(leases: [LeaseReport], transitions: [TransitionReport], captureEnd: Timestamp? = nil) -> String {
        // Rows: every client with a lease or a transition, in order of first appearance.
        var order = [ClientKey](), firstSeen = [ClientKey: Timestamp](), hostnames = [ClientKey: String]()
        func see(_ client: ClientKey, _ time: Timestamp?) {
            if firstSeen[client] == nil { order.append(client); firstSeen[client] = time ?? Timestamp(seconds: .max, nanoseconds: 0) }
            if let time, let seen = firstSeen[client], time < seen { firstSeen[client] = time }
        }
        for transition in transitions { see(transition.client, transition.frame?.time) }
        for lease in leases {
            see(lease.client, lease.start)
            if let hostname = lease.hostname { hostnames[lease.client] = hostname }
        }
        let clients = order.enumerated().sorted { (firstSeen[$0.1]!, $0.0) < (firstSeen[$1.1]!, $1.0) }.map(\.1)
        let row = Dictionary(uniqueKeysWithValues: clients.enumerated().map { ($1, $0) })

        // The axis: from the first to the last thing seen (a second when that is one instant), plus 5 % each side.
        let times = transitions.compactMap { $0.frame?.time } + leases.map(\.start) + (captureEnd.map { [$0] } ?? [])
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
        let caption = "\(clients.count) client\(clients.count == 1 ? "" : "s"), \(leases.count) lease\(leases.count == 1 ? "" : "s"); "
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
            svg.append("<g class=\"client\" data-mac=\"\(escape(client.description))\">")
            if index % 2 == 1 {
                svg.append("<rect x=\"0\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(rowHeight))\" fill=\"#f4f4f4\"/>")
            }
            var label = client.description
            if let hostname = hostnames[client] { label += " " + hostname }
            if label.count > 42 { label = String(label.prefix(41)) + "…" }
            svg.append("<text x=\"10\" y=\"\(n(y + rowHeight / 2 + 4))\" font-family=\"monospace\">\(escape(label))</text>")
            let own = leases.filter { $0.client == client }.sorted { $0.start < $1.start }
            for (position, lease) in own.enumerated() {
                // A client holds one address at a time: a later lease ends the bar of the one before.
                var end = endOfBar(lease, transitions)
                if position + 1 < own.count { end = min(end ?? own[position + 1].start, own[position + 1].start) }
                let x1 = max(plotLeft, x(lease.start))
                let fullX2 = end.map(x) ?? .infinity
                let clipped = fullX2 > plotRight
                let x2 = max(x1 + 2, min(plotRight, fullX2))
                let colour = colour(lease.state)
                let title = "\(lease.ip) \(lease.state.rawValue): \(lease.start) to \(lease.end?.description ?? "never")"
                    + (lease.server.map { " from \($0)" } ?? "")
                svg.append("<rect class=\"lease \(lease.state.rawValue)\" x=\"\(n(x1))\" y=\"\(n(y + 6))\" width=\"\(n(x2 - x1))\" height=\"\(n(rowHeight - 12))\" rx=\"3\" fill=\"\(colour)\"><title>\(escape(title))</title></rect>")
                if clipped {
                    svg.append("<polygon points=\"\(n(x2)),\(n(y + 4)) \(n(x2 + 8)),\(n(y + rowHeight / 2)) \(n(x2)),\(n(y + rowHeight - 4))\" fill=\"\(colour)\"/>")
                }
                if x2 - x1 > Double(lease.ip.description.count) * 7 + 8 {
                    svg.append("<text x=\"\(n(x1 + 4))\" y=\"\(n(y + rowHeight / 2 + 4))\" fill=\"#ffffff\" font-size=\"11\">\(escape(lease.ip.description))</text>")
                }
            }
            svg.append("</g>")
        }

        // Transitions.
        svg.append("<g class=\"transitions\" stroke=\"#ffffff\" stroke-width=\"1\">")
        for transition in transitions {
            guard let frame = transition.frame, let index = row[transition.client] else { continue }
            let y = top + Double(index) * rowHeight + rowHeight / 2
            let step = transition.transition
            let title = "\(step.from.rawValue) → \(step.to.rawValue) (\(step.event)) frame \(frame.frame), \(frame.time)"
            svg.append("<circle class=\"transition\" cx=\"\(n(x(frame.time)))\" cy=\"\(n(y))\" r=\"3.5\" fill=\"\(markerColour(step.to))\"><title>\(escape(title))</title></circle>")
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

    private static func markerColour(_ state: DHCPClientState) -> String {
        switch state {
        case .bound: "#1b6e2c"
        case .renewing, .rebinding: "#0d6b6b"
        case .released: "#6e6e6e"
        case .informed: "#3a5fa8"
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
