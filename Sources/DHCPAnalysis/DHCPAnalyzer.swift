import DHCPConformance
import DHCPCore
import DHCPProtocol
import Framing
import Histogram

/// Streaming analysis of DHCP traffic: transactions, each client's RFC 2131 state, the lease table, servers
/// and findings. Feed it messages in time order; it answers with events as they happen. Memory grows with
/// active transactions and clients (both capped) and leases, not with the traffic.
public struct DHCPAnalyzer {
    public let options: AnalysisOptions

    /// Dense: a Dictionary of these 320-byte values kept up to 2.6 empty buckets per transaction, twice that while growing.
    /// References: a dictionary of them is as small as a dense table and drops an entry in one step.
    private var transactions: [TransactionKey: Transaction] = [:]
    private var aliases: [TransactionKey: TransactionKey] = [:]
    private var creationOrder: [TransactionKey] = []
    private var creationHead = 0
    private var openDORA: [ClientKey: TransactionKey] = [:]
    /// The transaction that last opened with each xid, to notice two clients on one xid.
    private var xidOwners: [XID: TransactionKey] = [:]
    /// (xid, hardware key) → the client, for the transactions of clients named by option 61 (aliases included): a
    /// reply without option 61 (servers before RFC 6842 do not echo it) is theirs. As many as open transactions.
    private var identifiedClients: [TransactionKey: ClientKey] = [:]
    private var clients = DenseTable<ClientKey, ClientRecord>()
    private var leases = LeaseTable()
    /// Who holds each address: the place of its lease in `leases` (eight bytes an address, not a client key's 40).
    private var leaseHolders: [IPv4Address: Int32] = [:]
    /// Servers in the order they first answered, and where each is: one lookup per reply.
    private var servers: [ServerRecord] = []
    private var serverPositions: [IPv4Address: Int] = [:]
    /// Starvation and pool exhaustion (`FloodDetector`).
    private var floods: FloodDetector
    private var lastScan: Timestamp?
    /// Closed transactions in the order they closed: kept a moment for late relay legs, then dropped.
    private var closedQueue: [(key: TransactionKey, at: Timestamp)] = []
    private var closedHead = 0
    /// Transactions closed within --txn-timeout and forgotten, in brief: a server that checks an address before
    /// offering it (dnsmasq, ISC dhcpd, udhcpd ping or ARP first) answers seconds late, after the client took another
    /// server's offer; its reply joins the exchange it answers instead of opening one of its own.
    /// Keyed by xid and chaddr, so that a reply without option 61 finds the exchange of a client that sent one.
    private var recentlyClosed: [LateKey: ClosedTransaction] = [:]
    private var capReported = false
    private var lastDomain: String?
    private var lastDNS: [IPv4Address] = []
    private var clientCapReported = false

    public private(set) var latestTime: Timestamp?
    public private(set) var messageCount = 0
    public private(set) var transactionCount = 0
    public private(set) var evictedTransactions = 0
    public private(set) var evictedClients = 0
    /// Leases forgotten past --max-leases.
    public private(set) var evictedLeases = 0
    private var leaseCapReported = false
    /// Problems found, by severity.
    public var problemCounts: [Problem.Severity: Int] {
        [.info: severityCounts[0], .warning: severityCounts[1], .error: severityCounts[2]]
    }
    private var severityCounts = [0, 0, 0]
    /// Problems counted but not handed over, past `options.problemEvents`.
    public private(set) var problemsLeftOut = 0
    private var problemEvents = 0
    /// Transactions ended, by outcome (indexed by `TransactionOutcome.index`).
    private var outcomeCounts = [Int](repeating: 0, count: TransactionOutcome.allCases.count)

    public init(options: AnalysisOptions = AnalysisOptions()) {
        self.options = options
        floods = FloodDetector(options.floods)
    }

    struct LeaseKey { var ip: IPv4Address; var client: ClientKey }

    /// What the analyzer keeps per client: small, since there is one for every client ever seen.
    /// One for every client ever seen, so kept small (88 bytes): absent numbers are stored as NaN and absent
    /// addresses as 0.0.0.0 (never a leased address), not as optionals that each take a padded word.
    struct ClientRecord {
        var machine: DHCPClientStateMachine
        var renewChecked = false
        var rebindChecked = false
        var transitions: UInt32 = 0
        /// Option 61, kept only when it is longer than the client's key holds (`ClientKey.wholeIdentifier`).
        var longClientID: [UInt8]?
        var hostname: String?
        @AnyIsAbsent var address: IPv4Address?
        /// The address of the client's latest lease (kept after a release, unlike `address`).
        @AnyIsAbsent var leaseAddress: IPv4Address?
        /// Lease time, T1 and T2 of the current lease, in seconds (T1/T2 defaulted when the server sent none).
        @NaNIsAbsent var leaseTime: Float?
        @NaNIsAbsent var t1: Float?
        @NaNIsAbsent var t2: Float?
        /// When the current lease was bound, seconds since 1970.
        @NaNIsAbsent var boundAt: Double?
        @NaNIsAbsent var lastDecline: Double?
        var lastSeen: Timestamp

        init(machine: DHCPClientStateMachine, lastSeen: Timestamp) { self.machine = machine; self.lastSeen = lastSeen }
    }

    /// A transaction id as a table key (hashed by `mixedHash`).
    struct XID: Hashable {
        var value: UInt32
        init(_ value: UInt32) { self.value = value }
    }

    /// A closed transaction's xid and its client's hardware address (a 64-bit digest of it): 16 bytes.
    struct LateKey: Hashable {
        var xid: UInt32
        var hardware: UInt64
        init(_ key: TransactionKey) { xid = key.xid; hardware = key.client.hardwareDigest }
    }

    /// What a late reply needs of its closed transaction, in 32 bytes (a minute of a busy network's exchanges is
    /// held): when it closed, in seconds since 1970, and how long before that the client last sent what a late
    /// OFFER (a DISCOVER) or ACK and NAK (a REQUEST or INFORM) answers (NaN: never).
    struct ClosedTransaction {
        var closedAt: Double
        var discoverBefore: Float
        var requestBefore: Float
        /// 0.0.0.0 when no server answered.
        var firstServer: IPv4Address
        var multipleServersReported: Bool
        var otherServers: [IPv4Address] = []

        init(_ transaction: Transaction, closedAt: Timestamp) {
            self.closedAt = closedAt.timeInterval
            discoverBefore = transaction.lastSent(.discover).map { Float(closedAt.seconds(since: $0)) } ?? .nan
            requestBefore = transaction.lastSent(transaction.kind == .inform ? .inform : .request)
                .map { Float(closedAt.seconds(since: $0)) } ?? .nan
            firstServer = transaction.servers.first ?? .any
            // Mostly one server: no array made for none.
            otherServers = transaction.servers.hasMoreThanOne ? Array(transaction.servers.dropFirst()) : []
            multipleServersReported = transaction.multipleServersReported
        }

        /// When the client sent what a reply of `type` answers.
        func sent(answeredBy type: DHCPMessageType) -> Timestamp? {
            let before = type == .offer ? discoverBefore : requestBefore
            return before.isNaN ? nil : Timestamp(secondsSince1970: closedAt - Double(before))
        }

