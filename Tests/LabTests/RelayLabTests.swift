import Foundation
import Glibc
import Testing

/// `dhcpscope relay` between real clients and real servers: clients on one or two links of a router namespace, the
/// servers on a third, routed both ways (as on a campus, renewals and releases go to the server by IP routing, not
/// through the relay agent). Scenario i uses 198.18.(10+i).0/24 and the next ones for its other links.
@Suite("relay lab", .enabled(if: LabGate.enabled, LabGate.skipReason), .serialized)
struct RelayLabTests {
    /// The namespaces and addresses of a relay scenario: client links `clientSubnets` (r0, r1 … in the router,
    /// cli0 in client namespace k), the server link `serverSubnet` (up0 in the router, srv0 in the server).
    struct Topology {
        let clients: [String]
        let router: String
        let server: String
        let clientSubnets: [LabSubnet]
        let serverSubnet: LabSubnet
        var serverAddress: String { serverSubnet.host(2) }
        func giaddr(_ link: Int) -> String { clientSubnets[link].host(1) }
    }

    static func topology(_ lab: Lab, clientLinks: Int) throws -> Topology {
        let subnets = (0...clientLinks).map { LabSubnet(prefix: "198.18.\(10 + lab.index + $0)") }
        let router = try lab.namespace("rtr"), server = try lab.namespace("srv")
        let clients = try (0..<clientLinks).map { try lab.namespace("cli\($0)") }
        let serverSubnet = subnets[clientLinks]
        for (link, client) in clients.enumerated() {
            try lab.link((client, "cli0", lab.mac(link: link, side: 2), nil),
                         (router, "r\(link)", lab.mac(link: link, side: 1), "\(subnets[link].host(1))/24"))
        }
        try lab.link((router, "up0", lab.mac(link: 9, side: 1), "\(serverSubnet.host(1))/24"),
                     (server, "srv0", lab.mac(link: 9, side: 2), "\(serverSubnet.host(2))/24"))
        for subnet in subnets.prefix(clientLinks) { try lab.ip(server, "route", "add", subnet.cidr, "via", serverSubnet.host(1)) }
        try lab.run("ip-forward", in: router, ["/usr/sbin/sysctl", "-qw", "net.ipv4.ip_forward=1"])
        let topology = Topology(clients: clients, router: router, server: server, clientSubnets: Array(subnets.prefix(clientLinks)),
                                serverSubnet: serverSubnet)
        try routeToServer(lab, topology)
        return topology
    }

    /// Unicast renewals and releases go to the server through the router, before the client has an address. The
    /// kernel drops the route with the interface's last address: a client that released needs it again.
    static func routeToServer(_ lab: Lab, _ topology: Topology) throws {
        for (link, client) in topology.clients.enumerated() {
            try lab.ip(client, "route", "replace", topology.serverSubnet.cidr, "via", topology.giaddr(link), "dev", "cli0", "onlink")
        }
    }

    /// Our relay in the router, JSON events; returns once it is listening.
    static func startRelay(_ lab: Lab, _ topology: Topology, extra: [String] = []) async throws -> LabProcess {
        let interfaces = topology.clientSubnets.indices.map { "r\($0)" }.joined(separator: ",")
        let relay = try lab.start("relay", in: topology.router, [DHCPScope.binary.path, "relay", "-i", interfaces, "--upstream", "up0",
                                                                  "--server", topology.serverAddress, "--json", "-w", lab.path("relay.pcap")] + extra)
        try await lab.wait(for: relay, toPrint: "\"event\":\"ready\"")
        return relay
    }

    /// The relay's `relay` events, after it stopped.
    static func relayEvents(_ relay: LabProcess) throws -> [Event] {
        try DHCPScopeResult(status: relay.exitStatus ?? -1, stdout: relay.standardOutput, stderr: "").events()
    }

    enum Server { case dnsmasq, kea }

