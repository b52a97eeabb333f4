import DHCPCore
import DHCPProtocol
import Testing

@Suite("relay agent")
struct RelayAgentTests {
    static let linkA = DHCPRelayLink(name: "r0", index: 2, address: IPv4Address(198, 18, 50, 1))
    static let linkB = DHCPRelayLink(name: "r1", index: 3, address: IPv4Address(198, 18, 51, 1), circuitID: Array("port-7".utf8))
    static let serverA = IPv4Address(198, 18, 52, 2)
    static let serverB = IPv4Address(198, 18, 52, 3)
    static let mac: [UInt8] = [6, 0, 0, 0, 0x50, 1]

    static func agent(_ change: (inout DHCPRelayConfiguration) -> Void = { _ in }) -> DHCPRelayAgent {
        var configuration = DHCPRelayConfiguration(links: [linkA, linkB], servers: [serverA, serverB])
        change(&configuration)
        return DHCPRelayAgent(configuration: configuration)
    }

    static func request(_ type: DHCPMessageType = .discover, hops: UInt8 = 0, giaddr: IPv4Address = .any,
                        ciaddr: IPv4Address = .any, extra: [DHCPOption] = []) -> DHCPMessage {
        DHCPMessage(op: DHCPMessage.bootRequest, hops: hops, xid: 0x5050, clientAddress: ciaddr, relayAddress: giaddr, chaddr: mac,
                    options: [DHCPOption(.messageType, [type.rawValue])] + extra)
    }

    static func reply(_ type: DHCPMessageType = .offer, giaddr: IPv4Address = linkA.address, yiaddr: IPv4Address = IPv4Address(198, 18, 50, 100),
                      ciaddr: IPv4Address = .any, broadcast: Bool = false, agent: [UInt8]? = nil) -> DHCPMessage {
        DHCPMessage(op: DHCPMessage.bootReply, xid: 0x5050, flags: broadcast ? 0x8000 : 0, clientAddress: ciaddr, yourAddress: yiaddr,
                    relayAddress: giaddr, chaddr: mac,
                    options: [DHCPOption(.messageType, [type.rawValue])] + (agent.map { [DHCPOption(.relayAgentInformation, $0)] } ?? []))
    }

    static func fromClient(on link: DHCPRelayLink = linkA) -> DHCPRelayReceipt {
        DHCPRelayReceipt(interfaceIndex: link.index, sourceAddress: .any, sourcePort: 68)
    }

    static let fromServer = DHCPRelayReceipt(interfaceIndex: 9, sourceAddress: serverA, sourcePort: 67)

    static func forwarded(_ actions: [DHCPRelayAction]) -> [(DHCPMessage, IPv4Address)] {
        actions.compactMap { if case .forward(let message, let server, _) = $0 { (message, server) } else { nil } }
    }

    static func problems(_ actions: [DHCPRelayAction]) -> [DHCPRelayProblem.Code] {
        actions.compactMap { if case .problem(let problem) = $0 { problem.code } else { nil } }
    }

    // MARK: requests

    @Test func requestGoesToEveryServerWithGiaddrHopsAndOption82Last() throws {
        let actions = Self.agent().handle(Self.request(extra: [DHCPOption(.hostName, Array("pc".utf8))]), from: Self.fromClient(on: Self.linkB))
        let sent = Self.forwarded(actions)
        #expect(sent.map(\.1) == [Self.serverA, Self.serverB])
        for (message, _) in sent {
            #expect(message.relayAddress == Self.linkB.address)
            #expect(message.hops == 1)
            #expect(message.options.map(\.code) == [.messageType, .hostName, .relayAgentInformation])
            #expect(message.option(.relayAgentInformation)?.data == [1, 6] + Array("port-7".utf8))
            // The 300-byte BOOTP minimum is kept: option 82 takes the place of padding.
            #expect(message.serialize().count == 300)
            #expect(DHCPMessage.parse(message.serialize()).diagnostics.isEmpty)
        }
    }

