import DHCPClients
import DHCPConformance
import DHCPCore
import DHCPNetwork
import DHCPProtocol
import Framing

/// The conformance battery on a layer-2 link: scenarios of fresh synthetic clients, each a `DHCPClient` machine
/// in a `DHCPClientFleet` (the machine mock-client, probe and perf run), whose replies are judged by
/// `ConformanceJudge` and the scenario's own rules. Every lease taken is released at the end; the whole battery
/// sends a few dozen messages.
public final class ConformanceRunner {
    public struct Settings: Sendable {
        /// The clients' MACs count up from it (locally administered).
        public var firstMAC: MACAddress
        /// Seconds to wait for an answer (and, where silence is the right answer, how long silence must last).
        public var wait: Double = 2
        public var vlan: UInt16?
        /// As a relay agent: every request from `giaddr` (UDP port 67) to `server`, with option 82; the socket must be
        /// a UDP link then.
        public var relay: Relay?
        /// A subnet the server serves other than the link's: options 118 and 82.5 ask for an address from it.
        public var otherSubnet: IPv4Address?

        public struct Relay: Sendable {
            public var giaddr: IPv4Address
            public var server: IPv4Address
            public init(giaddr: IPv4Address, server: IPv4Address) { self.giaddr = giaddr; self.server = server }
        }

        public init(firstMAC: MACAddress) { self.firstMAC = firstMAC }
    }

    /// The battery could not run: nobody answered the first DISCOVER.
    public struct CannotRun: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let settings: Settings
    let socket: any DHCPClientLink
    /// Every frame sent and received, for -w and -v.
    public var onFrame: ((_ frame: [UInt8], _ sent: Bool) -> Void)?
    /// As a relay agent: every datagram sent to or received from a server.
    public var onDatagram: ((_ payload: [UInt8], _ peer: IPv4Address, _ sent: Bool) -> Void)?
    private var frameCount = 0
    /// Every client of the battery, in one fleet over the link: a late reply still reaches its client's machine.
    private var clients: [DHCPClientSettings] = []
    private var fleet: DHCPClientFleet?
    private var frames: [ConformanceFrame] = []
    private var verdicts: [ConformanceVerdict] = []
    private var naks: [ConformanceFrame] = []

    public init(socket: any DHCPClientLink, settings: Settings) {
        self.socket = socket
        self.settings = settings
    }

