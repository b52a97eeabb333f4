import DHCPCore

/// An RFC 2131 §4.4 DHCP client as a pure state machine ("sans I/O"). Its states and arrows are
/// `DHCPClientStateMachine`'s — the one definition `analyse` replays captures through; this adds what a real
/// client needs on top: xids, the messages themselves, the retransmission backoff of §4.1, the lease timers of
/// §4.4.5, and offer selection.
///
/// The I/O layer calls `start`, `handle` for each reply addressed to the client, and `tick` when `nextDeadline`
/// comes, and carries out the actions in order. Times are seconds on any clock, the same for every call; every
/// interval the client waits is divided by `settings.timeScale`.
public struct DHCPClient: Sendable {
    public let settings: DHCPClientSettings
    public private(set) var machine = DHCPClientStateMachine()
    /// The lease the client holds (BOUND, RENEWING, REBINDING), or remembers (INIT-REBOOT, REBOOTING).
    public private(set) var lease: DHCPClientLease?
    /// The xid of the exchange in progress.
    public private(set) var xid: UInt32 = 0
    /// When the first message of the current exchange was sent (secs counts from here).
    public private(set) var exchangeStarted: Double = 0
    public var random: SplitMix64

    public var state: DHCPClientState { machine.state }

    /// OFFERs collected in SELECTING, in arrival order.
    var offers: [DHCPMessage] = []
    var chosenOffer: DHCPMessage?
    /// The message retransmitted when `retransmitAt` comes, and how many times it has been sent.
    var pending: (message: DHCPMessage, destination: DHCPClientDestination)?
    var attempts = 0
    var retransmitAt: Double?
    var windowEndsAt: Double?
    var restartAt: Double?
    /// When the REQUEST that the coming ACK answers was first sent: the lease counts from there.
    var requestSentAt: Double = 0
    /// An ACKed lease waiting for the address check.
    var checking: DHCPClientLease?
    var declined = false
    /// NAKs since the client was last bound: a server that NAKs every REQUEST must not make a storm.
    var consecutiveNaks = 0
    var informAddress: IPv4Address?

    public init(settings: DHCPClientSettings, random: SplitMix64) {
        self.settings = settings
        self.random = random
    }

    var scale: Double { settings.timeScale > 0 ? settings.timeScale : 1 }

    // MARK: entry points

    /// Starts the client: INIT-REBOOT with `remembered` when it has not expired (RFC 2131 §4.4.2), else INIT
    /// with a DISCOVER (asking for the remembered address, if any, in option 50).
    public mutating func start(remembering remembered: DHCPClientLease? = nil, now: Double) -> [DHCPClientAction] {
        var out = [DHCPClientAction]()
        if let remembered, remembered.expiresAt > now {
            lease = remembered
            step(.reboot, &out)
            sendRequest(.initReboot, now: now, &out)
        } else {
            sendDiscover(now: now, hint: remembered?.address, &out)
        }
        return out
    }

    /// Starts a probe (what dhcp_probe sends to find servers): the message a client sends in that state, with
    /// the client's identity and options. A client that probes pretends to be where the message says — SELECTING
    /// for a REQUEST naming `server`, REBINDING for a lease on `address`, INIT-REBOOT for a remembered
    /// `address` — so the answers move it along Figure 5 as they would a real client. Like a client first seen
    /// mid-life, the probe enters the machine in that state (a new machine, not a move); from there it moves only
    /// along arrows.
    public mutating func probe(_ probe: DHCPProbe, now: Double) -> [DHCPClientAction] {
        var out = [DHCPClientAction]()
        func pretend(_ address: IPv4Address, server: IPv4Address) -> DHCPClientLease {
            DHCPClientLease(address: address, serverIdentifier: server, leaseTime: 3600, renewalTime: 1800,
                            rebindingTime: 3150, obtained: now - 3150 / scale, timeScale: scale)
        }
        switch probe {
        case .discover:
            sendDiscover(now: now, hint: nil, &out)
        case .discoverRequesting(let address):
            sendDiscover(now: now, hint: address, &out)
        case .bootp:
            newExchange(now: now)
            var message = request(type: .discover, now: now)
            message.setOptions(message.options.filter { $0.code != .messageType })
            out.append(.send(message, to: broadcastDestination(server: nil)))
        case .selecting(let server, let address):
            newExchange(now: now)
            machine = DHCPClientStateMachine(state: .selecting)
            let offer = DHCPMessage(op: DHCPMessage.bootReply, xid: xid, yourAddress: address,
                                    chaddr: settings.hardwareAddress.bytes,
                                    options: [DHCPOption(messageType: .offer), DHCPOption(.serverIdentifier, address: server)])
            select(offer, now: now, &out)
        case .initReboot(let address):
            return start(remembering: pretend(address, server: .any), now: now)
        case .rebinding(let address):
            lease = pretend(address, server: .broadcast)
            machine = DHCPClientStateMachine(state: .renewing)
            step(.t2Expired, &out)
            sendRequest(.rebinding, now: now, &out)
        }
        return out
    }

