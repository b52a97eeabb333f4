import DHCPCore
import DHCPProtocol
import Testing

/// The client machine against the server machine: both pure, joined by a simulated link with a fake clock, so
/// that a day of timers plays out in microseconds and every message can be inspected.
struct SimulatedLink {
    var client: DHCPClient
    var servers: [DHCPServer<DHCPMemoryLeaseStore>]
    var now: Double = 1000
    /// Everything the client sent, with when and where.
    var sent: [(time: Double, message: DHCPMessage, destination: DHCPClientDestination)] = []
    var actions: [DHCPClientAction] = []
    /// Servers that hear nothing (a server that is down), by index.
    var offline: Set<Int> = []

    init(_ settings: DHCPClientSettings, servers: [DHCPServer<DHCPMemoryLeaseStore>] = [makeServer()], seed: UInt64 = 7) {
        client = DHCPClient(settings: settings, random: SplitMix64(seed: seed))
        self.servers = servers
    }

    var transitions: [String] {
        actions.compactMap { if case .transition(let step) = $0 { "\(step.from.rawValue)→\(step.to.rawValue)" } else { nil } }
    }
    var problems: [String] { actions.compactMap { if case .problem(let problem) = $0 { problem.code } else { nil } } }
    var ended: [DHCPClientLeaseEnd] { actions.compactMap { if case .leaseEnded(_, let why) = $0 { why } else { nil } } }
    var bound: [(DHCPClientLease, Bool)] {
        actions.compactMap { if case .leaseBound(let lease, let renewed) = $0 { (lease, renewed) } else { nil } }
    }
    func sentTypes() -> [String] { sent.map(\.message.typeName) }

    mutating func start(remembering lease: DHCPClientLease? = nil) { deliver(client.start(remembering: lease, now: now)) }

    /// Carries out client actions: each message goes to every server that is online, their replies come back.
    mutating func deliver(_ batch: [DHCPClientAction]) {
        var queue = batch
        while !queue.isEmpty {
            let action = queue.removeFirst()
            actions.append(action)
            guard case .send(let message, let destination) = action else { continue }
            sent.append((now, message, destination))
            for index in servers.indices where !offline.contains(index) {
                let receipt: DHCPReceipt = switch destination {
                case .broadcast: DHCPReceipt(interfaceAddress: servers[index].configuration.serverIdentifier, broadcast: true)
                case .server(_, let source): unicast(from: source)
                case .relay(_, let giaddr): relayed(by: giaddr)
                }
                if case .server(let to, _) = destination, to != servers[index].configuration.serverIdentifier { continue }
                for reply in servers[index].handle(message, from: receipt, now: now).replies {
                    queue.append(contentsOf: client.handle(reply, now: now))
                }
            }
        }
    }

    /// Runs the client's timers until `end` (fake time).
    mutating func run(until end: Double) {
        while let next = client.nextDeadline, next <= end {
            now = max(now, next)
            for index in servers.indices { _ = servers[index].expire(now: now) }
            deliver(client.tick(now: now))
        }
        now = max(now, end)
    }
}

func settings(_ number: UInt64 = 1, _ adjust: (inout DHCPClientSettings) -> Void = { _ in }) -> DHCPClientSettings {
    var settings = DHCPClientSettings(hardwareAddress: MACAddress(rawValue: 0x0600_0000_0000 | number))
    adjust(&settings)
    return settings
}

