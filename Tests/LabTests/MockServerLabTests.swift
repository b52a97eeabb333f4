import Foundation
import Glibc
import Testing

/// `dhcpscope mock-server` serving real clients in the lab: what the client keeps (its lease file, its script) must
/// agree with what the mock says (its lease events) and with the capture.
@Suite("Lab: mock-server against real clients", .enabled(if: LabGate.enabled, LabGate.skipReason), .timeLimit(.minutes(2)))
struct MockServerLabTests: MockServerScenario {
    @Test("mock-server + dhclient: DORA then release")
    func mockServerDhclient() async throws {
        try await Lab.run("mock-server-dhclient", index: 7) { lab in
            let client = try lab.namespace("cli"), server = try lab.namespace("srv")
            let clientMAC = lab.mac(link: 0, side: 2)
            try lab.link((client, "cli0", clientMAC, nil), (server, "srv0", lab.mac(link: 0, side: 1), "\(lab.subnet.host(1))/24"))
            let mock = try await Self.startMock(lab, in: server, ["--range", Self.range(lab.subnet, 100, 110),
                                                                 "--router", lab.subnet.host(1), "--lease-time", "120"])
            let capture = try await lab.capture("tcpdump-client", in: client, interface: "cli0", to: "client.pcap")
            _ = try lab.startDhclient(in: client, interface: "cli0")

            try await lab.wait(for: "dhclient's lease and the mock's lease event") {
                let bound = Self.leases(mock).contains { $0.string("state") == "active" }
                return bound && lab.dhclientAddress != nil && lab.clientScriptLog.contains { $0.hasPrefix("BOUND") }
            }
            let address = try #require(lab.dhclientAddress)
            let bound = try #require(Self.leases(mock).last { $0.string("state") == "active" })
            try lab.check(bound.string("ip") == address && bound.string("mac") == clientMAC,
                          "the mock bound \(bound.string("ip") ?? "nil") to \(bound.string("mac") ?? "nil"), dhclient has \(address)")
            try lab.check((100...110).map { lab.subnet.host($0) }.contains(address), "\(address) is outside --range")
            try lab.check(try lab.addresses(in: client, interface: "cli0").contains(address + "/24"), "the script did not add \(address)")

            try lab.releaseDhclient(in: client, interface: "cli0")
            try await lab.wait(for: "the mock to free the released lease") {
                Self.leases(mock).last.map { $0.string("ip") == address && $0.string("state") == "released" } ?? false
            }
            try await lab.stopCapture(capture)
            try Self.stopMock(lab, mock)

            try lab.checkDORAThenRelease(capture: "client.pcap", mac: clientMAC, address: address)
        }
    }
}
