import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Testing
@testable import ServerProbe

/// The Nagios verdict of a probe (check_dhcp's contract) from the servers that answered.
@Suite("probe verdict")
struct VerdictTests {
    let expected = IPv4Address(198, 18, 0, 1)
    let rogue = IPv4Address(198, 18, 0, 66)

    func probe(expect: [IPv4Address] = [], macs: [MACAddress] = [], warnMs: Double? = nil) -> ServerProbe {
        var settings = ServerProbe.Settings(client: DHCPClientSettings(hardwareAddress: MACAddress(rawValue: 0x0600_0000_0001)))
        settings.expectation = ServerExpectation(addresses: Set(expect), macs: Set(macs))
        settings.warnMilliseconds = warnMs
        return ServerProbe(settings: settings)
    }

    func server(_ id: IPv4Address, ms: Double = 2, mac: MACAddress? = nil, expected: Bool) -> ServerProbe.Server {
        var server = ServerProbe.Server(id: id, sourceIP: id)
        server.mac = mac
        server.responseTimes = [ms]
        server.expected = expected
        return server
    }

    func verdict(_ probe: ServerProbe, _ servers: [ServerProbe.Server]) -> ServerProbe.Result {
        probe.judge(Dictionary(uniqueKeysWithValues: servers.map { ($0.id, $0) }), servers.map(\.id), 0, now: 0)
    }

    @Test func nobodyAnsweredIsCritical() {
        let result = verdict(probe(), [])
        #expect(result.status == .critical && result.statusText == "no DHCP server answered")
    }

    @Test func anyoneAnsweringIsOKWithoutExpectations() {
        #expect(verdict(probe(), [server(rogue, expected: true)]).status == .ok)
    }

    @Test func aRogueIsCriticalEvenWithTheExpectedOneThere() {
        let result = verdict(probe(expect: [expected]), [server(expected, expected: true), server(rogue, expected: false)])
        #expect(result.status == .critical && result.statusText == "rogue server 198.18.0.66 answered")
    }

    @Test func aMissingExpectedServerIsAWarning() {
        let second = IPv4Address(198, 18, 0, 2)
        let result = verdict(probe(expect: [expected, second]), [server(expected, expected: true)])
        #expect(result.status == .warning && result.missing == [second])
    }

    @Test func aMissingExpectedMACIsAWarning() {
        let absent = MACAddress(rawValue: 0x0600_0000_00BB)
        let present = MACAddress(rawValue: 0x0600_0000_00AA)
        let result = verdict(probe(macs: [present, absent]), [server(expected, mac: present, expected: true)])
        #expect(result.status == .warning && result.missingMACs == [absent] && result.missing.isEmpty)
        #expect(result.statusText == "expected server 06:00:00:00:00:bb did not answer")
    }

    @Test func aSlowExpectedServerIsAWarning() {
        #expect(verdict(probe(expect: [expected], warnMs: 100), [server(expected, ms: 250, expected: true)]).status == .warning)
        #expect(verdict(probe(expect: [expected], warnMs: 100), [server(expected, ms: 50, expected: true)]).status == .ok)
    }

    @Test func expectationMatchesIdentifierSourceOrMAC() {
        let expectation = ServerExpectation(addresses: [expected], macs: [MACAddress(rawValue: 0x0600_0000_00AA)])
        #expect(expectation.isExpected(serverID: expected, sourceIP: rogue, sourceMAC: nil))
        #expect(expectation.isExpected(serverID: nil, sourceIP: expected, sourceMAC: nil))
        #expect(expectation.isExpected(serverID: rogue, sourceIP: rogue, sourceMAC: MACAddress(rawValue: 0x0600_0000_00AA)))
        #expect(!expectation.isExpected(serverID: rogue, sourceIP: rogue, sourceMAC: MACAddress(rawValue: 0x0600_0000_00BB)))
    }

    /// The verdict's parts as problems, each naming its server: what --alert runs for and --json prints.
    @Test func findingsNameEachServer() {
        let nobody = verdict(probe(), [])
        #expect(nobody.findings.map(\.problem.code) == ["no-server"] && nobody.findings[0].server == nil)
        let mixed = verdict(probe(expect: [expected, IPv4Address(198, 18, 0, 2)], warnMs: 1),
                            [server(expected, ms: 5, expected: true), server(rogue, expected: false)])
        #expect(mixed.findings.map(\.problem.code) == ["unexpected-server", "server-missing", "slow-server"])
        #expect(mixed.findings.map(\.server) == ["198.18.0.66", "198.18.0.2", "198.18.0.1"])
        #expect(mixed.findings[0].problem.severity == .error && mixed.findings[1].problem.severity == .warning)
        #expect(verdict(probe(expect: [expected]), [server(expected, expected: true)]).findings.isEmpty)
    }
}
