import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Testing

/// --max-leases: a sniff of days among ever-new clients keeps its lease table the same size, forgetting the leases
/// that ended longest ago first, then the oldest held.
@Suite("lease cap")
struct LeaseCapTests {
    @Test func endedLeasesGoFirstAndHeldOnesStay() throws {
        var scenario = Scenario { $0.maximumLeases = 100 }
        let clients = (0..<120).map { Client(UInt8($0)) }
        let address = { (index: Int) in IPv4Address(198, 18, 2, UInt8(index)) }
        for index in 0..<90 { scenario.dora(clients[index], xid: UInt32(0x3000 + index), at: Double(index), address: address(index)) }
        for index in 0..<45 { scenario.release(clients[index], xid: UInt32(0x4000 + index), at: 100 + Double(index), ciaddr: address(index)) }
        for index in 90..<120 { scenario.dora(clients[index], xid: UInt32(0x3000 + index), at: 200 + Double(index), address: address(index)) }
        scenario.finish()

        let analyzer = scenario.analyzer
        #expect(analyzer.leaseCount <= 100 && analyzer.leaseCount + analyzer.evictedLeases == 120)
        #expect(scenario.problems.filter { $0.code == .leaseCap }.count == 1)
        var held: Set<IPv4Address> = [], released = 0
        analyzer.forEachLease { lease in
            if lease.state == .active { held.insert(lease.ip) } else if lease.state == .released { released += 1 }
        }
        // Every lease still held is remembered; only released ones were forgotten.
        #expect(held == Set((45..<120).map(address)))
        #expect(released == analyzer.leaseCount - 75)
    }

    @Test func addressesKeepTheirHolderAcrossTheForgetting() {
        var scenario = Scenario { $0.maximumLeases = 16 }
        let address = { (index: Int) in IPv4Address(198, 18, 3, UInt8(index)) }
        for index in 0..<40 { scenario.dora(Client(UInt8(index)), xid: UInt32(0x5000 + index), at: Double(index), address: address(index)) }
        // A second client takes a remembered address while its holder's lease runs: still a conflict after forgetting.
        scenario.dora(Client(200), xid: 0x6000, at: 100, address: address(39))
        scenario.finish()
        #expect(scenario.analyzer.leaseCount <= 17)
        #expect(scenario.problems.contains { $0.code == .addressConflict && $0.ip == address(39) })
    }
}
