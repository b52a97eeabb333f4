import Foundation
import Glibc
import Testing

/// Real DHCP software in network namespaces, checked from the peers' own view (their lease files and scripts) and
/// from dhcpscope's reading of a tcpdump capture. Each scenario has its own namespaces and /24, so they run in
/// parallel. See Support/Lab.swift for the safety rules every scenario follows.
@Suite("Lab: real peers", .enabled(if: LabGate.enabled, LabGate.skipReason), .timeLimit(.minutes(2)))
struct PeerScenarioTests {
    /// dnsmasq serves, dhclient takes a lease, then releases it (`dhclient -r`).
    @Test("dnsmasq + dhclient: DORA then release")
    func dnsmasqDhclientDORARelease() async throws {
        try await Lab.run("dnsmasq-dhclient", index: 0) { lab in
            let client = try lab.namespace("cli"), server = try lab.namespace("srv")
            let clientMAC = lab.mac(link: 0, side: 2)
            try lab.link((client, "cli0", clientMAC, nil), (server, "srv0", lab.mac(link: 0, side: 1), "\(lab.subnet.host(1))/24"))
            _ = try await lab.startDnsmasq(in: server, interface: "srv0", subnet: lab.subnet)
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap")
            _ = try lab.startDhclient(in: client, interface: "cli0")

            // The peers' view: dhclient's lease file, the script's BOUND, dnsmasq's lease file.
            try await lab.wait(for: "dhclient's lease and dnsmasq's lease") {
                lab.dhclientAddress != nil && lab.dnsmasqLease(mac: clientMAC) != nil && lab.clientScriptLog.contains { $0.hasPrefix("BOUND") }
            }
            let address = try #require(lab.dhclientAddress)
            try lab.check(lab.subnet.contains(address), "dhclient got \(address), outside \(lab.subnet.cidr)")
            try lab.check(lab.dnsmasqLease(mac: clientMAC)?.address == address,
                          "dnsmasq leased \(lab.dnsmasqLease(mac: clientMAC)?.address ?? "nothing") to \(clientMAC), dhclient has \(address)")
            try lab.check(try lab.addresses(in: client, interface: "cli0").contains(address + "/24"), "the script did not add \(address)")

            try lab.releaseDhclient(in: client, interface: "cli0")
            try await lab.wait(for: "dnsmasq to drop the released lease") { lab.dnsmasqLease(mac: clientMAC) == nil }
            try lab.check(lab.clientScriptLog.last?.hasPrefix("RELEASE") == true, "script calls: \(lab.clientScriptLog)")
            try await lab.stopCapture(capture)

            try lab.checkDORAThenRelease(capture: "client.pcap", mac: clientMAC, address: address)
        }
    }

    /// Kea (raw socket, memfile) serves, udhcpc takes a lease, then releases it on SIGUSR2.
    @Test("kea-dhcp4 + udhcpc: DORA then release")
    func keaUdhcpcDORARelease() async throws {
        try await Lab.run("kea-udhcpc", index: 1) { lab in
            let client = try lab.namespace("cli"), server = try lab.namespace("srv")
            let clientMAC = lab.mac(link: 0, side: 2)
            try lab.link((client, "cli0", clientMAC, nil), (server, "srv0", lab.mac(link: 0, side: 1), "\(lab.subnet.host(1))/24"))
            _ = try await lab.startKea(in: server, interface: "srv0", subnets: [lab.subnet])
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap")
            let udhcpc = try lab.startUdhcpc(in: client, interface: "cli0")

            try await lab.wait(for: "udhcpc's bound script call and Kea's lease") {
                lab.clientScriptLog.contains { $0.hasPrefix("bound ") } && !lab.keaLeases(mac: clientMAC).isEmpty
            }
            let bound = try #require(lab.clientScriptLog.first { $0.hasPrefix("bound ") })
            let address = String(bound.split(separator: " ")[1])
            try lab.check(lab.subnet.contains(address), "udhcpc got \(address), outside \(lab.subnet.cidr)")
            let lease = try #require(lab.keaLeases(mac: clientMAC).last)
            try lab.check(lease.address == address && lease.validLifetime == 60,
                          "Kea's lease row \(lease), udhcpc has \(address) for 60 s")
            try lab.check(try lab.addresses(in: client, interface: "cli0").contains(address + "/24"), "the script did not add \(address)")

            udhcpc.signal(SIGUSR2)  // release, and stay
            try await lab.wait(for: "udhcpc to send its RELEASE") { udhcpc.output.contains("sending release") }
            try await lab.wait(for: "Kea to record the release (valid_lifetime 0)") {
                lab.keaLeases(mac: clientMAC).last.map { $0.address == address && $0.validLifetime == 0 } ?? false
            }
            try await lab.wait(for: "udhcpc's deconfig after the release") { lab.clientScriptLog.last?.hasPrefix("deconfig") == true }
            try await lab.stopCapture(capture)

            try lab.checkDORAThenRelease(capture: "client.pcap", mac: clientMAC, address: address)
        }
    }