    /// Runs the battery; `verdict` is told of each check as it is judged. Returns every verdict, in the catalogue's
    /// order.
    public func run(_ verdict: (ConformanceVerdict) -> Void) throws -> [ConformanceVerdict] {
        func report(_ judged: ConformanceVerdict) {
            verdicts.append(judged)
            verdict(judged)
        }
        // The clients of every scenario, made before the fleet.
        let dora = session(1) { client, _ in
            client.clientIdentifier = [1] + client.hardwareAddress.bytes
            client.parameterRequestList = [1, 3, 6, 15, 51, 54, 58, 59]
        }
        let broadcast = session(1) { client, _ in client.broadcastFlag = true }
        let stranger = session(1), traveller = session(1), chooser = session(2), second = session(1)
        let decliner = session(1) { client, _ in client.declineFirstLease = true }
        let asker = session(1)
        let small = session(1) { client, _ in
            client.offerWindow = 3600
            client.maximumMessageSize = 576
            client.parameterRequestList = Array(1...254).filter { $0 != 52 && $0 != 53 }
        }
        let greedy = session(1) { client, _ in
            client.offerWindow = 3600
            client.maximumMessageSize = 1500
            client.parameterRequestList = Array(1...254).filter { $0 != 52 && $0 != 53 }
        }
        let mangled = session(1) { client, _ in client.offerWindow = 3600 }
        let twins = session(2) { client, _ in client.offerWindow = 3600 }
        let bootp = session(1) { client, _ in client.offerWindow = 3600 }
        let other = settings.otherSubnet
        let subnetPicker = session(1) { client, _ in
            client.offerWindow = 3600
            if let other { client.extraOptions.append(DHCPOption(.subnetSelection, address: other)) }
        }
        let linking = session(1) { client, _ in
            client.offerWindow = 3600
            client.extraOptions = [Self.agentInformation(client.hardwareAddress, linkSelection: other)]
        }
        let stamped = session(1) { client, _ in
            client.offerWindow = 3600
            client.extraOptions = [Self.agentInformation(client.hardwareAddress, linkSelection: nil)]
        }
        let relayed = settings.relay != nil
        fleet = DHCPClientFleet(socket: socket, clients: clients, seed: settings.firstMAC.rawValue &* 0x9E37_79B9_7F4A_7C15, vlan: settings.vlan)
        defer { releaseAll() }
        // A: DORA as an ordinary client (client identifier, parameter request list, no broadcast bit).
        try dora.drive { $0.state(0) == .bound || $0.replies(0, .nak).count > 0 }
        guard let offer = dora.replies(0, .offer).first, let discover = dora.request(answeredBy: offer)?.message else {
            throw CannotRun(description: "no OFFER to a DISCOVER within \(2 * settings.wait) s: no DHCP server answers on this link")
        }
        for judged in ConformanceJudge.form(of: offer, answering: discover, serverID: .offerServerID, leaseTime: .offerLeaseTime,
                                            echo: .offerEcho) { report(judged) }
        if let reply = offer.reply, let identifier = reply.serverIdentifier {
            let same = identifier == offer.sourceIP
            report(ConformanceVerdict(.serverIDIsSource, same ? .pass : .fail,
                                      same ? nil : "server identifier \(identifier), sent from \(offer.sourceIP)", frames: [offer.number]))
        } else {
            report(ConformanceVerdict(.serverIDIsSource, .inconclusive, "no server identifier in the OFFER", frames: [offer.number]))
        }
        let ack = dora.replies(0, .ack).first
        let selecting = dora.sent(0, .request).first
        let answer = dora.replies(0).first { $0.reply?.messageType != .offer && $0.message?.xid == selecting?.message?.xid }
        report(ConformanceVerdict(.requestAcked, answer?.reply?.messageType == .ack ? .pass : .fail,
                                  answer?.reply?.messageType == .ack ? nil
                                      : answer.map { "\($0.reply?.typeName ?? "reply") to a REQUEST for the address it offered" }
                                      ?? "no answer to a SELECTING REQUEST for the address it offered",
                                  frames: [selecting?.number, answer?.number].compactMap { $0 }))
        if let ack, let request = dora.request(answeredBy: ack), let requested = request.message, let reply = ack.reply {
            for judged in ConformanceJudge.form(of: ack, answering: requested, serverID: .ackServerID, leaseTime: .ackLeaseTime,
                                                echo: .ackEcho) { report(judged) }
            let asked = requested.requestedAddress
            report(ConformanceVerdict(.ackSameAddress, asked == reply.yourAddress ? .pass : .fail,
                                      asked == reply.yourAddress ? nil : "ACK for \(reply.yourAddress), REQUEST for \(asked?.description ?? "none")",
                                      frames: [request.number, ack.number]))
            if let timers = ConformanceJudge.timers(ack) { report(timers) }
            else { report(ConformanceVerdict(.timersOrdered, .fail, "ACK without a lease time", frames: [ack.number])) }
            let mask = reply.hasOption(.subnetMask)
            report(ConformanceVerdict(.parametersSupplied, mask ? .pass : .fail, mask ? nil : "option 55 asked for 1; the ACK has none",
                                      frames: [ack.number]))
        } else {
            let seen = dora.replies(0).map(\.describe).joined(separator: "; ")
            for check in [ConformanceCheck.ackServerID, .ackLeaseTime, .ackEcho, .ackSameAddress, .timersOrdered, .parametersSupplied] {
                report(ConformanceVerdict(check, .inconclusive, "no ACK to the REQUEST" + (seen.isEmpty ? "" : ": \(seen)"),
                                          frames: [offer.number]))
            }
        }
        if let onLink = ConformanceJudge.onLink(ack ?? offer) { report(onLink) }
        let sentID = [UInt8(1)] + dora.mac(0).bytes
        let echoed = [offer] + (ack.map { [$0] } ?? [])
        let missing = echoed.filter { $0.reply?.option(.clientIdentifier)?.data != sentID }
        report(ConformanceVerdict(.clientIDEcho, missing.isEmpty ? .pass : .fail,
                                  missing.isEmpty ? nil : missing.map { "\($0.reply?.typeName ?? "reply") without the client identifier" }
                                      .joined(separator: "; "), frames: echoed.map(\.number)))
        if relayed {
            let notHere = "as a relay agent: the relay delivers replies on the client's link"
            report(ConformanceVerdict(.unicastReply, .notApplicable, notHere))
            report(ConformanceVerdict(.broadcastBit, .notApplicable, notHere))
            let giaddr = settings.relay?.giaddr ?? .any
            let kept = offer.reply?.relayAddress == giaddr
            report(ConformanceVerdict(.relayReply, kept ? .pass : .fail,
                                      kept ? nil : "OFFER with giaddr \(offer.reply?.relayAddress.description ?? "?") for \(giaddr)", frames: [offer.number]))
            let sent = discover.option(.relayAgentInformation)?.data
            let echoed = offer.reply?.option(.relayAgentInformation)?.data
            report(ConformanceVerdict(.agentInformationEcho, echoed == sent ? .pass : .fail,
                                      echoed == sent ? nil : echoed == nil ? "OFFER without option 82" : "OFFER with another option 82",
                                      frames: [offer.number]))
        } else {
            if let addressing = ConformanceJudge.addressing(offer, broadcastBit: false) { report(addressing) }
            let notHere = "on the link: give --giaddr and --server to test as a relay agent"
            report(ConformanceVerdict(.relayReply, .notApplicable, notHere))
            report(ConformanceVerdict(.agentInformationEcho, .notApplicable, notHere))

            // B: the broadcast bit.
            try broadcast.drive { $0.state(0) == .bound }
            let broadcastReplies = broadcast.replies(0, .offer).prefix(1) + broadcast.replies(0, .ack).prefix(1)
            let judged = broadcastReplies.compactMap { ConformanceJudge.addressing($0, broadcastBit: true) }
            report(judged.first { $0.result == .fail } ?? judged.first
                ?? ConformanceVerdict(.broadcastBit, .inconclusive, "no OFFER to a DISCOVER with the broadcast bit"))
        }

        // C, D, E: renewing, rebinding and informing as the client A that holds a lease.
        let held = dora.lease(0)
        if let held {
            if relayed {
                report(ConformanceVerdict(.renewExtends, .notApplicable, "a client renews with the server itself, not through a relay agent"))
            } else {
                try dora.act { $0.renew(0, now: $1, $2) }
                let renewRequest = dora.sent(0, .request).last
                try dora.drive { session in session.replies(0, .ack).contains { $0.message?.xid == renewRequest?.message?.xid } }
                let renewed = dora.replies(0).last { $0.message?.xid == renewRequest?.message?.xid }
                report(judgeAck(.renewExtends, renewed, address: held.address, asked: "a RENEWING REQUEST (unicast)"))
            }

            try dora.act { $0.probe(0, .rebinding(held.address), now: $1, $2) }
            let rebindRequest = dora.sent(0, .request).last
            try dora.drive { session in session.replies(0).contains { $0.message?.xid == rebindRequest?.message?.xid } }
            report(judgeAck(.rebindAcked, dora.replies(0).last { $0.message?.xid == rebindRequest?.message?.xid },
                            address: held.address, asked: "a REBINDING REQUEST (broadcast)"))

            if relayed {
                for check in [ConformanceCheck.informAnswered, .informNoLease, .informUnicast] {
                    report(ConformanceVerdict(check, .notApplicable, "a client informs the server from its own address, not through a relay agent"))
                }
            } else {
                try dora.act { $0.inform(0, address: held.address, now: $1, $2) }
                let inform = dora.sent(0, .inform).last
                try dora.drive { session in session.replies(0).contains { $0.message?.xid == inform?.message?.xid } }
                let informAck = dora.replies(0).last { $0.message?.xid == inform?.message?.xid && $0.message?.messageType == .ack }
                judgeInform(informAck, inform: inform, report)
            }
        } else {
            for check in [ConformanceCheck.renewExtends, .rebindAcked, .informAnswered, .informNoLease, .informUnicast] {
                report(ConformanceVerdict(check, .inconclusive, "no lease to renew, rebind or inform from"))
            }
        }

        // F, G: INIT-REBOOT by clients the server does not know.
        if let held {
            try stranger.act { $0.probe(0, .initReboot(held.address), now: $1, $2) }
            try stranger.drive(for: settings.wait) { !$0.replies(0).isEmpty }
            let answer = stranger.replies(0).first
            let acked = answer?.reply?.messageType == .ack
            report(ConformanceVerdict(.initRebootUnknownClient, acked ? .fail : .pass,
                                      acked ? "ACK for \(held.address), leased to another client" : answer.map { "\($0.reply?.typeName ?? "reply"): allowed" },
                                      frames: stranger.numbers(0)))
            collectNAKs(stranger)

            let wrong = Self.otherNetwork(held.address, mask: dora.replies(0, .ack).first.flatMap(Self.mask))
            try traveller.act { $0.probe(0, .initReboot(wrong), now: $1, $2) }
            try traveller.drive(for: settings.wait) { !$0.replies(0).isEmpty }
            let said = traveller.replies(0).first?.reply?.messageType
            report(ConformanceVerdict(.initRebootWrongNetwork, said == .nak ? .pass : said == nil ? .notApplicable : .fail,
                                      said == .nak ? nil : said == nil ? "silent for \(wrong): a server that is not authoritative stays silent for a client it does not know"
                                          : "\(said.map { "\($0)" } ?? "reply") for \(wrong), on another network",
                                      frames: traveller.numbers(0)))
            collectNAKs(traveller)
        } else {
            report(ConformanceVerdict(.initRebootUnknownClient, .inconclusive, "no lease to name"))
            report(ConformanceVerdict(.initRebootWrongNetwork, .inconclusive, "no lease to find the network from"))
        }

        // H, I: SELECTING REQUESTs the server did not offer.
        let elsewhere = IPv4Address(198, 18, 255, 253) == offer.reply?.serverIdentifier ? IPv4Address(198, 18, 255, 252) : IPv4Address(198, 18, 255, 253)
        try chooser.act { $0.probe(0, .selecting(server: elsewhere, address: offer.reply?.yourAddress ?? .any), now: $1, $2) }
        try chooser.drive(for: settings.wait) { !$0.replies(0).isEmpty }
        let meddled = chooser.replies(0).first
        report(ConformanceVerdict(.otherServerSilence, meddled == nil ? .pass : .fail,
                                  meddled.map { "\($0.reply?.typeName ?? "reply") to a REQUEST naming \(elsewhere)" }, frames: chooser.numbers(0)))
        if let server = offer.reply?.serverIdentifier, let yiaddr = offer.reply?.yourAddress {
            // An address of the next network: never offered, and no server on this link can give it.
            let never = Self.otherNetwork(yiaddr, mask: Self.mask(offer))
            try chooser.act { $0.probe(1, .selecting(server: server, address: never), now: $1, $2) }
            try chooser.drive(for: settings.wait) { !$0.replies(1).isEmpty }
            let said = chooser.replies(1).first?.reply?.messageType
            report(ConformanceVerdict(.notOfferedNAK, said == .nak ? .pass : .fail,
                                      said == .nak ? nil : said == nil ? "silent: no NAK for \(never), which it never offered"
                                          : "\(said.map { "\($0)" } ?? "reply") for \(never), which it never offered",
                                      frames: chooser.numbers(1)))
        } else {
            report(ConformanceVerdict(.notOfferedNAK, .inconclusive, "no OFFER to learn the server from"))
        }
        collectNAKs(chooser)
        report(naks.first.flatMap(ConformanceJudge.nakForm) ?? ConformanceVerdict(.nakForm, .inconclusive, "no NAK came"))

        // K: RELEASE, then a second client asks for the address (option 50).
        if let held {
            try dora.act { $0.release(0, now: $1, $2) }
            try dora.drive(for: 0.2) { _ in false }
            try second.act { $0.probe(0, .discoverRequesting(held.address), now: $1, $2) }
            try second.drive { !$0.replies(0, .offer).isEmpty }
            let offered = second.replies(0, .offer).first
            let same = offered?.reply?.yourAddress == held.address
            let detail = offered.map { "offered \($0.reply?.yourAddress.description ?? "?") for \(held.address)" } ?? "no OFFER"
            report(ConformanceVerdict(.requestedAddress, offered == nil ? .inconclusive : same ? .pass : .fail, same ? nil : detail,
                                      frames: second.numbers(0)))
            report(ConformanceVerdict(.releaseFrees, offered == nil ? .inconclusive : same ? .pass : .fail,
                                      same ? nil : detail + " after its RELEASE", frames: second.numbers(0)))
        } else {
            report(ConformanceVerdict(.requestedAddress, .inconclusive, "no lease"))
            report(ConformanceVerdict(.releaseFrees, .inconclusive, "no lease to release"))
        }

        // L: DECLINE, then a client asks for the declined address.
        try decliner.drive { !$0.sent(0, .decline).isEmpty }
        if let decline = decliner.sent(0, .decline).first, let declined = decline.message?.requestedAddress {
            try asker.act { $0.probe(0, .discoverRequesting(declined), now: $1, $2) }
            try asker.drive { !$0.replies(0, .offer).isEmpty }
            let offered = asker.replies(0, .offer).first?.reply?.yourAddress
            report(ConformanceVerdict(.declineQuarantine, offered == nil ? .inconclusive : offered == declined ? .fail : .pass,
                                      offered == declined ? "\(declined) offered again after a DECLINE" : offered == nil ? "no OFFER" : nil,
                                      frames: [decline.number] + asker.numbers(0)))
        } else {
            report(ConformanceVerdict(.declineQuarantine, .inconclusive, "no lease to decline", frames: decliner.numbers(0)))
        }

        // M: a maximum message size of 576 and every option asked for.
        try small.act { $0.probe(0, .discover, now: $1, $2) }
        try small.drive { !$0.replies(0).isEmpty }
        if let reply = small.replies(0).first {
            let fits = reply.payloadLength <= 576 - 28
            report(ConformanceVerdict(.maximumMessageSize, fits ? .pass : .fail,
                                      fits ? nil : "a \(reply.payloadLength)-byte \(reply.reply?.typeName ?? "reply") for at most 548", frames: [reply.number]))
        } else {
            report(ConformanceVerdict(.maximumMessageSize, .inconclusive, "no answer to a DISCOVER with option 57 = 576"))
        }

        // M2: every option asked for, room for them: is a long one split (RFC 3396)?
        try greedy.act { $0.probe(0, .discover, now: $1, $2) }
        try greedy.drive { !$0.replies(0, .offer).isEmpty }
        report(ConformanceJudge.longOptions(greedy.replies(0) + dora.replies(0)))

        // N: a malformed DISCOVER (cut short inside the fixed header), then a good one.
        try mangled.act { $0.probe(0, .discover, now: $1, $2) }
        if let good = mangled.sent(0, .discover).first?.message {
            try mangled.drive { !$0.replies(0).isEmpty }
            // Cut inside the fixed header (236 bytes): no DHCP message at all, under a new xid.
            var broken = Array(good.serialize().prefix(200))
            broken.replaceSubrange(4..<8, with: [0xde, 0xad, 0xbe, 0xef])
            try mangled.raw(broken, from: mangled.mac(0))
            try mangled.drive(for: settings.wait) { session in session.replies(0).contains { $0.message?.xid == 0xdead_beef } }
            let answeredBroken = mangled.replies(0).first { $0.message?.xid == 0xdead_beef }
            try mangled.act { $0.probe(0, .discover, now: $1, $2) }
            let again = mangled.sent(0, .discover).last?.message?.xid
            try mangled.drive { session in session.replies(0).contains { $0.message?.xid == again } }
            let stillAnswers = mangled.replies(0).contains { $0.message?.xid == again }
            report(ConformanceVerdict(.malformedIgnored, answeredBroken == nil && stillAnswers ? .pass : .fail,
                                      answeredBroken != nil ? "answered the malformed DISCOVER" : stillAnswers ? nil : "no answer to a good DISCOVER after it",
                                      frames: mangled.numbers(0)))
        }

        // O: two clients, one xid.
        try twins.act { $0.probe(0, .discover, now: $1, $2) }
        if let first = twins.sent(0, .discover).first?.message {
            var copy = first
            copy.chaddr = twins.mac(1).bytes + [UInt8](repeating: 0, count: 10)
            try twins.raw(copy.serialize(), from: twins.mac(1))
            try twins.drive { !$0.replies(0, .offer).isEmpty && !$0.replies(1, .offer).isEmpty }
            let both = !twins.replies(0, .offer).isEmpty && !twins.replies(1, .offer).isEmpty
            report(ConformanceVerdict(.sameXIDKeptApart, both ? .pass : .fail,
                                      both ? nil : "OFFERs for \(twins.replies(0, .offer).isEmpty ? "" : "the first ")\(twins.replies(1, .offer).isEmpty ? "" : "the second ")client only",
                                      frames: twins.numbers(0) + twins.numbers(1)))
        }

        // P: BOOTP.
        try bootp.act { $0.probe(0, .bootp, now: $1, $2) }
        try bootp.drive(for: settings.wait) { !$0.replies(0).isEmpty }
        let bootReply = bootp.replies(0).first
        report(ConformanceVerdict(.bootpAnswered, bootReply == nil ? .notApplicable : .pass,
                                  bootReply.map { "answered: \($0.reply?.yourAddress.description ?? "?")" } ?? "not answered: a DHCP-only server",
                                  frames: bootp.numbers(0)))

        // R: option 82 from a client on the link (giaddr 0): not the relay agent's, not to be echoed.
        if relayed {
            report(ConformanceVerdict(.agentInformationUnrelayed, .notApplicable, "as a relay agent every request is relayed"))
        } else {
            try stamped.act { $0.probe(0, .discover, now: $1, $2) }
            try stamped.drive { !$0.replies(0, .offer).isEmpty }
            if let answer = stamped.replies(0, .offer).first {
                let echoed = answer.reply?.hasOption(.relayAgentInformation) ?? false
                report(ConformanceVerdict(.agentInformationUnrelayed, echoed ? .fail : .pass,
                                          echoed ? "the OFFER echoes option 82 of a request with giaddr 0" : nil, frames: stamped.numbers(0)))
            } else {
                report(ConformanceVerdict(.agentInformationUnrelayed, .inconclusive, "no OFFER to a DISCOVER carrying option 82",
                                          frames: stamped.numbers(0)))
            }
        }

        // Q: subnet selection (118) and, as a relay agent, link selection (82.5), for --subnet.
        if let other {
            for (check, session) in [(ConformanceCheck.subnetSelection, subnetPicker), (.linkSelection, linking)] {
                if check == .linkSelection, !relayed {
                    report(ConformanceVerdict(check, .notApplicable, "link selection is a relay agent's: give --giaddr and --server"))
                    continue
                }
                try session.act { $0.probe(0, .discover, now: $1, $2) }
                try session.drive { !$0.replies(0, .offer).isEmpty }
                guard let answer = session.replies(0, .offer).first, let yiaddr = answer.reply?.yourAddress else {
                    report(ConformanceVerdict(check, .inconclusive, "no OFFER", frames: session.numbers(0)))
                    continue
                }
                let mask = Self.mask(answer)?.rawValue ?? 0xFFFF_FF00
                let inside = yiaddr.rawValue & mask == other.rawValue & mask
                report(ConformanceVerdict(check, inside ? .pass : .fail, inside ? nil : "offered \(yiaddr), outside \(other)'s subnet",
                                          frames: session.numbers(0)))
            }
        } else {
            report(ConformanceVerdict(.subnetSelection, .notApplicable, "give --subnet: an address of another subnet the server serves"))
            report(ConformanceVerdict(.linkSelection, .notApplicable, "give --subnet with --giaddr and --server"))
        }

        return ConformanceCheck.all.compactMap { check in verdicts.first { $0.check == check } }
    }