    /// dhclient on the first client link and udhcpc on the second, through our relay to `server` serving both subnets:
    /// each gets an address from its giaddr's pool, the server's lease file says so; dhclient renews at T1 (3 s), udhcpc
    /// on SIGUSR1 (both unicast to the server, routed); both release and the server frees the lease.
    static func twoSubnets(_ lab: Lab, server kind: Server) async throws {
        let topology = try topology(lab, clientLinks: 2)
        let (subnetA, subnetB) = (topology.clientSubnets[0], topology.clientSubnets[1])
        let macA = lab.mac(link: 0, side: 2), macB = lab.mac(link: 1, side: 2)
        switch kind {
        case .dnsmasq:
            _ = try await lab.startDnsmasq(in: topology.server, interface: "srv0", subnet: topology.serverSubnet, extra: [
                "--dhcp-range=\(subnetA.host(100)),\(subnetA.host(150)),255.255.255.0,2m",
                "--dhcp-range=\(subnetB.host(100)),\(subnetB.host(150)),255.255.255.0,2m",
                "--dhcp-option=option:T1,3", "--dhcp-option=option:T2,100",
            ])
        case .kea:
            // The server's own subnet first: only giaddr can pick the clients'.
            _ = try await lab.startKea(in: topology.server, interface: "srv0", subnets: [topology.serverSubnet, subnetA, subnetB],
                                       validLifetime: 120, renewTimer: 3, rebindTimer: 100)
        }
        let relay = try await startRelay(lab, topology)
        _ = try lab.startDhclient(in: topology.clients[0], interface: "cli0")
        let udhcpc = try lab.startUdhcpc(in: topology.clients[1], interface: "cli0")

        try await lab.wait(for: "both clients bound", seconds: 20) {
            lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.clientScriptLog.contains { $0.hasPrefix("bound") }
        }
        let addressA = try #require(lab.dhclientAddress)
        let addressB = try #require(lab.clientScriptLog.first { $0.hasPrefix("bound") }?.split(separator: " ").dropFirst().first.map(String.init))
        try lab.check(subnetA.contains(addressA), "dhclient got \(addressA), outside its giaddr's pool \(subnetA.cidr)")
        try lab.check(subnetB.contains(addressB), "udhcpc got \(addressB), outside its giaddr's pool \(subnetB.cidr)")
        func serverLease(_ mac: String) -> String? {
            switch kind {
            case .dnsmasq: lab.dnsmasqLease(mac: mac)?.address
            case .kea: lab.keaLeases(mac: mac).last.flatMap { $0.validLifetime > 0 ? $0.address : nil }
            }
        }
        try await lab.wait(for: "the server's lease file to hold both leases") {
            serverLease(macA) == addressA && serverLease(macB) == addressB
        }
        if kind == .kea {
            try lab.check(lab.keaLeases(mac: macA).last?.subnetID == 2 && lab.keaLeases(mac: macB).last?.subnetID == 3,
                          "Kea's subnets: \(lab.keaLeases(mac: macA)) \(lab.keaLeases(mac: macB))")
        }

        // Renewals: unicast from the bound address to the server, answered there.
        udhcpc.signal(SIGUSR1)
        try await lab.wait(for: "dhclient's RENEW and udhcpc's renew", seconds: 15) {
            lab.clientScriptLog.contains { $0.hasPrefix("RENEW \(addressA)") } && lab.clientScriptLog.contains { $0.hasPrefix("renew \(addressB)") }
        }
        // Release: the server forgets both leases.
        try lab.releaseDhclient(in: topology.clients[0], interface: "cli0")
        udhcpc.signal(SIGUSR2)
        try await lab.wait(for: "the server to free both leases") { serverLease(macA) == nil && serverLease(macB) == nil }

        relay.stop(signal: SIGINT)
        let events = try relayEvents(relay)
        let passed = events.filter { $0.name == "relay" }
        for (mac, link) in [(macA, "r0"), (macB, "r1")] {
            let mine = passed.filter { $0.string("mac") == mac }
            try lab.check(mine.allSatisfy { $0.string("interface") == link }, "\(mac) relayed on another interface than \(link): \(mine.map(\.object))")
            let toServer = mine.filter { $0.string("direction") == "to_server" }.compactMap { $0.string("type") }
            let toClient = mine.filter { $0.string("direction") == "to_client" }.compactMap { $0.string("type") }
            try lab.check(toServer.starts(with: ["DISCOVER"]) && toServer.contains("REQUEST"), "\(mac) to servers: \(toServer)")
            try lab.check(toClient.contains("OFFER") && toClient.contains("ACK"), "\(mac) to the client: \(toClient)")
        }
        let summary = try #require(events.last)
        try lab.check(summary.name == "summary" && summary["dropped"] as? Int == 0, "relay summary: \(summary.object)")
    }

    @Test("dhclient and udhcpc — relay — dnsmasq, two subnets: giaddr's pool, renew, release")
    func dnsmasqTwoSubnets() async throws {
        try await Lab.run("relay-dnsmasq-two-subnets", index: 40) { lab in try await Self.twoSubnets(lab, server: .dnsmasq) }
    }

