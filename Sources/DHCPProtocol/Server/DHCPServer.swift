import DHCPCore

/// An RFC 2131 DHCP server as a pure state machine ("sans I/O"): it receives messages with how they arrived and
/// the time, and returns what to send where, which lease records changed, and what it ignored and why. It has no
/// sockets, files or clock: the I/O layer calls `handle` for each message and `expire` from a timer (at
/// `nextExpiry()` or every second or so), and carries out the actions in order.
///
/// Address choice for a DISCOVER (RFC 2131 §4.3.1): the client's current binding, its reservation, the address it
/// is already being offered, then — as a new allocation, subject to the rate limit and the hold table's size — its
/// previous address, the address it asks for (option 50) when free and in a pool, and the first free address.
/// Subnet choice: option 118 (RFC 3011), else option 82 link selection (RFC 3527), else giaddr, else the receiving
/// interface (Kea's order).
public struct DHCPServer<Store: DHCPLeaseStore> {
    public private(set) var configuration: DHCPServerConfiguration
    public private(set) var store: Store
    /// The random source of the drop fault.
    public var random: SplitMix64

    var holds = DHCPOfferHolds()
    var limiter: DHCPAllocationLimiter?
    /// Per subnet, per pool: where the search for a free address starts next.
    var cursors: [[Int]]
    /// Per subnet: the parameter options it hands out, encoded once.
    let parameters: [[DHCPOption]]
    /// Per subnet: the reserved addresses.
    var reserved: [Set<IPv4Address>]
    /// Per subnet: whether a reservation carries options of its own.
    var hostOptions: [Bool]
    /// Per subnet: the reservations of the configuration, which `replaceReservations` keeps.
    let configuredReservations: [[DHCPReservation]]
    /// The INFORM rate limit's buckets: per client address, tokens left and when they were counted.
    var informBuckets: [IPv4Address: (tokens: Double, time: Double)] = [:]

    public init(configuration: DHCPServerConfiguration, store: Store, random: SplitMix64 = SplitMix64(seed: 0)) {
        self.configuration = configuration
        self.store = store
        self.random = random
        limiter = configuration.rateLimit.map(DHCPAllocationLimiter.init)
        cursors = configuration.subnets.map { [Int](repeating: 0, count: $0.pools.count) }
        parameters = configuration.subnets.map { subnet in
            subnet.parameterOptions().filter { !DHCPReplyPacker.serverControlled.contains($0.code) }
        }
        reserved = configuration.subnets.map { Set($0.reservations.map(\.address)) }
        hostOptions = configuration.subnets.map { $0.reservations.contains { !$0.options.isEmpty } }
        configuredReservations = configuration.subnets.map(\.reservations)
    }

    /// Replaces the reservations that came from elsewhere than the configuration (a directory, read again on
    /// SIGHUP) with `reservations`: each goes to the subnet that holds its address. Those that cannot be used are
    /// left out, each with the reason: an address in no subnet, the server's own, or one already reserved, and a
    /// client with a reservation already. Returns the reasons, in order.
    @discardableResult
    public mutating func replaceReservations(_ reservations: [DHCPReservation]) -> [(DHCPReservation, String)] {
        var subnets = configuration.subnets
        for index in subnets.indices { subnets[index].reservations = configuredReservations[index] }
        var refused = [(DHCPReservation, String)]()
        for reservation in reservations {
            guard let index = subnets.firstIndex(where: { $0.contains(reservation.address) }) else {
                refused.append((reservation, "\(reservation.address) is in no subnet served"))
                continue
            }
            if reservation.address == configuration.serverIdentifier {
                refused.append((reservation, "\(reservation.address) is the server identifier"))
            } else if subnets[index].reservations.contains(where: { $0.address == reservation.address }) {
                refused.append((reservation, "\(reservation.address) is already reserved"))
            } else if subnets.contains(where: { $0.reservations.contains { $0.key == reservation.key } }) {
                refused.append((reservation, "the client already has a reservation"))
            } else {
                subnets[index].reservations.append(reservation)
            }
        }
        configuration.subnets = subnets
        reserved = subnets.map { Set($0.reservations.map(\.address)) }
        hostOptions = subnets.map { $0.reservations.contains { !$0.options.isEmpty } }
        return refused
    }

