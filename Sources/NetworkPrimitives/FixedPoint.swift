/// Decimal text for a Double with a fixed number of fraction digits, without Foundation.
public enum FixedPoint {
    public static func format(_ value: Double, fractionDigits: Int = 3) -> String {
        guard value.isFinite else { return String(value) }
        var scale = 1.0
        for _ in 0..<fractionDigits { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let magnitude = scaled.magnitude
        let unit = UInt64(scale)
        var text = (scaled < 0 ? "-" : "") + String(magnitude / unit)
        if fractionDigits > 0 {
            let fraction = String(magnitude % unit)
            text += "." + String(repeating: "0", count: fractionDigits - fraction.count) + fraction
        }
        return text
    }
}