    /// Starts an INFORM exchange (RFC 2131 §4.4.3) for a client configured with `address` by other means.
    public mutating func inform(address: IPv4Address, now: Double) -> [DHCPClientAction] {
        var out = [DHCPClientAction]()
        informAddress = address
        newExchange(now: now)
        var message = request(type: .inform, now: now)
        message.clientAddress = address
        step(.sendInform, &out)
        transmit(message, to: .broadcast, now: now, &out)
        return out
    }

    /// Gives the lease back (RFC 2131 §4.4.6): a RELEASE unicast to the server, then RELEASED. Nothing when the
    /// client holds no lease.
    public mutating func release(now: Double) -> [DHCPClientAction] {
        guard let lease, state.holdsLease else { return [] }
        var out = [DHCPClientAction]()
        newExchange(now: now)
        var message = request(type: .release, now: now)
        message.clientAddress = lease.address
        var options = message.options
        options.insert(DHCPOption(.serverIdentifier, address: lease.serverIdentifier), at: 1)
        message.setOptions(options)
        step(.sendRelease, &out)
        out.append(.send(message, to: destinationToServer(lease)))
        out.append(.leaseEnded(lease, .released))
        self.lease = nil
        clearTimers()
        return out
    }

    /// Renews the lease now rather than at T1 (a client may extend its lease at any time, RFC 2131 §4.4.5):
    /// RENEWING and a REQUEST unicast to the server. Nothing unless BOUND.
    public mutating func renew(now: Double) -> [DHCPClientAction] {
        guard state == .bound, lease != nil else { return [] }
        var out = [DHCPClientAction]()
        step(.t1Expired, &out)
        sendRequest(.renewing, now: now, &out)
        return out
    }

    /// The answer to `.checkAddress`: an address in use is declined, a free one bound.
    public mutating func addressChecked(inUse: Bool, now: Double) -> [DHCPClientAction] {
        guard let candidate = checking else { return [] }
        checking = nil
        var out = [DHCPClientAction]()
        if inUse {
            out.append(.problem(DHCPClientProblem("address-in-use", .error, rfc: "2131 4.4.1", xid: xid,
                                                  "\(candidate.address) answered the address check: declined")))
            decline(candidate, now: now, &out)
        } else {
            bind(candidate, now: now, &out)
        }
        return out
    }

    /// When `tick` next has something to do; nil when the client waits for nothing (RELEASED, INFORMED, or a
    /// pending address check).
    public var nextDeadline: Double? {
        [retransmitAt, windowEndsAt, restartAt, leaseDeadline].compactMap { $0 }.min()
    }

    private var leaseDeadline: Double? {
        guard let lease else { return nil }
        switch state {
        case .bound: return lease.renewAt
        case .renewing: return lease.rebindAt
        case .rebinding: return lease.expiresAt
        default: return nil
        }
    }

    /// Handles what is due at `now`: the end of the offer window, a retransmission, T1, T2, the lease's end.
    public mutating func tick(now: Double) -> [DHCPClientAction] {
        var out = [DHCPClientAction]()
        if let end = windowEndsAt, now >= end {
            windowEndsAt = nil
            if let offer = bestOffer() { select(offer, now: now, &out) }
        }
        if let at = restartAt, now >= at {
            restartAt = nil
            sendDiscover(now: now, hint: nil, &out)
        }
        if let lease, let deadline = leaseDeadline, now >= deadline {
            switch state {
            case .bound:
                step(.t1Expired, &out)
                sendRequest(.renewing, now: now, &out)
            case .renewing:
                step(.t2Expired, &out)
                sendRequest(.rebinding, now: now, &out)
            default:
                step(.leaseExpired, &out)
                self.lease = nil
                out.append(.leaseEnded(lease, .expired))
                out.append(.problem(DHCPClientProblem("lease-expired", .warning, rfc: "2131 4.4.5", xid: xid,
                                                      "\(lease.address): no server extended the lease")))
                sendDiscover(now: now, hint: nil, &out)
            }
        }
        if let at = retransmitAt, now >= at { retransmit(now: now, &out) }
        return out
    }