    /// Offers currently held (expired ones may linger until `expire`).
    public var heldOffers: [DHCPOfferHold] { Array(holds.byAddress.values) }
    public var heldOfferCount: Int { holds.count }
    /// New allocations the rate limit refused.
    public private(set) var refusedAllocations = 0
    /// MAC addresses tracked by the per-MAC rate limit.
    public var trackedClientCount: Int { limiter?.trackedClients ?? 0 }

    /// Starts the free-address search of every pool at `fraction` of its size: the second server of a
    /// load-balancing pair searches from the middle, so that the two rarely pick the same address at once.
    public mutating func startSearch(atFraction fraction: Double) {
        for (index, subnet) in configuration.subnets.enumerated() {
            for (poolIndex, pool) in subnet.pools.enumerated() {
                cursors[index][poolIndex] = Int(Double(pool.count) * min(max(fraction, 0), 1))
            }
        }
    }

    /// When `expire(now:)` next has something to do: the earliest end of a hold, a lease or a quarantine.
    public func nextExpiry() -> Double? {
        [holds.nextExpiry, store.nextExpiry()].compactMap { $0 }.min()
    }

    // MARK: entry points

    /// Parses `bytes` (a UDP payload) and handles the message; parse problems become `.problem` actions.
    public mutating func handle(bytes: [UInt8], from receipt: DHCPReceipt, now: Double) -> [DHCPServerAction] {
        let result = DHCPMessage.parse(bytes)
        guard let message = result.message else {
            return result.diagnostics.map { .problem(DHCPServerProblem(.malformed, $0.description)) }
        }
        let actions = handle(message, from: receipt, now: now)
        if result.diagnostics.isEmpty { return actions }
        return result.diagnostics.map {
            DHCPServerAction.problem(DHCPServerProblem(.malformed, $0.description, xid: message.xid))
        } + actions
    }

    /// Handles one message received from a client or relay agent at time `now` (seconds, any epoch, the same
    /// clock as `expire`).
    public mutating func handle(_ message: DHCPMessage, from receipt: DHCPReceipt, now: Double) -> [DHCPServerAction] {
        var out = Output(xid: message.xid, delay: configuration.faults.replyDelay)
        serve(message, receipt, now, &out)
        return out.actions
    }

    /// Ends what is due at `now`: held offers are forgotten, bound leases become expired (their address free,
    /// still remembered as the client's previous one), quarantines end (the record is deleted, state `.free`).
    public mutating func expire(now: Double) -> [DHCPServerAction] {
        holds.purge(now: now)
        limiter?.prune(now: now)
        var actions = [DHCPServerAction]()
        for var lease in store.leases(expiringBy: now).sorted(by: { $0.address < $1.address }) {
            switch lease.state {
            case .bound: lease.state = .expired
            case .declined: lease.state = .free
            default: continue
            }
            store.save(lease)
            actions.append(.leaseChanged(lease))
        }
        return actions
    }

    // MARK: dispatch

    struct Output {
        let xid: UInt32
        let delay: Double
        var actions = [DHCPServerAction]()

        mutating func problem(_ kind: DHCPServerProblem.Kind, _ text: String) {
            actions.append(.problem(DHCPServerProblem(kind, text, xid: xid)))
        }
        mutating func send(_ message: DHCPMessage, _ destination: DHCPServerDestination) {
            actions.append(.send(message, to: destination, delay: delay))
        }
        mutating func changed(_ lease: DHCPLease) { actions.append(.leaseChanged(lease)) }
    }

