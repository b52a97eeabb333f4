import DHCPCore
import DHCPProtocol
import Testing

@Suite("High availability (pure)")
struct DHCPHighAvailabilityTests {
    let partner = IPv4Address(198, 18, 0, 2)

    func discover(mac: UInt64, secs: UInt16 = 0) -> DHCPMessage {
        DHCPMessage(op: DHCPMessage.bootRequest, htype: 1, hlen: 6, hops: 0, xid: 1, secs: secs, flags: 0,
                    clientAddress: .any, relayAddress: .any, chaddr: MACAddress(rawValue: 0x0600_0000_0000 | mac).bytes,
                    options: [DHCPOption(.messageType, [DHCPMessageType.discover.rawValue])])
    }

    @Test func theStandbyTakesOverAfterTheMissedHeartbeatsAndStandsDownWhenThePrimaryAnswers() {
        var standby = DHCPHAPeer(DHCPHAConfiguration(mode: .hotStandby, role: .standby, partner: partner, maxMissed: 3))
        let client = IPv4Address(198, 18, 0, 100)
        #expect(standby.state == .standingBy)
        #expect(!standby.serves(discover(mac: 1), from: .any))
        // Heartbeat 1 answered.
        #expect(standby.tick(now: 0, xid: 1) == (true, []))
        #expect(standby.answered(xid: 1).isEmpty)
        #expect(standby.tick(now: 0.5, xid: 9).heartbeat == false)   // not due yet
        // Heartbeats 2, 3 and 4 unanswered: the third miss is found when the fifth is due.
        #expect(standby.tick(now: 1, xid: 2).states.isEmpty)
        #expect(standby.tick(now: 2, xid: 3).states.isEmpty)
        #expect(standby.tick(now: 3, xid: 4).states.isEmpty)
        #expect(standby.tick(now: 4, xid: 5).states == [.partnerDown, .takingOver])
        #expect(standby.state == .takingOver && !standby.partnerUp)
        #expect(standby.serves(discover(mac: 1), from: client))
        // A stale answer changes nothing; the current one brings the primary back.
        #expect(standby.answered(xid: 4).isEmpty)
        #expect(standby.answered(xid: 5) == [.partnerBack, .standingBy])
        #expect(!standby.serves(discover(mac: 1), from: client))
        // The partner's own heartbeats are always answered.
        #expect(standby.serves(DHCPHAPeer.heartbeat(xid: 7, address: partner, mac: MACAddress(rawValue: 0x0600_0000_0002)), from: partner))
    }

    @Test func aPrimaryWhoseStandbyIsDownKeepsServing() {
        var primary = DHCPHAPeer(DHCPHAConfiguration(mode: .hotStandby, role: .primary, partner: partner, maxMissed: 2))
        #expect(primary.serves(discover(mac: 1), from: .any))
        _ = primary.tick(now: 0, xid: 1)
        _ = primary.tick(now: 1, xid: 2)
        #expect(primary.tick(now: 2, xid: 3).states == [.partnerDown])
        #expect(primary.serves(discover(mac: 1), from: .any))
        #expect(primary.answered(xid: 3) == [.partnerBack, .serving])
    }

    @Test func loadBalancingSplitsClientsByTheRFC3074HashAndTheSurvivorServesAll() {
        var primary = DHCPHAPeer(DHCPHAConfiguration(mode: .loadBalancing, role: .primary, partner: partner, maxMissed: 1))
        let secondary = DHCPHAPeer(DHCPHAConfiguration(mode: .loadBalancing, role: .secondary, partner: partner))
        let clients = (1...400).map { discover(mac: UInt64($0)) }
        let mine = clients.filter { primary.serves($0, from: .any) }.count
        // Every client is answered by exactly one of the two.
        #expect(clients.allSatisfy { primary.serves($0, from: .any) != secondary.serves($0, from: .any) })
        #expect((160...240).contains(mine), "the primary's share: \(mine) of 400")
        // A partner's client that has waited past the threshold is answered too.
        let waiting = (1...400).map { discover(mac: UInt64($0), secs: 10) }
        #expect(waiting.allSatisfy { primary.serves($0, from: .any) })
        _ = primary.tick(now: 0, xid: 1)
        #expect(primary.tick(now: 1, xid: 2).states == [.partnerDown, .takingOver])
        #expect(clients.allSatisfy { primary.serves($0, from: .any) })
    }

    @Test func theHashIsRFC3074sPearsonHash() {
        // By hand from the RFC's table: the empty key is its length, 0; one byte k gives table[1 ^ k].
        #expect(DHCPHAPeer.hash([]) == 0)
        #expect(DHCPHAPeer.hash([0]) == 175)        // table[1]
        #expect(DHCPHAPeer.hash([1]) == 251)        // table[0]
        #expect(DHCPHAPeer.hash([0, 0]) == 150)     // table[table[2] ^ 0]: table[2] = 119, table[119] = 150
    }

    @Test func modeAndRoleMustGoTogether() {
        #expect(DHCPHAConfiguration(mode: .hotStandby, role: .secondary, partner: partner).problem != nil)
        #expect(DHCPHAConfiguration(mode: .loadBalancing, role: .standby, partner: partner).problem != nil)
        #expect(DHCPHAConfiguration(mode: .loadBalancing, role: .secondary, partner: partner).problem == nil)
    }
}