    /// busybox udhcpd serves, dhcpcd takes a lease, then releases it (`dhcpcd -k`).
    @Test("udhcpd + dhcpcd: DORA then release")
    func udhcpdDhcpcdDORARelease() async throws {
        try await Lab.run("udhcpd-dhcpcd", index: 6) { lab in
            let client = try lab.namespace("cli"), server = try lab.namespace("srv")
            let clientMAC = lab.mac(link: 0, side: 2)
            try lab.link((client, "cli0", clientMAC, nil), (server, "srv0", lab.mac(link: 0, side: 1), "\(lab.subnet.host(1))/24"))
            let udhcpd = try await lab.startUdhcpd(in: server, interface: "srv0", subnet: lab.subnet, leaseTime: 120)
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap")
            let dhcpcd = try lab.startDhcpcd(in: client, interface: "cli0")

            // The peers' view: dhcpcd's BOUND script call and lease file, then udhcpd's lease file (written on SIGUSR1).
            try await lab.wait(for: "dhcpcd's BOUND and its lease file") {
                lab.clientScriptLog.contains { $0.hasPrefix("BOUND ") } && lab.dhcpcdLeaseAddress(interface: "cli0") != nil
            }
            let bound = try #require(lab.clientScriptLog.first { $0.hasPrefix("BOUND ") })
            let address = String(bound.split(separator: " ")[1])
            try lab.check(lab.subnet.contains(address), "dhcpcd got \(address), outside \(lab.subnet.cidr)")
            try lab.check(lab.dhcpcdLeaseAddress(interface: "cli0") == address,
                          "dhcpcd's lease file has \(lab.dhcpcdLeaseAddress(interface: "cli0") ?? "nothing"), its script \(address)")
            try lab.check(try lab.addresses(in: client, interface: "cli0").contains(address + "/24"), "the script did not add \(address)")
            try await lab.wait(for: "udhcpd's lease file to hold the lease") {
                udhcpd.signal(SIGUSR1)
                return lab.udhcpdLeases().contains { $0.mac == clientMAC && $0.address == address && $0.secondsLeft > 60 }
            }

            try lab.releaseDhcpcd(in: client, interface: "cli0")
            try await lab.wait(for: "dhcpcd's STOP script call (old address) and its end") {
                lab.clientScriptLog.contains { $0 == "STOP  \(address)" } && !dhcpcd.isRunning
            }
            try lab.check(dhcpcd.output.contains("releasing lease of \(address)"), "dhcpcd did not release \(address)")
            try lab.check(lab.dhcpcdLeaseAddress(interface: "cli0") == nil, "dhcpcd kept its lease file after the release")
            try lab.check(try !lab.addresses(in: client, interface: "cli0").contains(address), "the script did not remove \(address)")
            try await lab.wait(for: "udhcpd's lease file to show the lease released (no time left)") {
                udhcpd.signal(SIGUSR1)
                return lab.udhcpdLeases().contains { $0.mac == clientMAC && $0.address == address && $0.secondsLeft == 0 }
            }
            try await lab.stopCapture(capture)

            try lab.checkDORAThenRelease(capture: "client.pcap", mac: clientMAC, address: address)
        }
    }

    /// ISC dhcpd gives T1 = 5 s; dhclient renews (unicast REQUEST) near T1 and gets an ACK.
    @Test("dhcpd + dhclient: renew at T1")
    func dhcpdDhclientRenew() async throws {
        try await Lab.run("dhcpd-dhclient-renew", index: 2) { lab in
            let client = try lab.namespace("cli"), server = try lab.namespace("srv")
            let clientMAC = lab.mac(link: 0, side: 2)
            try lab.link((client, "cli0", clientMAC, nil), (server, "srv0", lab.mac(link: 0, side: 1), "\(lab.subnet.host(1))/24"))
            _ = try await lab.startDhcpd(in: server, interface: "srv0", subnet: lab.subnet, leaseTime: 60, t1: 5, t2: 8)
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap")
            let dhclient = try lab.startDhclient(in: client, interface: "cli0")

            try await lab.wait(for: "dhclient's BOUND") { lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.dhclientAddress != nil }
            let address = try #require(lab.dhclientAddress)
            // dhclient renews between 3/4 T1 and T1 (jitter): 4–5 s.
            try await lab.wait(for: "dhclient's RENEW", seconds: 12) { lab.clientScriptLog.contains { $0.hasPrefix("RENEW") } }
            try lab.check(lab.read("dhcpd.leases").contains("lease \(address) {"), "dhcpd's lease file lacks \(address)")
            try lab.check(lab.read("dhcpd.leases").contains("hardware ethernet \(clientMAC);"), "dhcpd's lease file lacks \(clientMAC)")
            try lab.check(dhclient.output.contains("DHCPREQUEST for \(address) on cli0 to \(lab.subnet.host(1)) port 67"),
                          "dhclient did not unicast its renewing REQUEST")
            try await lab.stopCapture(capture)
            dhclient.stop()  // SIGTERM: dhclient ends without RELEASE, so the lease stays renewed

            let messages = try lab.decodedMessages(["client.pcap"])
            try lab.checkDORA(messages, mac: clientMAC, address: address, then: ["REQUEST", "ACK"], repeats: lab.renewals(messages, every: 5))
            let renewRequest = try #require(messages.dropFirst(4).first { $0.messageType == "REQUEST" })
            try lab.check(renewRequest.dhcp["ciaddr"] as? String == address, "renewing REQUEST ciaddr \(renewRequest.dhcp["ciaddr"] ?? "nil")")
            let events = try lab.analysed(["client.pcap"])
            try lab.checkOneDORA(events, mac: clientMAC, address: address)
            let renews = events.filter { $0.name == "transaction" && $0.string("kind") == "renew" }
            try lab.check(!renews.isEmpty && renews.allSatisfy { $0.string("outcome") == "ack" && $0.string("ip") == address },
                          "renew transactions: \(renews.map(\.object))")
            try lab.checkStates(events, mac: clientMAC, ["BOUND", "RENEWING", "BOUND"])
            try lab.checkLease(events, address: address, mac: clientMAC, state: "renewed")
        }
    }

