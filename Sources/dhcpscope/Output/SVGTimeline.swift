import DHCPAnalysis

/// Clients' leases on a time axis, as an SVG picture.
enum SVGTimeline {
    static func render(leases: [LeaseReport], transitions: [TransitionReport]) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>\n"
    }
}
