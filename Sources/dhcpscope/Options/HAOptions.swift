import ArgumentParser
import DHCPCore
import DHCPProtocol

/// mock-server's high-availability pair: two servers on one shared lease database checking each other with
/// DHCPINFORM heartbeats.
struct HAOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Run as one of a redundant pair sharing a --lease-db postgresql:// database: hot-standby (the primary serves, the standby takes over when it is down) or load-balancing (each serves its half of the clients by the RFC 3074 hash, the survivor all).",
                               valueName: "mode"))
    var haMode: DHCPHAConfiguration.Mode?

    @Option(help: ArgumentHelp("This server's role: primary or standby (hot-standby), primary or secondary (load-balancing).", valueName: "role"))
    var haRole: DHCPHAConfiguration.Role?

    @Option(help: ArgumentHelp("The partner server's address, where the heartbeats (DHCPINFORM, unicast to port 67) go.", valueName: "ip"))
    var haPartner: String?

    @Option(help: ArgumentHelp("Seconds between heartbeats (default 1).", valueName: "seconds"))
    var haHeartbeat: Double = 1

    @Option(help: ArgumentHelp("Heartbeats unanswered in a row after which the partner is down (default 3).", valueName: "n"))
    var haMaxMissed: Int = 3

    @Option(help: ArgumentHelp("Load-balancing: answer a partner's client whose secs field has reached this (default 10).", valueName: "seconds"))
    var haSecsThreshold: UInt16 = 10

    /// The pair's configuration, nil without --ha-mode; `shared`: whether --lease-db names a database both share.
    func configuration(shared: Bool) throws(ValidationError) -> DHCPHAConfiguration? {
        guard let haMode else {
            if haRole != nil || haPartner != nil { throw ValidationError("--ha-role and --ha-partner need --ha-mode") }
            return nil
        }
        guard let haRole else { throw ValidationError("--ha-mode needs --ha-role") }
        guard let text = haPartner else { throw ValidationError("--ha-mode needs --ha-partner IP") }
        guard let partner = IPv4Address(text) else { throw ValidationError("--ha-partner: '\(text)' is not an IPv4 address") }
        guard shared else {
            throw ValidationError("--ha-mode needs a lease database both servers share: --lease-db postgresql://…")
        }
        let configuration = DHCPHAConfiguration(mode: haMode, role: haRole, partner: partner, heartbeat: haHeartbeat,
                                                maxMissed: haMaxMissed, secondsThreshold: haSecsThreshold)
        if let problem = configuration.problem { throw ValidationError("--ha-mode \(haMode.rawValue): \(problem)") }
        return configuration
    }
}

extension DHCPHAConfiguration.Mode: ExpressibleByArgument {}
extension DHCPHAConfiguration.Role: ExpressibleByArgument {}