    // MARK: judging helpers

    private func judgeAck(_ check: ConformanceCheck, _ frame: ConformanceFrame?, address: IPv4Address, asked: String) -> ConformanceVerdict {
        guard let frame, let reply = frame.reply else { return ConformanceVerdict(check, .fail, "no answer to \(asked)") }
        let good = reply.messageType == .ack && reply.yourAddress == address && reply.leaseTime != nil
        return ConformanceVerdict(check, good ? .pass : .fail,
                                  good ? nil : "\(reply.typeName) with yiaddr \(reply.yourAddress)\(reply.leaseTime == nil ? ", no lease time" : "") to \(asked) for \(address)",
                                  frames: [frame.number])
    }

    private func judgeInform(_ ack: ConformanceFrame?, inform: ConformanceFrame?, _ report: (ConformanceVerdict) -> Void) {
        guard let ack, let reply = ack.reply, let ciaddr = inform?.message?.clientAddress else {
            report(ConformanceVerdict(.informAnswered, .fail, "no ACK to an INFORM", frames: inform.map { [$0.number] } ?? []))
            report(ConformanceVerdict(.informNoLease, .inconclusive, "no ACK to an INFORM"))
            report(ConformanceVerdict(.informUnicast, .inconclusive, "no ACK to an INFORM"))
            return
        }
        report(ConformanceVerdict(.informAnswered, .pass, frames: [ack.number]))
        let defects = ConformanceJudge.informAckDefects(reply)
        report(ConformanceVerdict(.informNoLease, defects == nil ? .pass : .fail, defects, frames: [ack.number]))
        let unicast = ack.destinationIP == ciaddr
        report(ConformanceVerdict(.informUnicast, unicast ? .pass : .fail, unicast ? nil : "ACK sent to \(ack.destinationIP), ciaddr \(ciaddr)",
                                  frames: [ack.number]))
    }

