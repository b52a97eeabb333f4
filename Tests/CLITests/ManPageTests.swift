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
}