    /// Handles a reply that came to the client's port. Replies for another client or exchange are reported and
    /// ignored; the state machine goes on.
    public mutating func handle(_ reply: DHCPMessage, now: Double) -> [DHCPClientAction] {
        var out = [DHCPClientAction]()
        guard reply.op == DHCPMessage.bootReply else { return out }
        guard reply.clientMAC == settings.hardwareAddress else {
            problem("foreign-reply", .warning, "2131 4.4.1", reply.xid,
                    "\(reply.typeName) for chaddr \(Hex.colonSeparated(Array(reply.hardwareAddress))), not this client", &out)
            return out
        }
        guard reply.xid == xid else {
            problem("unexpected-xid", .warning, "2131 4.4.1", reply.xid,
                    "\(reply.typeName) with xid \(Hex.xid(reply.xid)), expected \(Hex.xid(xid)): ignored", &out)
            return out
        }
        switch reply.messageType {
        case .offer?: receiveOffer(reply, now: now, &out)
        case .ack?: receiveAck(reply, now: now, &out)
        case .nak?: receiveNak(reply, now: now, &out)
        default:
            problem("unexpected-reply", .warning, "2131 4.4.1", reply.xid,
                    "\(reply.typeName) is not an answer a client expects: ignored", &out)
        }
        return out
    }

    // MARK: receiving

    private mutating func receiveOffer(_ offer: DHCPMessage, now: Double, _ out: inout [DHCPClientAction]) {
        guard state == .selecting else { return }  // a late OFFER: Figure 5 discards it
        guard let server = offer.serverIdentifier else {
            problem("offer-without-server-id", .error, "2131 4.3.1", offer.xid,
                    "OFFER of \(offer.yourAddress) has no server identifier (option 54): ignored", &out)
            return
        }
        guard offer.yourAddress != .any else {
            problem("offer-without-address", .error, "2131 4.3.1", offer.xid, "OFFER from \(server) has yiaddr 0.0.0.0: ignored", &out)
            return
        }
        offers.append(offer)
        if let preferred = settings.preferredServer {
            if server == preferred { select(offer, now: now, &out); return }
        } else if settings.offerWindow <= 0 {
            select(offer, now: now, &out)
            return
        }
        if windowEndsAt == nil { windowEndsAt = now + max(settings.offerWindow, 0) }
    }

    private mutating func receiveAck(_ ack: DHCPMessage, now: Double, _ out: inout [DHCPClientAction]) {
        if state == .informed {
            if ack.leaseTime != nil {
                problem("inform-ack-with-lease-time", .warning, "2131 4.3.5", ack.xid,
                        "the ACK to an INFORM carries a lease time (option 51), which RFC 2131 forbids", &out)
            }
            clearTimers()
            out.append(.informed(ack))
            return
        }
        guard [.requesting, .rebooting, .renewing, .rebinding].contains(state), checking == nil else { return }
        guard let leaseTime = ack.leaseTime else {
            problem("ack-without-lease-time", .error, "2131 4.3.1", ack.xid,
                    "ACK of \(ack.yourAddress) has no lease time (option 51): ignored", &out)
            return
        }
        guard ack.yourAddress != .any else {
            problem("ack-without-address", .error, "2131 4.3.1", ack.xid, "ACK has yiaddr 0.0.0.0: ignored", &out)
            return
        }
        guard let server = ack.serverIdentifier ?? chosenOffer?.serverIdentifier ?? lease?.serverIdentifier else {
            problem("ack-without-server-id", .error, "2131 4.3.1", ack.xid, "ACK has no server identifier (option 54): ignored", &out)
            return
        }
        var t1 = ack.renewalTime ?? DHCPLeaseTimers.renewalTime(leaseTime: leaseTime)
        var t2 = ack.rebindingTime ?? DHCPLeaseTimers.rebindingTime(leaseTime: leaseTime)
        if !(t1 <= t2 && t2 <= leaseTime) {
            problem("bad-lease-times", .warning, "2131 4.4.5", ack.xid,
                    "T1 \(t1) s, T2 \(t2) s, lease \(leaseTime) s are out of order: using 50 % and 87.5 %", &out)
            t1 = DHCPLeaseTimers.renewalTime(leaseTime: leaseTime)
            t2 = DHCPLeaseTimers.rebindingTime(leaseTime: leaseTime)
        }
        var candidate = DHCPClientLease(address: ack.yourAddress, serverIdentifier: server, leaseTime: leaseTime,
                                        renewalTime: t1, rebindingTime: t2, obtained: requestSentAt, timeScale: scale)
        if case .ipv4(let mask)? = ack.value(.subnetMask) { candidate.subnetMask = mask }
        candidate.routers = Self.addresses(ack.value(.routers))
        candidate.domainNameServers = Self.addresses(ack.value(.domainNameServers))
        if case .text(let name)? = ack.value(.domainName) { candidate.domainName = name }
        let isNew = state == .requesting || state == .rebooting
        if isNew, settings.declineFirstLease, !declined {
            declined = true
            decline(candidate, now: now, &out)
        } else if isNew, settings.checkAddress {
            retransmitAt = nil
            pending = nil
            checking = candidate
            out.append(.checkAddress(candidate.address))
        } else {
            bind(candidate, now: now, &out)
        }
    }