    private mutating func serve(_ message: DHCPMessage, _ receipt: DHCPReceipt, _ now: Double, _ out: inout Output) {
        guard message.op == DHCPMessage.bootRequest else {
            out.problem(.ignored, "op \(message.op) is not BOOTREQUEST: not for a server")
            return
        }
        guard message.hlen <= 16 else {
            out.problem(.malformed, "hlen \(message.hlen) is larger than chaddr's 16 bytes")
            return
        }
        guard let type = message.messageType else {
            out.problem(.ignored, "no option 53: plain BOOTP is not served")
            return
        }
        guard let client = DHCPClientKey(message) else {
            out.problem(.malformed, "\(type): neither a client identifier nor a hardware address")
            return
        }
        guard let kind = DHCPServerMessageKind(message, receipt: receipt) else {
            out.problem(.ignored, "\(type) from \(client) is not a message a server answers")
            return
        }
        let faults = configuration.faults
        if faults.dropPercentage > 0, faults.dropOnly == nil || faults.dropOnly == type,
           Double.random(in: 0..<100, using: &random) < faults.dropPercentage {
            out.problem(.fault, "dropped \(kind) from \(client) (drop \(faults.dropPercentage) %)")
            return
        }
        if let only = faults.answerOnly, !only.contains(kind) {
            out.problem(.fault, "not answering \(kind) from \(client) (answer-only)")
            return
        }
        switch kind {
        case .discover: discover(message, client, receipt, now, &out)
        case .request(.selecting): selecting(message, client, receipt, now, &out)
        case .request(.initReboot): initReboot(message, client, receipt, now, &out)
        case .request(let request): extend(message, client, request, now, &out)
        case .decline: decline(message, client, now, &out)
        case .release: release(message, client, now, &out)
        case .inform: inform(message, client, receipt, now, &out)
        }
    }

    // MARK: RFC 2131 §4.3.1 DISCOVER

    private mutating func discover(_ message: DHCPMessage, _ client: DHCPClientKey, _ receipt: DHCPReceipt,
                                   _ now: Double, _ out: inout Output) {
        guard let index = subnet(for: message, receipt, &out) else { return }
        if configuration.faults.exhaust {
            out.problem(.fault, "no OFFER to \(client) (exhaust)")
            return
        }
        guard let address = chooseAddress(message, client, index, now, &out) else { return }
        // Hold the address, unless it is the client's binding already.
        if let lease = store.lease(at: address), lease.isBound(at: now), lease.client == client {
        } else {
            holds.insert(DHCPOfferHold(address: address, client: client, xid: message.xid,
                                       expires: now + configuration.offerHoldTime))
        }
        let offer = reply(.offer, to: message, yourAddress: address, clientAddress: .any, subnet: index, &out)
        out.send(offer, Self.destination(of: offer, for: message))
    }

    /// The address to offer, in RFC 2131 §4.3.1's order of preference; nil (with a problem) when none can be.
    private mutating func chooseAddress(_ message: DHCPMessage, _ client: DHCPClientKey, _ index: Int, _ now: Double,
                                        _ out: inout Output) -> IPv4Address? {
        let subnet = configuration.subnets[index]
        // Known clients: no new allocation, no rate limit.
        if let lease = store.latestLease(of: client), lease.isBound(at: now), subnet.contains(lease.address),
           assignable(lease.address, index, message) {
            return lease.address
        }
        if let reservation = subnet.reservations.first(where: { $0.matches(message) }),
           usable(reservation.address, index, message, client, now) {
            return reservation.address
        }
        if let hold = holds.hold(of: client, now: now), subnet.contains(hold.address) { return hold.address }

        // A new allocation: counted against the rate limit only when an address is given.
        guard mayAllocate(message, client, now, &out),
              let address = newAddress(message, client, index, now, &out) else { return nil }
        limiter?.take(DHCPClientKey.hardware(of: message), now: now)
        return address
    }

    /// The address of a new allocation: the duplicate-ip fault's, the client's previous one, the one it asks for,
    /// the first free one.
    private mutating func newAddress(_ message: DHCPMessage, _ client: DHCPClientKey, _ index: Int, _ now: Double,
                                     _ out: inout Output) -> IPv4Address? {
        let subnet = configuration.subnets[index]
        if configuration.faults.duplicateAddress,
           let taken = store.allLeases().filter({ $0.isBound(at: now) && $0.client != client && subnet.contains($0.address) })
            .min(by: { $0.address < $1.address }) {
            out.problem(.fault, "offering \(taken.address), bound to \(taken.client), to \(client) (duplicate-ip)")
            return taken.address
        }
        if let previous = store.latestLease(of: client), previous.state != .declined,
           usable(previous.address, index, message, client, now) {
            return previous.address
        }
        if let requested = message.requestedAddress, subnet.inPool(requested),
           usable(requested, index, message, client, now) {
            return requested
        }
        if let free = firstFree(index, message, now) { return free }
        out.problem(.limit, "no free address in \(subnet.network)/\(subnet.prefixLength) for \(client)")
        return nil
    }

