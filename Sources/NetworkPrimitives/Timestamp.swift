/// A capture timestamp: seconds since 1970 UTC and nanoseconds.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32) { self.seconds = seconds; self.nanoseconds = nanoseconds }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// From seconds since 1970 (a clock's reading), to the nearest nanosecond.
    public init(secondsSince1970 seconds: Double) {
        let whole = seconds.rounded(.down)
        self.init(seconds: Int64(whole), nanoseconds: UInt32(clamping: Int(((seconds - whole) * 1e9).rounded())))
    }

    public var timeInterval: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

    /// Seconds from `earlier` to self.
    public func seconds(since earlier: Timestamp) -> Double {
        Double(seconds - earlier.seconds) + (Double(nanoseconds) - Double(earlier.nanoseconds)) / 1e9
    }

    /// RFC 3339 UTC with six fractional digits, as every JSON event has them: 2015-04-03T14:04:52.248716Z.
    public var description: String { rfc3339(fractionDigits: 6) }

    public func rfc3339(fractionDigits: Int) -> String {
        var text = [UInt8]()
        text.reserveCapacity(30)
        appendRFC3339(fractionDigits: fractionDigits, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends the `rfc3339(fractionDigits:)` text as UTF-8, for output built byte by byte.
    public func appendRFC3339(fractionDigits: Int, to text: inout [UInt8]) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        if year < 0 { text.append(UInt8(ascii: "-")) }
        Self.pad(year.magnitude, 4, &text); text.append(UInt8(ascii: "-"))
        Self.pad(UInt64(month), 2, &text); text.append(UInt8(ascii: "-"))
        Self.pad(UInt64(day), 2, &text); text.append(UInt8(ascii: "T"))
        Self.pad(UInt64(secondOfDay / 3600), 2, &text); text.append(UInt8(ascii: ":"))
        Self.pad(UInt64(secondOfDay / 60 % 60), 2, &text); text.append(UInt8(ascii: ":"))
        Self.pad(UInt64(secondOfDay % 60), 2, &text)
        let digits = min(9, fractionDigits)
        if digits > 0 {
            var divisor: UInt64 = 1
            for _ in 0..<(9 - digits) { divisor *= 10 }
            text.append(UInt8(ascii: "."))
            Self.pad(UInt64(nanoseconds) / divisor, digits, &text)
        }
        text.append(UInt8(ascii: "Z"))
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Decimal digits of `value`, zero-padded to `width`.
    static func pad(_ value: UInt64, _ width: Int, _ text: inout [UInt8]) {
        var count = 1
        var power: UInt64 = 1
        while value / power >= 10 { count += 1; power *= 10 }
        if count < width { text.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - count)) }
        while power > 0 {
            text.append(UInt8(ascii: "0") + UInt8(value / power % 10))
            power /= 10
        }
    }
}
