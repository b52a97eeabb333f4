import ArgumentParser
import DHCPRuntime

/// --alert, --alert-severity, --alert-interval, --alert-timeout: a command run for each problem (sniff, probe --watch).
struct AlertOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run this command (/bin/sh -c) for each problem of at least --alert-severity, the problem's JSON event on its standard input.",
                               valueName: "command"))
    var alert: String?

    @Option(help: ArgumentHelp("The least severity that runs --alert: info, warning or error (default warning).", valueName: "severity"))
    var alertSeverity = "warning"

    @Option(help: ArgumentHelp("Run --alert at most once per problem code and subject (the server, or the address the problem names) in this many seconds (default 300).",
                               valueName: "seconds"))
    var alertInterval = 300.0

    @Option(help: ArgumentHelp("Kill an --alert command still running after this many seconds (default 10).", valueName: "seconds"))
    var alertTimeout = 10.0

    func validate() throws {
        if AlertGate.rank(alertSeverity) == nil { throw ValidationError("--alert-severity: '\(alertSeverity)' is not info, warning or error") }
        if !(alertInterval >= 0) { throw ValidationError("--alert-interval must be 0 or more") }
        if !(alertTimeout > 0) { throw ValidationError("--alert-timeout must be positive") }
        if let alert, alert.allSatisfy(\.isWhitespace) { throw ValidationError("--alert needs a command") }
        if alert == nil, alertSeverity != "warning" || alertInterval != 300 || alertTimeout != 10 {
            throw ValidationError("--alert-severity, --alert-interval and --alert-timeout go with --alert")
        }
    }

    func runner() -> AlertRunner? {
        alert.map { AlertRunner(command: $0, minimumSeverity: alertSeverity, interval: alertInterval, timeout: alertTimeout) }
    }
}
