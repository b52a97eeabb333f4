import DHCPCore
import DHCPProtocol
import Testing

@Suite("Failover drill: the longest gap (pure)")
struct DHCPOutageTests {
    func address(_ last: UInt8) -> IPv4Address { IPv4Address(198, 18, 0, last) }

    @Test func theLongestGapAndTheClientsThatKeptTheirAddressAcrossIt() throws {
        var tracker = DHCPOutageTracker()
        #expect(tracker.report == nil)
        // Three clients bound, renewing every second until 10 s; nothing from 10 to 31 s (the failover); then
        // clients 0 and 1 rebind with their addresses, client 2 with a new one, client 3 is new.
        for second in 0...10 {
            for client in 0..<3 { tracker.completed(client: client, address: address(100 + UInt8(client)), at: Double(second) + 0.1 * Double(client)) }
        }
        tracker.completed(client: 0, address: address(100), at: 31)
        tracker.completed(client: 1, address: address(101), at: 31.5)
        tracker.completed(client: 2, address: address(150), at: 32)
        tracker.completed(client: 3, address: address(151), at: 32.5)
        let report = try #require(tracker.report)
        #expect(abs(report.from - 10.2) < 1e-9 && report.to == 31)
        #expect(abs(report.seconds - 20.8) < 1e-9)
        #expect(report.crossed == 3 && report.kept == 2)
    }

    @Test func pastItsCapacityTheOldestHalfIsDropped() {
        var tracker = DHCPOutageTracker(capacity: 4)
        for second in 0..<5 { tracker.completed(client: 0, address: address(100), at: Double(second)) }
        #expect(tracker.dropped == 2)
        #expect(tracker.report?.seconds == 1)
    }
}