        var servers: [IPv4Address] { (firstServer == .any ? [] : [firstServer]) + otherServers }
    }

    struct ServerRecord {
        var id: IPv4Address
        var ip: IPv4Address
        var mac: MACAddress?
        var relay: IPv4Address?
        var offers = 0, acks = 0, naks = 0
        var expected: Bool
        var latency = Histogram<UInt64>(numberOfSignificantValueDigits: .two)
    }

    // MARK: feeding

    /// One DHCP message seen at `frame`: its events.
    public mutating func observe(_ record: DHCPRecord, link: LinkInfo, frame: FrameReference) -> [AnalysisEvent] {
        var events = [AnalysisEvent]()
        observe(record, link: link, frame: frame, into: &events)
        return events
    }

    /// One DHCP message seen at `frame`, its events appended to `events` (a buffer the caller empties and reuses).
    /// Frames must come in time order.
    public mutating func observe(_ record: DHCPRecord, link: LinkInfo, frame: FrameReference,
                                 into events: inout [AnalysisEvent]) {
        messageCount += 1
        advance(to: frame.time, &events)
        guard let message = record.view else {
            report(.malformed, .error, rfc: "2131 2", frames: [frame],
                           record.diagnostics.first?.description ?? "not a DHCP message", &events)
            return
        }
        let client = clientKey(of: message)
        if record.issues.hasError, let error = record.diagnostics.first(where: { $0.severity == .error }) {
            report(.malformed, .error, rfc: "2131 2", client: client, xid: message.xid, frames: [frame],
                           error.description, &events)
        }
        let observed = ObservedMessage(
            message: message, frame: frame, sourceIP: record.ip.source, destinationIP: record.ip.destination,
            destinationPort: record.destinationPort, sourceMAC: link.source, client: client, type: message.messageType)
        // Plain BOOTP and the leasequery family do not move a client through Figure 5.
        guard let type = observed.type, type.rawValue <= 8 else { return }
        let maximumHops = options.maximumHops
        if message.hops > UInt8(clamping: maximumHops) {
            report(.relayHops, .warning, rfc: "1542 4.1.1", client: client, xid: message.xid, frames: [frame],
                   "hops is \(message.hops), above \(maximumHops)", &events)
        }
        if observed.isFromClient {
            clientMessage(observed, type, &events)
        } else {
            serverMessage(observed, type, &events)
        }
        if clients.count > options.maximumClients { forgetLeastRecentClients(&events) }
        return
    }

    /// RFC 2131 §4.2: who `message` is about — the client identifier when it carries one; a reply without one
    /// (servers before RFC 6842 do not echo it) is about the client named by option 61 whose transaction has the
    /// reply's xid and chaddr.
    private func clientKey(of message: DHCPMessageView) -> ClientKey {
        let key = ClientKey(message)
        guard !key.isIdentifiedByClientIdentifier, message.op == DHCPMessage.bootReply,
              let client = identifiedClients[TransactionKey(xid: message.xid, client: key)] else { return key }
        return client
    }

    /// Notes that the transaction `key` (or an alias of one) belongs to a client named by option 61.
    private mutating func noteIdentified(_ key: TransactionKey) {
        guard key.client.isIdentifiedByClientIdentifier else { return }
        identifiedClients[TransactionKey(xid: key.xid, client: key.client.hardware)] = key.client
    }

    private mutating func forgetIdentified(_ key: TransactionKey) {
        guard key.client.isIdentifiedByClientIdentifier else { return }
        let hardware = TransactionKey(xid: key.xid, client: key.client.hardware)
        identifiedClients.removeValue(forKey: hardware, ifItIs: key.client)
    }

    /// Lets time pass without a message (live capture): transactions idle past the timeout end.
    public mutating func advance(to time: Timestamp) -> [AnalysisEvent] {
        var events = [AnalysisEvent]()
        advance(to: time, &events)
        return events
    }

    /// Ends the analysis: open transactions close, leases take their final state. The events of each transaction are
    /// handed over as it closes: up to --max-transactions are open at the end, and their events together would be
    /// the largest thing the analysis holds.
    public mutating func finish(_ emit: ([AnalysisEvent]) -> Void) {
        var events = [AnalysisEvent]()
        for key in creationOrder[creationHead...] {
            guard let transaction = transactions[key], !transaction.isClosed else { continue }
            close(key, outcome: transaction.timeoutOutcome, at: transaction.lastTime, &events)
            emit(events)
            events.removeAll(keepingCapacity: true)
        }
        transactions.removeAll()
        aliases.removeAll()
        xidOwners.removeAll()
        identifiedClients.removeAll()
        recentlyClosed.removeAll()
        creationOrder.removeAll()
        creationHead = 0
        if let end = latestTime {
            leases.modifyAll { _, lease in
                if lease.isHeld, let leaseEnd = lease.end, leaseEnd < end { lease.state = .expired }
            }
        }
    }

    // MARK: results

    /// Every lease in order of start, one at a time: the table is not copied.
    public func forEachLease(_ body: (LeaseReport) -> Void) {
        leases.forEachSorted(by: { ($0.start, $1.ip) < ($2.start, $3.ip) }) { key, lease in
            body(lease.report(ip: key.ip, client: key.client))
        }
    }

    public var leaseTable: [LeaseReport] {
        var table = [LeaseReport]()
        table.reserveCapacity(leases.count)
        forEachLease { table.append($0) }
        return table
    }

    public var leaseCount: Int { leases.count }

    /// How many transactions ended with each outcome (those that ended at all).
    public var transactionsByOutcome: [String: Int] {
        var counts = [String: Int]()
        for outcome in TransactionOutcome.allCases where outcomeCounts[outcome.index] > 0 {
            counts[outcome.rawValue] = outcomeCounts[outcome.index]
        }
        return counts
    }

    public var serverTable: [ServerReport] {
        servers.map { server in
            let histogram = server.latency
            let empty = histogram.totalCount == 0
            func ms(_ percentile: Double) -> Double? { empty ? nil : Double(histogram.valueAtPercentile(percentile)) / 1000 }
            return ServerReport(id: server.id, ip: server.ip, mac: server.mac, relay: server.relay, offers: server.offers, acks: server.acks,
                                naks: server.naks, expected: server.expected, p50Milliseconds: ms(50),
                                p90Milliseconds: ms(90), p99Milliseconds: ms(99),
                                maxMilliseconds: empty ? nil : Double(histogram.max) / 1000)
        }
    }

    /// Every client in order of last activity, one at a time: the table is not copied.
    public func forEachClient(_ body: (ClientReport) -> Void) {
        clients.forEachSorted(by: { first, _, second, _ in first.lastSeen < second.lastSeen }) { key, record in
            body(ClientReport(client: key, clientID: key.wholeIdentifier ?? record.longClientID, hostname: record.hostname,
                              state: record.machine.state, address: record.address,
                              leaseState: record.leaseAddress.flatMap { leases[LeaseKey(ip: $0, client: key)]?.state },
                              transitions: Int(record.transitions), lastSeen: record.lastSeen))
        }
    }