    @Test("dhclient and udhcpc — relay — kea-dhcp4, two subnets: giaddr's pool, renew, release")
    func keaTwoSubnets() async throws {
        try await Lab.run("relay-kea-two-subnets", index: 43) { lab in try await Self.twoSubnets(lab, server: .kea) }
    }

    /// One message of a capture as a relay agent shapes it: what must be the same through our relay and ISC dhcrelay
    /// (not xid, secs or lengths; option 82 as its codes' content, both relays adding circuit-id = the interface name).
    static func shape(_ message: Event) -> String {
        let dhcp = message.dhcp
        let agent = (dhcp["options"] as? [[String: Any]] ?? []).first { $0["code"] as? Int == 82 }?["hex"] as? String
        return [message.messageType ?? "?", message.string("src") ?? "?", message.string("dst") ?? "?",
                message.string("eth_dst") == "ff:ff:ff:ff:ff:ff" ? "broadcast" : "unicast",
                "giaddr=\(dhcp["giaddr"] ?? "?")", "hops=\(dhcp["hops"] ?? "?")", "yiaddr=\(dhcp["yiaddr"] ?? "?")",
                "ciaddr=\(dhcp["ciaddr"] ?? "?")", "flags=\(dhcp["flags"] ?? "?")", "82=\(agent ?? "none")",
                "options=\(message.optionCodes.filter { $0 != 82 })"].joined(separator: " ")
    }

    /// Shapes in order, a retransmission (the same shape again at once) folded; the leased address (Kea's allocator
    /// may pick another one for the second run) reads `LEASE`.
    static func shapes(_ lab: Lab, _ capture: String) throws -> [String] {
        let messages = try lab.decodedMessages([capture])
        let lease = messages.first { $0.messageType == "ACK" }?.dhcp["yiaddr"] as? String
        var shapes: [String] = []
        for message in messages {
            var text = shape(message)
            if let lease { text = text.replacingOccurrences(of: "\(lease):", with: "LEASE:").replacingOccurrences(of: "=\(lease) ", with: "=LEASE ") }
            if shapes.last != text { shapes.append(text) }
        }
        return shapes
    }

    /// The same client, server and links, once through our relay and once through ISC dhcrelay -a: dhclient's DORA and
    /// release, captured on the client link and on the server link, look the same message for message, option 82
    /// included, except that dhcrelay also relays the RELEASE it overhears on its way to the server.
    @Test("dhclient — relay vs ISC dhcrelay — kea-dhcp4: the same captures on both links")
    func sameAsDhcrelay() async throws {
        try await Lab.run("relay-vs-dhcrelay", index: 46) { lab in
            let topology = try Self.topology(lab, clientLinks: 1)
            let client = topology.clients[0]
            _ = try await lab.startKea(in: topology.server, interface: "srv0", subnets: [topology.serverSubnet, topology.clientSubnets[0]],
                                       validLifetime: 120, renewTimer: 60, rebindTimer: 100)
            var captured: [String: (client: [String], server: [String])] = [:]
            for relayName in ["dhcpscope", "dhcrelay"] {
                let relay = relayName == "dhcpscope"
                    ? try await Self.startRelay(lab, topology)
                    : try await lab.startDhcrelay(in: topology.router, downstream: "r0", upstreams: ["up0"], servers: [topology.serverAddress])
                let clientCapture = try await lab.capture("tcpdump-client-\(relayName)", in: client, interface: "cli0", to: "client-\(relayName).pcap")
                let serverCapture = try await lab.capture("tcpdump-server-\(relayName)", in: topology.server, interface: "srv0",
                                                          to: "server-\(relayName).pcap")
                try Self.routeToServer(lab, topology)
                try? FileManager.default.removeItem(at: lab.file("dhclient.leases"))
                try? FileManager.default.removeItem(at: lab.file("client-script.log"))
                let dhclient = try lab.startDhclient(in: client, interface: "cli0")
                try await lab.wait(for: "dhclient's BOUND through \(relayName)", seconds: 20) { lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.dhclientAddress != nil }
                try lab.releaseDhclient(in: client, interface: "cli0")
                dhclient.waitForExit(seconds: 5)
                try await lab.stopCapture(clientCapture)
                try await lab.stopCapture(serverCapture)
                relay.stop()
                captured[relayName] = (try Self.shapes(lab, "client-\(relayName).pcap"), try Self.shapes(lab, "server-\(relayName).pcap"))
            }
            let ours = try #require(captured["dhcpscope"]), theirs = try #require(captured["dhcrelay"])
            try lab.check(ours.client == theirs.client,
                          "client link differs:\n ours:\n  \(ours.client.joined(separator: "\n  "))\n dhcrelay:\n  \(theirs.client.joined(separator: "\n  "))")
            // The one difference: dhcrelay reads frames (LPF), so it also hears the RELEASE the client unicasts to the
            // server through the router, and relays a second copy; our UDP sockets get only what is addressed to the relay.
            let overheard = theirs.server.filter { $0.hasPrefix("RELEASE") && !$0.contains("giaddr=0.0.0.0") }
            try lab.check(overheard.count <= 1 && !ours.server.contains { $0.hasPrefix("RELEASE") && !$0.contains("giaddr=0.0.0.0") },
                          "relayed RELEASEs: dhcrelay \(overheard), ours \(ours.server.filter { $0.hasPrefix("RELEASE") })")
            try lab.check(ours.server == theirs.server.filter { !overheard.contains($0) },
                          "server link differs:\n ours:\n  \(ours.server.joined(separator: "\n  "))\n dhcrelay:\n  \(theirs.server.joined(separator: "\n  "))")
            try lab.check(ours.server.contains { $0.hasPrefix("DISCOVER") && $0.contains("82=01027230") },
                          "no DISCOVER with circuit-id r0 on the server link: \(ours.server)")
        }
    }

