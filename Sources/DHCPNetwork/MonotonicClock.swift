import CNetShim
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

/// The one clock the roles run on: seconds on the wall-clock scale (since 1970), so that lease times saved to a
/// file or a database and the timestamps of events and captures mean what they say, but advanced by the monotonic
/// clock from one reading of the wall clock, so that a step of the wall clock (NTP, an administrator) neither fires
/// nor delays a renewal, a retransmission or a lease expiry. Both sources can be replaced (tests make the wall
/// clock jump).
public struct RoleClock: Sendable {
    private let wallAtStart: Double
    private let monotonicAtStart: UInt64
    private let monotonic: @Sendable () -> UInt64

    /// - Parameters:
    ///   - wall: the wall clock in seconds since 1970, read once.
    ///   - monotonic: nanoseconds from any origin, never stepping back.
    public init(wall: () -> Double = RoleClock.systemWall,
                monotonic: @escaping @Sendable () -> UInt64 = { MonotonicClock.now().nanoseconds }) {
        monotonicAtStart = monotonic()
        wallAtStart = wall()
        self.monotonic = monotonic
    }

    /// Seconds since 1970: the wall clock when the clock was made, plus the monotonic time since.
    public func now() -> Double {
        wallAtStart + Double(monotonic() &- monotonicAtStart) / 1e9
    }

    /// The process's clock, anchored the first time any role asks for the time.
    public static let process = RoleClock()

    /// clock_gettime(CLOCK_REALTIME) in seconds.
    public static func systemWall() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension MonotonicClock {
    /// Asks the kernel to wake this thread from a timed wait within `nanoseconds` of the time asked, instead of
    /// its default slack of 50 µs: an open-loop generator (perf) that sends every 100 µs needs its waits to end on
    /// time. Best effort: false when the kernel refused.
    @discardableResult
    public static func tightenTimerSlack(to nanoseconds: UInt = 1_000) -> Bool {
        cns_set_timer_slack(nanoseconds) == 0
    }
}
