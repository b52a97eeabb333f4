import DHCPCore
import DHCPProtocol
import Testing

@Suite("DHCP server: configuration and lease store")
struct ServerConfigurationTests {
    @Test("Mask from the prefix, T1 and T2 default to 50 % and 87.5 %")
    func derived() {
        let subnet = lanSubnet()
        #expect(subnet.mask == IPv4Address(255, 255, 255, 0))
        #expect(subnet.directedBroadcast == address(255))
        #expect(subnet.effectiveRenewalTime == 1800)
        #expect(subnet.effectiveRebindingTime == 3150)
        var custom = subnet
        custom.renewalTime = 100; custom.rebindingTime = 200
        #expect(custom.effectiveRenewalTime == 100 && custom.effectiveRebindingTime == 200)
        #expect(DHCPSubnet(network: lanNetwork, prefixLength: 0, pools: []).mask == .any)
    }

    @Test("Configured options are encoded once, option 1 first; raw options replace typed ones")
    func parameterOptions() {
        var subnet = lanSubnet()
        subnet.domainSearch = ["lab.test", "example.test"]
        subnet.classlessRoutes = [DHCPClasslessRoute(destination: IPv4Address(10, 0, 0, 0), prefixLength: 8, router: serverID)]
        subnet.tftpServerAddresses = [address(69)]
        subnet.broadcastAddress = address(255)
        subnet.extraOptions = [DHCPOption(.domainName, Array("other.test".utf8)), DHCPOption(DHCPOptionCode(252), [0x41])]
        let options = subnet.parameterOptions()
        #expect(options.map(\.code.rawValue) == [1, 3, 6, 15, 28, 42, 66, 119, 121, 150, 252])
        #expect(options[0].data == [255, 255, 255, 0])
        #expect(options[3].data == Array("other.test".utf8))
        #expect(options[8].data == [8, 10, 198, 18, 0, 1])
    }

    @Test("validate() names what cannot be served")
    func validate() {
        #expect(makeConfiguration().validate().isEmpty)
        var bad = makeConfiguration()
        bad.subnets[0].pools.append(DHCPAddressRange(IPv4Address(10, 0, 0, 1), IPv4Address(10, 0, 0, 9)))
        bad.subnets[1].network = address(0)
        bad.subnets[1].rebindingTime = 10
        bad.subnets[1].renewalTime = 20
        bad.faults.dropPercentage = 150
        let errors = bad.validate()
        #expect(errors.contains { $0.contains("outside the subnet") })
        #expect(errors.contains { $0.contains("overlaps") })
        #expect(errors.contains { $0.contains("T1") })
        #expect(errors.contains { $0.contains("drop percentage") })
    }

    @Test("The memory store keeps one record per address and the latest per client")
    func memoryStore() {
        var store = DHCPMemoryLeaseStore()
        let a = DHCPClientKey.mac(MACAddress(rawValue: 0x0600_0000_0001))
        let b = DHCPClientKey.mac(MACAddress(rawValue: 0x0600_0000_0002))
        store.save(DHCPLease(address: address(100), client: a, hardwareAddress: [], state: .bound, start: 0, expires: 10))
        #expect(store.latestLease(of: a)?.address == address(100))
        store.save(DHCPLease(address: address(100), client: b, hardwareAddress: [], state: .bound, start: 1, expires: 20))
        #expect(store.latestLease(of: a) == nil)
        #expect(store.latestLease(of: b)?.expires == 20)
        #expect(store.leases(expiringBy: 20).count == 1 && store.leases(expiringBy: 19).isEmpty)
        #expect(store.nextExpiry() == 20)
        store.save(DHCPLease(address: address(100), client: b, hardwareAddress: [], state: .free, start: 2, expires: 2))
        #expect(store.count == 0 && store.latestLease(of: b) == nil)
    }
}

