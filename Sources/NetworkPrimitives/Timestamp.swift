/// A capture timestamp: seconds since 1970 UTC and nanoseconds.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible, BitwiseCopyable {
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
        withRFC3339(fractionDigits: fractionDigits) { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends the `rfc3339(fractionDigits:)` text as UTF-8, for output built byte by byte.
    public func appendRFC3339(fractionDigits: Int, to text: inout [UInt8]) {
        withRFC3339(fractionDigits: fractionDigits) { text.append(contentsOf: $0) }
    }

    /// The longest `rfc3339` text in bytes (a 19-digit year with its sign, nine fraction digits).
    public static let maximumRFC3339Length = 48

    /// Stores the `rfc3339(fractionDigits:)` text as UTF-8 at `out`, which has room for `maximumRFC3339Length`
    /// bytes; returns its length. No allocation: what JSON writers call for every event.
    public func storeRFC3339(fractionDigits: Int, at out: UnsafeMutablePointer<UInt8>) -> Int {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        var at = 0
        if year < 0 { out[0] = UInt8(ascii: "-"); at = 1 }
        at += Self.store(year.magnitude, width: 4, at: out + at); out[at] = UInt8(ascii: "-")
        at += 1 + Self.store(UInt64(month), width: 2, at: out + at + 1); out[at] = UInt8(ascii: "-")
        at += 1 + Self.store(UInt64(day), width: 2, at: out + at + 1); out[at] = UInt8(ascii: "T")
        at += 1 + Self.store(UInt64(secondOfDay / 3600), width: 2, at: out + at + 1); out[at] = UInt8(ascii: ":")
        at += 1 + Self.store(UInt64(secondOfDay / 60 % 60), width: 2, at: out + at + 1); out[at] = UInt8(ascii: ":")
        at += 1 + Self.store(UInt64(secondOfDay % 60), width: 2, at: out + at + 1)
        let fraction = min(9, fractionDigits)
        if fraction > 0 {
            var divisor: UInt64 = 1
            for _ in 0..<(9 - fraction) { divisor *= 10 }
            out[at] = UInt8(ascii: ".")
            at += 1 + Self.store(UInt64(nanoseconds) / divisor, width: fraction, at: out + at + 1)
        }
        out[at] = UInt8(ascii: "Z")
        return at + 1
    }

    /// The text lent to `body` from a buffer on the stack.
    private func withRFC3339<R>(fractionDigits: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &storage) { raw in
            let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return body(UnsafeBufferPointer(start: out, count: storeRFC3339(fractionDigits: fractionDigits, at: out)))
        }
    }

    /// `value` in decimal, zero-padded to at least `width` digits, stored at `out`; returns how many digits.
    private static func store(_ value: UInt64, width: Int, at out: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 1
        var rest = value / 10
        while rest > 0 { count += 1; rest /= 10 }
        count = max(count, width)
        rest = value
        for index in stride(from: count - 1, through: 0, by: -1) {
            out[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return count
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
}