@Suite("DHCP client machine against the server machine")
struct ClientTests {
    @Test("DORA: INIT → SELECTING → REQUESTING → BOUND, REQUEST naming the offer's server and address")
    func dora() throws {
        var link = SimulatedLink(settings { $0.hostName = "lab-client"; $0.clientIdentifier = [1, 6, 0, 0, 0, 0, 0, 1] })
        link.start()
        #expect(link.client.state == .bound)
        #expect(link.transitions == ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND"])
        #expect(link.sentTypes() == ["DISCOVER", "REQUEST"])
        let request = link.sent[1].message
        let lease = try #require(link.client.lease)
        #expect(request.requestedAddress == lease.address)
        #expect(request.serverIdentifier == serverID)
        #expect(request.clientAddress == .any)
        #expect(request.xid == link.sent[0].message.xid)
        #expect(request.hostName == "lab-client")
        #expect(request.clientIdentifier == [1, 6, 0, 0, 0, 0, 0, 1])
        #expect(lease.leaseTime == 3600 && lease.renewalTime == 1800 && lease.rebindingTime == 3150)
        #expect(lease.routers == [serverID] && lease.domainNameServers == [address(53)] && lease.domainName == "lab.test")
        #expect(link.servers[0].store.lease(at: lease.address)?.state == .bound)
    }

    @Test("RENEWING at T1: unicast REQUEST with ciaddr, no 50/54, ACK extends the lease from the request's time")
    func renewAtT1() throws {
        var link = SimulatedLink(settings())
        link.start()
        let first = try #require(link.client.lease)
        link.run(until: first.obtained + 1800)
        #expect(link.transitions.suffix(2) == ["BOUND→RENEWING", "RENEWING→BOUND"])
        let renew = try #require(link.sent.last)
        #expect(renew.time == first.obtained + 1800)
        #expect(renew.destination == .server(serverID, source: first.address))
        #expect(renew.message.clientAddress == first.address)
        #expect(renew.message.requestedAddress == nil && renew.message.serverIdentifier == nil)
        #expect(renew.message.xid != link.sent[0].message.xid)
        let second = try #require(link.client.lease)
        #expect(second.address == first.address && second.obtained == renew.time)
        #expect(link.bound.last?.1 == true)
    }

    @Test("REBINDING at T2 when the server ignores renewals; retransmits in RENEWING at half the time left, ≥ 60 s")
    func rebindAtT2() throws {
        var server = makeServer()
        var faults = DHCPServerFaults()
        faults.ignoreRenew = true
        server = DHCPServer(configuration: makeConfiguration { $0.faults = faults })
        var link = SimulatedLink(settings(), servers: [server])
        link.start()
        let lease = try #require(link.client.lease)
        link.run(until: lease.obtained + 3150)
        let renewals = link.sent.filter { $0.message.clientAddress != .any && $0.destination != .broadcast }
        // T1 1800, then half of the time left to T2 (675, 337.5, 168.75, 84.4 s), then the 60 s floor.
        #expect(renewals.map(\.time).map { $0 - lease.obtained } == [1800, 2475, 2812.5, 2981.25, 3065.625, 3125.625])
        #expect(link.transitions.suffix(3) == ["BOUND→RENEWING", "RENEWING→REBINDING", "REBINDING→BOUND"])
        let rebind = try #require(link.sent.last)
        #expect(rebind.destination == .broadcast && rebind.message.clientAddress == lease.address)
        #expect(rebind.time == lease.obtained + 3150)
        #expect(link.client.lease?.address == lease.address)
    }

    @Test("A lease that nobody extends expires: INIT and a new DISCOVER at the lease's end")
    func expiry() throws {
        var link = SimulatedLink(settings())
        link.start()
        let lease = try #require(link.client.lease)
        link.offline = [0]
        link.run(until: lease.expiresAt)
        #expect(link.transitions.suffix(4) == ["BOUND→RENEWING", "RENEWING→REBINDING", "REBINDING→INIT", "INIT→SELECTING"])
        #expect(link.ended == [.expired])
        #expect(link.problems.contains("lease-expired"))
        #expect(link.sent.last?.message.messageType == .discover && link.sent.last?.time == lease.expiresAt)
    }

