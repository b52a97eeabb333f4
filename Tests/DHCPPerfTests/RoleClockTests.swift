import DHCPClients
import DHCPCore
import DHCPNetwork
import DHCPPerf
import DHCPProtocol
import Testing

/// The roles' timers run on `RoleClock`: the wall clock read once, then the monotonic clock.
@Suite("The role clock")
struct RoleClockTests {
    @Test("Seconds since 1970 from one reading of the wall clock, advanced by the monotonic clock only")
    func followsTheMonotonicClock() {
        let fake = FakeClock()
        var readings: [Double] = [1_700_000_000, 1_700_003_600, 1_600_000_000]
        let clock = RoleClock(wall: { readings.removeFirst() }, monotonic: { UInt64(fake.now * 1e9) })
        #expect(clock.now() == 1_700_000_000)
        fake.now += 2.5
        #expect(abs(clock.now() - 1_700_000_002.5) < 1e-6)
        #expect(readings.count == 2, "the wall clock is read once")
    }

    /// A client bound with T1 1800 s; the wall clock jumps an hour ahead right after (past T1, T2 and the end of the
    /// lease) and another hour back later: the renewal still comes 1800 s of monotonic time after the binding, and
    /// the lease neither expires nor rebinds at either step.
    @Test("A step of the wall clock neither fires nor delays a renewal")
    func wallClockStepDoesNotMoveTimers() throws {
        let fake = FakeClock()
        let link = ServerLink(clock: fake)
        var steps: [Double] = [1_700_000_000, 1_700_003_600, 1_699_996_400]
        let clock = RoleClock(wall: { steps.isEmpty ? 0 : steps.removeFirst() }, monotonic: { UInt64(fake.now * 1e9) })
        let fleet = DHCPClientFleet(socket: link, clients: PerfClients(total: 1, firstMAC: PerfClients.defaultFirstMAC).settings(),
                                    seed: 1)
        fleet.clock = clock.now
        var boundAt: Double?
        var events: [DHCPClientEvent] = []
        let handler = { (event: DHCPClientFleet.Event) in
            guard case .action(_, let action) = event else { return }
            switch action {
            case .leaseBound: if boundAt == nil { boundAt = fake.now }
            case .transition(let step): events.append(step.event)
            default: break
            }
        }
        fleet.start(0, remembering: nil, now: clock.now(), handler)
        let end = fake.now + 1900
        while fake.now < end, link.received["RENEW", default: 0] == 0 {
            _ = try fleet.step(until: clock.now() + 10, handler)
        }
        let bound = try #require(boundAt)
        #expect(link.received["RENEW"] == 1)
        // T1 is 1800 s (50 % of 3600), with no jitter in the machine: the RENEW went at T1 of monotonic time.
        #expect(abs(fake.now - bound - 1800) < 1, "renewed \(fake.now - bound) s after binding")
        #expect(!events.contains(.leaseExpired) && !events.contains(.t2Expired))
    }
}