    public var clientTable: [ClientReport] {
        var table = [ClientReport]()
        table.reserveCapacity(clients.count)
        forEachClient { table.append($0) }
        return table
    }

    /// Transactions still in progress (aliases are not entries of `transactions`; closed ones wait for late relay legs).
    public var openTransactionCount: Int { transactions.reduce(0) { $0 + ($1.value.isClosed ? 0 : 1) } }

    public var clientCount: Int { clients.count }

    // MARK: client messages

    /// Replaces `stored` with `data` when sent and different: the bytes are copied only when they change.
    private static func keep(_ data: UnsafeRawBufferPointer?, in stored: inout [UInt8]?) {
        guard let data,
              stored.map({ stored in !stored.withUnsafeBytes { $0.count == data.count && $0.hasSameBytes(as: data) } }) ?? true
        else { return }
        stored = Array(data)
    }

    /// The host name (option 12) when sent and different from `stored`, which is decoded again only then.
    private static func keepHostName(of message: DHCPMessageView, in stored: inout String?) {
        guard let data = message.optionData(.hostName), stored.map({ !$0.hasUTF8(data) }) ?? true,
              let name = message.hostName else { return }
        stored = name
    }

    private mutating func clientMessage(_ observed: ObservedMessage, _ type: DHCPMessageType, _ events: inout [AnalysisEvent]) {
        let message = observed.message
        var key = TransactionKey(xid: observed.xid, client: observed.client)
        if !aliases.isEmpty, let canonical = aliases[key] { key = canonical }
        var found = transactions[key]
        if let transaction = found {
            if isRelayLeg(observed, of: transaction) {
                transaction.add(observed.frame)
                if message.relayAddress != .any { transaction.relayAddress = message.relayAddress }
                return
            }
            if transaction.isClosed {
                remove(key)
                found = nil
            }
        }
        let transaction: Transaction
        if let found {
            transaction = found
        } else if type == .request, observed.requestKind == .selecting, let open = openDORA[observed.client], open != key,
                  let dora = transactions[open], !dora.isClosed,
                  dora.offers.contains(where: { $0.server == message.serverIdentifier }) {
            // RFC 2131 §4.4.1 wants the same xid, but some clients pick a new one for the REQUEST.
            aliases[key] = open
            noteIdentified(key)
            dora.aliases.append(key)
            key = open
            transaction = dora
        } else {
            transaction = open(key, kind: observed.transactionKind, observed, &events)
        }
        var isNewClient = false
        let clientPosition = clients.position(of: observed.client) {
            isNewClient = true
            return ClientRecord(machine: DHCPClientStateMachine(state: observed.clientEvent.map(DHCPClientStateMachine.initialState(before:)) ?? .unknown),
                                lastSeen: observed.time)
        }
        if type == .discover { watchFloods(observed, newClient: isNewClient, &events) }
        // Changed in place (its identifier and host name are not copied); no client leaves the table before the
        // message is done.
        clients.update(at: clientPosition) { client in
            client.lastSeen = observed.time
            if observed.client.hasLongIdentifier {
                Self.keep(message.optionData(.clientIdentifier), in: &client.longClientID)
            }
            Self.keepHostName(of: message, in: &client.hostname)
        }
        transaction.add(observed.frame)
        // The client's copy of its identifier, shared rather than copied again.
        if message.hasOption(.clientIdentifier) {
            transaction.sentClientID = true
            transaction.longClientID = clients[position: clientPosition].longClientID
        }
        if message.relayAddress != .any { transaction.relayAddress = message.relayAddress }
        if message.isBroadcast { transaction.broadcastAsked = true }
        if let list = message.optionData(.parameterRequestList) { transaction.requestedParameters = OptionCodeSet(list) }
        checkRetransmission(observed, type, transaction, &events)
        transaction.lastClientType = type
        transaction.lastClientTime = observed.time
        transaction.lastClientRelay = (message.relayAddress, message.hops)
        transaction.markSent(type, at: observed.time)
        switch type {
        case .discover:
            if transaction.firstDiscover == nil { transaction.firstDiscover = observed.time }
            openDORA[observed.client] = key
        case .request:
            if transaction.firstRequest == nil { transaction.firstRequest = observed.time }
            transaction.selectedServer = message.serverIdentifier ?? transaction.selectedServer
            transaction.requestedAddress = message.requestedAddress ?? (message.clientAddress != .any ? message.clientAddress : nil)
            if transaction.kind == .dora, observed.requestKind == .selecting { openDORA[observed.client] = key }
        default: break
        }

        switch type {
        case .discover:
            if let declined = clients[position: clientPosition].lastDecline, observed.time.timeInterval - declined < 10 {
                report(.declineRestartTooSoon, .warning, rfc: "2131 3.1", client: observed.client, xid: observed.xid,
                               frames: [observed.frame],
                               FixedPoint.format(observed.time.timeInterval - declined) + " s after DECLINE; RFC 2131 asks for at least 10 s",
                       &events)
            }
        case .request:
            checkTimers(observed, clientAt: clientPosition, &events)
        case .decline:
            clients[position: clientPosition].lastDecline = observed.time.timeInterval
            // RFC 2131 Table 5: a DECLINE names the address in option 50; without it, the one the client holds.
            let address = message.requestedAddress ?? clients[position: clientPosition].address
            if message.requestedAddress == nil {
                report(.missingAddress, .warning, rfc: "2131 4.4.1", client: observed.client, ip: address,
                               xid: observed.xid, frames: [observed.frame],
                               "DECLINE without the requested address (option 50)"
                                   + (address.map { "; taken as \($0), the client's address" } ?? ""), &events)
            }
            report(.decline, .warning, rfc: "2131 4.4.1", client: observed.client, ip: address, xid: observed.xid,
                           frames: [observed.frame], "client declined \(address?.description ?? "its address"): in use by another host",
                   &events)
            if let address { setLeaseState(address, observed.client, .declined) }
            clients[position: clientPosition].address = nil
        case .release:
            // RFC 2131 §4.4.6: a RELEASE names the address in ciaddr; without it, the one the client holds.
            let address = message.clientAddress != .any ? message.clientAddress : clients[position: clientPosition].address
            if message.clientAddress == .any {
                report(.missingAddress, .warning, rfc: "2131 4.4.6", client: observed.client, ip: address,
                               xid: observed.xid, frames: [observed.frame],
                               "RELEASE with ciaddr 0.0.0.0" + (address.map { "; taken as \($0), the client's address" } ?? ""),
                       &events)
            }
            if let address { setLeaseState(address, observed.client, .released) }
            clients[position: clientPosition].address = nil
        default: break
        }
        if let event = observed.clientEvent { apply(event, to: observed.client, at: clientPosition, observed, &events) }
        switch type {
        case .decline: close(key, outcome: .declined, at: observed.time, &events)
        case .release: close(key, outcome: .released, at: observed.time, &events)
        default: break
        }
    }