@Suite("DHCP server: RFC 2131 §4.3 exchanges")
struct ServerExchangeTests {
    @Test("DISCOVER → OFFER: header per table 3, options 53, 54, 51, 58, 59, 1 and the requested ones, a held address")
    func offer() throws {
        var server = makeServer()
        let client = TestClient(1)
        let actions = server.handle(client.discover(), from: onLAN, now: 0)
        let offer = try #require(actions.reply)
        #expect(offer.messageType == .offer)
        #expect(offer.op == DHCPMessage.bootReply && offer.hops == 0 && offer.secs == 0)
        #expect(offer.xid == client.xid && offer.flags == 0x8000 && offer.htype == 1 && offer.hlen == 6)
        #expect(offer.chaddr == Array(client.mac.bytes + [UInt8](repeating: 0, count: 10)))
        #expect(offer.clientAddress == .any && offer.serverAddress == .any && offer.relayAddress == .any)
        #expect(offer.yourAddress == address(100))
        #expect(offer.serverIdentifier == serverID)
        #expect(offer.leaseTime == 3600 && offer.renewalTime == 1800 && offer.rebindingTime == 3150)
        #expect(offer.optionCodes == [53, 54, 51, 58, 59, 1, 3, 6, 15])
        #expect(actions.leases.isEmpty)
        #expect(server.heldOfferCount == 1)
        // A retransmitted DISCOVER gets the same address; another client the next one.
        #expect(server.handle(client.discover(), from: onLAN, now: 1).reply?.yourAddress == address(100))
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 1).reply?.yourAddress == address(101))
    }

    @Test("Offer preference: current binding, then previous address, then option 50, then the first free address")
    func preferenceOrder() throws {
        var server = makeServer()
        let client = TestClient(1)
        // Option 50 when free and in the pool.
        #expect(server.handle(client.discover(requested: address(150)), from: onLAN, now: 0).reply?.yourAddress == address(150))
        // Not outside the pool, not when another client holds it.
        #expect(server.handle(TestClient(2).discover(requested: address(20)), from: onLAN, now: 0).reply?.yourAddress == address(100))
        #expect(server.handle(TestClient(3).discover(requested: address(150)), from: onLAN, now: 0).reply?.yourAddress == address(101))
        // The current binding beats option 50.
        let boundResult = server.bind(TestClient(4), requested: address(160))
        let bound = try #require(boundResult)
        #expect(bound == address(160))
        #expect(server.handle(TestClient(4).discover(requested: address(170)), from: onLAN, now: 5).reply?.yourAddress == bound)
        // The previous address (released) beats option 50.
        _ = server.handle(TestClient(4).release(bound), from: unicast(from: bound), now: 6)
        #expect(server.handle(TestClient(4).discover(requested: address(170)), from: onLAN, now: 7).reply?.yourAddress == bound)
    }

    @Test("Reservations by MAC and by client identifier")
    func reservations() {
        var server = makeServer {
            $0.subnets[0].reservations = [
                DHCPReservation(.hardwareAddress(TestClient(1).mac), address: address(150)),
                DHCPReservation(.clientIdentifier([0, 0x61, 0x62]), address: address(10)),
            ]
        }
        #expect(server.handle(TestClient(1).discover(), from: onLAN, now: 0).reply?.yourAddress == address(150))
        // Outside the pool, but reserved for this client identifier.
        #expect(server.bind(TestClient(2, clientID: [0, 0x61, 0x62])) == address(10))
        // Nobody else gets a reserved address, even asking for it.
        #expect(server.handle(TestClient(3).discover(requested: address(150)), from: onLAN, now: 0).reply?.yourAddress == address(100))
    }

    @Test("SELECTING with our server identifier → ACK, the lease committed before the ACK is sent")
    func selectOurs() throws {
        var server = makeServer()
        let client = TestClient(1)
        let offerResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let offer = try #require(offerResult)
        let actions = server.handle(client.select(offer), from: onLAN, now: 1)
        let ack = try #require(actions.reply)
        #expect(ack.messageType == .ack && ack.yourAddress == offer.yourAddress)
        #expect(ack.leaseTime == 3600)
        let lease = try #require(actions.leases.first)
        #expect(lease.state == .bound && lease.address == offer.yourAddress && lease.client == client.key)
        #expect(lease.expires == 3601 && lease.subnet == lanNetwork)
        let leaseIndex = try #require(actions.firstIndex { if case .leaseChanged = $0 { true } else { false } })
        let sendIndex = try #require(actions.firstIndex { if case .send = $0 { true } else { false } })
        #expect(leaseIndex < sendIndex)
        #expect(server.heldOfferCount == 0)
        #expect(server.store.lease(at: offer.yourAddress)?.isBound(at: 2) == true)
    }

    @Test("SELECTING another server → our held offer is dropped and nothing is sent")
    func selectOther() throws {
        var server = makeServer(pool: 100...100)
        let client = TestClient(1)
        let offerResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let offer = try #require(offerResult)
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 0).replies.isEmpty)  // the only address is held
        let actions = server.handle(client.request(server: IPv4Address(198, 18, 0, 2), address: offer.yourAddress),
                                    from: onLAN, now: 1)
        #expect(actions.sent.isEmpty && actions.leases.isEmpty)
        #expect(actions.problems(.ignored).count == 1)
        #expect(server.heldOfferCount == 0)
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 2).reply?.yourAddress == address(100))
    }

    @Test("SELECTING an address no longer available → NAK")
    func selectTaken() throws {
        var server = makeServer()
        let unused4Result = server.bind(TestClient(1))
        _ = try #require(unused4Result)
        let actions = server.handle(TestClient(2).request(address: address(100)), from: onLAN, now: 1)
        #expect(actions.reply?.messageType == .nak)
        #expect(actions.reply?.yourAddress == .any)
        #expect(actions.reply?.option(.message) != nil)
        #expect(actions.reply?.leaseTime == nil)
        #expect(actions.leases.isEmpty)
        // A hold that expired on an address nobody took is still granted.
        let client = TestClient(3)
        let offerResult = server.handle(client.discover(), from: onLAN, now: 10).reply
        let offer = try #require(offerResult)
        #expect(server.handle(client.select(offer), from: onLAN, now: 100).reply?.messageType == .ack)
    }

    @Test("INIT-REBOOT: ACK for the client's own binding, NAK for a wrong network or a taken address, silence when unknown")
    func initReboot() throws {
        var server = makeServer()
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        let ack = server.handle(client.initReboot(bound), from: onLAN, now: 10)
        #expect(ack.reply?.messageType == .ack && ack.reply?.yourAddress == bound)
        #expect(ack.leases.first?.expires == 3610)
        // Wrong network: broadcast NAK.
        let wrong = server.handle(client.initReboot(IPv4Address(10, 1, 2, 3)), from: onLAN, now: 11)
        #expect(wrong.reply?.messageType == .nak)
        #expect(wrong.sent.first?.destination == .broadcast)
        // Taken by another client.
        #expect(server.handle(TestClient(2).initReboot(bound), from: onLAN, now: 12).reply?.messageType == .nak)
        // Known client asking for another address of the right network.
        #expect(server.handle(client.initReboot(address(180)), from: onLAN, now: 13).reply?.messageType == .nak)
        // Unknown client, free address: silence.
        let unknown = server.handle(TestClient(3).initReboot(address(190)), from: onLAN, now: 14)
        #expect(unknown.sent.isEmpty && unknown.problems(.ignored).count == 1)
    }

    @Test("INIT-REBOOT when not authoritative: silence instead of NAK, ACK still given")
    func initRebootNotAuthoritative() throws {
        var server = makeServer { $0.authoritative = false }
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        #expect(server.handle(client.initReboot(IPv4Address(10, 1, 2, 3)), from: onLAN, now: 1).sent.isEmpty)
        #expect(server.handle(TestClient(2).initReboot(bound), from: onLAN, now: 1).sent.isEmpty)
        #expect(server.handle(client.initReboot(bound), from: onLAN, now: 1).reply?.messageType == .ack)
    }

    @Test("INIT-REBOOT after the lease expired, address still free: ACK (the record still names the client)")
    func initRebootExpired() throws {
        var server = makeServer()
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        #expect(server.expire(now: 4000).leases.map(\.state) == [.expired])
        #expect(server.handle(client.initReboot(bound), from: onLAN, now: 4001).reply?.messageType == .ack)
    }

    @Test("RENEWING → ACK unicast to ciaddr, the lease extended")
    func renew() throws {
        var server = makeServer()
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        let actions = server.handle(client.extend(bound), from: unicast(from: bound), now: 1800)
        let ack = try #require(actions.reply)
        #expect(ack.messageType == .ack && ack.yourAddress == bound && ack.clientAddress == bound)
        #expect(actions.sent.first?.destination == .unicast(bound))
        #expect(actions.leases.first?.expires == 5400)
        // Another client renewing that address: NAK (authoritative), broadcast.
        let other = server.handle(TestClient(2).extend(bound), from: unicast(from: bound), now: 1801)
        #expect(other.reply?.messageType == .nak && other.sent.first?.destination == .broadcast)
    }

    @Test("RENEWING an address the server has no record of, free in the pool: ACK (a server that lost its leases)")
    func renewUnknown() {
        var server = makeServer()
        let actions = server.handle(TestClient(1).extend(address(150)), from: unicast(from: address(150)), now: 0)
        #expect(actions.reply?.messageType == .ack)
        #expect(actions.leases.first?.address == address(150))
    }

    @Test("REBINDING → ACK when we hold the lease, silence otherwise")
    func rebind() throws {
        var server = makeServer()
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        let actions = server.handle(client.extend(bound), from: onLAN, now: 3200)
        #expect(actions.reply?.messageType == .ack)
        #expect(actions.sent.first?.destination == .unicast(bound))
        let unknown = server.handle(TestClient(2).extend(address(150)), from: onLAN, now: 3200)
        #expect(unknown.sent.isEmpty && unknown.problems(.ignored).count == 1)
        let stolen = server.handle(TestClient(2).extend(bound), from: onLAN, now: 3200)
        #expect(stolen.sent.isEmpty)
    }

    @Test("RELEASE frees the address: another client gets it")
    func release() throws {
        var server = makeServer(pool: 100...100)
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 1).replies.isEmpty)
        let actions = server.handle(client.release(bound), from: unicast(from: bound), now: 2)
        #expect(actions.sent.isEmpty)
        #expect(actions.leases.map(\.state) == [.released])
        #expect(server.bind(TestClient(2), now: 3) == bound)
        // A RELEASE for another server, or of someone else's address, changes nothing.
        #expect(server.handle(TestClient(2).release(bound, server: IPv4Address(198, 18, 0, 2)), from: onLAN, now: 4).leases.isEmpty)
        #expect(server.handle(client.release(bound), from: onLAN, now: 4).leases.isEmpty)
    }

    @Test("DECLINE quarantines the address and frees the client's binding; the quarantine ends")
    func decline() throws {
        var server = makeServer(pool: 100...100) { $0.declineQuarantine = 600 }
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        let actions = server.handle(client.decline(bound), from: onLAN, now: 1)
        #expect(actions.sent.isEmpty)
        #expect(actions.leases.map(\.state) == [.declined])
        #expect(actions.leases.first?.expires == 601)
        #expect(server.store.latestLease(of: client.key)?.isBound(at: 2) == false)
        // Not offered again, to anyone, during the quarantine.
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 2).replies.isEmpty)
        #expect(server.handle(client.discover(), from: onLAN, now: 2).replies.isEmpty)
        #expect(server.nextExpiry() == 601)
        #expect(server.expire(now: 601).leases.map(\.state) == [.free])
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 602).reply?.yourAddress == bound)
        // A DECLINE of an address the client neither holds nor was offered is ignored.
        #expect(server.handle(TestClient(3).decline(address(100)), from: onLAN, now: 603).leases.isEmpty)
    }

    @Test("INFORM → ACK with options, no lease time, yiaddr 0, to ciaddr")
    func inform() throws {
        var server = makeServer()
        let client = TestClient(1)
        let here = address(20)
        let actions = server.handle(client.inform(here), from: unicast(from: here), now: 0)
        let ack = try #require(actions.reply)
        #expect(ack.messageType == .ack && ack.yourAddress == .any && ack.clientAddress == here)
        #expect(ack.leaseTime == nil && ack.renewalTime == nil && ack.rebindingTime == nil)
        // The INFORM policy's default: every configured option but the router.
        #expect(ack.optionCodes == [53, 54, 1, 6, 15])
        #expect(actions.sent.first?.destination == .unicast(here))
        #expect(actions.leases.isEmpty && server.store.count == 0)
        // Options of the subnet that holds ciaddr.
        let remote = server.handle(client.inform(address(20, net: 1)), from: unicast(from: address(20, net: 1)), now: 0)
        #expect(remote.reply?.address(.subnetMask) == IPv4Address(255, 255, 255, 0) && remote.reply?.address(.routers) == nil)
    }

    @Test("INFORM policy: allowed subnets, MAC allow-list, rate limit, options; refusals are inform-refused problems")
    func informPolicy() throws {
        func refused(_ actions: [DHCPServerAction]) -> String? {
            actions.lazy.compactMap { if case .problem(let p) = $0, p.kind == .informRefused { p.text } else { nil } }.first
        }
        var server = makeServer { configuration in
            configuration.informPolicy.allowedSubnets = [DHCPAddressPrefix(IPv4Address(198, 18, 0, 0), 25)]
            configuration.informPolicy.allowedMACs = [MACAddress(rawValue: 0x0600_0000_0001)]
            configuration.informPolicy.ratePerSecond = 2
            configuration.informPolicy.options = [3, 6]
        }
        let allowed = TestClient(1), stranger = TestClient(2)
        let inside = address(20), outside = address(200)
        let ack = try #require(server.handle(allowed.inform(inside), from: unicast(from: inside), now: 0).reply)
        #expect(ack.optionCodes == [53, 54, 3, 6])
        let out = server.handle(allowed.inform(outside), from: unicast(from: outside), now: 0)
        #expect(out.sent.isEmpty && refused(out)?.contains("no allowed subnet") == true)
        let unknown = server.handle(stranger.inform(inside), from: unicast(from: inside), now: 0)
        #expect(unknown.sent.isEmpty && refused(unknown)?.contains("allow-list") == true)
        // Two a second: the third at once is refused, one more a second later is answered.
        #expect(server.handle(allowed.inform(inside), from: unicast(from: inside), now: 0.1).reply != nil)
        let third = server.handle(allowed.inform(inside), from: unicast(from: inside), now: 0.2)
        #expect(third.sent.isEmpty && refused(third)?.contains("INFORMs a second") == true)
        #expect(server.handle(allowed.inform(inside), from: unicast(from: inside), now: 1.2).reply != nil)
        // A trusted address (a high-availability partner) is answered whatever the policy says.
        var trusting = makeServer { $0.informPolicy.allowedMACs = []; $0.informPolicy.trusted = [outside] }
        #expect(trusting.handle(stranger.inform(outside), from: unicast(from: outside), now: 0).reply != nil)
    }
}

