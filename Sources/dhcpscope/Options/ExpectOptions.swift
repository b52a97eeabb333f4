import ArgumentParser
import DHCPAnalysis
import DHCPCore
import NetworkPrimitives

/// --expect and --expect-mac: the servers that may answer; shared by analyse, sniff and probe.
struct ExpectOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Expected servers: identifier (option 54) or source address; DHCPv6: server DUID (hex) or IPv6 source address; any other that answers is a rogue (comma-separated).",
                               valueName: "ip,…"))
    var expect: [String] = []

    @Option(help: ArgumentHelp("Expected servers by MAC address (comma-separated).", valueName: "mac,…"))
    var expectMac: [String] = []

    func validate() throws { _ = try expectation() }

    func expectation() throws -> ServerExpectation {
        var expectation = ServerExpectation()
        for item in expect.flatMap({ $0.split(separator: ",") }) {
            if let address = IPv4Address(item) {
                expectation.addresses.insert(address)
            } else if let address = IPv6Address(String(item)) {
                expectation.addresses6.insert(address)
            } else if let duid = Hex.parse(item), duid.count >= 3 {
                expectation.duids.insert(duid)
            } else {
                throw ValidationError("--expect: '\(item)' is not an IPv4 address, an IPv6 address or a DUID")
            }
        }
        for item in expectMac.flatMap({ $0.split(separator: ",") }) {
            guard let mac = MACAddress(item) else { throw ValidationError("--expect-mac: '\(item)' is not a MAC address") }
            expectation.macs.insert(mac)
        }
        return expectation
    }
}
