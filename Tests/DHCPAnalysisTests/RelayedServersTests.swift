import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Testing

/// The client side of a relayed segment: every reply comes from the relay agent's address and MAC, and the servers
/// behind it are told apart by option 54 (siaddr for a BOOTP reply without one), never merged into the relay.
@Suite("servers behind a relay")
struct RelayedServersTests {
    let relay = Net.relay
    let client = Client(7)

    /// A reply as the relay agent sends it on to the client: from its address, giaddr set, to port 68.
    func relayed(_ scenario: inout Scenario, _ type: DHCPMessageType, xid: UInt32, at time: Double, yiaddr: IPv4Address,
                          serverID: IPv4Address?, siaddr: IPv4Address = .any) {
        var message = Scenario.message(type, xid: xid, client: client, yiaddr: yiaddr, giaddr: relay.ip,
                                       options: (serverID.map { [Opt.serverID($0)] } ?? []) + [Opt.lease(3600)])
        message.serverAddress = siaddr
        scenario.send(message, at: time, from: (relay.mac, relay.ip, 67), to: (client.mac, .broadcast, 68))
    }

    @Test func twoServersThroughOneRelayAreTwoServers() throws {
        var scenario = Scenario { $0.expectation = ServerExpectation(addresses: [Net.server.ip], macs: []) }
        scenario.discover(client, xid: 0x2001, at: 0)
        relayed(&scenario, .offer, xid: 0x2001, at: 0.01, yiaddr: Net.relayed(100), serverID: Net.server.ip)
        relayed(&scenario, .offer, xid: 0x2001, at: 0.02, yiaddr: Net.relayed(160), serverID: Net.server2.ip)
        scenario.finish()
        let servers = scenario.analyzer.serverTable
        #expect(servers.map(\.id) == [Net.server.ip, Net.server2.ip])
        #expect(servers.allSatisfy { $0.relay == relay.ip && $0.ip == relay.ip })
        // Judged by their own identifiers: the relay's address is nobody's.
        #expect(servers.map(\.expected) == [true, false])
        let codes = scenario.problems.map(\.code.rawValue)
        #expect(codes.contains("multiple-servers") && codes.contains("unexpected-server"))
        let rogue = try #require(scenario.problems.first { $0.code == .unexpectedServer })
        #expect(rogue.ip == Net.server2.ip && rogue.text.contains("relayed by \(relay.ip)"))
    }

    @Test func theRelaysOwnAddressDoesNotVouchForAServerBehindIt() {
        var scenario = Scenario { $0.expectation = ServerExpectation(addresses: [Net.relay.ip], macs: [Net.relay.mac]) }
        scenario.discover(client, xid: 0x2002, at: 0)
        relayed(&scenario, .offer, xid: 0x2002, at: 0.01, yiaddr: Net.relayed(100), serverID: Net.server2.ip)
        scenario.finish()
        #expect(scenario.analyzer.serverTable.map(\.expected) == [false])
    }

    @Test func aRelayedBOOTPReplyWithoutOption54IsNamedBySiaddr() {
        // BOOTP: no option at all, not even the message type.
        var reply = DHCPMessage(op: DHCPMessage.bootReply, xid: 0x2003, yourAddress: Net.relayed(120), serverAddress: Net.server2.ip,
                                relayAddress: relay.ip, chaddr: client.mac.bytes, options: [])
        let origin = DHCPReplyOrigin(reply, sourceIP: relay.ip, toClient: true)
        #expect(origin.server == Net.server2.ip && origin.relay == relay.ip)
        // Seen on the server's side (to the relay agent, port 67) the source is the server itself.
        let direct = DHCPReplyOrigin(reply, sourceIP: Net.server.ip, toClient: false)
        #expect(direct.server == Net.server.ip && direct.relay == nil)
        // With option 54, that names the server wherever the reply is seen.
        reply.setOptions([Opt.serverID(Net.server.ip)])
        #expect(DHCPReplyOrigin(reply, sourceIP: relay.ip, toClient: true).server == Net.server.ip)
    }
}