@Suite("DHCP server: addressing (RFC 2131 §4.1), subnet selection, options")
struct ServerAddressingTests {
    @Test("giaddr → the relay agent, port 67")
    func relay() throws {
        var server = makeServer()
        var client = TestClient(1)
        client.relay = remoteRelay
        let actions = server.handle(client.discover(), from: relayed(), now: 0)
        let destination = try #require(actions.sent.first?.destination)
        #expect(destination == .relay(remoteRelay) && destination.port == 67)
        #expect(actions.reply?.relayAddress == remoteRelay)
        #expect(actions.reply?.hops == 0)
    }

    @Test("ciaddr → unicast ciaddr:68")
    func ciaddr() throws {
        var server = makeServer()
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        let destinationResult = server.handle(client.extend(bound), from: unicast(from: bound), now: 1).sent.first?.destination
        let destination = try #require(destinationResult)
        #expect(destination == .unicast(bound) && destination.port == 68 && destination.address == bound)
    }

    @Test("Broadcast bit → 255.255.255.255:68")
    func broadcastBit() throws {
        var server = makeServer()
        let destinationResult = server.handle(TestClient(1).discover(), from: onLAN, now: 0).sent.first?.destination
        let destination = try #require(destinationResult)
        #expect(destination == .broadcast && destination.address == .broadcast && destination.port == 68)
    }