    /// Whether the hold table's bound and the rate limit allow a new allocation now; takes nothing.
    private mutating func mayAllocate(_ message: DHCPMessage, _ client: DHCPClientKey, _ now: Double,
                                      _ out: inout Output) -> Bool {
        if holds.count >= configuration.maximumHeldOffers {
            holds.purge(now: now)
            if holds.count >= configuration.maximumHeldOffers {
                out.problem(.limit, "\(holds.count) offers held (the maximum): none for \(client)")
                return false
            }
        }
        if let refusal = limiter?.refusal(DHCPClientKey.hardware(of: message), now: now) {
            refusedAllocations += 1
            out.problem(.limit, "no new address for \(client): \(refusal)")
            return false
        }
        return true
    }

    /// A new allocation of an address already chosen: allowed (`mayAllocate`) and counted.
    private mutating func admitNew(_ message: DHCPMessage, _ client: DHCPClientKey, _ now: Double,
                                   _ out: inout Output) -> Bool {
        guard mayAllocate(message, client, now, &out) else { return false }
        limiter?.take(DHCPClientKey.hardware(of: message), now: now)
        return true
    }

    /// The first address of the subnet's pools with no record and no hold, searched from where the last search
    /// ended; else the free address whose record (another client's previous address) is oldest.
    private mutating func firstFree(_ index: Int, _ message: DHCPMessage, _ now: Double) -> IPv4Address? {
        let subnet = configuration.subnets[index]
        var fallback: (address: IPv4Address, since: Double)?
        for (poolIndex, pool) in subnet.pools.enumerated() where pool.count > 0 {
            let count = pool.count
            let start = cursors[index][poolIndex] % count
            for step in 0..<count {
                let offset = (start + step) % count
                let address = IPv4Address(rawValue: pool.first.rawValue &+ UInt32(offset))
                guard assignable(address, index, message), holds.hold(on: address, now: now) == nil else { continue }
                if let lease = store.lease(at: address) {
                    guard !lease.isBound(at: now), lease.state != .declined || lease.expires <= now else { continue }
                    if fallback == nil || lease.expires < fallback!.since { fallback = (address, lease.expires) }
                    continue
                }
                cursors[index][poolIndex] = offset + 1
                return address
            }
        }
        return fallback?.address
    }

    // MARK: RFC 2131 §4.3.2 REQUEST

    private mutating func selecting(_ message: DHCPMessage, _ client: DHCPClientKey, _ receipt: DHCPReceipt,
                                    _ now: Double, _ out: inout Output) {
        guard let identifier = message.serverIdentifier else {
            out.problem(.malformed, "REQUEST from \(client): option 54 is not 4 bytes")
            return
        }
        guard isOurs(identifier) else {
            if let hold = holds.hold(of: client, now: now) {
                holds.remove(client: client)
                out.problem(.ignored, "\(client) selected server \(identifier): offer of \(hold.address) withdrawn")
            } else {
                out.problem(.ignored, "\(client) selected server \(identifier)")
            }
            return
        }
        guard let requested = message.requestedAddress else {
            out.problem(.malformed, "SELECTING REQUEST from \(client) without option 50")
            return
        }
        let faults = configuration.faults
        if withholdsACK(client, &out) { return }
        guard let index = subnet(for: message, receipt, &out) else { return }
        if naksByFault(message, client, &out) { return }
        let held = holds.hold(of: client, now: now)?.address == requested
        let available: Bool
        switch use(of: requested, by: client, now: now) {
        case .mine: available = assignable(requested, index, message)
        case .free:
            let record = store.lease(at: requested)
            if !assignable(requested, index, message) {
                available = false
            } else if record?.client == client && record?.state != .declined {
                available = true
            } else if admitNew(message, client, now, &out) {
                available = true  // the hold expired but nobody took the address
            } else {
                return  // rate-limited: silence, the client retries
            }
        case .other(let owner):
            available = faults.duplicateAddress && held
            if available { out.problem(.fault, "ACK of \(requested), bound to \(owner), to \(client) (duplicate-ip)") }
        case .quarantined: available = false
        }
        guard available else {
            nak(message, "requested address not available", &out)
            return
        }
        ack(message, client, requested, index, now, &out)
    }