    private func collectNAKs(_ session: Session) {
        naks += session.frames.filter { $0.reply?.messageType == .nak }
    }

    /// The subnet mask (option 1) of a reply.
    static func mask(_ frame: ConformanceFrame) -> IPv4Address? {
        if case .ipv4(let mask)? = frame.reply?.value(.subnetMask) { return mask }
        return nil
    }

    /// An address on the network next to `address`'s (by `mask`, a /24 without one).
    static func otherNetwork(_ address: IPv4Address, mask: IPv4Address?) -> IPv4Address {
        let bits = mask?.rawValue ?? 0xFFFF_FF00
        let size = ~bits &+ 1
        return IPv4Address(rawValue: ((address.rawValue & bits) &+ size) | 5)
    }

    // MARK: sessions

    /// `count` fresh clients (MACs never used before), adjusted: a scenario's part of the battery's one fleet.
    private func session(_ count: Int, _ adjust: (inout DHCPClientSettings, Int) -> Void = { _, _ in }) -> Session {
        var indices: [Int] = []
        for index in 0..<count {
            var client = DHCPClientSettings(hardwareAddress: MACAddress(rawValue: settings.firstMAC.rawValue + UInt64(clients.count)))
            client.requestAttempts = 2
            if let relay = settings.relay {
                client.relayAddress = relay.giaddr
                client.relayServer = relay.server
                client.extraOptions = [Self.agentInformation(client.hardwareAddress, linkSelection: nil)]
            }
            adjust(&client, index)
            indices.append(clients.count)
            clients.append(client)
        }
        return Session(runner: self, indices: indices, wait: settings.wait)
    }