    @Test("No giaddr, no ciaddr, broadcast bit clear → yiaddr at chaddr, a raw frame without ARP")
    func hardware() throws {
        var server = makeServer()
        var client = TestClient(1)
        client.broadcastBit = false
        let destinationResult = server.handle(client.discover(), from: onLAN, now: 0).sent.first?.destination
        let destination = try #require(destinationResult)
        #expect(destination == .hardware(address(100), client.mac) && destination.address == address(100))
        // Not Ethernet: no MAC to address, broadcast instead.
        client = TestClient(2)
        client.broadcastBit = false
        client.htype = 6
        #expect(server.handle(client.discover(), from: onLAN, now: 0).sent.first?.destination == .broadcast)
    }

    @Test("NAK: broadcast even with ciaddr; through a relay, to the relay with the broadcast bit set")
    func nakAddressing() throws {
        var server = makeServer()
        let boundResult = server.bind(TestClient(1))
        let bound = try #require(boundResult)
        let direct = server.handle(TestClient(2).extend(bound), from: unicast(from: bound), now: 1)
        #expect(direct.reply?.messageType == .nak && direct.sent.first?.destination == .broadcast)
        var client = TestClient(3)
        client.relay = remoteRelay
        client.broadcastBit = false
        let viaRelay = server.handle(client.initReboot(IPv4Address(10, 0, 0, 5)), from: relayed(), now: 1)
        #expect(viaRelay.reply?.messageType == .nak)
        #expect(viaRelay.sent.first?.destination == .relay(remoteRelay))
        #expect(viaRelay.reply?.isBroadcast == true)
    }