    /// The other leg of a relayed client message (same type, moments later, different giaddr or hops).
    private func isRelayLeg(_ observed: ObservedMessage, of transaction: Transaction) -> Bool {
        guard observed.isFromClient, transaction.lastClientType == observed.type, let last = transaction.lastClientTime,
              let (relay, hops) = transaction.lastClientRelay,
              observed.time.seconds(since: last) <= options.relayLegWindow else { return false }
        return relay != observed.message.relayAddress || hops != observed.message.hops
    }

    /// RFC 2131 §4.1: retransmissions on `DHCPRetransmission`'s schedule.
    private mutating func checkRetransmission(_ observed: ObservedMessage, _ type: DHCPMessageType,
                                              _ transaction: Transaction, _ events: inout [AnalysisEvent]) {
        guard transaction.lastClientType == type, let last = transaction.lastClientTime,
              type == .discover || type == .request || type == .inform else {
            // Each new message starts its own back-off at 4 s.
            transaction.retransmissions = 0
            return
        }
        // RFC 2131 §4.4.5: RENEWING and REBINDING retransmit after half the time left (at least 60 s), not 4, 8, 16 s.
        guard transaction.kind != .renew, transaction.kind != .rebind else { return }
        transaction.retransmissions += 1
        let expected = DHCPRetransmission.delay(afterAttempt: transaction.retransmissions)
        let interval = observed.time.seconds(since: last)
        guard abs(interval - expected) > DHCPRetransmission.jitter, !transaction.retransmissionTimingReported else { return }
        transaction.retransmissionTimingReported = true
        report(.retransmissionTiming, .info, rfc: "2131 4.1", client: observed.client, xid: observed.xid,
                       frames: [observed.frame],
                       "\(type) retransmitted after \(FixedPoint.format(interval)) s; RFC 2131 backs off \(Int(expected)) ±\(Int(DHCPRetransmission.jitter)) s",
               &events)
    }

    /// RFC 2131 §4.4.5: RENEWING near T1, REBINDING near T2.
    private mutating func checkTimers(_ observed: ObservedMessage, clientAt position: Int, _ events: inout [AnalysisEvent]) {
        guard let boundAt = clients[position: position].boundAt, let leaseTime = clients[position: position].leaseTime else { return }
        let lease = Double(leaseTime)
        let kind = observed.requestKind
        let target: Double
        switch kind {
        case .renewing where !clients[position: position].renewChecked:
            clients[position: position].renewChecked = true
            target = clients[position: position].t1.map(Double.init) ?? DHCPLeaseTimers.renewalTime(leaseTime: lease)
        case .rebinding where !clients[position: position].rebindChecked:
            clients[position: position].rebindChecked = true
            target = clients[position: position].t2.map(Double.init) ?? DHCPLeaseTimers.rebindingTime(leaseTime: lease)
        default: return
        }
        let elapsed = observed.time.timeInterval - boundAt
        let tolerance = options.timerTolerance ?? max(2, lease * 0.1)
        guard abs(elapsed - target) > tolerance else { return }
        let timer = kind == .renewing ? "T1" : "T2"
        report(.renewTiming, .warning, rfc: "2131 4.4.5", client: observed.client, ip: observed.message.clientAddress,
                       xid: observed.xid, frames: [observed.frame],
                       "\(kind.rawValue) \(FixedPoint.format(elapsed)) s after binding, \(timer) is \(FixedPoint.format(target)) s (tolerance \(FixedPoint.format(tolerance)) s)",
               &events)
    }

    // MARK: server messages

    private mutating func serverMessage(_ observed: ObservedMessage, _ type: DHCPMessageType, _ events: inout [AnalysisEvent]) {
        let message = observed.message
        var key = TransactionKey(xid: observed.xid, client: observed.client)
        if !aliases.isEmpty, let canonical = aliases[key] { key = canonical }
        let transaction: Transaction
        if let found = transactions[key] {
            transaction = found
        } else {
            if !recentlyClosed.isEmpty, let closed = recentlyClosed[LateKey(key)],
               observed.time.timeInterval - closed.closedAt <= options.transactionTimeout {
                lateReply(observed, type, LateKey(key), closed, &events)
                return
            }
            transaction = open(key, kind: observed.transactionKind, observed, &events)
        }
        transaction.add(observed.frame)
        let serverID = observed.serverID
        // The relay's leg of a reply already counted: the same reply, relayed (giaddr set), seen between another
        // pair of addresses moments later. A server that sends a reply twice is counted twice.
        if message.relayAddress != .any, transaction.replies.contains(where: {
            $0.type == type && $0.server == serverID && $0.address == message.yourAddress
                && ($0.source, $0.destination) != (observed.sourceIP, observed.destinationIP)
                && observed.time.seconds(since: $0.time) <= options.relayLegWindow
        }) {
            checkBroadcast(observed, transaction, &events)
            return
        }
        transaction.replies.append((type, serverID, message.yourAddress, observed.time, observed.sourceIP, observed.destinationIP))
        if transaction.isClosed {
            // A further reply to a finished exchange: the server's counts see it, the client's state does not.
            countServer(observed, type, sentAt: transaction.lastSent(askedBy(type, transaction.kind)), &events)
            if !transaction.servers.contains(serverID) {
                transaction.servers.append(serverID)
                if !transaction.multipleServersReported {
                    transaction.multipleServersReported = true
                    reportLateServer(observed, type, servers: transaction.servers, &events)
                }
            }
            return
        }
        if !transaction.servers.contains(serverID) { transaction.servers.append(serverID) }
        countServer(observed, type, sentAt: transaction.lastSent(askedBy(type, transaction.kind)), &events)
        checkReply(observed, type, transaction, &events)
        checkBroadcast(observed, transaction, &events)
        switch type {
        case .offer:
            if transaction.firstOffer == nil { transaction.firstOffer = observed.time }
            transaction.offers.append((serverID, message.yourAddress))
            if !transaction.multipleServersReported, transaction.offers.contains(where: { $0.server != serverID }) {
                let offering = Set(transaction.offers.map(\.server))
                transaction.multipleServersReported = true
                report(.multipleServers, .info, rfc: "2131 4.4.1", client: observed.client, xid: observed.xid,
                               frames: [observed.frame],
                               "offers from \(offering.count) servers: " + transaction.servers.map(\.description).joined(separator: ", "),
                       &events)
            }
            apply(.receiveOffer, to: observed.client, observed, &events)
        case .ack:
            if transaction.kind == .dora, let offered = transaction.offers.last(where: { $0.server == serverID }),
               offered.address != message.yourAddress, message.yourAddress != .any {
                report(.ackAddressMismatch, .warning, rfc: "2131 4.3.2", client: observed.client, ip: message.yourAddress,
                               xid: observed.xid, frames: [observed.frame], check: .ackSameAddress,
                               "ACK gives \(message.yourAddress), the OFFER gave \(offered.address)", &events)
            }
            if transaction.kind != .inform, message.yourAddress != .any { bind(observed, transaction, &events) }
            let event: DHCPClientEvent = transaction.kind == .inform ? .sendInform : .receiveAck
            apply(event, to: observed.client, observed, &events, isReply: true)
            close(key, outcome: .ack, at: observed.time, &events)
        case .nak:
            let requested = transaction.requestedAddress
            report(.nak, .warning, rfc: "2131 4.3.2", client: observed.client, ip: requested,
                   xid: observed.xid, frames: [observed.frame],
                   "NAK from \(serverID)" + (message.text(.message).map { ": \($0)" } ?? ""), &events)
            if let address = requested { setLeaseState(address, observed.client, .nak) }
            apply(.receiveNak, to: observed.client, observed, &events)
            close(key, outcome: .nak, at: observed.time, &events)
        default: break
        }
    }

