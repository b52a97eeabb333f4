import DHCPCore
import Framing
import Testing
@testable import DHCPConformance

/// The rules that judge a reply by itself, on frames built as a server would send them.
@Suite("conformance judge")
struct ConformanceJudgeTests {
    let client = MACAddress(rawValue: 0x060C_0000_0001)
    let server = IPv4Address(198, 18, 0, 1)
    let yiaddr = IPv4Address(198, 18, 0, 100)

    func request(flags: UInt16 = 0) -> DHCPMessage {
        DHCPMessage(op: DHCPMessage.bootRequest, xid: 0x1234, flags: flags, chaddr: client.bytes, options: [DHCPOption(messageType: .discover)])
    }

    func frame(_ type: DHCPMessageType, xid: UInt32 = 0x1234, flags: UInt16 = 0, yiaddr: IPv4Address? = nil, options: [DHCPOption],
               to destination: (MACAddress, IPv4Address) = (.broadcast, .broadcast)) -> ConformanceFrame {
        let reply = DHCPMessage(op: DHCPMessage.bootReply, xid: xid, flags: flags, yourAddress: yiaddr ?? self.yiaddr, chaddr: client.bytes,
                                options: [DHCPOption(messageType: type)] + options)
        let bytes = FrameBuilder.udp(sourceMAC: MACAddress(rawValue: 0x0600_0000_0001), destinationMAC: destination.0, sourceIP: server,
                                     destinationIP: destination.1, sourcePort: 67, destinationPort: 68, payload: reply.serialize())
        return ConformanceFrame(bytes, number: 7, sent: false)!
    }

    var full: [DHCPOption] {
        [DHCPOption(.serverIdentifier, address: server), DHCPOption(.leaseTime, uint32: 600), DHCPOption(.subnetMask, address: IPv4Address(255, 255, 255, 0))]
    }

    func results(_ verdicts: [ConformanceVerdict]) -> [String: ConformanceResult] {
        Dictionary(uniqueKeysWithValues: verdicts.map { ($0.check.id, $0.result) })
    }

    @Test func aWellFormedOfferPasses() {
        let verdicts = ConformanceJudge.form(of: frame(.offer, options: full), answering: request(), serverID: .offerServerID,
                                             leaseTime: .offerLeaseTime, echo: .offerEcho)
        #expect(verdicts.allSatisfy { $0.result == .pass && $0.frames == [7] })
    }

    @Test func missingOptionsAndAnotherXIDFail() {
        let verdicts = ConformanceJudge.form(of: frame(.offer, xid: 0x9999, flags: 0x8000, options: []), answering: request(),
                                             serverID: .offerServerID, leaseTime: .offerLeaseTime, echo: .offerEcho)
        #expect(results(verdicts) == ["offer-server-id": .fail, "offer-lease-time": .fail, "offer-echo": .fail])
        let echo = verdicts.first { $0.check == .offerEcho }?.detail ?? ""
        #expect(echo.contains("xid 0x00009999") && echo.contains("flags 0x8000"))
    }

    @Test func timersInOrderOrNot() {
        let good = frame(.ack, options: full + [DHCPOption(.renewalTime, uint32: 300), DHCPOption(.rebindingTime, uint32: 500)])
        #expect(ConformanceJudge.timers(good)?.result == .pass)
        let defaults = frame(.ack, options: full)
        #expect(ConformanceJudge.timers(defaults)?.result == .pass)
        let bad = frame(.ack, options: full + [DHCPOption(.renewalTime, uint32: 550), DHCPOption(.rebindingTime, uint32: 500)])
        #expect(ConformanceJudge.timers(bad)?.result == .fail)
        #expect(ConformanceJudge.timerDisorder(bad.reply!) == "T1 550 s is not below T2 500 s")
        // A T1 past the default T2 (0.875 of the lease) is out of order too.
        let late = frame(.ack, options: full + [DHCPOption(.renewalTime, uint32: 560)])
        #expect(ConformanceJudge.timerDisorder(late.reply!) == "T1 560 s is not below T2 (default) 525 s")
    }

    @Test func aNAKIsBroadcastWithoutAddressOrLease() {
        let good = frame(.nak, yiaddr: .any, options: [DHCPOption(.serverIdentifier, address: server)])
        #expect(ConformanceJudge.nakForm(good)?.result == .pass)
        let bad = frame(.nak, options: full, to: (client, yiaddr))
        let verdict = ConformanceJudge.nakForm(bad)
        #expect(verdict?.result == .fail && verdict?.detail?.contains("a lease time") == true && verdict?.detail?.contains("not broadcast") == true)
        #expect(ConformanceJudge.nakForm(frame(.ack, options: full)) == nil)
    }

    @Test func repliesGoWhereTheBroadcastBitSays() {
        #expect(ConformanceJudge.addressing(frame(.offer, options: full, to: (client, yiaddr)), broadcastBit: false)?.result == .pass)
        #expect(ConformanceJudge.addressing(frame(.offer, options: full), broadcastBit: false)?.result == .fail)
        #expect(ConformanceJudge.addressing(frame(.offer, options: full), broadcastBit: true)?.result == .pass)
        // IP broadcast at the client's own MAC reaches it too.
        #expect(ConformanceJudge.addressing(frame(.offer, options: full, to: (client, .broadcast)), broadcastBit: true)?.result == .pass)
        #expect(ConformanceJudge.addressing(frame(.offer, options: full, to: (client, yiaddr)), broadcastBit: true)?.result == .fail)
    }

    @Test func yiaddrOnTheServersSubnet() {
        #expect(ConformanceJudge.onLink(frame(.offer, options: full))?.result == .pass)
        #expect(ConformanceJudge.onLink(frame(.offer, yiaddr: IPv4Address(198, 19, 0, 9), options: full))?.result == .fail)
        #expect(ConformanceJudge.onLink(frame(.offer, options: []))?.result == .inconclusive)
    }

    @Test func everyCheckHasAUniqueIDAndAClause() {
        #expect(Set(ConformanceCheck.all.map(\.id)).count == ConformanceCheck.all.count)
        #expect(ConformanceCheck.all.count >= 30 && ConformanceCheck.all.allSatisfy { !$0.rfc.isEmpty })
    }
}