    @Test("Subnet selection: option 118, then option 82 link selection, then giaddr, then the interface")
    func subnetSelection() {
        var server = makeServer()
        // Interface.
        #expect(server.handle(TestClient(1).discover(), from: onLAN, now: 0).reply?.yourAddress == address(100))
        // giaddr.
        var relayedClient = TestClient(2)
        relayedClient.relay = remoteRelay
        #expect(server.handle(relayedClient.discover(), from: relayed(), now: 0).reply?.yourAddress == address(100, net: 1))
        // Option 118, even through a relay on another network.
        var selecting = TestClient(3)
        selecting.extra = [DHCPOption(.subnetSelection, remoteNetwork.octets)]
        #expect(server.handle(selecting.discover(), from: onLAN, now: 0).reply?.yourAddress == address(101, net: 1))
        // Option 82 suboption 5 overrides giaddr.
        var linked = TestClient(4)
        linked.relay = IPv4Address(198, 18, 0, 254)
        linked.relayInformation = [1, 3, 0x65, 0x74, 0x68, 5, 4] + remoteNetwork.octets
        #expect(server.handle(linked.discover(), from: relayed(by: linked.relay), now: 0).reply?.yourAddress == address(102, net: 1))
        // No subnet for the giaddr: silence.
        var lost = TestClient(5)
        lost.relay = IPv4Address(10, 9, 9, 9)
        let actions = server.handle(lost.discover(), from: relayed(by: lost.relay), now: 0)
        #expect(actions.sent.isEmpty && actions.problems(.ignored).count == 1)
    }

    @Test("Parameter request list: the configured options asked for, in its order, plus 1/3/6/15; all without a list")
    func parameterRequestList() throws {
        var server = makeServer()
        var client = TestClient(1)
        client.parameterRequestList = [42, 66, 1, 99, 42]
        let offerResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let offer = try #require(offerResult)
        #expect(offer.optionCodes == [53, 54, 51, 58, 59, 42, 66, 1, 3, 6, 15])
        client = TestClient(2)
        client.parameterRequestList = nil
        let allResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let all = try #require(allResult)
        #expect(all.optionCodes == [53, 54, 51, 58, 59, 1, 3, 6, 15, 42, 66])
    }

    @Test("The client identifier is echoed (RFC 6842), option 82 echoed unchanged and last (RFC 3046)")
    func echoes() throws {
        var server = makeServer()
        var client = TestClient(1, clientID: [1] + TestClient(1).mac.bytes)
        client.relay = IPv4Address(198, 18, 0, 254)
        let information: [UInt8] = [1, 4, 0x70, 0x6F, 0x72, 0x74, 2, 3, 0xAA, 0xBB, 0xCC]
        client.relayInformation = information
        let offerResult = server.handle(client.discover(), from: relayed(by: client.relay), now: 0).reply
        let offer = try #require(offerResult)
        #expect(offer.option(.relayAgentInformation)?.data == information)
        #expect(offer.optionCodes.last == 82)
        #expect(offer.clientIdentifier == client.clientID)
        let nakResult = server.handle(client.initReboot(IPv4Address(10, 0, 0, 1)), from: relayed(by: client.relay), now: 0).reply
        let nak = try #require(nakResult)
        #expect(nak.messageType == .nak && nak.option(.relayAgentInformation)?.data == information)
        // From a client on the link (giaddr 0), option 82 is not the relay agent's: it is not echoed.
        var local = TestClient(2)
        local.relayInformation = information
        let direct = try #require(server.handle(local.discover(), from: onLAN, now: 0).reply)
        #expect(direct.messageType == .offer && direct.option(.relayAgentInformation) == nil)
    }

    @Test("siaddr is the configured next server, 0 otherwise")
    func nextServer() {
        var server = makeServer { $0.subnets[0].nextServer = address(69) }
        #expect(server.handle(TestClient(1).discover(), from: onLAN, now: 0).reply?.serverAddress == address(69))
    }
}

@Suite("DHCP server: maximum message size")
struct ServerMessageSizeTests {
    /// A subnet with far more option bytes than 576 allows.
    func bigServer() -> DHCPServer<DHCPMemoryLeaseStore> {
        makeServer {
            $0.subnets[0].domainSearch = (0..<12).map { "search-domain-number-\($0).department.lab.test" }
            $0.subnets[0].classlessRoutes = (0..<20).map {
                DHCPClasslessRoute(destination: IPv4Address(10, UInt8($0), 0, 0), prefixLength: 16, router: serverID)
            }
            $0.subnets[0].extraOptions = [DHCPOption(DHCPOptionCode(224), [UInt8](repeating: 0x5A, count: 100)),
                                          DHCPOption(DHCPOptionCode(225), [UInt8](repeating: 0x5B, count: 50)),
                                          DHCPOption(DHCPOptionCode(226), [UInt8](repeating: 0x5C, count: 40))]
        }
    }

    func check(_ reply: DHCPMessage, fits limit: Int) throws -> DHCPMessage {
        let bytes = reply.serialize()
        #expect(bytes.count <= limit)
        let parsed = try #require(DHCPMessage.parse(bytes).message)
        #expect(DHCPMessage.parse(bytes).diagnostics.isEmpty)
        #expect(parsed.serialize() == bytes)
        return parsed
    }

