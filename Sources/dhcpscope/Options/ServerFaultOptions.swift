import ArgumentParser
import DHCPCore
import DHCPProtocol

/// The deliberate faults of mock-server: each maps onto the server's fault model.
struct ServerFaultOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Drop PCT % of received messages, or only of one type: [TYPE:]PCT.", valueName: "[type:]pct"))
    var drop: String?

    @Option(help: ArgumentHelp("Delay every reply by MS milliseconds.", valueName: "ms"))
    var delay: Double?

    @Flag(help: "NAK every REQUEST.")
    var nakAll = false

    @Flag(help: "Offer but never ACK.")
    var offerOnly = false

    @Flag(help: "Stay silent to RENEWING requests, so that clients rebind.")
    var ignoreRenew = false

    @Flag(help: "Send replies with another server identifier (option 54).")
    var wrongServerId = false

    @Flag(help: "Behave as if no address were free: no OFFER, NAK for requests.")
    var exhaust = false

    @Flag(help: "Answer as a second, rogue server: another server identifier, router and DNS.")
    var rogue = false

    @Flag(help: "Offer and acknowledge addresses already bound to other clients.")
    var duplicateIp = false

    @Option(help: ArgumentHelp("Answer only these: discover, selecting, init-reboot, renewing, rebinding, decline, release, inform (comma-separated).",
                               valueName: "kind,…"))
    var answerOnly: String?

    @Option(help: ArgumentHelp("At most N new allocations per second (a token bucket, plus a per-MAC limit): known clients keep being served in a flood.",
                               valueName: "N"))
    var rateLimit: Double?

    func validate() throws {
        _ = try faults(serverIdentifier: IPv4Address(198, 18, 0, 1))
        if let rateLimit, rateLimit <= 0 { throw ValidationError("--rate-limit must be positive") }
        if let delay, delay < 0 { throw ValidationError("--delay cannot be negative") }
    }

    func faults(serverIdentifier: IPv4Address) throws -> DHCPServerFaults {
        var faults = DHCPServerFaults()
        if let drop {
            let parts = drop.split(separator: ":")
            guard let percentage = parts.last.flatMap({ Double($0) }), (0...100).contains(percentage), parts.count <= 2 else {
                throw ValidationError("--drop: '\(drop)' is not [TYPE:]PERCENT")
            }
            faults.dropPercentage = percentage
            if parts.count == 2 {
                guard let type = DHCPMessageType(name: String(parts[0])) else {
                    throw ValidationError("--drop: '\(parts[0])' is not a DHCP message type")
                }
                faults.dropOnly = type
            }
        }
        faults.replyDelay = (delay ?? 0) / 1000
        faults.nakAll = nakAll
        faults.offerOnly = offerOnly
        faults.ignoreRenew = ignoreRenew
        faults.exhaust = exhaust
        faults.duplicateAddress = duplicateIp
        // Another address of the same subnet's last octet: recognisably ours, and wrong.
        let other = IPv4Address(rawValue: serverIdentifier.rawValue ^ 0x01)
        if wrongServerId { faults.wrongServerIdentifier = other }
        if rogue {
            faults.rogue = DHCPRogueProfile(serverIdentifier: other, routers: [other], domainNameServers: [other])
        }
        if let answerOnly {
            var kinds = Set<DHCPServerMessageKind>()
            for item in answerOnly.split(separator: ",") {
                switch item.lowercased() {
                case "discover": kinds.insert(.discover)
                case "selecting": kinds.insert(.request(.selecting))
                case "init-reboot": kinds.insert(.request(.initReboot))
                case "renewing": kinds.insert(.request(.renewing))
                case "rebinding": kinds.insert(.request(.rebinding))
                case "decline": kinds.insert(.decline)
                case "release": kinds.insert(.release)
                case "inform": kinds.insert(.inform)
                default: throw ValidationError("--answer-only: '\(item)' is not one of discover, selecting, init-reboot, renewing, rebinding, decline, release, inform")
                }
            }
            faults.answerOnly = kinds
        }
        return faults
    }
}