    /// Option 82 as a relay agent adds it: circuit-id "dhcpscope", remote-id the client's MAC, and link selection
    /// (suboption 5) when asked.
    static func agentInformation(_ mac: MACAddress, linkSelection: IPv4Address?) -> DHCPOption {
        let circuit = Array("dhcpscope".utf8)
        var data: [UInt8] = [1, UInt8(circuit.count)] + circuit + [2, 6] + mac.bytes
        if let linkSelection { data += [5, 4] + linkSelection.octets }
        return DHCPOption(.relayAgentInformation, data)
    }

    fileprivate func handle(_ event: DHCPClientFleet.Event) {
        switch event {
        case .frame(let bytes, let sent):
            frameCount += 1
            onFrame?(bytes, sent)
            if let frame = ConformanceFrame(bytes, number: frameCount, sent: sent) { frames.append(frame) }
        case .datagram(let payload, let peer, let sent):
            frameCount += 1
            onDatagram?(payload, peer, sent)
            frames.append(ConformanceFrame(datagram: payload, peer: peer, local: settings.relay?.giaddr ?? .any, number: frameCount, sent: sent))
        default:
            break
        }
    }

    /// Gives back every lease a client holds: the replies still on their way are read first (a client whose ACK
    /// came after its scenario was judged holds a lease too), then each bound client releases.
    private func releaseAll() {
        guard let fleet else { return }
        let end = fleet.clock() + 0.5
        while fleet.clock() < end, (try? fleet.step(until: end, handle)) == true {}
        let now = fleet.clock()
        for index in fleet.clients.indices where [.bound, .renewing, .rebinding].contains(fleet.clients[index].state) {
            fleet.release(index, now: now, handle)
        }
    }