    @Test("Default 576: options overflow into file and sname (option 52), and the reply parses back whole")
    func overload() throws {
        var server = bigServer()
        var client = TestClient(1)
        client.parameterRequestList = [1, 3, 6, 15, 119, 121, 224, 225, 226]
        let actions = server.handle(client.discover(), from: onLAN, now: 0)
        let parsed = try check(try #require(actions.reply), fits: 548)
        let overload = try #require(parsed.option(.optionOverload))
        #expect(overload.data == [3] || overload.data == [1])
        let subnet = server.configuration.subnets[0]
        let configured = subnet.parameterOptions()
        for option in parsed.options where [119, 121, 224, 225, 226].contains(option.code.rawValue) {
            #expect(configured.contains(option))
        }
        #expect(parsed.messageType == .offer && parsed.serverIdentifier == serverID && parsed.leaseTime == 3600)
        // Whatever did not fit is reported, not silently lost.
        let present = Set(parsed.options.map(\.code.rawValue))
        let missing = [1, 3, 6, 15, 119, 121, 224, 225, 226].filter { !present.contains($0) }
        #expect(missing.isEmpty == actions.problems(.limit).isEmpty)
    }

    @Test("A larger option 57 needs no overload")
    func large() throws {
        var server = bigServer()
        var client = TestClient(1)
        client.parameterRequestList = [1, 3, 6, 15, 119, 121, 224, 225, 226]
        client.maximumMessageSize = 1500
        let replyResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let reply = try #require(replyResult)
        let parsed = try check(reply, fits: 1472)
        #expect(parsed.option(.optionOverload) == nil)
        #expect(Set(parsed.options.map(\.code.rawValue)).isSuperset(of: [1, 3, 6, 15, 119, 121, 224, 225, 226]))
    }

    @Test("Option 57 below 576 counts as 576; options that fit nowhere are dropped with a .limit problem")
    func drop() throws {
        var server = makeServer {
            $0.subnets[0].extraOptions = (224...229).map { DHCPOption(DHCPOptionCode(UInt8($0)), [UInt8](repeating: 1, count: 200)) }
        }
        var client = TestClient(1)
        client.maximumMessageSize = 300
        client.parameterRequestList = [1, 3] + (224...229).map { UInt8($0) }
        let actions = server.handle(client.discover(), from: onLAN, now: 0)
        let parsed = try check(try #require(actions.reply), fits: 548)
        #expect(parsed.option(.subnetMask) != nil && parsed.option(.routers) != nil)
        #expect(parsed.option(DHCPOptionCode(224)) != nil)
        #expect(parsed.option(DHCPOptionCode(229)) == nil)
        #expect(actions.problems(.limit).count == 1)
    }
}

@Suite("DHCP server: faults on demand")
struct ServerFaultTests {
    @Test("drop: 100 % answers nothing; a percentage is deterministic for a seed; one type only")
    func drop() {
        var all = makeServer { $0.faults.dropPercentage = 100 }
        let dropped = all.handle(TestClient(1).discover(), from: onLAN, now: 0)
        #expect(dropped.sent.isEmpty && dropped.problems(.fault).count == 1)

        func answered(seed: UInt64) -> Int {
            var server = DHCPServer(configuration: makeConfiguration { $0.faults.dropPercentage = 30 }, random: SplitMix64(seed: seed))
            return (0..<200).filter { !server.handle(TestClient($0).discover(), from: onLAN, now: 0).sent.isEmpty }.count
        }
        #expect(answered(seed: 7) == answered(seed: 7))
        #expect((100...180).contains(answered(seed: 7)))

        var requestsOnly = makeServer {
            $0.faults.dropPercentage = 100
            $0.faults.dropOnly = .request
        }
        let client = TestClient(1)
        let offer = requestsOnly.handle(client.discover(), from: onLAN, now: 0).reply
        #expect(offer?.messageType == .offer)
        #expect(requestsOnly.handle(client.select(offer!), from: onLAN, now: 0).sent.isEmpty)
    }

    @Test("nakAll: every REQUEST is NAKed")
    func nakAll() throws {
        var server = makeServer { $0.faults.nakAll = true }
        let client = TestClient(1)
        let offerResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let offer = try #require(offerResult)
        #expect(server.handle(client.select(offer), from: onLAN, now: 0).reply?.messageType == .nak)
        #expect(server.handle(client.extend(address(100)), from: unicast(from: address(100)), now: 0).reply?.messageType == .nak)
        #expect(server.store.count == 0)
    }

    @Test("offerOnly: OFFER but never ACK")
    func offerOnly() throws {
        var server = makeServer { $0.faults.offerOnly = true }
        let client = TestClient(1)
        let offerResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let offer = try #require(offerResult)
        #expect(offer.messageType == .offer)
        #expect(server.handle(client.select(offer), from: onLAN, now: 0).sent.isEmpty)
        #expect(server.handle(client.inform(address(20)), from: unicast(from: address(20)), now: 0).sent.isEmpty)
    }

    @Test("ignoreRenew: silence on RENEWING, REBINDING still answered")
    func ignoreRenew() throws {
        var server = makeServer()
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        server = DHCPServer(configuration: makeConfiguration { $0.faults.ignoreRenew = true }, store: server.store)
        let renew = server.handle(client.extend(bound), from: unicast(from: bound), now: 1800)
        #expect(renew.sent.isEmpty && renew.problems(.fault).count == 1)
        #expect(server.handle(client.extend(bound), from: onLAN, now: 3200).reply?.messageType == .ack)
    }

    @Test("wrongServerID: OFFER and ACK carry another option 54, and a REQUEST naming it is ours")
    func wrongServerID() throws {
        let wrong = IPv4Address(198, 18, 0, 99)
        var server = makeServer { $0.faults.wrongServerIdentifier = wrong }
        let client = TestClient(1)
        let offerResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let offer = try #require(offerResult)
        #expect(offer.serverIdentifier == wrong)
        let ackResult = server.handle(client.select(offer), from: onLAN, now: 0).reply
        let ack = try #require(ackResult)
        #expect(ack.messageType == .ack && ack.serverIdentifier == wrong)
    }

    @Test("exhaust: no OFFER, NAK for requests")
    func exhaust() throws {
        var server = makeServer { $0.faults.exhaust = true }
        let discover = server.handle(TestClient(1).discover(), from: onLAN, now: 0)
        #expect(discover.sent.isEmpty && discover.problems(.fault).count == 1)
        #expect(server.handle(TestClient(1).request(address: address(100)), from: onLAN, now: 0).reply?.messageType == .nak)
        #expect(server.handle(TestClient(1).initReboot(address(100)), from: onLAN, now: 0).reply?.messageType == .nak)
    }

    @Test("rogue: another server identifier, routers and DNS servers")
    func rogue() throws {
        let rogueID = IPv4Address(198, 18, 0, 66)
        var server = makeServer {
            $0.faults.rogue = DHCPRogueProfile(serverIdentifier: rogueID, routers: [rogueID], domainNameServers: [rogueID])
        }
        let client = TestClient(1)
        let offerResult = server.handle(client.discover(), from: onLAN, now: 0).reply
        let offer = try #require(offerResult)
        #expect(offer.serverIdentifier == rogueID)
        #expect(offer.address(.routers) == rogueID && offer.address(.domainNameServers) == rogueID)
        #expect(offer.option(.domainName)?.data == Array("lab.test".utf8))
        #expect(server.handle(client.select(offer), from: onLAN, now: 0).reply?.messageType == .ack)
    }

    @Test("duplicateIP: a new client is offered and ACKed an address bound to another client")
    func duplicateIP() throws {
        var server = makeServer()
        let firstResult = server.bind(TestClient(1))
        let first = try #require(firstResult)
        server = DHCPServer(configuration: makeConfiguration { $0.faults.duplicateAddress = true }, store: server.store)
        let client = TestClient(2)
        let actions = server.handle(client.discover(), from: onLAN, now: 1)
        let offer = try #require(actions.reply)
        #expect(offer.yourAddress == first && actions.problems(.fault).count == 1)
        #expect(server.handle(client.select(offer), from: onLAN, now: 1).reply?.yourAddress == first)
    }

    @Test("answerOnly: only the kinds listed are answered")
    func answerOnly() throws {
        var server = makeServer()
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        server = DHCPServer(configuration: makeConfiguration { $0.faults.answerOnly = [.request(.initReboot)] },
                            store: server.store)
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 1).sent.isEmpty)
        #expect(server.handle(client.extend(bound), from: unicast(from: bound), now: 1).sent.isEmpty)
        #expect(server.handle(client.initReboot(bound), from: onLAN, now: 1).reply?.messageType == .ack)
    }

