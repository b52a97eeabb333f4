import DHCPAnalysis
import DHCPv6Core
import Foundation
import Testing

/// The man page is the contract users read: it names the release the binary is, and every flag of every subcommand.
@Suite("man page")
struct ManPageTests {
    static let page: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("man/dhcpscope.1"), encoding: .utf8)) ?? ""
    }()

    @Test func versionIsTheBinarys() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0)
        let version = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Self.page.contains(".TH DHCPSCOPE 1 ") && Self.page.contains("\"dhcpscope \(version)\""))
        #expect(Self.page.contains(".B \(version)\n"), "HISTORY has no entry for \(version)")
    }

    @Test(arguments: ["decode", "analyse", "sniff", "mock-server", "mock-client", "relay", "probe", "perf"])
    func everyFlagIsDocumented(subcommand: String) throws {
        let help = try CLI.run([subcommand, "--help"])
        #expect(help.status == 0)
        let flags = Set(help.stdout.matches(of: /--[a-z][a-z0-9-]*/).map { String($0.output) })
        #expect(!flags.isEmpty)
        // The page escapes hyphens: --max-clients is \-\-max\-clients.
        let page = Self.page.replacingOccurrences(of: "\\-", with: "-")
        for flag in flags where flag != "--help" && flag != "--version" {
            #expect(page.contains(flag), "\(subcommand) \(flag) is not in the man page")
        }
    }

    /// The DHCPv6 option table and the DHCPv6 problem codes, each listed in the page.
    @Test func dhcpv6OptionsAndProblemsAreDocumented() {
        let page = Self.page.replacingOccurrences(of: "\\-", with: "-")
        for definition in DHCPv6OptionTable.definitions {
            #expect(page.contains("\\fB\(definition.name)\\fR (RFC \(definition.rfc))"), "option \(definition.code) \(definition.name)")
        }
        let codes: [Problem.Code] = [.solicitUnanswered, .advertiseNotRequested, .clientIDMismatch, .elapsedTimeNotGrowing,
                                     .rapidCommitMissing, .badLifetimes] + (1...6).map { Problem.Code.status(UInt16($0)) }
        for code in codes { #expect(page.contains(code.rawValue), "problem \(code)") }
    }
}