    /// Option `code` of a message event: its `value` (or another field) as text.
    static func option(_ message: Event, _ code: Int, _ field: String = "value") -> String? {
        (message.dhcp["options"] as? [[String: Any]])?.first { $0["code"] as? Int == code }?[field] as? String
    }

    /// --server-id-override (RFC 5107): the relay puts its client-side address in option 82 suboption 11, dnsmasq
    /// gives that address as its server identifier (option 54), so dhclient unicasts its renewal to the relay, which
    /// relays it with giaddr set, and the ACK comes back through the relay. (Kea 2.2 and ISC dhcpd 4.4 ignore
    /// suboption 11 and name themselves: tried, so the scenario uses dnsmasq.)
    @Test("dhclient — relay --server-id-override — dnsmasq: the renewal goes through the relay")
    func serverIdentifierOverride() async throws {
        try await Lab.run("relay-server-id-override", index: 50) { lab in
            let topology = try Self.topology(lab, clientLinks: 1)
            let giaddr = topology.giaddr(0)
            let subnet = topology.clientSubnets[0]
            _ = try await lab.startDnsmasq(in: topology.server, interface: "srv0", subnet: topology.serverSubnet, extra: [
                "--dhcp-range=\(subnet.host(100)),\(subnet.host(150)),255.255.255.0,2m", "--dhcp-option=option:T1,3", "--dhcp-option=option:T2,100",
            ])
            let relay = try await Self.startRelay(lab, topology, extra: ["--server-id-override"])
            let clientCapture = try await lab.capture("tcpdump-client", in: topology.clients[0], interface: "cli0", to: "client.pcap")
            let serverCapture = try await lab.capture("tcpdump-server", in: topology.server, interface: "srv0", to: "server.pcap")
            let dhclient = try lab.startDhclient(in: topology.clients[0], interface: "cli0")
            try await lab.wait(for: "dhclient's BOUND", seconds: 20) { lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.dhclientAddress != nil }
            let address = try #require(lab.dhclientAddress)
            try await lab.wait(for: "dhclient's RENEW", seconds: 15) { lab.clientScriptLog.contains { $0.hasPrefix("RENEW \(address)") } }
            dhclient.stop()
            try await lab.stopCapture(clientCapture)
            try await lab.stopCapture(serverCapture)
            relay.stop(signal: SIGINT)

            let clientLeg = try lab.decodedMessages(["client.pcap"])
            let firstACK = try #require(clientLeg.first { $0.messageType == "ACK" }, "no ACK on the client link")
            try lab.check(Self.option(firstACK, 54) == giaddr, "the client was told server identifier \(Self.option(firstACK, 54) ?? "none"), not the relay's \(giaddr)")
            let renewal = try #require(clientLeg.first { $0.messageType == "REQUEST" && $0.dhcp["ciaddr"] as? String == address },
                                       "no renewing REQUEST on the client link: \(lab.typeSequence(clientLeg))")
            try lab.check(renewal.string("dst") == "\(giaddr):67", "the renewal went to \(renewal.string("dst") ?? "nil"), not to the relay")
            try lab.check(clientLeg.contains { $0.messageType == "ACK" && $0.xid == renewal.xid && $0.dhcp["yiaddr"] as? String == address },
                          "no ACK of the renewal on the client link")
            // On the server link the renewal arrives relayed (giaddr), with suboption 11 in option 82, and is ACKed.
            let serverLeg = try lab.decodedMessages(["server.pcap"])
            let relayed = try #require(serverLeg.first { $0.messageType == "REQUEST" && $0.xid == renewal.xid },
                                       "the renewal never reached the server link")
            let agentInfo = Self.option(relayed, 82, "hex") ?? ""
            let override = "0b04" + giaddr.split(separator: ".").map { String(format: "%02x", Int($0) ?? 0) }.joined()
            try lab.check(relayed.dhcp["giaddr"] as? String == topology.serverSubnet.host(1) || relayed.dhcp["giaddr"] as? String == giaddr,
                          "the relayed renewal has giaddr \(relayed.dhcp["giaddr"] ?? "nil")")
            try lab.check(agentInfo.contains(override), "option 82 of the relayed renewal is \(agentInfo), without suboption 11 = \(giaddr)")
            try lab.check(serverLeg.contains { $0.messageType == "ACK" && $0.xid == renewal.xid }, "the server did not ACK the relayed renewal")
            let summary = try #require(try Self.relayEvents(relay).last)
            try lab.check(summary["dropped"] as? Int == 0, "relay summary: \(summary.object)")
        }
    }

    /// mock-server behind our relay echoes option 82 (circuit-id, remote-id, link selection) in every reply; the relay
    /// takes it out before udhcpc sees the reply.
    @Test("udhcpc — relay — mock-server: option 82 echoed by the server, stripped before the client")
    func mockServerEchoStripped() async throws {
        try await Lab.run("relay-mock-server-option82", index: 48) { lab in
            let topology = try Self.topology(lab, clientLinks: 1)
            let subnet = topology.clientSubnets[0]
            let server = try lab.start("mock-server", in: topology.server, [
                DHCPScope.binary.path, "mock-server", "-i", "srv0", "--subnet", subnet.cidr,
                "--range", "\(subnet.host(100))-\(subnet.host(150))", "--lease-time", "60", "--json",
            ])
            try await lab.wait(for: server, toPrint: "\"event\":\"ready\"")
            let relay = try await Self.startRelay(lab, topology, extra: ["--remote-id", "lab-48", "--link-selection"])
            let clientCapture = try await lab.capture("tcpdump-client", in: topology.clients[0], interface: "cli0", to: "client.pcap")
            let serverCapture = try await lab.capture("tcpdump-server", in: topology.server, interface: "srv0", to: "server.pcap")
            let udhcpc = try lab.startUdhcpc(in: topology.clients[0], interface: "cli0")
            try await lab.wait(for: "udhcpc bound", seconds: 15) { lab.clientScriptLog.contains { $0.hasPrefix("bound \(subnet.host(100))") } }
            udhcpc.stop()
            try await lab.stopCapture(clientCapture)
            try await lab.stopCapture(serverCapture)
            relay.stop(signal: SIGINT)

            // circuit-id "r0", remote-id "lab-48", link selection = r0's address (with --upstream, giaddr is up0's).
            let expected = "01027230" + "02066c61622d3438" + "0504" + subnet.host(1).split(separator: ".").map { String(format: "%02x", Int($0) ?? 0) }.joined()
            let serverLeg = try lab.decodedMessages(["server.pcap"])
            let hexes = serverLeg.map { message in
                (message.dhcp["options"] as? [[String: Any]] ?? []).first { $0["code"] as? Int == 82 }?["hex"] as? String
            }
            try lab.check(lab.typeSequence(serverLeg).starts(with: ["DISCOVER", "OFFER", "REQUEST", "ACK"]), "server leg: \(lab.typeSequence(serverLeg))")
            try lab.check(hexes.allSatisfy { $0 == expected }, "option 82 on the server leg: \(hexes), expected \(expected) on every message")
            try lab.check(serverLeg.allSatisfy { $0.dhcp["giaddr"] as? String == topology.serverSubnet.host(1) },
                          "giaddr is not up0's address under --link-selection")
            let clientLeg = try lab.decodedMessages(["client.pcap"])
            let replies = clientLeg.filter { $0.dhcp["op"] as? Int == 2 }
            try lab.check(lab.typeSequence(replies) == ["OFFER", "ACK"], "client leg replies: \(lab.typeSequence(replies))")
            try lab.check(clientLeg.allSatisfy { !$0.optionCodes.contains(82) }, "option 82 reached the client link")
            let summary = try #require(try Self.relayEvents(relay).last)
            try lab.check(summary["to_clients"] as? Int == 2 && summary["dropped"] as? Int == 0, "relay summary: \(summary.object)")
        }
    }
}
