import Foundation
import Glibc
import Testing

/// `dhcpscope sniff` live in the client's namespace while real peers do DORA and release: what it prints must match
/// the client's own lease, its -w file must read back the same through `dhcpscope decode` and tshark.
@Suite("Lab: sniff against real peers", .enabled(if: LabGate.enabled, LabGate.skipReason), .timeLimit(.minutes(2)))
struct SniffLabTests {
    @Test("sniff: dnsmasq + dhclient, DORA then release")
    func sniffDnsmasqDhclient() async throws {
        try await Lab.run("sniff-dnsmasq-dhclient", index: 4) { lab in
            let (client, server, clientMAC) = try Self.topology(lab)
            _ = try await lab.startDnsmasq(in: server, interface: "srv0", subnet: lab.subnet)
            let sniff = try await Self.startSniff(lab, in: client)
            _ = try lab.startDhclient(in: client, interface: "cli0")
            try await lab.wait(for: "dhclient's lease and dnsmasq's lease") {
                lab.dhclientAddress != nil && lab.dnsmasqLease(mac: clientMAC) != nil
            }
            let address = try #require(lab.dhclientAddress)
            try lab.releaseDhclient(in: client, interface: "cli0")
            try await lab.wait(for: "dnsmasq to drop the released lease") { lab.dnsmasqLease(mac: clientMAC) == nil }
            try await Self.checkSniff(lab, sniff, mac: clientMAC, address: address)
        }
    }

    @Test("sniff: kea-dhcp4 + udhcpc, DORA then release")
    func sniffKeaUdhcpc() async throws {
        try await Lab.run("sniff-kea-udhcpc", index: 5) { lab in
            let (client, server, clientMAC) = try Self.topology(lab)
            // T1 of 50 s: a loaded machine may take more than Kea's default 10 s between bound and release, and a
            // renewal would add two messages to the five the check counts.
            _ = try await lab.startKea(in: server, interface: "srv0", subnets: [lab.subnet], renewTimer: 50, rebindTimer: 55)
            let sniff = try await Self.startSniff(lab, in: client)
            let udhcpc = try lab.startUdhcpc(in: client, interface: "cli0")
            try await lab.wait(for: "udhcpc's bound and Kea's lease") {
                lab.clientScriptLog.contains { $0.hasPrefix("bound ") } && !lab.keaLeases(mac: clientMAC).isEmpty
            }
            let address = String(try #require(lab.clientScriptLog.first { $0.hasPrefix("bound ") }).split(separator: " ")[1])
            try await Task.sleep(for: .milliseconds(300))
            udhcpc.signal(SIGUSR2)  // release
            try await lab.wait(for: "Kea to record the release") {
                lab.keaLeases(mac: clientMAC).last.map { $0.address == address && $0.validLifetime == 0 } ?? false
            }
            try await Self.checkSniff(lab, sniff, mac: clientMAC, address: address)
        }
    }

    // MARK: Shared

    static func topology(_ lab: Lab) throws -> (client: String, server: String, mac: String) {
        let client = try lab.namespace("cli"), server = try lab.namespace("srv")
        let clientMAC = lab.mac(link: 0, side: 2)
        try lab.link((client, "cli0", clientMAC, nil), (server, "srv0", lab.mac(link: 0, side: 1), "\(lab.subnet.host(1))/24"))
        return (client, server, clientMAC)
    }

    /// `dhcpscope sniff --json -i cli0 -w sniff.pcap` in the client's namespace, once it printed its ready event.
    static func startSniff(_ lab: Lab, in client: String) async throws -> LabProcess {
        let sniff = try lab.start("sniff", in: client, [DHCPScope.binary.path, "sniff", "--json", "-i", "cli0",
                                                        "-w", lab.path("sniff.pcap")], timeout: 60)
        try await lab.wait(for: "sniff's ready event") {
            if !sniff.isRunning { throw LabError.check("sniff ended before it was ready: \(sniff.output)") }
            return sniff.standardOutput.contains(#""event":"ready""#)
        }
        let ready = try #require(try events(sniff).first { $0.name == "ready" })
        try lab.check(ready.string("interface") == "cli0", "ready event names \(ready.string("interface") ?? "nil"), not cli0")
        return sniff
    }

    static func events(_ sniff: LabProcess) throws -> [Event] {
        try DHCPScopeResult(status: 0, stdout: sniff.standardOutput, stderr: "").events()
    }

    /// What sniff printed (messages, transaction, transitions, summary after SIGINT), against the client's address,
    /// and its -w file through `dhcpscope decode --json` and tshark.
    static func checkSniff(_ lab: Lab, _ sniff: LabProcess, mac: String, address: String) async throws {
        try await lab.wait(for: "sniff to print the RELEASE and the RELEASED transition") {
            let printed = sniff.standardOutput
            return printed.contains(#""type":"RELEASE""#) && printed.contains(#""to":"RELEASED""#)
        }
        // Closing the capture's packet socket can take seconds while 48 other scenarios load the machine: sniff has
        // printed its summary by then, and must still end with status 0.
        sniff.stop(signal: SIGINT, grace: 20)
        try lab.check(sniff.exitStatus == 0, "sniff exited \(sniff.exitStatus.map(String.init) ?? "running") after SIGINT: \(sniff.output)")
        let printed = try events(sniff)
        let summary = try #require(printed.last, "sniff printed nothing")
        try lab.check(summary.name == "summary", "sniff's last line is \(summary.object), not the summary")
        try lab.check(summary["messages"] as? Int == 5, "summary counts \(summary["messages"] ?? "nil") messages, expected 5")

        let messages = printed.filter { $0.name == "message" }
        let xid = try lab.checkDORA(messages, mac: mac, address: address, then: ["RELEASE"])
        try lab.checkOneDORA(printed, mac: mac, address: address, xid: xid)
        try lab.checkStates(printed, mac: mac, ["BOUND", "RELEASED"])
        try lab.checkLease(printed, address: address, mac: mac, state: "released")

        // The -w file, read back: same messages in the same order for dhcpscope decode and for tshark.
        let printedTypes = messages.map { "\($0.xid ?? "?") \($0.messageType ?? "?")" }
        let decoded = try lab.decodedMessages(["sniff.pcap"]).map { "\($0.xid ?? "?") \($0.messageType ?? "?")" }
        try lab.check(decoded == printedTypes, "decode of sniff.pcap: \(decoded), sniff printed \(printedTypes)")
        let names = [1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM"]
        let tshark = try Lab.execute(["/usr/bin/tshark", "-r", lab.path("sniff.pcap"), "-Y", "dhcp", "-T", "fields",
                                      "-e", "dhcp.id", "-e", "dhcp.option.dhcp"], folder: lab.folder, name: "tshark", timeout: 60)
        try lab.check(tshark.status == 0, "tshark exited \(tshark.status): \(tshark.output)")
        let tsharkTypes = tshark.output.split(separator: "\n").filter { $0.hasPrefix("0x") }.map { line in
            let fields = line.split(separator: "\t")
            return "\(fields[0]) \(fields.count > 1 ? names[Int(fields[1]) ?? 0] ?? String(fields[1]) : "?")"
        }
        try lab.check(tsharkTypes == printedTypes, "tshark reads \(tsharkTypes), sniff printed \(printedTypes)")
    }
}
