import Glibc

/// A point on CLOCK_MONOTONIC (it does not jump with the wall clock; it starts at an arbitrary origin, usually
/// boot). The DHCP I/O never reads a clock itself: its callers (state machines, timers, measurements) take the
/// time from here and pass timeouts in.
public struct MonotonicInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// `lhs` later by `rhs` (clamped at the origin for a negative result).
    public static func + (lhs: Self, rhs: Duration) -> Self {
        let delta = rhs.nanosecondsClamped
        if delta >= 0 { return Self(nanoseconds: lhs.nanoseconds &+ UInt64(delta)) }
        let back = UInt64(-delta)
        return Self(nanoseconds: back > lhs.nanoseconds ? 0 : lhs.nanoseconds - back)
    }

    /// The time from `rhs` to `lhs` (negative when `lhs` is earlier).
    public static func - (lhs: Self, rhs: Self) -> Duration {
        lhs.nanoseconds >= rhs.nanoseconds
            ? .nanoseconds(Int64(clamping: lhs.nanoseconds - rhs.nanoseconds))
            : .nanoseconds(-Int64(clamping: rhs.nanoseconds - lhs.nanoseconds))
    }

    public var description: String {
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(nanoseconds / 1_000_000_000).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)s"
    }
}

/// clock_gettime(CLOCK_MONOTONIC), for the callers of the socket layer.
public enum MonotonicClock {
    public static func now() -> MonotonicInstant {
        var value = timespec()
        clock_gettime(CLOCK_MONOTONIC, &value)
        return MonotonicInstant(nanoseconds: UInt64(value.tv_sec) * 1_000_000_000 + UInt64(value.tv_nsec))
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to Int64.
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