    /// client — dhcrelay (option 82) — Kea serving two subnets: giaddr selects the client's.
    @Test("dhclient — dhcrelay — kea-dhcp4: relayed DORA")
    func relayedDORA() async throws {
        try await Lab.run("relay-kea-dhclient", index: 3) { lab in
            let client = try lab.namespace("cli"), relay = try lab.namespace("rly"), server = try lab.namespace("srv")
            let clientMAC = lab.mac(link: 0, side: 2)
            let giaddr = lab.subnet.host(1), serverAddress = lab.secondSubnet.host(2)
            try lab.link((client, "cli0", clientMAC, nil), (relay, "rly-dn", lab.mac(link: 0, side: 1), "\(giaddr)/24"))
            try lab.link((relay, "rly-up", lab.mac(link: 1, side: 1), "\(lab.secondSubnet.host(1))/24"),
                         (server, "srv0", lab.mac(link: 1, side: 2), "\(serverAddress)/24"))
            try lab.ip(server, "route", "add", lab.subnet.cidr, "via", lab.secondSubnet.host(1))  // replies to giaddr
            // The server's own subnet is listed first: only giaddr can make Kea pick the client's.
            _ = try await lab.startKea(in: server, interface: "srv0", subnets: [lab.secondSubnet, lab.subnet])
            _ = try await lab.startDhcrelay(in: relay, downstream: "rly-dn", upstreams: ["rly-up"], servers: [serverAddress])
            let clientCapture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap")
            let serverCapture = try await lab.capture("tcpdump-server", in: server, interface: "srv0", to: "server.pcap")
            _ = try lab.startDhclient(in: client, interface: "cli0")

            try await lab.wait(for: "dhclient's BOUND") { lab.clientScriptLog.contains { $0.hasPrefix("BOUND") } && lab.dhclientAddress != nil }
            let address = try #require(lab.dhclientAddress)
            try lab.check(lab.subnet.contains(address), "dhclient got \(address), outside giaddr's subnet \(lab.subnet.cidr)")
            let lease = try #require(lab.keaLeases(mac: clientMAC).last)
            try lab.check(lease.address == address && lease.subnetID == 2, "Kea's lease row \(lease), expected \(address) in subnet 2")
            try await lab.stopCapture(clientCapture)
            try await lab.stopCapture(serverCapture)

            // Client leg: broadcast, giaddr 0. Server leg: giaddr set, hops 1, option 82 on requests.
            let clientLeg = try lab.decodedMessages(["client.pcap"])
            let xid = try lab.checkDORA(clientLeg, mac: clientMAC, address: address)
            try lab.check(clientLeg.filter { $0.dhcp["op"] as? Int == 1 }.allSatisfy { $0.dhcp["giaddr"] as? String == "0.0.0.0" },
                          "a client-leg request carries a giaddr")
            let serverLeg = try lab.decodedMessages(["server.pcap"])
            try lab.checkDORA(serverLeg, mac: clientMAC, address: address)
            try lab.check(serverLeg.allSatisfy { $0.xid == xid && $0.dhcp["giaddr"] as? String == giaddr },
                          "server leg: xid/giaddr \(serverLeg.map { "\($0.xid ?? "?") \($0.dhcp["giaddr"] ?? "?")" })")
            let requests = serverLeg.filter { $0.dhcp["op"] as? Int == 1 }
            try lab.check(requests.allSatisfy { $0.dhcp["hops"] as? Int == 1 && $0.optionCodes.contains(82) },
                          "relayed requests lack hops 1 or option 82")

            let events = try lab.analysed(["client.pcap", "server.pcap"])
            try lab.checkOneDORA(events, mac: clientMAC, address: address, xid: xid, relayed: true)
            let transactions = events.filter { $0.name == "transaction" }
            try lab.check(transactions.count == 1, "merged legs give \(transactions.count) transactions, expected one")
            try lab.checkStates(events, mac: clientMAC, ["BOUND"])
        }
    }
}