    private mutating func initReboot(_ message: DHCPMessage, _ client: DHCPClientKey, _ receipt: DHCPReceipt,
                                     _ now: Double, _ out: inout Output) {
        guard let requested = message.requestedAddress else {
            out.problem(.malformed, "INIT-REBOOT REQUEST from \(client): option 50 is " + (message.option(.requestedAddress) == nil ? "missing" : "not 4 bytes"))
            return
        }
        if withholdsACK(client, &out) { return }
        guard let index = subnet(for: message, receipt, &out) else { return }
        if naksByFault(message, client, &out) { return }
        let subnet = configuration.subnets[index]
        guard subnet.contains(requested) else {
            refuse(message, "\(requested) is not on \(client)'s network \(subnet.network)/\(subnet.prefixLength)", &out)
            return
        }
        switch use(of: requested, by: client, now: now) {
        case .mine:
            if assignable(requested, index, message) { ack(message, client, requested, index, now, &out) }
            else { refuse(message, "\(requested) is no longer assignable to \(client)", &out) }
        case .free:
            let record = store.lease(at: requested)
            let known = (record?.client == client && record?.state != .declined)
                || subnet.reservations.contains { $0.address == requested && $0.matches(message) }
            if known, assignable(requested, index, message) {
                ack(message, client, requested, index, now, &out)
            } else if known || store.latestLease(of: client) != nil {
                refuse(message, "\(client) asks for \(requested), which is not its address", &out)
            } else {
                out.problem(.ignored, "INIT-REBOOT for \(requested): no record of \(client)")
            }
        case .other(let owner):
            refuse(message, "\(requested) is bound to \(owner), not \(client)", &out)
        case .quarantined:
            refuse(message, "\(requested) is quarantined after a DECLINE", &out)
        }
    }

    /// RENEWING (unicast) and REBINDING (broadcast or relayed): the client names its address in ciaddr.
    private mutating func extend(_ message: DHCPMessage, _ client: DHCPClientKey, _ request: DHCPRequestKind,
                                 _ now: Double, _ out: inout Output) {
        let faults = configuration.faults
        let address = message.clientAddress
        if request == .renewing, faults.ignoreRenew {
            out.problem(.fault, "no answer to RENEWING \(client) (ignore-renew)")
            return
        }
        if withholdsACK(client, &out) { return }
        guard let index = configuration.subnets.firstIndex(where: { $0.contains(address) }) else {
            out.problem(.ignored, "\(request.rawValue) REQUEST: ciaddr \(address) is in no subnet served")
            return
        }
        if naksByFault(message, client, &out) { return }
        let record = store.lease(at: address)
        let ours: Bool
        switch use(of: address, by: client, now: now) {
        case .mine: ours = true
        case .free: ours = record?.client == client && record?.state != .declined
        default: ours = false
        }
        if ours, assignable(address, index, message) {
            ack(message, client, address, index, now, &out)
            return
        }
        guard request == .renewing else {
            out.problem(.ignored, "REBINDING \(client): no lease of \(address) held for it")
            return
        }
        // RENEWING with an address the store does not know (the server lost its leases): take it if it is free.
        if record == nil, holds.hold(on: address, now: now) == nil, configuration.subnets[index].inPool(address),
           assignable(address, index, message) {
            guard admitNew(message, client, now, &out) else { return }
            ack(message, client, address, index, now, &out)
            return
        }
        refuse(message, "RENEWING \(client): \(address) is not its lease", &out)
    }