    private mutating func receiveNak(_ nak: DHCPMessage, now: Double, _ out: inout [DHCPClientAction]) {
        guard [.requesting, .rebooting, .renewing, .rebinding].contains(state), checking == nil else { return }
        let text = nak.option(.message).map { String(decoding: $0.data, as: UTF8.self) }
        problem("nak", .warning, "2131 4.3.2", nak.xid,
                "NAK from \(nak.serverIdentifier?.description ?? "a server without option 54")"
                    + (text.map { ": \($0)" } ?? ""), &out)
        step(.receiveNak, &out)
        if let lease { out.append(.leaseEnded(lease, .nak)) }
        lease = nil
        // RFC 2131 §3.1.5: the client restarts the configuration process — at once after a first NAK, then
        // after 4, 8 … 64 seconds while every REQUEST is NAK'd.
        consecutiveNaks += 1
        if consecutiveNaks == 1 {
            sendDiscover(now: now, hint: nil, &out)
        } else {
            clearTimers()
            restartAt = now + Double(min(64, 4 << min(consecutiveNaks - 2, 4))) / scale
        }
    }

    private mutating func bind(_ candidate: DHCPClientLease, now: Double, _ out: inout [DHCPClientAction]) {
        let renewed = state == .renewing || state == .rebinding
        step(.receiveAck, &out)
        lease = candidate
        consecutiveNaks = 0
        clearTimers()
        offers = []
        chosenOffer = nil
        out.append(.leaseBound(candidate, renewed: renewed))
    }

    /// RFC 2131 §4.4.1: DECLINE, back to INIT, and a new DISCOVER no sooner than 10 seconds later.
    private mutating func decline(_ candidate: DHCPClientLease, now: Double, _ out: inout [DHCPClientAction]) {
        var message = request(type: .decline, now: now)
        var options = message.options
        options.insert(contentsOf: [DHCPOption(.requestedAddress, address: candidate.address),
                                    DHCPOption(.serverIdentifier, address: candidate.serverIdentifier)], at: 1)
        message.setOptions(options)
        step(.sendDecline, &out)
        out.append(.send(message, to: settings.relayAddress.map { .relay(server: candidate.serverIdentifier, giaddr: $0) } ?? .broadcast))
        out.append(.leaseEnded(candidate, .declined))
        lease = nil
        clearTimers()
        restartAt = now + 10 / scale
    }

    // MARK: sending

    private mutating func sendDiscover(now: Double, hint: IPv4Address?, _ out: inout [DHCPClientAction]) {
        if state != .initial { step(.restart, &out) }
        newExchange(now: now)
        offers = []
        chosenOffer = nil
        var message = request(type: .discover, now: now)
        if let address = hint ?? settings.requestedAddress {
            var options = message.options
            options.insert(DHCPOption(.requestedAddress, address: address), at: 1)
            message.setOptions(options)
        }
        step(.sendDiscover, &out)
        transmit(message, to: broadcastDestination(server: nil), now: now, &out)
    }