    /// One scenario's clients (their places in the fleet), what they sent and received, and the driving.
    final class Session {
        unowned let runner: ConformanceRunner
        let indices: [Int]
        let wait: Double
        private var started = false

        init(runner: ConformanceRunner, indices: [Int], wait: Double) {
            self.runner = runner; self.indices = indices; self.wait = wait
        }

        private var fleet: DHCPClientFleet {
            guard let fleet = runner.fleet else { preconditionFailure("a session is driven only once the fleet exists") }
            return fleet
        }

        func mac(_ index: Int) -> MACAddress { runner.clients[indices[index]].hardwareAddress }
        func state(_ index: Int) -> DHCPClientState { fleet.clients[indices[index]].state }
        func lease(_ index: Int) -> DHCPClientLease? { fleet.clients[indices[index]].lease }

        /// Something done to client `index`'s place in the fleet now (a probe, a renewal, a release): `body` gets
        /// a fleet view where 0 is the scenario's first client.
        func act(_ body: (Acting, Double, (DHCPClientFleet.Event) -> Void) -> Void) throws {
            started = true
            body(Acting(fleet: fleet, indices: indices), fleet.clock(), runner.handle)
        }

        /// Steps the fleet until `done` or `seconds` pass (twice the wait by default); the first client starts DORA
        /// if nothing was done yet.
        func drive(for seconds: Double? = nil, until done: (Session) -> Bool) throws {
            if !started {
                started = true
                fleet.start(indices[0], remembering: nil, now: fleet.clock(), runner.handle)
            }
            let end = fleet.clock() + (seconds ?? 2 * wait)
            while fleet.clock() < end, !done(self) {
                guard try fleet.step(until: end, runner.handle) else { return }
            }
        }

