import Foundation
import Glibc
import Testing

/// Two real servers on one segment, one of which checks an address before offering it: dnsmasq (its default ping
/// check waits up to 3 s) and mock-server (answers at once). dhclient takes the mock's offer and is ACKed; dnsmasq's
/// OFFER comes seconds later. analyse must join that late OFFER to the finished exchange (a second server answered),
/// not open a transaction of its own for it.
@Suite("Lab: late replies", .enabled(if: LabGate.enabled, LabGate.skipReason), .timeLimit(.minutes(2)))
struct LateReplyLabTests: MockServerScenario {
    @Test("analyse: dnsmasq's ping-checked OFFER, after dhclient took mock-server's, joins the finished DORA")
    func lateOfferJoins() async throws {
        try await Lab.run("late-offer", index: 81) { lab in
            let server = try lab.namespace("srv"), client = try lab.namespace("cli"), mock = try lab.namespace("mock")
            let dnsmasqAddress = lab.subnet.host(1), mockAddress = lab.subnet.host(2)
            let clientMAC = lab.mac(link: 0, side: 2)
            try Self.bridge(lab, in: server, mac: lab.mac(link: 9, side: 1), address: dnsmasqAddress)
            try await Self.attach(lab, (client, "cli0", clientMAC, nil), to: server, port: "p-cli", portMAC: lab.mac(link: 0, side: 1))
            try await Self.attach(lab, (mock, "srv0", lab.mac(link: 1, side: 2), "\(mockAddress)/24"), to: server,
                                  port: "p-mock", portMAC: lab.mac(link: 1, side: 1))
            let dnsmasq = try await lab.startDnsmasq(in: server, interface: "srv0", subnet: lab.subnet, ping: true)
            let mockServer = try await Self.startMock(lab, in: mock, ["--range", Self.range(lab.subnet, 160, 199), "--lease-time", "300"])
            let capture = try await lab.capture("tcpdump", in: client, interface: "cli0", to: "late.pcap")
            _ = try Self.startDhclient(lab, "dhclient", in: client)

            try await lab.wait(for: "dhclient's lease from mock-server") { lab.dhclientAddress != nil }
            let address = try #require(lab.dhclientAddress)
            try lab.check(Int(address.split(separator: ".").last ?? "") ?? 0 >= 160, "dhclient took \(address), not the mock's offer")
            try await lab.wait(for: "mock-server's lease event") { [mockServer, address] in Self.leases(mockServer).contains { $0.string("ip") == address } }
            try Self.checkMockLease(lab, mockServer, address: address, mac: clientMAC, state: "active")
            // dnsmasq's own log: it offered (after its ping), to the same client.
            try await lab.wait(for: "dnsmasq's late OFFER", seconds: 15) {
                dnsmasq.output.split(separator: "\n").contains { $0.contains("DHCPOFFER(srv0)") && $0.contains(clientMAC) }
            }
            try await lab.stopCapture(capture)
            try lab.check(capture.waitForExit(seconds: 5), "tcpdump did not stop")

            let events = try Self.analyse(lab, ["late.pcap"], errors: false)
            let exchanges = Self.transactions(events, "dora")
            try lab.check(exchanges.count == 1, "one DORA, the late OFFER inside it: \(exchanges.map(\.object))")
            let late = events.filter { $0.name == "problem" && $0.string("code") == "multiple-servers" }
            try lab.check(late.count == 1 && (late.first?.string("text") ?? "").contains(dnsmasqAddress)
                              && (late.first?.string("text") ?? "").contains(mockAddress)
                              && (late.first?.string("text") ?? "").contains("after the exchange ended"),
                          "the late OFFER as a second server answering: \(late.map(\.object))")
            try lab.check(!Self.problemCodes(events).contains("offer-not-acked"), "the late OFFER opened an exchange of its own: \(Self.problemCodes(events))")
            let dnsmasqServer = try #require(events.first { $0.name == "server" && $0.string("id") == dnsmasqAddress })
            try lab.check(dnsmasqServer["offers"] as? Int ?? 0 >= 1, "dnsmasq's OFFER counted: \(dnsmasqServer.object)")
        }
    }
}