    /// A reply to a transaction closed and forgotten less than --txn-timeout ago: a second server answering late.
    private mutating func lateReply(_ observed: ObservedMessage, _ type: DHCPMessageType, _ key: LateKey,
                                    _ closed: ClosedTransaction, _ events: inout [AnalysisEvent]) {
        var closed = closed
        let serverID = observed.serverID
        countServer(observed, type, sentAt: closed.sent(answeredBy: type), &events)
        if closed.firstServer == .any {
            closed.firstServer = serverID
        } else if closed.firstServer != serverID, !closed.otherServers.contains(serverID) {
            closed.otherServers.append(serverID)
            if !closed.multipleServersReported {
                closed.multipleServersReported = true
                reportLateServer(observed, type, servers: closed.servers, &events)
            }
        }
        recentlyClosed[key] = closed
    }

    /// RFC 2131 §4.4.1: a second server answered a transaction that had already ended.
    private mutating func reportLateServer(_ observed: ObservedMessage, _ type: DHCPMessageType,
                                           servers: some Sequence<IPv4Address>, _ events: inout [AnalysisEvent]) {
        let names = servers.map(\.description)
        report(.multipleServers, .info, rfc: "2131 4.4.1", client: observed.client, xid: observed.xid,
               frames: [observed.frame],
               "\(type) from \(observed.serverID) after the exchange ended: answers from \(names.count) servers: "
                   + names.joined(separator: ", "),
               &events)
    }

    /// The client message a reply of `type` answers.
    private func askedBy(_ type: DHCPMessageType, _ kind: TransactionKind) -> DHCPMessageType {
        type == .offer ? .discover : kind == .inform ? .inform : .request
    }

    private mutating func countServer(_ observed: ObservedMessage, _ type: DHCPMessageType, sentAt sent: Timestamp?,
                                      _ events: inout [AnalysisEvent]) {
        let id = observed.serverID
        let position: Int
        if let known = serverPositions[id] {
            position = known
        } else {
            let relay = observed.origin.relay
            // Behind a relay agent the source address and MAC are the relay's: the server is judged by its own name.
            let expected = relay == nil
                ? options.expectation.isExpected(serverID: observed.message.serverIdentifier, sourceIP: observed.sourceIP,
                                                 sourceMAC: observed.sourceMAC)
                : options.expectation.isExpected(serverID: id, sourceIP: id, sourceMAC: nil)
            position = servers.count
            servers.append(ServerRecord(id: id, ip: observed.sourceIP, mac: observed.sourceMAC, relay: relay, expected: expected))
            serverPositions[id] = position
            if !expected {
                let via = relay.map { ", relayed by \($0)" } ?? ""
                report(.unexpectedServer, .error, rfc: nil, client: observed.client, ip: id, xid: observed.xid,
                               frames: [observed.frame],
                               "unexpected server \(id) (source \(observed.sourceIP), MAC \(observed.sourceMAC?.description ?? "unknown")\(via)) answered: possible rogue",
                       &events)
            }
        }
        switch type {
        case .offer:
            servers[position].offers += 1
            floods.offered(by: id, at: observed.time.timeInterval)
        case .ack: servers[position].acks += 1
        case .nak:
            servers[position].naks += 1
            if let finding = floods.naked(by: id, at: observed.time.timeInterval) { reportFlood(finding, observed, &events) }
        default: break
        }
        // Response time: from the client's latest message this reply answers.
        if let sent {
            let microseconds = max(0, observed.time.seconds(since: sent) * 1_000_000)
            _ = servers[position].latency.record(UInt64(microseconds))
        }
    }

    /// RFC 2131 §4.3.1 Table 3: what every OFFER, ACK and NAK must carry.
    private mutating func checkReply(_ observed: ObservedMessage, _ type: DHCPMessageType, _ transaction: Transaction,
                                     _ events: inout [AnalysisEvent]) {
        let message = observed.message
        func problem(_ code: Problem.Code, _ severity: Problem.Severity, _ rfc: String, check: ConformanceCheck? = nil,
                     _ text: @autoclosure () -> String) {
            report(code, severity, rfc: rfc, client: observed.client, ip: message.yourAddress == .any ? nil : message.yourAddress,
                   xid: observed.xid, frames: [observed.frame], check: check, text(), &events)
        }
        let isAck = type == .ack && transaction.kind != .inform
        if message.serverIdentifier == nil {
            problem(.serverIDMissing, .error, "2131 4.3.1", check: type == .offer ? .offerServerID : isAck ? .ackServerID : nil,
                    "\(type) from \(observed.sourceIP) has no server identifier (option 54)")
        } else if type != .offer, let selected = transaction.selectedServer, selected != message.serverIdentifier {
            problem(.serverIDChanged, .warning, "2131 4.3.2",
                    "\(type) carries server identifier \(observed.serverID), the client's REQUEST selected \(selected)")
        }
        let answersRequest = type == .offer || (type == .ack && transaction.kind != .inform)
        if answersRequest, message.leaseTime == nil {
            problem(.leaseTimeMissing, .error, "2131 4.3.1", check: type == .offer ? .offerLeaseTime : .ackLeaseTime,
                    "\(type) has no lease time (option 51)")
        }
        if type != .nak, transaction.kind != .inform, let disorder = ConformanceJudge.timerDisorder(message) {
            problem(.badTimers, .error, "2131 4.4.5", check: .timersOrdered, disorder)
        }
        if type == .nak, let defects = ConformanceJudge.nakDefects(message, destination: observed.destinationIP) {
            problem(.nakForm, .error, "2131 4.3.2", check: .nakForm, defects)
        }
        if type == .ack, transaction.kind == .inform, let defects = ConformanceJudge.informAckDefects(message) {
            problem(.informNoLease, .error, "2131 4.3.5", check: .informNoLease, defects)
        }
        if transaction.relayAddress != .any, message.relayAddress != transaction.relayAddress {
            problem(.giaddrMismatch, .error, "1542 4.1.2",
                    "reply has giaddr \(message.relayAddress), the relayed request had \(transaction.relayAddress)")
        }
        if type == .ack, transaction.kind != .release, let wanted = transaction.requestedParameters {
            var missing = OptionCodeSet()
            wanted.forEach { code in
                if code != 0, code != 255, message.instances(of: DHCPOptionCode(code)) == 0 { missing.insert(code) }
            }
            if !missing.isEmpty {
                problem(.parametersNotSupplied, .info, "2131 4.3.1", check: missing.contains(1) ? .parametersSupplied : nil,
                        Self.listText("asked for options the ACK lacks: ", missing))
            }
        }
    }