    /// NAK when authoritative, silence otherwise (RFC 2131 §4.3.2).
    private mutating func refuse(_ message: DHCPMessage, _ reason: String, _ out: inout Output) {
        if configuration.authoritative {
            out.problem(.ignored, "NAK: \(reason)")
            nak(message, reason, &out)
        } else {
            out.problem(.ignored, "not authoritative, no NAK: \(reason)")
        }
    }

    private mutating func ack(_ message: DHCPMessage, _ client: DHCPClientKey, _ address: IPv4Address, _ index: Int,
                              _ now: Double, _ out: inout Output) {
        let subnet = configuration.subnets[index]
        if var old = store.latestLease(of: client), old.address != address, old.isBound(at: now) {
            old.state = .released
            old.expires = now
            store.save(old)
            out.changed(old)
        }
        let lease = DHCPLease(
            address: address, client: client, hardwareAddress: Array(message.hardwareAddress), hostName: message.hostName,
            state: .bound, start: now, expires: now + Double(subnet.leaseTime), leaseTime: subnet.leaseTime,
            subnet: subnet.network)
        holds.remove(client: client)
        holds.remove(address: address)
        store.save(lease)
        out.changed(lease)
        let reply = reply(.ack, to: message, yourAddress: address, clientAddress: message.clientAddress, subnet: index, &out)
        out.send(reply, Self.destination(of: reply, for: message))
    }

    private func nak(_ message: DHCPMessage, _ text: String, _ out: inout Output) {
        var reply = reply(.nak, to: message, yourAddress: .any, clientAddress: .any, subnet: nil, text: text, &out)
        if message.relayAddress != .any { reply.flags |= 0x8000 }  // RFC 2131 §4.3.2: through a relay, broadcast
        out.send(reply, Self.destination(of: reply, for: message, nak: true))
    }

    // MARK: RFC 2131 §4.3.3 DECLINE, §4.3.4 RELEASE, §4.3.5 INFORM

    private mutating func decline(_ message: DHCPMessage, _ client: DHCPClientKey, _ now: Double, _ out: inout Output) {
        if let identifier = message.serverIdentifier, !isOurs(identifier) {
            out.problem(.ignored, "DECLINE from \(client) for server \(identifier)")
            return
        }
        guard let address = message.requestedAddress else {
            out.problem(.malformed, "DECLINE from \(client) without option 50")
            return
        }
        guard let index = configuration.subnets.firstIndex(where: { $0.contains(address) }) else {
            out.problem(.ignored, "DECLINE of \(address), in no subnet served")
            return
        }
        let record = store.lease(at: address)
        guard use(of: address, by: client, now: now) == .mine || (record?.client == client && record?.state != .declined)
        else {
            out.problem(.ignored, "DECLINE of \(address) from \(client), which neither holds nor was offered it")
            return
        }
        holds.remove(client: client)
        holds.remove(address: address)
        let lease = DHCPLease(
            address: address, client: client, hardwareAddress: Array(message.hardwareAddress), hostName: message.hostName,
            state: .declined, start: now, expires: now + configuration.declineQuarantine,
            subnet: configuration.subnets[index].network)
        store.save(lease)
        out.changed(lease)
    }

    private mutating func release(_ message: DHCPMessage, _ client: DHCPClientKey, _ now: Double, _ out: inout Output) {
        if let identifier = message.serverIdentifier, !isOurs(identifier) {
            out.problem(.ignored, "RELEASE from \(client) for server \(identifier)")
            return
        }
        let address = message.clientAddress
        guard address != .any else {
            out.problem(.malformed, "RELEASE from \(client) with ciaddr 0")
            return
        }
        guard var lease = store.lease(at: address), lease.client == client, lease.state == .bound else {
            out.problem(.ignored, "RELEASE of \(address) from \(client): no such binding")
            return
        }
        lease.state = .released
        lease.expires = now
        store.save(lease)
        out.changed(lease)
    }

    /// The offer-only fault: a REQUEST gets no ACK (the client times out and starts again).
    private func withholdsACK(_ client: DHCPClientKey, _ out: inout Output) -> Bool {
        guard configuration.faults.offerOnly else { return false }
        out.problem(.fault, "no ACK to \(client) (offer-only)")
        return true
    }