    @Test func optionalSuboptionsInOrder() throws {
        let agent = Self.agent {
            $0.remoteID = Array("sw1".utf8); $0.linkSelection = true; $0.serverIdentifierOverride = true
            $0.upstreamAddress = IPv4Address(198, 18, 52, 1)
        }
        let (message, _) = try #require(Self.forwarded(agent.handle(Self.request(), from: Self.fromClient())).first)
        #expect(message.option(.relayAgentInformation)?.data == [1, 2] + Array("r0".utf8) + [2, 3] + Array("sw1".utf8)
                + [5, 4, 198, 18, 50, 1] + [11, 4, 198, 18, 50, 1])
        // RFC 3527: giaddr is the upstream address, suboption 5 names the link.
        #expect(message.relayAddress == IPv4Address(198, 18, 52, 1))
    }

    @Test(arguments: [
        (DHCPAgentInformationPolicy.append, [1, 3] + Array("sw9".utf8) + [1, 2] + Array("r0".utf8) as [UInt8]?),
        (.replace, [1, 2] + Array("r0".utf8)),
        (.keep, [1, 3] + Array("sw9".utf8)),
        (.drop, nil),
    ])
    func existingOption82FollowsThePolicy(policy: DHCPAgentInformationPolicy, expected: [UInt8]?) throws {
        let theirs = DHCPOption(.relayAgentInformation, [1, 3] + Array("sw9".utf8))
        let actions = Self.agent { $0.policy = policy }.handle(Self.request(extra: [theirs]), from: Self.fromClient())
        if let expected {
            let sent = Self.forwarded(actions)
            #expect(sent.count == 2)
            #expect(sent.first?.0.option(.relayAgentInformation)?.data == expected)
            #expect(sent.first?.0.optionInstances.filter { $0.option.code == .relayAgentInformation }.count == 1)
        } else {
            #expect(Self.forwarded(actions).isEmpty)
            #expect(Self.problems(actions) == [.agentInformationPresent])
        }
    }

    @Test func hopsAtTheLimitAreDroppedBelowItForwarded() {
        let agent = Self.agent { $0.maximumHops = 4 }
        #expect(Self.problems(agent.handle(Self.request(hops: 4), from: Self.fromClient())) == [.hopLimit])
        #expect(Self.forwarded(agent.handle(Self.request(hops: 3), from: Self.fromClient())).first?.0.hops == 4)
    }

    /// RFC 1542 §4.1.1 and RFC 3046 §2.1.1: a giaddr from a relay agent nearer the client stays, and nothing is added.
    @Test func giaddrOfAnotherRelayStaysAndNoOption82IsAdded() throws {
        let nearer = IPv4Address(198, 18, 57, 1)
        let (message, _) = try #require(Self.forwarded(Self.agent().handle(Self.request(hops: 1, giaddr: nearer), from: Self.fromClient())).first)
        #expect(message.relayAddress == nearer && message.hops == 2)
        #expect(message.option(.relayAgentInformation) == nil)
    }

    @Test func renewalUnicastToTheRelayIsForwardedToo() throws {
        let client = IPv4Address(198, 18, 50, 100)
        let (message, _) = try #require(Self.forwarded(Self.agent().handle(Self.request(.request, ciaddr: client), from: Self.fromClient())).first)
        #expect(message.clientAddress == client && message.relayAddress == Self.linkA.address)
    }

    @Test func requestOnAnotherInterfaceIsIgnoredQuietly() {
        #expect(Self.agent().handle(Self.request(), from: Self.fromServer).isEmpty)
    }

    @Test func option82ThatWouldNotFitIsLeftOut() throws {
        let big = DHCPOption(DHCPOptionCode(rawValue: 43), [UInt8](repeating: 7, count: 250))
        let agent = Self.agent { $0.circuitID(Array(repeating: 0x41, count: 200)) }
        let request = Self.request(extra: [big])
        let actions = agent.handle(request, from: Self.fromClient())
        #expect(Self.problems(actions) == [.agentInformationTooLong])
        let (message, _) = try #require(Self.forwarded(actions).first)
        #expect(message.option(.relayAgentInformation) == nil && message.relayAddress == Self.linkA.address)
    }

    @Test(arguments: [
        [UInt8](repeating: 0, count: 100),                       // shorter than the BOOTP header
        Self.request().serialize().prefix(240) + [53, 9, 1],     // an option running past the end
    ])
    func malformedIsDroppedWithAProblem(bytes: [UInt8]) {
        let actions = Self.agent().handle(bytes: bytes, from: Self.fromClient())
        #expect(Self.problems(actions) == [.malformed])
        #expect(Self.forwarded(actions).isEmpty)
    }

    // MARK: replies

    static func delivered(_ actions: [DHCPRelayAction]) -> (DHCPMessage, DHCPRelayLink, DHCPServerDestination)? {
        guard actions.count == 1, case .deliver(let message, let link, let destination) = actions[0] else { return nil }
        return (message, link, destination)
    }

    @Test func replyLosesOurOption82AndGoesToChaddrAtYiaddr() throws {
        let ours: [UInt8] = [1, 2] + Array("r0".utf8)
        let (message, link, destination) = try #require(Self.delivered(Self.agent().handle(Self.reply(agent: ours), from: Self.fromServer)))
        #expect(link == Self.linkA)
        #expect(message.option(.relayAgentInformation) == nil)
        #expect(message.serialize().count == 300)
        #expect(destination == .hardware(IPv4Address(198, 18, 50, 100), MACAddress(bytes: Self.mac[...])!))
    }

    @Test func suboptionsOfAnAgentNearerTheClientStay() throws {
        let data: [UInt8] = [1, 3] + Array("sw9".utf8) + [1, 2] + Array("r0".utf8)
        let (message, _, _) = try #require(Self.delivered(Self.agent { $0.policy = .append }.handle(Self.reply(agent: data), from: Self.fromServer)))
        #expect(message.option(.relayAgentInformation)?.data == [1, 3] + Array("sw9".utf8))
    }

    @Test(arguments: [
        (Self.reply(broadcast: true), DHCPServerDestination.broadcast),
        (Self.reply(.nak, yiaddr: .any), .broadcast),
        (Self.reply(.nak, ciaddr: IPv4Address(198, 18, 50, 100)), .broadcast),
        (Self.reply(.ack, ciaddr: IPv4Address(198, 18, 50, 100)), .unicast(IPv4Address(198, 18, 50, 100))),
        (Self.reply(.ack, yiaddr: .any, ciaddr: IPv4Address(198, 18, 50, 7)), .unicast(IPv4Address(198, 18, 50, 7))),  // INFORM
        (Self.reply(.offer, yiaddr: .any), .broadcast),
    ])
    func replyDestinationFollowsRFC2131(reply: DHCPMessage, expected: DHCPServerDestination) throws {
        let (_, _, destination) = try #require(Self.delivered(Self.agent().handle(reply, from: Self.fromServer)))
        #expect(destination == expected)
    }

    @Test func replyForAnotherGiaddrIsDropped() {
        let actions = Self.agent().handle(Self.reply(giaddr: IPv4Address(198, 18, 57, 1)), from: Self.fromServer)
        #expect(Self.problems(actions) == [.foreignRelayAddress])
        #expect(Self.problems(Self.agent().handle(Self.reply(giaddr: .any), from: Self.fromServer)) == [.foreignRelayAddress])
    }

    @Test func linkSelectionFindsTheLinkBySuboption5() throws {
        let upstream = IPv4Address(198, 18, 52, 1)
        let agent = Self.agent { $0.linkSelection = true; $0.upstreamAddress = upstream }
        let data: [UInt8] = [1, 6] + Array("port-7".utf8) + [5, 4, 198, 18, 51, 1]
        let (message, link, _) = try #require(Self.delivered(agent.handle(Self.reply(giaddr: upstream, agent: data), from: Self.fromServer)))
        #expect(link == Self.linkB)
        #expect(message.option(.relayAgentInformation) == nil)
        #expect(Self.problems(agent.handle(Self.reply(giaddr: upstream), from: Self.fromServer)) == [.unknownLink])
    }

    @Test func neitherRequestNorReplyIsIgnored() {
        var message = Self.request()
        message.op = 7
        #expect(Self.problems(Self.agent().handle(message, from: Self.fromClient())) == [.ignored])
    }
}

private extension DHCPRelayConfiguration {
    /// The same circuit-id on every link.
    mutating func circuitID(_ value: [UInt8]) {
        links = links.map { DHCPRelayLink(name: $0.name, index: $0.index, address: $0.address, circuitID: value) }
    }
}