        /// A frame built from a message the machine made, sent as it is.
        func raw(_ payload: [UInt8], from mac: MACAddress) throws {
            if let relay = runner.settings.relay {
                try fleet.socket.send(datagram: payload, to: relay.server, port: 67, from: relay.giaddr)
                return runner.handle(.datagram(payload, peer: relay.server, sent: true))
            }
            let frame = FrameBuilder.udp(sourceMAC: mac, destinationMAC: .broadcast, sourceIP: .any, destinationIP: .broadcast,
                                         sourcePort: 68, destinationPort: 67, payload: payload)
            try fleet.socket.send(frame: frame)
            runner.handle(.frame(frame, sent: true))
        }

        /// Replies for client `index` (by chaddr), of `type` if given.
        func replies(_ index: Int, _ type: DHCPMessageType? = nil) -> [ConformanceFrame] {
            let mac = self.mac(index)
            return runner.frames.filter { frame in
                guard let reply = frame.reply, reply.clientMAC == mac else { return false }
                return type == nil || reply.messageType == type
            }
        }

        /// Messages client `index` sent, of `type`.
        func sent(_ index: Int, _ type: DHCPMessageType) -> [ConformanceFrame] {
            let mac = self.mac(index)
            return runner.frames.filter { $0.sent && $0.message?.op == DHCPMessage.bootRequest && $0.message?.clientMAC == mac
                && $0.message?.messageType == type }
        }