    /// The nak-all and exhaust faults: a REQUEST gets a NAK.
    private func naksByFault(_ message: DHCPMessage, _ client: DHCPClientKey, _ out: inout Output) -> Bool {
        let faults = configuration.faults
        guard faults.nakAll || faults.exhaust else { return false }
        out.problem(.fault, "NAK to \(client) (\(faults.nakAll ? "nak-all" : "exhaust"))")
        nak(message, "address not available", &out)
        return true
    }

    private mutating func inform(_ message: DHCPMessage, _ client: DHCPClientKey, _ receipt: DHCPReceipt, _ now: Double,
                                 _ out: inout Output) {
        if configuration.faults.offerOnly {
            out.problem(.fault, "no ACK to INFORM from \(client) (offer-only)")
            return
        }
        let address = message.clientAddress != .any ? message.clientAddress : receipt.sourceAddress
        guard address != .any else {
            out.problem(.malformed, "INFORM from \(client) with ciaddr 0 and no source address")
            return
        }
        if let refusal = informRefusal(message, address: address, source: receipt.sourceAddress, now: now) {
            out.problem(.informRefused, "INFORM from \(address) (\(client)) refused: \(refusal)")
            return
        }
        // The subnet of ciaddr (RFC 2131 §4.3.5), else the usual selection.
        let index: Int
        if let containing = configuration.subnets.firstIndex(where: { $0.contains(address) }) {
            index = containing
        } else if let selected = subnet(for: message, receipt, &out) {
            index = selected
        } else {
            return
        }
        let policy = configuration.informPolicy
        let reply = reply(.ack, to: message, yourAddress: .any, clientAddress: message.clientAddress, subnet: index,
                          leaseTimes: false, allowing: policy.allows, &out)
        let destination: DHCPServerDestination =
            message.relayAddress != .any ? .relay(message.relayAddress) : .unicast(address)
        out.send(reply, destination)
    }