    @Test("replyDelay is carried by every send for the I/O layer")
    func delay() {
        var server = makeServer { $0.faults.replyDelay = 2.5 }
        #expect(server.handle(TestClient(1).discover(), from: onLAN, now: 0).sent.first?.delay == 2.5)
    }
}

@Suite("DHCP server: bounded state, expiry, malformed input")
struct ServerLimitTests {
    @Test("A flood of 10,000 new MACs: holds and tracked clients stay bounded, the pool is not exhausted, known clients served")
    func flood() throws {
        var server = makeServer(pool: 10...250) {
            $0.rateLimit = DHCPRateLimit(allocationsPerSecond: 5, burst: 10, perClientAllocations: 2, perClientWindow: 60,
                                         maximumTrackedClients: 100)
            $0.maximumHeldOffers = 64
        }
        let known = TestClient(0xFFFF)
        let boundResult = server.bind(known, now: 0)
        let bound = try #require(boundResult)
        var offers = 0
        var maximumHolds = 0
        for index in 0..<10_000 {
            let now = 1 + Double(index) * 0.001  // 10,000 DISCOVERs in 10 s
            let actions = server.handle(TestClient(index).discover(), from: onLAN, now: now)
            offers += actions.replies.count
            maximumHolds = max(maximumHolds, server.heldOfferCount)
            if index % 1000 == 0 { _ = server.expire(now: now) }
        }
        // Burst 9 left after the known client, plus 5/s for 10 s.
        #expect(offers >= 50 && offers <= 9 + 51)
        #expect(maximumHolds <= 64)
        #expect(server.trackedClientCount <= 100)
        #expect(server.store.count == 1)
        // The known client is still served: renew, and a DISCOVER gets its own address back.
        #expect(server.handle(known.extend(bound), from: unicast(from: bound), now: 11).reply?.messageType == .ack)
        #expect(server.handle(known.discover(), from: onLAN, now: 11).reply?.yourAddress == bound)
        _ = server.expire(now: 100)
        #expect(server.heldOfferCount == 0 && server.trackedClientCount == 0)
    }

    @Test("Per-MAC limit: one MAC changing client identifiers gets only its budget of new addresses")
    func perMAC() {
        var server = makeServer {
            $0.rateLimit = DHCPRateLimit(allocationsPerSecond: 1000, burst: 1000, perClientAllocations: 3, perClientWindow: 60)
        }
        let offered = (0..<10).filter { index in
            let client = TestClient(1, clientID: [0, UInt8(index)])
            return !server.handle(client.discover(), from: onLAN, now: 0).sent.isEmpty
        }.count
        #expect(offered == 3)
        // A new window.
        #expect(!server.handle(TestClient(1, clientID: [0, 99]).discover(), from: onLAN, now: 61).sent.isEmpty)
    }