    private mutating func select(_ offer: DHCPMessage, now: Double, _ out: inout [DHCPClientAction]) {
        guard let server = offer.serverIdentifier else { return }
        chosenOffer = offer
        windowEndsAt = nil
        var message = request(type: .request, now: now)
        var options = message.options
        options.insert(contentsOf: [DHCPOption(.requestedAddress, address: offer.yourAddress),
                                    DHCPOption(.serverIdentifier, address: server)], at: 1)
        message.setOptions(options)
        step(.sendRequest(.selecting), &out)
        requestSentAt = now
        transmit(message, to: broadcastDestination(server: server), now: now, &out)
    }

    /// INIT-REBOOT, RENEWING and REBINDING requests for the lease held or remembered.
    private mutating func sendRequest(_ kind: DHCPRequestKind, now: Double, _ out: inout [DHCPClientAction]) {
        guard let lease else { return }
        newExchange(now: now)
        var message = request(type: .request, now: now)
        let destination: DHCPClientDestination
        switch kind {
        case .initReboot:
            var options = message.options
            options.insert(DHCPOption(.requestedAddress, address: lease.address), at: 1)
            message.setOptions(options)
            destination = broadcastDestination(server: lease.serverIdentifier)
        case .renewing:
            message.clientAddress = lease.address
            message.flags = 0
            destination = destinationToServer(lease)
        case .rebinding, .selecting:
            message.clientAddress = lease.address
            message.flags = 0
            destination = broadcastDestination(server: lease.serverIdentifier)
        }
        step(.sendRequest(kind), &out)
        requestSentAt = now
        transmit(message, to: destination, now: now, &out)
    }

    private func destinationToServer(_ lease: DHCPClientLease) -> DHCPClientDestination {
        if let giaddr = settings.relayAddress { return .relay(server: lease.serverIdentifier, giaddr: giaddr) }
        return .server(lease.serverIdentifier, source: lease.address)
    }

    /// Broadcast, or for a relay-mode client the server it talks to (the chosen or remembered server).
    private func broadcastDestination(server: IPv4Address?) -> DHCPClientDestination {
        guard let giaddr = settings.relayAddress else { return .broadcast }
        return .relay(server: settings.relayServer ?? server ?? settings.preferredServer ?? .broadcast, giaddr: giaddr)
    }

    /// Sends `message` now and schedules its retransmission.
    private mutating func transmit(_ message: DHCPMessage, to destination: DHCPClientDestination, now: Double,
                                   _ out: inout [DHCPClientAction]) {
        pending = (message, destination)
        attempts = 1
        out.append(.send(message, to: destination))
        retransmitAt = now + retransmitInterval(now: now)
    }

    /// RFC 2131 §4.1: 4, 8, 16, 32 then 64 seconds, each ±1 s at random, while exchanging with no lease;
    /// §4.4.5: half the time left to T2 (RENEWING) or to the lease's end (REBINDING), at least 60 seconds.
    /// All divided by the time scale.
    private mutating func retransmitInterval(now: Double) -> Double {
        let jitter = (Double(random.next() % 2001) / 1000 - 1) * DHCPRetransmission.jitter
        switch state {
        case .renewing, .rebinding:
            guard let lease else { return DHCPRetransmission.minimumExtendingDelay / scale }
            let end = state == .renewing ? lease.rebindAt : lease.expiresAt
            // The time left is already compressed by the scale; the 60-second floor is not.
            return DHCPRetransmission.delay(timeLeft: (end - now) * scale) / scale
        default:
            return max(DHCPRetransmission.delay(afterAttempt: attempts) + jitter, 1) / scale
        }
    }

    private mutating func retransmit(now: Double, _ out: inout [DHCPClientAction]) {
        guard let (message, destination) = pending else { retransmitAt = nil; return }
        // REBOOTING gives up after two REQUESTs (about 12 s): a server that does not know the client keeps silent
        // (RFC 2131 §4.3.2), and a rebooted host should not wait a minute for it.
        let limit = state == .rebooting ? min(2, settings.requestAttempts) : settings.requestAttempts
        if (state == .requesting || state == .rebooting), attempts >= limit {
            problem(state == .requesting ? "no-ack" : "no-reboot-answer", .warning, "2131 4.4.1", xid,
                    "no answer to \(attempts) REQUESTs: starting again from INIT", &out)
            if state == .rebooting { lease = nil }
            sendDiscover(now: now, hint: nil, &out)
            return
        }
        if state == .informed, attempts >= settings.requestAttempts {
            problem("no-inform-answer", .warning, "2131 4.4.3", xid, "no answer to \(attempts) INFORMs", &out)
            clearTimers()
            return
        }
        attempts += 1
        var again = message
        again.secs = secs(now: now)
        out.append(.send(again, to: destination))
        // A retransmission is Figure 5's self-loop: the state stays.
        switch state {
        case .selecting: step(.sendDiscover, &out)
        case .requesting: step(.sendRequest(.selecting), &out)
        case .rebooting: step(.sendRequest(.initReboot), &out)
        case .renewing: step(.sendRequest(.renewing), &out)
        case .rebinding: step(.sendRequest(.rebinding), &out)
        default: break
        }
        retransmitAt = now + retransmitInterval(now: now)
    }