    /// Why the INFORM policy refuses an INFORM from `address`, or nil; an answered INFORM takes a token of the
    /// address's rate-limit bucket.
    private mutating func informRefusal(_ message: DHCPMessage, address: IPv4Address, source: IPv4Address,
                                        now: Double) -> String? {
        let policy = configuration.informPolicy
        if policy.trusted.contains(source) || policy.trusted.contains(address) { return nil }
        if !policy.allowedSubnets.isEmpty, !policy.allowedSubnets.contains(where: { $0.contains(address) }) {
            return "\(address) is in no allowed subnet (\(policy.allowedSubnets.map(\.description).joined(separator: ", ")))"
        }
        if let macs = policy.allowedMACs {
            guard message.htype == 1, message.hlen == 6, let mac = message.clientMAC, macs.contains(mac) else {
                return "hardware address \(Hex.colonSeparated(message.hardwareAddress)) is not on the allow-list"
            }
        }
        guard let rate = policy.ratePerSecond, rate > 0 else { return nil }
        if informBuckets.count >= 4096 { informBuckets = informBuckets.filter { now - $0.value.time < 60 } }
        let burst = max(1, rate)
        var bucket = informBuckets[address] ?? (tokens: burst, time: now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.time) * rate)
        bucket.time = now
        guard bucket.tokens >= 1 else {
            informBuckets[address] = bucket
            return "more than \(rate) INFORMs a second from \(address)"
        }
        bucket.tokens -= 1
        informBuckets[address] = bucket
        return nil
    }

    // MARK: addresses

    enum Use: Equatable {
        case free
        case mine
        case other(DHCPClientKey)
        case quarantined
    }

    /// Who uses `address` at `now`, seen from `client`: a binding, a held offer, or a quarantine.
    func use(of address: IPv4Address, by client: DHCPClientKey, now: Double) -> Use {
        if let lease = store.lease(at: address) {
            if lease.state == .declined, lease.expires > now { return .quarantined }
            if lease.isBound(at: now) { return lease.client == client ? .mine : .other(lease.client) }
        }
        if let hold = holds.hold(on: address, now: now) { return hold.client == client ? .mine : .other(hold.client) }
        return .free
    }

    /// Whether the subnet may give `address` to the sender of `message` at all: inside it, not its network or
    /// broadcast address nor the server's, in a pool or reserved for this client, and not reserved for another.
    func assignable(_ address: IPv4Address, _ index: Int, _ message: DHCPMessage) -> Bool {
        let subnet = configuration.subnets[index]
        guard subnet.contains(address), address != configuration.serverIdentifier else { return false }
        if subnet.prefixLength <= 30,
           address.rawValue == subnet.network.rawValue & subnet.mask.rawValue || address == subnet.directedBroadcast {
            return false
        }
        if reserved[index].contains(address) {
            return subnet.reservations.contains { $0.address == address && $0.matches(message) }
        }
        return subnet.inPool(address)
    }

    private func usable(_ address: IPv4Address, _ index: Int, _ message: DHCPMessage, _ client: DHCPClientKey,
                        _ now: Double) -> Bool {
        guard assignable(address, index, message) else { return false }
        let use = use(of: address, by: client, now: now)
        return use == .free || use == .mine
    }

    func isOurs(_ identifier: IPv4Address) -> Bool {
        identifier == configuration.serverIdentifier || identifier == configuration.faults.wrongServerIdentifier
            || identifier == configuration.faults.rogue?.serverIdentifier
    }

    /// Option 54 of replies: the rogue's, the wrong one, or the configured one.
    var replyServerIdentifier: IPv4Address {
        configuration.faults.rogue?.serverIdentifier ?? configuration.faults.wrongServerIdentifier
            ?? configuration.serverIdentifier
    }

    // MARK: subnet selection

    /// The address that picks the client's subnet, and what gave it.
    public static func selectionAddress(for message: DHCPMessage, _ receipt: DHCPReceipt) -> (IPv4Address, String) {
        if let data = message.option(.subnetSelection)?.data, data.count == 4 {
            return (IPv4Address(data[0], data[1], data[2], data[3]), "option 118")
        }
        if let link = linkSelection(message) { return (link, "option 82 link selection") }
        if message.relayAddress != .any { return (message.relayAddress, "giaddr") }
        return (receipt.interfaceAddress, "the receiving interface")
    }

    /// Suboption 5 of option 82 (RFC 3527), read without trusting lengths.
    static func linkSelection(_ message: DHCPMessage) -> IPv4Address? {
        guard let data = message.option(.relayAgentInformation)?.data,
              let suboptions = RelayAgentInformation.split(data) else { return nil }
        for suboption in suboptions where suboption.code == 5 && suboption.data.count == 4 {
            return IPv4Address(suboption.data[0], suboption.data[1], suboption.data[2], suboption.data[3])
        }
        return nil
    }

    private func subnet(for message: DHCPMessage, _ receipt: DHCPReceipt, _ out: inout Output) -> Int? {
        let (address, source) = Self.selectionAddress(for: message, receipt)
        guard let index = configuration.subnets.firstIndex(where: { $0.contains(address) }) else {
            out.problem(.ignored, "no subnet for \(address) (from \(source))")
            return nil
        }
        return index
    }

    // MARK: addressing (RFC 2131 §4.1)

    /// Where `reply` to `request` goes: giaddr, then ciaddr (not for a NAK), then broadcast for the broadcast bit
    /// or a NAK, else yiaddr at chaddr; a client whose chaddr is not an Ethernet address gets a broadcast.
    public static func destination(of reply: DHCPMessage, for request: DHCPMessage, nak: Bool = false)
        -> DHCPServerDestination {
        if request.relayAddress != .any { return .relay(request.relayAddress) }
        return .onLink(nak: nak, clientAddress: request.clientAddress, broadcast: request.isBroadcast,
                       clientMAC: request.clientMAC, yourAddress: reply.yourAddress)
    }
}

extension DHCPServer: Sendable where Store: Sendable {}

extension DHCPServer where Store == DHCPMemoryLeaseStore {
    /// A server with an in-memory lease store.
    public init(configuration: DHCPServerConfiguration, random: SplitMix64 = SplitMix64(seed: 0)) {
        self.init(configuration: configuration, store: DHCPMemoryLeaseStore(), random: random)
    }
}