    @Test("Per-MAC limit: DISCOVERs met by a full pool cost the client none of its budget")
    func fullPoolCostsNothing() throws {
        var server = makeServer(pool: 100...100) {
            $0.rateLimit = DHCPRateLimit(allocationsPerSecond: 1000, burst: 1000, perClientAllocations: 2, perClientWindow: 60)
            $0.offerHoldTime = 30
        }
        #expect(server.handle(TestClient(1).discover(), from: onLAN, now: 0).reply?.yourAddress == address(100))
        // The pool's one address is held for client 1: client 2 retries every second and is refused for the pool.
        for second in 1...10 {
            let refused = server.handle(TestClient(2).discover(), from: onLAN, now: Double(second))
            #expect(refused.sent.isEmpty && refused.problems(.limit).allSatisfy { $0.text.contains("no free address") })
        }
        // The hold expires: client 2, well within its window, still has its whole budget.
        _ = server.expire(now: 31)
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 31).reply?.yourAddress == address(100))
    }

    @Test("The hold table is bounded: past its size new clients get no OFFER until holds expire")
    func holdBound() {
        var server = makeServer { $0.maximumHeldOffers = 5; $0.offerHoldTime = 30 }
        let answered = (0..<8).filter { !server.handle(TestClient($0).discover(), from: onLAN, now: 0).sent.isEmpty }.count
        #expect(answered == 5 && server.heldOfferCount == 5)
        let limited = server.handle(TestClient(9).discover(), from: onLAN, now: 1)
        #expect(limited.sent.isEmpty && limited.problems(.limit).count == 1)
        #expect(!server.handle(TestClient(9).discover(), from: onLAN, now: 31).sent.isEmpty)
    }

    @Test("Holds expire: the held address goes to another client after the hold time")
    func holdExpiry() throws {
        var server = makeServer(pool: 100...100) { $0.offerHoldTime = 30 }
        #expect(server.handle(TestClient(1).discover(), from: onLAN, now: 0).reply?.yourAddress == address(100))
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 29).sent.isEmpty)
        #expect(server.nextExpiry() == 30)
        #expect(server.expire(now: 30).isEmpty)
        #expect(server.heldOfferCount == 0)
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 30).reply?.yourAddress == address(100))
    }

    @Test("Leases expire: .leaseChanged(expired), the address free again and remembered as the previous one")
    func leaseExpiry() throws {
        var server = makeServer(pool: 100...101)
        let client = TestClient(1)
        let boundResult = server.bind(client)
        let bound = try #require(boundResult)
        #expect(server.nextExpiry() == 3600)
        #expect(server.expire(now: 3599).isEmpty)
        let expired = server.expire(now: 3600).leases
        #expect(expired.map(\.state) == [.expired] && expired.first?.address == bound)
        #expect(server.expire(now: 3601).isEmpty)
        // A new client gets the never-used address first; the old client gets its previous one back.
        #expect(server.handle(TestClient(2).discover(), from: onLAN, now: 3602).reply?.yourAddress == address(101))
        #expect(server.handle(client.discover(), from: onLAN, now: 3602).reply?.yourAddress == bound)
    }

    @Test("Malformed or foreign input: .problem, never a reply, never a crash")
    func malformed() {
        var server = makeServer()
        var reply = TestClient(1).discover()
        reply.op = DHCPMessage.bootReply
        #expect(server.handle(reply, from: onLAN, now: 0).problems(.ignored).count == 1)
        let bootp = DHCPMessage(op: 1, xid: 1, chaddr: TestClient(1).mac.bytes, options: [])
        #expect(server.handle(bootp, from: onLAN, now: 0).problems(.ignored).count == 1)
        var badLength = TestClient(1).discover()
        badLength.hlen = 40
        #expect(server.handle(badLength, from: onLAN, now: 0).problems(.malformed).count == 1)
        let noKind = TestClient(1).message(.request)
        #expect(server.handle(noKind, from: onLAN, now: 0).problems(.malformed).count == 1)
        let short = server.handle(bytes: [1, 1, 6, 0], from: onLAN, now: 0)
        #expect(short.problems(.malformed).count == 1 && short.sent.isEmpty)
        let badServerID = TestClient(1).message(.request, options: [DHCPOption(.serverIdentifier, [1, 2])])
        #expect(server.handle(badServerID, from: onLAN, now: 0).problems(.malformed).count == 1)
    }

    @Test("Random mutations of valid messages never trap")
    func fuzz() {
        var server = makeServer(pool: 100...110)
        var random = SplitMix64(seed: 42)
        let client = TestClient(1)
        let seeds = [client.discover(requested: address(105)), client.request(address: address(100)), client.initReboot(address(100)),
                     client.extend(address(100)), client.decline(address(100)), client.release(address(100)),
                     client.inform(address(20))].map { $0.serialize() }
        for round in 0..<3000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] = UInt8.random(in: 0...255, using: &random)
            }
            if round % 7 == 0 { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &random)) }
            let receipt = round % 2 == 0 ? onLAN : unicast(from: address(100))
            for action in server.handle(bytes: bytes, from: receipt, now: Double(round)) {
                if case .send(let message, _, _) = action {
                    #expect(message.serialize().count <= 1500)
                }
            }
            if round % 100 == 0 { _ = server.expire(now: Double(round)) }
        }
    }
}