        /// Every frame of this scenario's clients.
        var frames: [ConformanceFrame] {
            let macs = Set(indices.indices.map(mac))
            return runner.frames.filter { $0.message?.clientMAC.map(macs.contains) ?? false }
        }

        /// The request a reply answers: the last one sent before it with its xid.
        func request(answeredBy reply: ConformanceFrame) -> ConformanceFrame? {
            runner.frames.last { $0.sent && $0.number < reply.number && $0.message?.xid == reply.message?.xid }
        }

        /// The frames of client `index`, sent and received.
        func numbers(_ index: Int) -> [Int] {
            let mac = self.mac(index)
            return runner.frames.filter { $0.message?.clientMAC == mac }.map(\.number)
        }
    }

    /// The fleet as a scenario sees it: its clients numbered from 0.
    struct Acting {
        let fleet: DHCPClientFleet
        let indices: [Int]

        func probe(_ index: Int, _ probe: DHCPProbe, now: Double, _ handler: (DHCPClientFleet.Event) -> Void) {
            fleet.probe(indices[index], probe, now: now, handler)
        }
        func renew(_ index: Int, now: Double, _ handler: (DHCPClientFleet.Event) -> Void) { fleet.renew(indices[index], now: now, handler) }
        func release(_ index: Int, now: Double, _ handler: (DHCPClientFleet.Event) -> Void) { fleet.release(indices[index], now: now, handler) }
        func inform(_ index: Int, address: IPv4Address, now: Double, _ handler: (DHCPClientFleet.Event) -> Void) {
            fleet.inform(indices[index], address: address, now: now, handler)
        }
    }
}