    @Test("Retransmission backoff of RFC 2131 §4.1: 4, 8, 16, 32, 64, 64 s, each ±1 s, same xid")
    func backoff() {
        var link = SimulatedLink(settings())
        link.offline = [0]
        link.start()
        link.run(until: link.now + 200)
        let times = link.sent.map(\.time)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.count == 6)
        for (gap, base) in zip(gaps, [4.0, 8, 16, 32, 64, 64]) { #expect(abs(gap - base) <= 1, "gap \(gap) for \(base)") }
        #expect(Set(link.sent.map(\.message.xid)).count == 1)
        #expect(link.sent.map(\.message.secs) == times.map { UInt16($0 - times[0]) })
        #expect(link.client.state == .selecting)
    }

    @Test("--time-scale divides every timer: T1 of 1800 s comes after 18 s at scale 100")
    func timeScale() throws {
        var link = SimulatedLink(settings { $0.timeScale = 100 })
        link.start()
        let lease = try #require(link.client.lease)
        #expect(lease.renewAt - lease.obtained == 18 && lease.expiresAt - lease.obtained == 36)
        link.run(until: lease.obtained + 18)
        #expect(link.client.state == .bound && link.bound.count == 2)
    }

    @Test("INIT-REBOOT: a remembered lease is confirmed; a wrong one is NAK'd and the client starts over")
    func initReboot() throws {
        var link = SimulatedLink(settings())
        link.start()
        let lease = try #require(link.client.lease)
        // The same client restarts with its lease on the same server: ACK.
        var again = SimulatedLink(settings(), servers: link.servers, seed: 8)
        again.start(remembering: lease)
        #expect(again.transitions == ["INIT→INIT-REBOOT", "INIT-REBOOT→REBOOTING", "REBOOTING→BOUND"])
        let reboot = again.sent[0].message
        #expect(reboot.requestedAddress == lease.address && reboot.serverIdentifier == nil && reboot.clientAddress == .any)
        #expect(again.client.lease?.address == lease.address)
        // A lease from another network: the authoritative server NAKs, the client does DORA.
        var moved = lease
        moved.address = IPv4Address(198, 19, 7, 7)
        var elsewhere = SimulatedLink(settings(2), seed: 9)
        elsewhere.start(remembering: moved)
        #expect(elsewhere.transitions == ["INIT→INIT-REBOOT", "INIT-REBOOT→REBOOTING", "REBOOTING→INIT",
                                          "INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND"])
        #expect(elsewhere.problems == ["nak"] && elsewhere.ended == [.nak])
        #expect(elsewhere.client.lease?.address != moved.address)
        // An expired remembered lease is only a hint: DISCOVER with option 50.
        var late = SimulatedLink(settings(3), seed: 10)
        var old = lease
        old.expiresAt = late.now - 1
        late.start(remembering: old)
        #expect(late.sent[0].message.messageType == .discover && late.sent[0].message.requestedAddress == lease.address)
        // A server that does not know the client keeps silent: two REQUESTs, then DISCOVER.
        var silent = SimulatedLink(settings(4), seed: 11)
        silent.offline = [0]
        silent.start(remembering: lease)
        silent.run(until: silent.now + 20)
        #expect(silent.sentTypes().prefix(3) == ["REQUEST", "REQUEST", "DISCOVER"])
        #expect(silent.problems.first == "no-reboot-answer" && silent.client.lease == nil)
    }

    @Test("DECLINE: the server quarantines the address; the client waits 10 s and gets another")
    func decline() throws {
        var link = SimulatedLink(settings { $0.declineFirstLease = true })
        link.start()
        #expect(link.sentTypes() == ["DISCOVER", "REQUEST", "DECLINE"])
        let declineMessage = link.sent[2].message
        #expect(declineMessage.clientAddress == .any && declineMessage.serverIdentifier == serverID)
        let declined = try #require(declineMessage.requestedAddress)
        #expect(link.servers[0].store.lease(at: declined)?.state == .declined)
        #expect(link.client.state == .initial && link.ended == [.declined])
        let declinedAt = link.now
        link.run(until: declinedAt + 10)
        #expect(link.sent[3].time == declinedAt + 10 && link.sent[3].message.messageType == .discover)
        let lease = try #require(link.client.lease)
        #expect(lease.address != declined && link.client.state == .bound)
    }

    @Test("Address check: an address in use is declined, a free one bound")
    func addressCheck() throws {
        var link = SimulatedLink(settings { $0.checkAddress = true })
        link.start()
        #expect(link.client.state == .requesting)
        guard case .checkAddress(let probed)? = link.actions.last else { Issue.record("no address check"); return }
        link.deliver(link.client.addressChecked(inUse: true, now: link.now))
        #expect(link.sentTypes().last == "DECLINE" && link.problems == ["address-in-use"])
        link.run(until: link.now + 10)
        guard case .checkAddress(let second)? = link.actions.last else { Issue.record("no second check"); return }
        #expect(second != probed)
        link.deliver(link.client.addressChecked(inUse: false, now: link.now))
        #expect(link.client.state == .bound && link.client.lease?.address == second)
    }

    @Test("RELEASE: unicast to the server with ciaddr and option 54; the server frees the address")
    func release() throws {
        var link = SimulatedLink(settings())
        link.start()
        let lease = try #require(link.client.lease)
        link.deliver(link.client.release(now: link.now + 5))
        let message = try #require(link.sent.last)
        #expect(message.message.messageType == .release && message.message.clientAddress == lease.address)
        #expect(message.message.serverIdentifier == serverID && message.destination == .server(serverID, source: lease.address))
        #expect(link.client.state == .released && link.client.lease == nil && link.client.nextDeadline == nil)
        #expect(link.servers[0].store.lease(at: lease.address)?.state == .released)
    }

    @Test("INFORM: ciaddr set, the ACK carries options and no lease time")
    func inform() throws {
        var link = SimulatedLink(settings())
        let address = IPv4Address(198, 18, 0, 42)
        link.deliver(link.client.inform(address: address, now: link.now))
        #expect(link.sent.count == 1 && link.sent[0].message.messageType == .inform && link.sent[0].message.clientAddress == address)
        let ack = try #require(link.actions.compactMap { if case .informed(let ack) = $0 { ack } else { nil } }.first)
        // Options (the subnet mask), no lease time, and no router: the INFORM policy's default.
        #expect(ack.leaseTime == nil && ack.option(.subnetMask) != nil && ack.option(.routers) == nil)
        #expect(link.client.state == .informed && link.problems.isEmpty && link.client.nextDeadline == nil)
    }

    @Test("NAK on every REQUEST: INIT and DISCOVER at once, then after 4, 8, 16 s — no storm")
    func nakInRequesting() {
        var faults = DHCPServerFaults()
        faults.nakAll = true
        var link = SimulatedLink(settings(), servers: [DHCPServer(configuration: makeConfiguration { $0.faults = faults })])
        link.start()
        #expect(link.transitions == ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→INIT", "INIT→SELECTING",
                                     "SELECTING→REQUESTING", "REQUESTING→INIT"])
        #expect(link.problems == ["nak", "nak"] && link.client.state == .initial)
        let start = link.now
        link.run(until: start + 30)
        let discovers = link.sent.filter { $0.message.messageType == .discover }.map { $0.time - start }
        #expect(discovers == [0, 0, 4, 12, 28])
    }

    @Test("Offer window: the preferred server's OFFER is taken even when another came first")
    func preferredServer() throws {
        let other = IPv4Address(198, 18, 0, 2)
        let first = DHCPServer(configuration: makeConfiguration(pool: 10...20) { $0.serverIdentifier = other })
        var link = SimulatedLink(settings { $0.preferredServer = serverID; $0.offerWindow = 2 }, servers: [first, makeServer()])
        link.start()
        #expect(link.client.lease?.serverIdentifier == serverID)
        // Without a preference, the window collects both and takes the first.
        var plain = SimulatedLink(settings { $0.offerWindow = 2 }, servers: [first, makeServer()])
        plain.start()
        #expect(plain.client.state == .selecting)
        plain.run(until: plain.now + 2)
        #expect(plain.client.lease?.serverIdentifier == other)
    }

    @Test("Replies for another client, another xid, or without a server identifier: a problem, and the client goes on")
    func badReplies() throws {
        var client = DHCPClient(settings: settings(), random: SplitMix64(seed: 1))
        let discover = try #require(client.start(now: 0).compactMap { if case .send(let m, _) = $0 { m } else { nil } }.first)
        func offer(xid: UInt32, mac: MACAddress, server: IPv4Address?) -> DHCPMessage {
            var options = [DHCPOption(.messageType, [2]), DHCPOption(.leaseTime, [0, 0, 14, 16])]
            if let server { options.append(DHCPOption(.serverIdentifier, server.octets)) }
            return DHCPMessage(op: 2, xid: xid, yourAddress: address(150), chaddr: mac.bytes, options: options)
        }
        let mine = settings().hardwareAddress
        let codes = { (actions: [DHCPClientAction]) in actions.compactMap { if case .problem(let p) = $0 { p.code } else { nil } } }
        #expect(codes(client.handle(offer(xid: discover.xid, mac: MACAddress(rawValue: 0x0600_0000_0099), server: serverID), now: 1)) == ["foreign-reply"])
        #expect(codes(client.handle(offer(xid: discover.xid &+ 1, mac: mine, server: serverID), now: 1)) == ["unexpected-xid"])
        #expect(codes(client.handle(offer(xid: discover.xid, mac: mine, server: nil), now: 1)) == ["offer-without-server-id"])
        #expect(client.state == .selecting)
        let actions = client.handle(offer(xid: discover.xid, mac: mine, server: serverID), now: 1)
        #expect(codes(actions).isEmpty && client.state == .requesting)
    }

    @Test("A relay-mode client sends everything to its relay's server from giaddr; the server answers the relay")
    func relayMode() throws {
        var link = SimulatedLink(settings { $0.relayAddress = remoteRelay; $0.relayServer = serverID })
        link.start()
        #expect(link.sent.map(\.destination) == [.relay(server: serverID, giaddr: remoteRelay), .relay(server: serverID, giaddr: remoteRelay)])
        #expect(link.sent.allSatisfy { $0.message.relayAddress == remoteRelay })
        let lease = try #require(link.client.lease)
        #expect(lease.address.octets[2] == 1)  // the relay's subnet, chosen by giaddr
    }

    @Test("Probes: each sends the message of the state it pretends to be in, and answers move it along Figure 5")
    func probes() throws {
        let address = IPv4Address(198, 18, 0, 150), server = IPv4Address(198, 18, 0, 99)
        func first(_ probe: DHCPProbe) -> (DHCPMessage, DHCPClientState) {
            var client = DHCPClient(settings: settings(), random: SplitMix64(seed: 3))
            let sent = client.probe(probe, now: 0).compactMap { if case .send(let m, _) = $0 { m } else { nil } }
            return (sent[0], client.state)
        }
        let (bootp, _) = first(.bootp)
        #expect(bootp.messageType == nil && bootp.option(.parameterRequestList) != nil)
        let (select, selecting) = first(.selecting(server: server, address: address))
        #expect(select.messageType == .request && select.serverIdentifier == server && select.requestedAddress == address
                && select.clientAddress == .any && selecting == .requesting)
        let (reboot, rebooting) = first(.initReboot(address))
        #expect(reboot.requestedAddress == address && reboot.serverIdentifier == nil && rebooting == .rebooting)
        let (rebind, rebinding) = first(.rebinding(address))
        #expect(rebind.clientAddress == address && rebind.requestedAddress == nil && rebind.serverIdentifier == nil
                && rebinding == .rebinding)
        // The REQUEST probe naming another server: a server that did not offer keeps silent (RFC 2131 §4.3.2).
        var link = SimulatedLink(settings())
        link.deliver(link.client.probe(.selecting(server: server, address: address), now: link.now))
        #expect(link.sentTypes() == ["REQUEST"] && link.client.state == .requesting)
    }
}
