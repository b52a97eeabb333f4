import ArgumentParser

@main
struct DHCPScope: ParsableCommand {
    /// The release: `--version`, the man page's header and HISTORY, and what written files say made them.
    static let version = "0.5.0"

    static let configuration = CommandConfiguration(
        commandName: "dhcpscope",
        abstract: "See and test DHCP: decode captures, rebuild transactions and client state, play a server, clients or a relay.",
        discussion: """
            Exit status: 0 nothing wrong was found; 1 the work ran and found problems (malformed messages, \
            a damaged capture file); 2 the work could not run (no input could be read); 64 usage error.
            probe exits as a Nagios plugin (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). See dhcpscope(1) for every \
            flag, JSON Lines event and field, diagnostic code and exit status.
            """,
        version: version,
        subcommands: [Decode.self, Analyse.self, Sniff.self, MockServer.self, MockClient.self, Relay.self, Probe.self, Perf.self,
                      Conformance.self]
    )

    /// argument-parser's main, except that probe's usage errors exit 3 (UNKNOWN), as a Nagios plugin must.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            if arguments.first == "probe", exitCode(for: error) == .validationFailure {
                Diagnostics.error(message(for: error))
                Diagnostics.error("usage: see 'dhcpscope probe --help'")
                exit(withError: ExitCode(3))
            }
            exit(withError: error)
        }
    }
}