    // MARK: helpers

    private mutating func newExchange(now: Double) {
        xid = UInt32(truncatingIfNeeded: random.next())
        exchangeStarted = now
        clearTimers()
    }

    private mutating func clearTimers() {
        pending = nil
        attempts = 0
        retransmitAt = nil
        windowEndsAt = nil
        restartAt = nil
    }

    private func secs(now: Double) -> UInt16 {
        UInt16(clamping: Int(max(0, (now - exchangeStarted) * scale)))
    }

    /// A client message of `type` with the client's identity and the options RFC 2131 Table 5 allows it; the
    /// callers add 50 and 54 and set ciaddr.
    private func request(type: DHCPMessageType, now: Double) -> DHCPMessage {
        var options = [DHCPOption(messageType: type)]
        if let id = settings.clientIdentifier.flatMap(DHCPOption.init(clientIdentifier:)) { options.append(id) }
        if type != .release && type != .decline {
            if let size = settings.maximumMessageSize {
                options.append(DHCPOption(.maximumMessageSize, uint16: UInt16(clamping: size)))
            }
            if let name = settings.hostName { options.append(DHCPOption(.hostName, text: name)) }
            if let vendor = settings.vendorClass { options.append(DHCPOption(.vendorClassIdentifier, text: vendor)) }
            if let name = settings.fqdn, let fqdn = DHCPOption.clientFQDN(name) { options.append(fqdn) }
            if !settings.parameterRequestList.isEmpty {
                options.append(DHCPOption(parameterRequestList: settings.parameterRequestList))
            }
        }
        options.append(contentsOf: settings.extraOptions)
        let broadcast = settings.broadcastFlag && (type == .discover || type == .request)
        return DHCPMessage(op: DHCPMessage.bootRequest, xid: xid,
                           secs: type == .release || type == .decline ? 0 : secs(now: now),
                           flags: broadcast ? 0x8000 : 0, relayAddress: settings.relayAddress ?? .any,
                           chaddr: settings.hardwareAddress.bytes, options: options)
    }

    /// The chosen offer: the preferred server's if it came, else the first.
    private func bestOffer() -> DHCPMessage? {
        if let preferred = settings.preferredServer, let offer = offers.first(where: { $0.serverIdentifier == preferred }) {
            return offer
        }
        return offers.first
    }

    /// Takes `event` along Figure 5, reporting the arrow unless it is a self-loop. The machine is the only way the
    /// client's state changes: an event Figure 5 has no arrow for (and does not simply discard) leaves the state as
    /// it is and is reported, never dropped silently.
    private mutating func step(_ event: DHCPClientEvent, _ out: inout [DHCPClientAction]) {
        guard let transition = machine.apply(event) else {
            if !DHCPClientStateMachine.isIgnored(event, in: state) {
                problem("unexpected-transition", .warning, "2131 4.4", xid,
                        "\(event) in state \(state.rawValue) has no arrow in RFC 2131 Figure 5: the state stays", &out)
            }
            return
        }
        if transition.from != transition.to { out.append(.transition(transition)) }
    }

    private func problem(_ code: String, _ severity: DHCPClientProblem.Severity, _ rfc: String, _ xid: UInt32?,
                         _ text: String, _ out: inout [DHCPClientAction]) {
        out.append(.problem(DHCPClientProblem(code, severity, rfc: rfc, xid: xid, text)))
    }

    /// The addresses of an option value (one address or a list).
    public static func addresses(_ value: DHCPOptionValue?) -> [IPv4Address] {
        switch value {
        case .ipv4(let address)?: [address]
        case .list(let items)?: items.compactMap { if case .ipv4(let address) = $0 { address } else { nil } }
        default: []
        }
    }
}