    /// `prefix` and the codes, comma-separated, written byte by byte (this is the commonest finding).
    private static func listText(_ prefix: String, _ codes: OptionCodeSet) -> String {
        var text = Array(prefix.utf8)
        var first = true
        codes.forEach { code in
            if !first { text.append(contentsOf: ", ".utf8) }
            first = false
            if code >= 100 { text.append(UInt8(ascii: "0") + code / 100) }
            if code >= 10 { text.append(UInt8(ascii: "0") + code / 10 % 10) }
            text.append(UInt8(ascii: "0") + code % 10)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// RFC 2131 §4.1: a client that sets the broadcast bit cannot receive unicast before it has an address.
    private mutating func checkBroadcast(_ observed: ObservedMessage, _ transaction: Transaction, _ events: inout [AnalysisEvent]) {
        guard transaction.broadcastAsked, observed.destinationPort == 68, observed.destinationIP != .broadcast,
              transaction.kind == .dora || transaction.kind == .initReboot else { return }
        report(.broadcastIgnored, .warning, rfc: "2131 4.1", client: observed.client, ip: observed.destinationIP,
                       xid: observed.xid, frames: [observed.frame], check: .broadcastBit,
                       "the client set the broadcast bit but \(observed.type?.description ?? "the reply") went unicast to \(observed.destinationIP)",
               &events)
    }

    // MARK: leases

    private mutating func bind(_ observed: ObservedMessage, _ transaction: Transaction, _ events: inout [AnalysisEvent]) {
        let message = observed.message
        let address = message.yourAddress
        var lease = LeaseRecord(
            start: observed.time, longClientID: nil, hostname: nil,
            domain: internedDomain(message), dns: internedDNS(message),
            server: message.serverIdentifier ?? observed.sourceIP, router: message.firstAddress(in: .routers),
            leaseTime: message.leaseTime, renewalTime: message.renewalTime, rebindingTime: message.rebindingTime,
            frame: UInt32(clamping: observed.frame.frame), file: UInt16(clamping: observed.frame.file), state: .active)
        let holding = leaseHolders[address].map(Int.init)
        let holder = holding.map { leases.key(at: $0).client }
        if let holding, let holder, holder != observed.client, case let other = leases[position: holding],
           other.isHeld, other.end.map({ $0 > observed.time }) ?? true {
            let otherFrame = FrameReference(file: Int(other.file), frame: Int(other.frame), time: other.start)
            report(.addressConflict, .error, rfc: "2131 4.3.1", client: observed.client, ip: address, xid: observed.xid,
                   frames: [otherFrame, observed.frame],
                   "\(address) is bound to \(observed.client) while \(holder)'s lease on it is still active", &events)
        }
        let clientPosition = clients.position(of: observed.client) { ClientRecord(observed.time) }
        lease.hostname = clients[position: clientPosition].hostname
        Self.keepHostName(of: message, in: &lease.hostname)
        lease.longClientID = transaction.longClientID ?? clients[position: clientPosition].longClientID
        let (position, renewed) = leases.store(LeaseKey(ip: address, client: observed.client), lease)
        if renewed { leases.modify(at: position) { $0.state = .renewed } }
        if holder != observed.client { leaseHolders[address] = Int32(position) }
        if leases.count > options.maximumLeases { forgetLeases(&events) }
        clients.update(at: clientPosition) { client in
            client.address = address
            client.leaseAddress = address
            client.boundAt = lease.isInfinite || lease.leaseTime == nil ? nil : observed.time.timeInterval
            client.leaseTime = lease.isInfinite ? nil : lease.leaseTime.map { Float($0) }
            client.t1 = lease.t1.map { Float($0) }
            client.t2 = lease.t2.map { Float($0) }
            client.renewChecked = false
            client.rebindChecked = false
        }
    }

    /// The lease's domain name, sharing the storage of the last one when equal (one server gives every lease the
    /// same): a copy per lease would be the largest part of a lease table.
    private mutating func internedDomain(_ message: DHCPMessageView) -> String? {
        guard let data = message.optionData(.domainName) else { return nil }
        if let last = lastDomain, last.hasUTF8(data) { return last }
        lastDomain = message.text(.domainName)
        return lastDomain
    }

    /// The lease's DNS servers, sharing the storage of the last list when equal.
    private mutating func internedDNS(_ message: DHCPMessageView) -> [IPv4Address] {
        guard let data = message.optionData(.domainNameServers) else { return [] }
        if data.count == 4 * lastDNS.count,
           lastDNS.indices.allSatisfy({ IPv4Address(data, at: 4 * $0) == lastDNS[$0] }) { return lastDNS }
        lastDNS = message.addressList(.domainNameServers) ?? []
        return lastDNS
    }

    private mutating func setLeaseState(_ address: IPv4Address, _ client: ClientKey, _ state: LeaseState) {
        let key = LeaseKey(ip: address, client: client)
        guard leases[key] != nil else { return }
        leases.modify(key) { $0.state = state }
        if state != .nak, let holding = leaseHolders[address], leases.key(at: Int(holding)).client == client {
            leaseHolders[address] = nil
        }
    }

    // MARK: client state

    /// Moves the client along Figure 5 for `event`, inferring steps a capture cannot show (timers, restarts).
    /// `position`: the client's place in the table when the caller has it.
    private mutating func apply(_ event: DHCPClientEvent, to key: ClientKey, at position: Int? = nil, _ observed: ObservedMessage,
                                _ events: inout [AnalysisEvent], isReply: Bool = false) {
        let position = position ?? clients.position(of: key) {
            ClientRecord(machine: DHCPClientStateMachine(state: DHCPClientStateMachine.initialState(before: event)), lastSeen: observed.time)
        }
        let state = clients[position: position].machine.state
        // The INFORM was already applied when the client sent it (or the client holds a lease and stays put).
        if isReply, event == .sendInform, state != .unknown { return }
        if state != .unknown, DHCPClientStateMachine.isIgnored(event, in: state) { return }
        // The steps are worked out first, on a copy of the machine; the record is changed in place at the end.
        var machine = clients[position: position].machine
        var steps = [DHCPClientTransition]()
        var inRFC = true
        if state == .unknown {
            let target = DHCPClientStateMachine.stateAfter(event)
            machine.force(target)
            steps = [DHCPClientTransition(from: .unknown, to: target, event: event, rfc: "2131 4.4")]
        } else {
            if state.holdsLease, let boundAt = clients[position: position].boundAt, let lease = clients[position: position].leaseTime,
               observed.time.timeInterval - boundAt >= Double(lease), DHCPClientStateMachine.transition(from: state, on: event) == nil {
                // The lease ran out before this message: Figure 5's timer arrows first.
                for timer in [DHCPClientEvent.t1Expired, .t2Expired, .leaseExpired] {
                    if let step = machine.apply(timer) { steps.append(step) }
                }
            }
            let path = DHCPClientStateMachine.path(from: machine.state, to: event)
            if path.isEmpty {
                inRFC = false
                let target = DHCPClientStateMachine.stateAfter(event)
                steps.append(DHCPClientTransition(from: machine.state, to: target, event: event, rfc: "2131 4.4"))
                machine.force(target)
                report(.unexpectedTransition, .info, rfc: "2131 4.4", client: key, xid: observed.xid,
                       frames: [observed.frame], "\(event) in state \(state.rawValue) has no arrow in RFC 2131 Figure 5",
                       &events)
            } else {
                for step in path { machine.force(step.to) }
                // Usually the only steps: the table's array is shared, not copied.
                if steps.isEmpty { steps = path } else { steps.append(contentsOf: path) }
            }
        }
        let moved = UInt32(steps.count { $0.from != $0.to })
        clients.update(at: position) { client in
            client.machine = machine
            client.transitions += moved
        }
        guard options.transitionEvents, moved > 0 else { return }
        let clientID = key.wholeIdentifier ?? clients[position: position].longClientID
        for step in steps where step.from != step.to {
            events.append(.transition(TransitionReport(client: key, clientID: clientID, transition: step,
                                                       frame: observed.frame, inRFC: inRFC)))
        }
    }

    // MARK: transactions

    /// Opens the transaction `key`.
    @discardableResult
    private mutating func open(_ key: TransactionKey, kind: TransactionKind, _ observed: ObservedMessage,
                               _ events: inout [AnalysisEvent]) -> Transaction {
        if transactions.count >= options.maximumTransactions { evictOldest(&events) }
        if let owner = xidOwners[XID(key.xid)], owner.client != key.client, let other = transactions[owner], !other.isClosed {
            report(.xidReused, .warning, rfc: "2131 4.4.1", client: key.client, xid: key.xid, frames: [observed.frame],
                           "xid \(Hex.xid(key.xid)) is in use by \(owner.client) too", &events)
        }
        xidOwners[XID(key.xid)] = key
        noteIdentified(key)
        let transaction = Transaction(key: key, kind: kind, time: observed.time)
        transactions[key] = transaction
        creationOrder.append(key)
        transactionCount += 1
        return transaction
    }

    private mutating func close(_ key: TransactionKey, outcome: TransactionOutcome, at time: Timestamp,
                                _ events: inout [AnalysisEvent]) {
        guard let transaction = transactions[key], !transaction.isClosed else { return }
        transaction.outcome = outcome
        transaction.closedAt = time
        closedQueue.append((key, time))
        openDORA.removeValue(forKey: key.client, ifItIs: key)
        outcomeCounts[outcome.index] += 1
        if options.transactionEvents {
            let address = transaction.replies.last(where: { $0.type == .ack })?.address ?? transaction.requestedAddress
            events.append(.transaction(transaction.report(address: address)))
        }
        switch outcome {
        case .noOffer:
            report(.discoverUnanswered, .warning, rfc: "2131 4.4.1", client: key.client, xid: key.xid,
                           frames: transaction.frames, "DISCOVER never answered", &events)
        case .noAck where !transaction.offers.isEmpty:
            report(.offerNotAcked, .warning, rfc: "2131 4.4.1", client: key.client,
                           ip: transaction.offers.first?.address, xid: key.xid, frames: transaction.frames,
                           "OFFER from " + Set(transaction.offers.map(\.server.description)).sorted().joined(separator: ", ")
                               + (transaction.firstRequest == nil ? " never followed by a REQUEST" : " never followed by an ACK"),
                   &events)
        case .noAck, .timeout:
            if transaction.firstRequest != nil || transaction.kind == .inform {
                report(.requestUnanswered, .warning, rfc: "2131 4.4.5", client: key.client, ip: transaction.requestedAddress,
                               xid: key.xid, frames: transaction.frames, "\(transaction.kind.rawValue) never answered", &events)
            }
        default: break
        }
    }

    private mutating func remove(_ key: TransactionKey) {
        guard let transaction = transactions.removeValue(forKey: key) else { return }
        if !transaction.aliases.isEmpty {
            for alias in transaction.aliases {
                aliases[alias] = nil
                forgetIdentified(alias)
            }
        }
        forgetIdentified(key)
        if let closedAt = transaction.closedAt { recentlyClosed[LateKey(key)] = ClosedTransaction(transaction, closedAt: closedAt) }
        xidOwners.removeValue(forKey: XID(key.xid), ifItIs: key)
        openDORA.removeValue(forKey: key.client, ifItIs: key)
    }

    private mutating func evictOldest(_ events: inout [AnalysisEvent]) {
        // Finished transactions are only kept for late relay legs: make room by dropping the oldest of them first.
        while closedHead < closedQueue.count {
            let (key, at) = closedQueue[closedHead]
            closedHead += 1
            if isClosed(key, at: at) {
                remove(key)
                return
            }
        }
        while creationHead < creationOrder.count {
            let key = creationOrder[creationHead]
            creationHead += 1
            guard transactions[key] != nil else { continue }
            if !capReported {
                capReported = true
                let maximum = options.maximumTransactions
                report(.transactionCap, .warning, rfc: nil, client: key.client, xid: key.xid,
                       "more than \(maximum) transactions in progress: the oldest are evicted (counted in the summary)",
                       &events)
            }
            close(key, outcome: transactions[key]?.timeoutOutcome ?? .timeout, at: transactions[key]?.lastTime ?? Timestamp(seconds: 0, nanoseconds: 0), &events)
            remove(key)
            evictedTransactions += 1
            break
        }
        compactCreationOrder()
    }

    /// Past --max-clients, forgets the least recently seen eighth of the clients at once (so the cost of finding them
    /// is shared by as many new clients): a client seen again starts over as one never seen. Their leases stay.
    private mutating func forgetLeastRecentClients(_ events: inout [AnalysisEvent]) {
        let excess = clients.count - options.maximumClients
        let count = min(clients.count - 1, excess + max(1, options.maximumClients / 8))
        if !clientCapReported {
            clientCapReported = true
            let maximum = options.maximumClients
            report(.clientCap, .warning, rfc: nil,
                   "more than \(maximum) clients: the least recently seen are forgotten (counted in the summary)",
                   &events)
        }
        clients.removeSmallest(count) { $0.lastSeen < $1.lastSeen }
        evictedClients += count
    }

    /// Past --max-leases, forgets an eighth of the leases at once: those that ended, then the oldest held.
    private mutating func forgetLeases(_ events: inout [AnalysisEvent]) {
        let maximum = options.maximumLeases
        if !leaseCapReported {
            leaseCapReported = true
            report(.leaseCap, .warning, rfc: nil,
                   "more than \(maximum) leases: those ended longest ago are forgotten (counted in the summary)", &events)
        }
        var holderOf: [Int32: IPv4Address] = [:]
        for (address, position) in leaseHolders { holderOf[position] = address }
        var holders: [IPv4Address: Int32] = [:]
        evictedLeases += leases.forget(keeping: maximum - max(1, maximum / 8)) { old, new in
            if let address = holderOf[Int32(old)] { holders[address] = Int32(new) }
        }
        leaseHolders = holders
    }

    /// Ends transactions idle past the timeout, at most every quarter of the timeout.
    private mutating func advance(to time: Timestamp, _ events: inout [AnalysisEvent]) {
        if let latest = latestTime, time < latest { return }
        latestTime = time
        dropClosed(before: time)
        if let last = lastScan, time.seconds(since: last) < max(1, options.transactionTimeout / 4) { return }
        lastScan = time
        // Expired records leave in place: a filtered copy would double the table for a moment.
        let now = time.timeInterval
        var expiredLate = [LateKey]()
        for (key, closed) in recentlyClosed where now - closed.closedAt > options.transactionTimeout { expiredLate.append(key) }
        for key in expiredLate { recentlyClosed[key] = nil }
        var expired = [TransactionKey]()
        for (key, transaction) in transactions where aliases[key] == nil {
            if let closed = transaction.closedAt {
                if time.seconds(since: closed) > options.relayLegWindow * 2 { expired.append(key) }
            } else if time.seconds(since: transaction.lastTime) > options.transactionTimeout {
                expired.append(key)
            }
        }
        expired.sort { (transactions[$0]?.firstTime ?? time) < (transactions[$1]?.firstTime ?? time) }
        for key in expired {
            if let transaction = transactions[key], !transaction.isClosed {
                close(key, outcome: transaction.timeoutOutcome, at: transaction.lastTime, &events)
            }
            remove(key)
        }
        compactCreationOrder()
    }

    /// Forgets transactions closed longer ago than twice the relay-leg window.
    private mutating func dropClosed(before time: Timestamp) {
        while closedHead < closedQueue.count, time.seconds(since: closedQueue[closedHead].at) > options.relayLegWindow * 2 {
            let (key, at) = closedQueue[closedHead]
            closedHead += 1
            if isClosed(key, at: at) { remove(key) }
        }
        if closedHead > 4096, closedHead * 2 > closedQueue.count {
            closedQueue.removeFirst(closedHead)
            closedHead = 0
        }
    }

    /// Whether the transaction `key` is still the one that closed at `at`.
    private func isClosed(_ key: TransactionKey, at: Timestamp) -> Bool {
        transactions[key]?.closedAt == at
    }

    private mutating func compactCreationOrder() {
        if creationHead > 4096, creationHead * 2 > creationOrder.count {
            creationOrder.removeFirst(creationHead)
            creationHead = 0
        }
        if creationOrder.count > 2 * max(1024, transactions.count) {
            creationOrder = creationOrder.filter { transactions[$0] != nil }
            creationHead = 0
        }
    }

    /// A DISCOVER: a new client's counts towards starvation, and every one towards the silence of servers that
    /// offered before.
    private mutating func watchFloods(_ observed: ObservedMessage, newClient: Bool, _ events: inout [AnalysisEvent]) {
        let time = observed.time.timeInterval
        if newClient, let finding = floods.newClientDiscovered(at: time) { reportFlood(finding, observed, &events) }
        for finding in floods.discovered(by: observed.client, at: time) { reportFlood(finding, observed, &events) }
    }

    private mutating func reportFlood(_ finding: FloodDetector.Finding, _ observed: ObservedMessage, _ events: inout [AnalysisEvent]) {
        switch finding {
        case .starvation(let count, let seconds):
            let rate = seconds > 0 ? " (\(Int((Double(count) / seconds).rounded())) a second)" : ""
            report(.starvation, .error, rfc: nil, client: observed.client, xid: observed.xid, frames: [observed.frame],
                   "\(count) previously unseen clients sent DISCOVER within \(FixedPoint.format(seconds)) s\(rate): DHCP starvation "
                       + "(DHCPig, yersinia) or a mass arrival of new hosts", &events)
        case .silentServer(let server, let clients, let seconds):
            report(.poolExhausted, .error, rfc: nil, client: observed.client, ip: server, xid: observed.xid, frames: [observed.frame],
                   "server \(server) has offered nothing for \(FixedPoint.format(seconds)) s while \(clients) clients sent DISCOVER: "
                       + "its pool may be exhausted", &events)
        case .nakBurst(let server, let count, let seconds):
            report(.poolExhausted, .error, rfc: nil, client: observed.client, ip: server, xid: observed.xid, frames: [observed.frame],
                   "server \(server) sent \(count) NAKs within \(FixedPoint.format(seconds)) s: its pool may be exhausted", &events)
        }
    }

    /// Counts a finding, and hands it over as an event while fewer than `options.problemEvents` have been: its frames
    /// and text are made only then (analyse's report lists the first 10,000 of what can be hundreds of thousands).
    private mutating func report(_ code: Problem.Code, _ severity: Problem.Severity, rfc: String?, client: ClientKey? = nil,
                                 ip: IPv4Address? = nil, xid: UInt32? = nil,
                                 frames: @autoclosure () -> [FrameReference] = [], check: ConformanceCheck? = nil,
                                 _ text: @autoclosure () -> String, _ events: inout [AnalysisEvent]) {
        severityCounts[severity.rank] += 1
        guard problemEvents < options.problemEvents else {
            problemsLeftOut += 1
            return
        }
        problemEvents += 1
        var problem = Problem(code, severity, rfc: rfc, client: client, ip: ip, xid: xid, frames: frames(), text())
        problem.check = check?.id
        events.append(.problem(problem))
    }
}


extension DHCPAnalyzer.ClientRecord {
    /// A client first seen at `time`, its state unknown.
    init(_ time: Timestamp) { self.init(machine: DHCPClientStateMachine(state: .unknown), lastSeen: time) }
}

extension String {
    /// Whether the string's UTF-8 is exactly `bytes`: the lengths first, then the bytes in place (a small string,
    /// such as most host names, has no storage to lend through `utf8`, so it is read through `withUTF8`).
    func hasUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard utf8.count == bytes.count else { return false }
        var string = self
        return string.withUTF8 { UnsafeRawBufferPointer($0).hasSameBytes(as: bytes) }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether `other`, of the same length, holds the same bytes: compared eight at a time (a generic
    /// `elementsEqual` walks two iterators, about 20 instructions a byte).
    func hasSameBytes(as other: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset + 8 <= count {
            if loadUnaligned(fromByteOffset: offset, as: UInt64.self) != other.loadUnaligned(fromByteOffset: offset, as: UInt64.self) {
                return false
            }
            offset += 8
        }
        while offset < count {
            if self[offset] != other[offset] { return false }
            offset += 1
        }
        return true
    }
}

/// An optional number stored in the number's own size, NaN standing for nil.
@propertyWrapper
struct NaNIsAbsent<Value: BinaryFloatingPoint> {
    private var stored = Value.nan
    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
    var wrappedValue: Value? {
        get { stored.isNaN ? nil : stored }
        set { stored = newValue ?? .nan }
    }
}

/// An optional address stored in four bytes, 0.0.0.0 standing for nil (it is never a leased address).
@propertyWrapper
struct AnyIsAbsent {
    private var stored = IPv4Address.any
    init(wrappedValue: IPv4Address?) { self.wrappedValue = wrappedValue }
    var wrappedValue: IPv4Address? {
        get { stored == .any ? nil : stored }
        set { stored = newValue ?? .any }
    }
}

extension Dictionary where Value: Equatable {
    /// Removes the entry of `key` when its value is `value`: one lookup, not one to compare and one to remove.
    mutating func removeValue(forKey key: Key, ifItIs value: Value) {
        if let index = index(forKey: key), self[index].value == value { remove(at: index) }
    }
}
