import Foundation
import Testing

/// `dhcpscope conformance`: the command line and what anyone can check without a server (the lab runs the battery).
@Suite("conformance command")
struct ConformanceCommandTests {
    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["conformance", "--help"])
        #expect(result.status == 0)
        for option in ["-i <iface>", "--mac <mac>", "--wait <seconds>", "--vlan <id>", "--only <id,…>", "--skip <id,…>", "--list",
                       "-w <file>", "--json", "-v, --verbose", "Exit status", "--giaddr <ip>", "--server <ip>", "--subnet <ip>"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
    }

    @Test func listGivesEveryCheckWithItsClauseAndLevel() throws {
        let text = try CLI.run(["conformance", "--list"])
        #expect(text.status == 0)
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.count == 38)
        #expect(lines.contains { $0.hasPrefix("offer-server-id") && $0.contains("2131 4.3.1") && $0.contains("MUST") })
        let json = try CLI.run(["conformance", "--list", "--json"])
        let events = try json.events()
        #expect(events.count == 38 && events.allSatisfy { $0["event"] as? String == "check" && $0["rfc"] is String })
        #expect(Set(events.compactMap { $0["level"] as? String }).isSubset(of: ["MUST", "SHOULD", "MAY", "INFO"]))
    }

    @Test(arguments: [["conformance"], ["conformance", "-i", "lo", "--only", "no-such-check"], ["conformance", "-i", "lo", "--skip", "x"],
                      ["conformance", "-i", "lo", "--wait", "0"], ["conformance", "-i", "lo", "--mac", "zz"], ["conformance", "-i", "lo", "--vlan", "0"], ["conformance", "--giaddr", "198.18.0.9"],
                      ["conformance", "--giaddr", "198.18.0.9", "--server", "x"], ["conformance", "-i", "lo", "--subnet", "nowhere"]])
    func usageErrorsExit64(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// No such interface: one line, exit 2, nothing sent.
    @Test func unknownInterfaceCannotRun() throws {
        let result = try CLI.run(["conformance", "-i", "nosuchif0"])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
    }
}
