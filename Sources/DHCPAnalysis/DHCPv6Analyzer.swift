import DHCPv6Core
import DHCPv6Protocol
import Framing
import Histogram
import NetworkPrimitives

/// Streaming analysis of DHCPv6 (RFC 8415): transactions keyed by xid and client DUID (a SOLICIT's goes on through
/// the REQUEST after its ADVERTISE), relay legs joined through the innermost message, each client's state
/// (`DHCPv6ClientStateMachine`), leases per (DUID, IAID, address or prefix), servers by DUID, and problems with their
/// RFC 8415 clause. Feed it messages in time order, as `DHCPAnalyzer` is fed DHCPv4. Messages are read in place
/// (`DHCPv6MessageView`); clients are keyed by their DUID packed as `ClientKey` packs option 61. Memory grows with
/// clients and leases; a transaction is dropped a moment after it ends.
public struct DHCPv6Analyzer {
    public let options: AnalysisOptions

    struct TransactionKey: Hashable {
        var xid: UInt32
        var client: ClientKey
    }

    /// A message sent, to tell a relay leg (the same bytes at another relay depth) from a retransmission.
    struct Sent {
        var type: UInt8
        var depth: UInt8
        var time: Timestamp
        var digest: UInt64
    }

    final class Transaction {
        let key: TransactionKey
        let kind: DHCPv6TransactionKind
        let opened: Timestamp
        var mac: MACAddress?
        var lastActivity: Timestamp
        var frames: [FrameReference] = []
        /// Positions in `servers`, in the order they answered.
        var servers = SmallList<Int32>()
        var rapidCommit = false
        var relayed = false
        var advertisedAt: Timestamp?
        var requestXID: UInt32?
        var requestSentAt: Timestamp?
        var closed = false
        var outcome: DHCPv6TransactionOutcome?
        var closedAt: Timestamp?
        /// The client's transmissions of the message it now retransmits: how many, the last, the gap before it.
        var transmissions = 1
        var lastTransmission: Timestamp
        var lastGap: Double?
        var lastElapsed: UInt16?
        var lastClient: Sent?
        var lastServer: Sent?
        var multipleServersReported = false
        var timingReported = false

        init(key: TransactionKey, kind: DHCPv6TransactionKind, mac: MACAddress?, at time: Timestamp) {
            self.key = key; self.kind = kind; self.mac = mac; opened = time; lastActivity = time; lastTransmission = time
        }
    }

    struct ClientRecord {
        var machine: DHCPv6ClientStateMachine
        var mac: MACAddress?
        var transitions: UInt32 = 0
        var lastSeen: Timestamp
        var boundAt: Timestamp?
        /// The shortest T1 and T2 of the IAs of its last REPLY with leases (0: the client chooses).
        var t1: UInt32 = 0
        var t2: UInt32 = 0
        var renewChecked = false
        var rebindChecked = false
    }

    /// A lease's key: its client, IA and address or prefix.
    struct LeaseKey: Hashable {
        var client: ClientKey
        var iaid: UInt32
        var address: IPv6Address
        var ia: DHCPv6IAType
        /// 255 for an address.
        var prefixLength: UInt8
    }

    /// 48 bytes: one per address and prefix ever granted.
    struct LeaseRecord {
        var start: Timestamp
        var preferred: UInt32
        var valid: UInt32
        /// 0xffffffff… would be a time: IA_TA, which has none, stores `noTimer`.
        var t1: UInt32
        var t2: UInt32
        /// Its position in `servers`, -1 for none.
        var server: Int32
        /// The REPLY that last granted it (its time is `start`).
        var frame: UInt32
        var file: UInt16
        var state: LeaseState

        static let noTimer = UInt32.max - 1
    }

    struct ServerRecord {
        var id: [UInt8]
        var ip: IPv6Address
        var seenDirect: Bool
        var mac: MACAddress?
        var advertises = 0, replies = 0
        var statuses: [UInt16: Int] = [:]
        var expected: Bool
        var latency = Histogram<UInt64>(numberOfSignificantValueDigits: .two)
    }

    private var transactions: [TransactionKey: Transaction] = [:]
    /// The REQUEST after an ADVERTISE carries a new xid: it leads to the SOLICIT's transaction.
    private var aliases: [TransactionKey: TransactionKey] = [:]
    /// The last transaction opened with each xid: a reply whose client identifier names nobody finds it here.
    private var byXID: [DHCPAnalyzer.XID: TransactionKey] = [:]
    /// Each client's SOLICIT transaction that got an ADVERTISE and awaits its REQUEST.
    private var advertised: [ClientKey: TransactionKey] = [:]
    /// Transactions in the order they opened, for eviction past --max-transactions (entries of dropped ones are
    /// skipped).
    private var opened: [Transaction] = []
    private var openedHead = 0
    /// Ended transactions, in the order they ended: reported and dropped `relayLegWindow` later.
    private var ended: [Transaction] = []
    private var endedHead = 0
    private var clients = DenseTable<ClientKey, ClientRecord>()
    /// DUIDs longer than a key keeps whole (16 bytes), for reports.
    private var longDUIDs: [ClientKey: [UInt8]] = [:]
    private var leases = DenseTable<LeaseKey, LeaseRecord>()
    private var servers: [ServerRecord] = []
    private var serverPositions: [ClientKey: Int32] = [:]
    private var lastScan: Timestamp?

    public private(set) var latestTime: Timestamp?
    public private(set) var messageCount = 0
    public private(set) var transactionCount = 0
    public private(set) var evictedTransactions = 0
    public private(set) var evictedClients = 0
    /// Leases forgotten past --max-leases.
    public private(set) var evictedLeases = 0
    private var leaseCapReported = false
    private var clientCapReported = false
    public private(set) var problemsLeftOut = 0
    private var problemEvents = 0
    private var severityCounts = [0, 0, 0]
    private var outcomeCounts: [String: Int] = [:]

    public init(options: AnalysisOptions = AnalysisOptions()) { self.options = options }

    /// Problems found, by severity.
    public var problemCounts: [Problem.Severity: Int] {
        [.info: severityCounts[0], .warning: severityCounts[1], .error: severityCounts[2]]
    }

    /// Transactions ended, by outcome.
    public var transactionsByOutcome: [String: Int] { outcomeCounts }
    public var clientCount: Int { clients.count }
    public var leaseCount: Int { leases.count }

    // MARK: feeding

    /// What the handlers need of one message: the client's or server's message under any relays, read in place.
    struct Seen {
        var message: DHCPv6MessageView
        var xid: UInt32
        var depth: Int
        var frame: FrameReference
        var source: IPv6Address
        var link: LinkInfo
        /// Of the message's bytes: two legs of one message have the same.
        var digest: UInt64
        var client: ClientKey
        /// The top-level options the analysis reads, found in one pass: client and server identifiers (1, 2), elapsed
        /// time (8), rapid commit (14), client link-layer address (79).
        var clientDUID: UnsafeRawBufferPointer?
        var serverDUID: UnsafeRawBufferPointer?
        var elapsed: UInt16?
        var rapidCommit = false
        var linkLayerAddress: UnsafeRawBufferPointer?
        var time: Timestamp { frame.time }
        var type: DHCPv6MessageType { message.type }

        init(message: DHCPv6MessageView, xid: UInt32, depth: Int, frame: FrameReference, source: IPv6Address, link: LinkInfo) {
            self.message = message; self.xid = xid; self.depth = depth; self.frame = frame; self.source = source
            self.link = link
            digest = DHCPv6Analyzer.digest(message.bytes)
            var clientDUID: UnsafeRawBufferPointer?, serverDUID: UnsafeRawBufferPointer?, elapsed: UInt16?
            var rapidCommit = false, linkLayerAddress: UnsafeRawBufferPointer?
            message.forEachOption { code, data in
                switch code {
                case 1 where clientDUID == nil: clientDUID = data
                case 2 where serverDUID == nil: serverDUID = data
                case 8 where elapsed == nil:
                    if case .elapsedTime(let value)? = DHCPv6OptionValue(code: code, data: data) { elapsed = value }
                case 14: rapidCommit = true
                case 79 where linkLayerAddress == nil: linkLayerAddress = data
                default: break
                }
            }
            self.clientDUID = clientDUID; self.serverDUID = serverDUID; self.elapsed = elapsed
            self.rapidCommit = rapidCommit; self.linkLayerAddress = linkLayerAddress
            client = ClientKey(duid: clientDUID ?? UnsafeRawBufferPointer(start: nil, count: 0))
        }

        /// The client's MAC: of its DUID, else of option 79, else — seen on its own link, sent by it — of the frame.
        func mac(sentByClient: Bool) -> MACAddress? {
            clientDUID.flatMap(DHCPv6DUID.mac(of:)) ?? linkLayerAddress.flatMap(DHCPv6OptionValue.mac(ofLinkLayerAddress:))
                ?? (sentByClient && depth == 0 ? link.source : nil)
        }

        /// Every status code of the message (top level, IAs, their addresses and prefixes), in wire order.
        var statuses: SmallList<UInt16> {
            var codes = SmallList<UInt16>()
            func visit(_ code: UInt16, _ data: UnsafeRawBufferPointer) {
                if code == 13, case let .status(status, _)? = DHCPv6OptionValue(code: code, data: data) { codes.append(status) }
                DHCPv6MessageView.forEachSuboption(of: code, data: data, visit)
            }
            message.forEachOption(visit)
            return codes
        }
    }

    /// One DHCPv6 message seen at `frame`: its events appended to `events`.
    public mutating func observe(_ record: DHCPv6Record, link: LinkInfo, frame: FrameReference,
                                 into events: inout [AnalysisEvent]) {
        messageCount += 1
        advance(to: frame.time, &events)
        guard let outer = record.view else {
            report(.malformed, .error, rfc: "8415 16", frames: [frame], record.error?.description ?? "unreadable", &events)
            return
        }
        var tooManyHops: [UInt8] = []
        let (inner, depth) = outer.innermost { relay in
            if let hops = relay.relayHeader?.hopCount, hops > dhcpv6HopCountLimit { tooManyHops.append(hops) }
        }
        for hops in tooManyHops {
            report(.relayHops, .warning, rfc: "8415 19.1.1", frames: [frame],
                   "relay message with hop count \(hops), over HOP_COUNT_LIMIT \(dhcpv6HopCountLimit) (RFC 8415 7.6)", &events)
        }
        guard let xid = inner.transactionID else { return }
        let seen = Seen(message: inner, xid: xid, depth: depth, frame: frame, source: record.ip.source, link: link)
        if let duid = seen.clientDUID, duid.count > 16, longDUIDs[seen.client] == nil { longDUIDs[seen.client] = Array(duid) }
        if let kind = DHCPv6TransactionKind(opening: inner.type) {
            clientMessage(seen, kind, &events)
        } else if inner.type.isFromServer {
            serverMessage(seen, &events)
        }
    }

    /// FNV-1a over the bytes, eight at a time: tells two legs of one message from two messages.
    static func digest(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        var at = 0
        while at + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)) &* 0x0000_0100_0000_01B3
            at += 8
        }
        while at < bytes.count {
            hash = (hash ^ UInt64(bytes[at])) &* 0x0000_0100_0000_01B3
            at += 1
        }
        return hash
    }

    private func resolve(_ key: TransactionKey) -> TransactionKey { aliases[key] ?? key }

    /// The bytes of a client's DUID, for reports.
    func duid(of client: ClientKey) -> [UInt8] { client.wholeIdentifier ?? longDUIDs[client] ?? [] }

    private func name(_ client: ClientKey, mac: MACAddress?) -> DHCPv6ClientName {
        DHCPv6ClientName(duid: duid(of: client), mac: mac)
    }

    private mutating func clientMessage(_ seen: Seen, _ kind: DHCPv6TransactionKind, _ events: inout [AnalysisEvent]) {
        let key = resolve(TransactionKey(xid: seen.xid, client: seen.client))
        let sent = Sent(type: seen.type.rawValue, depth: UInt8(clamping: seen.depth), time: seen.time, digest: seen.digest)
        if let transaction = transactions[key] {
            transaction.frames.append(seen.frame)
            transaction.lastActivity = seen.time
            if let last = transaction.lastClient, last.type == sent.type {
                if last.depth != sent.depth, last.digest == sent.digest,
                   seen.time.seconds(since: last.time) <= options.relayLegWindow {
                    transaction.relayed = true
                    return
                }
                if last.depth == sent.depth { retransmitted(seen, transaction, &events) }
            }
            transaction.lastClient = sent
            return
        }
        let mac = seen.mac(sentByClient: true)
        // The REQUEST after an ADVERTISE: a new xid, the same exchange.
        if kind == .request, let solicitKey = advertised[seen.client], let solicit = transactions[solicitKey], !solicit.closed {
            aliases[TransactionKey(xid: seen.xid, client: seen.client)] = solicitKey
            advertised[seen.client] = nil
            solicit.requestXID = seen.xid
            solicit.requestSentAt = seen.time
            solicit.frames.append(seen.frame)
            solicit.lastActivity = seen.time
            solicit.transmissions = 1
            solicit.lastTransmission = seen.time
            solicit.lastGap = nil
            solicit.lastElapsed = seen.elapsed
            solicit.lastClient = sent
            if seen.depth > 0 { solicit.relayed = true }
            apply(.sendRequest, to: seen.client, mac: mac, seen.frame, &events)
            return
        }
        let transaction = Transaction(key: key, kind: kind, mac: mac, at: seen.time)
        // A SARR is four frames, twice that through a relay: one allocation, not three.
        transaction.frames.reserveCapacity(seen.depth > 0 ? 8 : 4)
        transaction.frames.append(seen.frame)
        transaction.rapidCommit = kind == .solicit && seen.rapidCommit
        transaction.relayed = seen.depth > 0
        transaction.lastElapsed = seen.elapsed
        transaction.lastClient = sent
        transactions[key] = transaction
        opened.append(transaction)
        byXID[DHCPAnalyzer.XID(seen.xid)] = key
        transactionCount += 1
        if transactions.count > options.maximumTransactions { evictOldest(&events) }
        if kind == .renew || kind == .rebind { checkTimer(seen, kind, mac: mac, &events) }
        let event: DHCPv6ClientEvent = switch kind {
        case .solicit: .sendSolicit
        case .request: .sendRequest
        case .renew: .sendRenew
        case .rebind: .sendRebind
        case .confirm: .sendConfirm
        case .release: .sendRelease
        case .decline: .sendDecline
        case .informationRequest, .leasequery: .sendInformationRequest
        }
        if kind != .leasequery { apply(event, to: seen.client, mac: mac, seen.frame, &events) }
        if kind == .release || kind == .decline { markLeases(in: seen.message, of: seen.client, kind == .release ? .released : .declined) }
    }

    /// A client message sent again at the same relay depth: RFC 8415 §15's timing, and §21.9's elapsed time, which
    /// grows with each transmission of an exchange.
    private mutating func retransmitted(_ seen: Seen, _ transaction: Transaction, _ events: inout [AnalysisEvent]) {
        let type = seen.type
        let now = seen.elapsed
        if let before = transaction.lastElapsed, let now, now <= before, before != .max {
            report(.elapsedTimeNotGrowing, .warning, rfc: "8415 21.9", client: name(seen.client, mac: transaction.mac),
                   xid: seen.xid, frames: [seen.frame],
                   "\(type) sent again with elapsed time \(Double(now) / 100) s, not more than the \(Double(before) / 100) s before", &events)
        }
        transaction.lastElapsed = now ?? transaction.lastElapsed
        let gap = seen.time.seconds(since: transaction.lastTransmission)
        let previous = transaction.lastGap
        transaction.transmissions += 1
        transaction.lastTransmission = seen.time
        transaction.lastGap = gap
        guard let parameters = DHCPv6Retransmission.of(type), !transaction.timingReported else { return }
        let range = parameters.range(after: previous, solicit: type == .solicit && previous == nil)
        // Capture timestamps and the client's timer are not exact: a tenth of a second either way is not a finding.
        let slack = 0.1
        if gap < range.lowerBound - slack || gap > range.upperBound + slack {
            transaction.timingReported = true
            report(.retransmissionTiming, .info, rfc: "8415 15", client: name(seen.client, mac: transaction.mac), xid: seen.xid,
                   frames: Array(transaction.frames.suffix(2)),
                   "\(type) sent again after \(FixedPoint.format(gap)) s; RFC 8415 15 gives \(FixedPoint.format(range.lowerBound))–\(FixedPoint.format(range.upperBound)) s", &events)
        } else if parameters.count > 0, transaction.transmissions > parameters.count {
            transaction.timingReported = true
            report(.retransmissionTiming, .info, rfc: "8415 15", client: name(seen.client, mac: transaction.mac), xid: seen.xid,
                   frames: [seen.frame], "\(type) sent \(transaction.transmissions) times, more than its \(parameters.count)", &events)
        }
    }

    /// RENEW near T1 and REBIND near T2 after the REPLY that bound the client (RFC 8415 §18.2.4, §18.2.5).
    private mutating func checkTimer(_ seen: Seen, _ kind: DHCPv6TransactionKind, mac: MACAddress?, _ events: inout [AnalysisEvent]) {
        guard let position = clients.position(of: seen.client) else { return }
        let renew = kind == .renew
        let due: (timer: UInt32, boundAt: Timestamp)? = clients.update(at: position) { record in
            guard let boundAt = record.boundAt else { return nil }
            let timer = renew ? record.t1 : record.t2
            guard timer > 0, timer != .max, renew ? !record.renewChecked : !record.rebindChecked else { return nil }
            if renew { record.renewChecked = true } else { record.rebindChecked = true }
            return (timer, boundAt)
        }
        guard let due else { return }
        let expected = Double(due.timer), actual = seen.time.seconds(since: due.boundAt)
        let tolerance = options.timerTolerance ?? max(2, expected * 0.1)
        guard abs(actual - expected) > tolerance else { return }
        report(.renewTiming, .warning, rfc: renew ? "8415 18.2.4" : "8415 18.2.5", client: name(seen.client, mac: mac),
               xid: seen.xid, frames: [seen.frame],
               "\(renew ? "RENEW" : "REBIND") \(FixedPoint.format(actual)) s after binding; \(renew ? "T1" : "T2") is \(due.timer) s", &events)
    }

    private mutating func serverMessage(_ seen: Seen, _ events: inout [AnalysisEvent]) {
        let type = seen.type
        let serverDUID = seen.serverDUID
        let mac = seen.mac(sentByClient: false)
        let statuses = seen.statuses
        if serverDUID == nil, type == .advertise || type == .reply {
            report(.serverIDMissing, .error, rfc: type == .advertise ? "8415 16.3" : "8415 16.10", client: name(seen.client, mac: mac),
                   xid: seen.xid, frames: [seen.frame], "\(type) from \(seen.source) has no server identifier (option 2)", &events)
        }
        var transaction = transactions[resolve(TransactionKey(xid: seen.xid, client: seen.client))]
        if transaction == nil, let other = byXID[DHCPAnalyzer.XID(seen.xid)].flatMap({ transactions[$0] }) {
            if seen.clientDUID != nil, other.key.client != seen.client {
                let named = Hex.colonSeparated(duid(of: seen.client)), asking = name(other.key.client, mac: other.mac)
                report(.clientIDMismatch, .error, rfc: "8415 16.10", client: asking, xid: seen.xid, frames: [seen.frame],
                       "\(type) for xid \(Hex.xid6(seen.xid)) names client \(named), not the \(Hex.colonSeparated(asking.duid)) that asked", &events)
            } else {
                transaction = other
            }
        }
        let sent = Sent(type: type.rawValue, depth: UInt8(clamping: seen.depth), time: seen.time, digest: seen.digest)
        if let transaction {
            transaction.frames.append(seen.frame)
            transaction.lastActivity = seen.time
            if let last = transaction.lastServer, last.type == sent.type, last.depth != sent.depth, last.digest == sent.digest,
               seen.time.seconds(since: last.time) <= options.relayLegWindow {
                transaction.relayed = true
                updateServerAddress(serverDUID, seen)
                return
            }
            transaction.lastServer = sent
            if seen.depth > 0 { transaction.relayed = true }
        }
        let asked = transaction.map { $0.requestSentAt ?? $0.lastTransmission }
        let server = countServer(serverDUID, seen, statuses: statuses, latency: asked.map { seen.time.seconds(since: $0) }, mac: mac,
                                 &events)
        checkStatuses(seen, statuses, mac: mac, &events)
        guard let transaction else {
            // A reply whose request was not seen: its leases still count.
            if type == .reply { bindings(seen, mac: mac, server: server, &events) }
            return
        }
        if serverDUID != nil, !transaction.servers.holds(server) {
            transaction.servers.append(server)
            if transaction.servers.hasMoreThanOne, !transaction.multipleServersReported, type == .advertise {
                transaction.multipleServersReported = true
                report(.multipleServers, .info, rfc: "8415 18.2.9", client: name(transaction.key.client, mac: transaction.mac),
                       xid: seen.xid, frames: transaction.frames,
                       "\(transaction.servers.count) servers advertised to one SOLICIT", &events)
            }
        }
        switch type {
        case .advertise where transaction.kind == .solicit && transaction.requestSentAt == nil:
            if transaction.advertisedAt == nil { transaction.advertisedAt = seen.time }
            advertised[transaction.key.client] = transaction.key
            apply(.receiveAdvertise, to: transaction.key.client, mac: transaction.mac, seen.frame, &events)
        case .reply:
            reply(seen, transaction, server: server, failing: statuses.first { $0 != DHCPv6Status.success }, &events)
        default:
            break
        }
    }

    /// A REPLY to `transaction`: its leases, the client's step, and the transaction's end.
    /// `failing`: its first status that is not Success (top level, else in an IA, an address or a prefix).
    private mutating func reply(_ seen: Seen, _ transaction: Transaction, server: Int32, failing status: UInt16?,
                                _ events: inout [AnalysisEvent]) {
        if transaction.kind == .solicit, transaction.requestSentAt == nil, transaction.rapidCommit, !seen.rapidCommit {
            report(.rapidCommitMissing, .error, rfc: "8415 18.3.1", client: name(transaction.key.client, mac: transaction.mac),
                   xid: seen.xid, frames: [seen.frame], "a REPLY to a rapid-commit SOLICIT without the Rapid Commit option (14)", &events)
        }
        let granted = bindings(seen, mac: transaction.mac, server: server, &events)
        let event: DHCPv6ClientEvent
        switch transaction.kind {
        case .solicit, .request, .renew, .rebind:
            event = granted ? .receiveBindings : status == DHCPv6Status.notOnLink ? .receiveNotOnLink : .receiveNoBindings
        case .confirm:
            event = status == DHCPv6Status.notOnLink ? .receiveNotOnLink : .receiveSuccess
        default:
            event = .receiveSuccess
        }
        apply(event, to: transaction.key.client, mac: transaction.mac, seen.frame, &events)
        guard !transaction.closed else { return }
        let outcome: DHCPv6TransactionOutcome = if let status, !granted { .status(status) } else { .reply }
        close(transaction, outcome, at: seen.time)
    }

    /// Statuses that tell of trouble, as problems with §21.13's names (once per message and code).
    private mutating func checkStatuses(_ seen: Seen, _ statuses: SmallList<UInt16>, mac: MACAddress?, _ events: inout [AnalysisEvent]) {
        var codes = SmallList<UInt16>()
        for code in statuses where code != DHCPv6Status.success && !codes.holds(code) { codes.append(code) }
        for code in codes {
            let severity: Problem.Severity = code == DHCPv6Status.useMulticast || code == DHCPv6Status.noBinding ? .info : .warning
            report(.status(code), severity, rfc: "8415 21.13", client: name(seen.client, mac: mac), xid: seen.xid, frames: [seen.frame],
                   "\(seen.type) from \(seen.source) says \(DHCPv6OptionValue.statusName(code))", &events)
        }
    }

    /// The leases a REPLY gives (or takes back: valid lifetime 0), with §21.4/§21.6/§21.21/§21.22's checks of their
    /// times. True when it gives at least one.
    @discardableResult
    private mutating func bindings(_ seen: Seen, mac: MACAddress?, server: Int32, _ events: inout [AnalysisEvent]) -> Bool {
        var granted = false
        var shortestT1 = UInt32.max, shortestT2 = UInt32.max
        var findings: [(DHCPv6Lifetimes.Finding, Problem.Code, IPv6Address?)] = []
        seen.message.forEachOption { code, data in
            guard let ia = DHCPv6IAType(code: code) else { return }
            var iaid: UInt32 = 0, t1: UInt32?, t2: UInt32?
            switch DHCPv6OptionValue(code: code, data: data) {
            case let .identityAssociation(id, first, second)?: iaid = id; t1 = first; t2 = second
            case .temporaryAssociation(let id)?: iaid = id
            default: return
            }
            var shortestPreferred: UInt32?, held = false
            DHCPv6MessageView.forEachSuboption(of: code, data: data) { leaseCode, leaseData in
                let address: IPv6Address, prefixLength: UInt8?, preferredLifetime: UInt32, validLifetime: UInt32
                switch DHCPv6OptionValue(code: leaseCode, data: leaseData) {
                case let .address(value, p, v)?: address = value; prefixLength = nil; preferredLifetime = p; validLifetime = v
                case let .prefix(value, length, p, v)?:
                    address = value; prefixLength = length; preferredLifetime = p; validLifetime = v
                default: return
                }
                if let finding = DHCPv6Lifetimes.check(preferred: preferredLifetime, valid: validLifetime, prefix: prefixLength != nil) {
                    findings.append((finding, .badLifetimes, address))
                }
                held = true
                if preferredLifetime > 0 { shortestPreferred = min(shortestPreferred ?? .max, preferredLifetime) }
                let key = LeaseKey(client: seen.client, iaid: iaid, address: address, ia: ia, prefixLength: prefixLength ?? 255)
                if validLifetime == 0 {
                    if let position = leases.position(of: key) { leases.update(at: position) { $0.state = .expired } }
                    return
                }
                granted = true
                let fresh = LeaseRecord(start: seen.time, preferred: preferredLifetime, valid: validLifetime,
                                        t1: t1 ?? LeaseRecord.noTimer, t2: t2 ?? LeaseRecord.noTimer, server: server,
                                        frame: UInt32(clamping: seen.frame.frame), file: UInt16(clamping: seen.frame.file), state: .active)
                let position = leases.position(of: key) { fresh }
                leases.update(at: position) { lease in
                    let wasHeld = lease.state == .active || lease.state == .renewed
                    let renewed = wasHeld && lease.start != seen.time
                    lease = fresh
                    if renewed { lease.state = .renewed }
                }
            }
            if let t1, let t2 {
                for finding in DHCPv6Lifetimes.check(t1: t1, t2: t2, shortestPreferred: shortestPreferred, prefixes: ia == .pd) {
                    findings.append((finding, .badTimers, nil))
                }
                if held {
                    shortestT1 = min(shortestT1, t1 == 0 ? UInt32.max : t1)
                    shortestT2 = min(shortestT2, t2 == 0 ? UInt32.max : t2)
                }
            }
        }
        for (finding, code, address) in findings {
            let severity: Problem.Severity = code == .badLifetimes || finding.discarded ? .error : .info
            report(code, severity, rfc: finding.rfc, client: name(seen.client, mac: mac), address: address, xid: seen.xid,
                   frames: [seen.frame], (address.map { "\($0): " } ?? "") + finding.text, &events)
        }
        if leases.count > options.maximumLeases { forgetLeases(&events) }
        if granted {
            clients.update(at: Int(clientPosition(seen.client, mac: mac, at: seen.time))) { record in
                record.boundAt = seen.time
                record.t1 = shortestT1 == .max ? 0 : shortestT1
                record.t2 = shortestT2 == .max ? 0 : shortestT2
                record.renewChecked = false
                record.rebindChecked = false
            }
        }
        return granted
    }

    /// The client's place in `clients`, added (first seen mid-life) when it has none.
    private mutating func clientPosition(_ client: ClientKey, mac: MACAddress?, at time: Timestamp) -> Int32 {
        Int32(clients.position(of: client) {
            ClientRecord(machine: DHCPv6ClientStateMachine(state: .unknown), mac: mac, lastSeen: time)
        })
    }

    /// Past --max-clients (a flood of new DUIDs): the least recently seen eighth is forgotten, as DHCPv4's are.
    private mutating func forgetLeastRecentClients(_ events: inout [AnalysisEvent]) {
        let excess = clients.count - options.maximumClients
        guard excess > 0 else { return }
        let count = min(clients.count - 1, excess + max(1, options.maximumClients / 8))
        if !clientCapReported {
            clientCapReported = true
            let maximum = options.maximumClients
            report(.clientCap, .warning, rfc: nil, frames: [],
                   "more than \(maximum) DHCPv6 clients: the least recently seen are forgotten (counted in the summary)",
                   &events)
        }
        clients.removeSmallest(count) { $0.lastSeen < $1.lastSeen }
        evictedClients += count
    }

    /// Past --max-leases, forgets an eighth of the leases at once: those that ended, then the oldest held.
    private mutating func forgetLeases(_ events: inout [AnalysisEvent]) {
        let maximum = options.maximumLeases
        let count = min(leases.count - 1, leases.count - maximum + max(1, maximum / 8))
        if !leaseCapReported {
            leaseCapReported = true
            report(.leaseCap, .warning, rfc: nil, frames: [],
                   "more than \(maximum) DHCPv6 leases: those ended longest ago are forgotten (counted in the summary)", &events)
        }
        leases.removeSmallest(count) { first, second in
            let firstHeld = first.state == .active || first.state == .renewed, secondHeld = second.state == .active || second.state == .renewed
            return firstHeld != secondHeld ? !firstHeld : first.start < second.start
        }
        evictedLeases += count
    }

    /// The leases a RELEASE or DECLINE names.
    private mutating func markLeases(in message: DHCPv6MessageView, of client: ClientKey, _ state: LeaseState) {
        message.forEachOption { code, data in
            guard let ia = DHCPv6IAType(code: code) else { return }
            let iaid: UInt32
            switch DHCPv6OptionValue(code: code, data: data) {
            case let .identityAssociation(id, _, _)?: iaid = id
            case .temporaryAssociation(let id)?: iaid = id
            default: return
            }
            DHCPv6MessageView.forEachSuboption(of: code, data: data) { leaseCode, leaseData in
                let key: LeaseKey
                switch DHCPv6OptionValue(code: leaseCode, data: leaseData) {
                case let .address(address, _, _)?: key = LeaseKey(client: client, iaid: iaid, address: address, ia: ia, prefixLength: 255)
                case let .prefix(prefix, length, _, _)?: key = LeaseKey(client: client, iaid: iaid, address: prefix, ia: ia, prefixLength: length)
                default: return
                }
                if let position = leases.position(of: key) { leases.update(at: position) { $0.state = state } }
            }
        }
    }

    /// The server's place in `servers` (-1 when it sent no DUID and one is needed), counted.
    private mutating func countServer(_ serverDUID: UnsafeRawBufferPointer?, _ seen: Seen, statuses: SmallList<UInt16>,
                                      latency: Double?, mac: MACAddress?, _ events: inout [AnalysisEvent]) -> Int32 {
        let key = ClientKey(duid: serverDUID ?? UnsafeRawBufferPointer(start: nil, count: 0))
        let position: Int32
        if let known = serverPositions[key] {
            position = known
        } else {
            let id = serverDUID.map { Array($0) } ?? []
            let expected = options.expectation.isExpected(duid: serverDUID == nil ? nil : id, sourceIP: seen.source,
                                                          sourceMAC: seen.depth == 0 ? seen.link.source : nil)
            position = Int32(servers.count)
            serverPositions[key] = position
            servers.append(ServerRecord(id: id, ip: seen.source, seenDirect: seen.depth > 0, mac: seen.link.source, expected: expected))
            if !expected {
                report(.unexpectedServer, .error, rfc: nil, client: name(seen.client, mac: mac), address: seen.source, xid: seen.xid,
                       frames: [seen.frame],
                       "\(seen.type) from an unexpected server \(serverDUID == nil ? "-" : Hex.colonSeparated(id)) at \(seen.source)", &events)
            }
        }
        updateServerAddress(serverDUID, seen)
        let index = Int(position)
        if seen.type == .advertise { servers[index].advertises += 1 }
        if seen.type == .reply { servers[index].replies += 1 }
        for code in statuses { servers[index].statuses[code, default: 0] += 1 }
        if let latency, latency >= 0 { servers[index].latency.record(UInt64(latency * 1_000_000)) }
        return position
    }

    /// A server's address is where its RELAY-REPL comes from when it is seen through a relay (the REPLY the relay
    /// sends on comes from the relay).
    private mutating func updateServerAddress(_ serverDUID: UnsafeRawBufferPointer?, _ seen: Seen) {
        let key = ClientKey(duid: serverDUID ?? UnsafeRawBufferPointer(start: nil, count: 0))
        guard let position = serverPositions[key].map(Int.init), seen.depth > 0, !servers[position].seenDirect else { return }
        servers[position].ip = seen.source
        servers[position].mac = seen.link.source
        servers[position].seenDirect = true
    }

    // MARK: clients

    private mutating func apply(_ event: DHCPv6ClientEvent, to client: ClientKey, mac: MACAddress?, _ frame: FrameReference,
                                _ events: inout [AnalysisEvent]) {
        guard client.isIdentifiedByClientIdentifier else { return }
        let position = clients.position(of: client) {
            ClientRecord(machine: DHCPv6ClientStateMachine(state: Self.firstState(before: event)), mac: mac, lastSeen: frame.time)
        }
        let outcome: (step: DHCPv6ClientTransition, inRFC: Bool, mac: MACAddress?)? = clients.update(at: position) { record in
            record.lastSeen = frame.time
            if record.mac == nil { record.mac = mac }
            var inRFC = true
            var step = record.machine.apply(event)
            if step == nil, record.machine.state == .unknown {
                // First seen mid-life: the event shows where the client is.
                let to = DHCPv6ClientStateMachine.stateAfter(event)
                step = DHCPv6ClientTransition(from: .unknown, to: to, event: event, rfc: "8415 18.2")
                record.machine.force(to)
                inRFC = false
            }
            guard let step, step.from != step.to || event == .sendSolicit && step.from != .selecting else { return nil }
            record.transitions += 1
            return (step, inRFC, record.mac)
        }
        if clients.count > options.maximumClients { forgetLeastRecentClients(&events) }
        if let outcome, options.transitionEvents {
            events.append(.transition6(DHCPv6TransitionReport(client: name(client, mac: outcome.mac), transition: outcome.step,
                                                              frame: frame, inRFC: outcome.inRFC)))
        }
    }

    /// Where a client first seen with `event` starts: INIT when the event starts an exchange, else UNKNOWN.
    private static func firstState(before event: DHCPv6ClientEvent) -> DHCPv6ClientState {
        switch event {
        case .sendSolicit, .sendInformationRequest, .sendConfirm: .initial
        default: .unknown
        }
    }

    // MARK: time

    /// Moves the clock: transactions silent for --txn-timeout end; ended ones are reported and dropped a moment
    /// after they end. Open transactions are scanned once a second of capture time.
    public mutating func advance(to time: Timestamp) -> [AnalysisEvent] {
        var events = [AnalysisEvent]()
        advance(to: time, &events)
        return events
    }

    private mutating func advance(to time: Timestamp, _ events: inout [AnalysisEvent]) {
        if latestTime.map({ time > $0 }) ?? true { latestTime = time }
        dropEnded(before: time, &events)
        if let lastScan, time.seconds(since: lastScan) < 1 { return }
        lastScan = time
        let timeout = options.transactionTimeout
        let stale = transactions.values.filter { !$0.closed && time.seconds(since: $0.lastActivity) > timeout }
        for transaction in stale.sorted(by: { $0.opened < $1.opened }) { expire(transaction, &events) }
    }

    /// A transaction silent past the timeout: its outcome.
    private mutating func expire(_ transaction: Transaction, _ events: inout [AnalysisEvent]) {
        guard !transaction.closed else { return }
        let client = name(transaction.key.client, mac: transaction.mac), xid = transaction.key.xid
        let outcome: DHCPv6TransactionOutcome
        if transaction.kind == .solicit, transaction.requestSentAt == nil {
            if transaction.advertisedAt == nil {
                outcome = .noAdvertise
                report(.solicitUnanswered, .warning, rfc: "8415 18.2.1", client: client, xid: xid, frames: transaction.frames,
                       "SOLICIT sent \(transaction.transmissions) time(s), no ADVERTISE or REPLY", &events)
            } else {
                outcome = .timeout
                report(.advertiseNotRequested, .warning, rfc: "8415 18.2.9", client: client, xid: xid,
                       frames: transaction.frames, "ADVERTISE from \(transaction.servers.count) server(s), never followed by a REQUEST", &events)
            }
        } else {
            outcome = .noReply
            let kind = transaction.requestSentAt != nil ? DHCPv6TransactionKind.request : transaction.kind
            report(.requestUnanswered, .warning, rfc: Self.clause(of: kind), client: client, xid: transaction.requestXID ?? xid,
                   frames: transaction.frames, "\(Self.typeName(of: kind)) sent \(transaction.transmissions) time(s), no REPLY", &events)
        }
        close(transaction, outcome, at: transaction.lastActivity)
    }

    private static func clause(of kind: DHCPv6TransactionKind) -> String {
        switch kind {
        case .solicit: "8415 18.2.1"
        case .request: "8415 18.2.2"
        case .confirm: "8415 18.2.3"
        case .renew: "8415 18.2.4"
        case .rebind: "8415 18.2.5"
        case .informationRequest: "8415 18.2.6"
        case .release: "8415 18.2.7"
        case .decline: "8415 18.2.8"
        case .leasequery: "5007 4.1"
        }
    }

    private static func typeName(of kind: DHCPv6TransactionKind) -> String {
        kind == .informationRequest ? "INFORMATION-REQUEST" : kind.rawValue.uppercased()
    }

    /// Ends a transaction: its outcome counted, its event and its forgetting a moment later (`dropEnded`).
    private mutating func close(_ transaction: Transaction, _ outcome: DHCPv6TransactionOutcome, at time: Timestamp) {
        transaction.closed = true
        transaction.outcome = outcome
        transaction.closedAt = time
        if advertised[transaction.key.client] == transaction.key { advertised[transaction.key.client] = nil }
        outcomeCounts[outcome.rawValue, default: 0] += 1
        ended.append(transaction)
    }

    /// Transactions that ended more than `relayLegWindow` before `time` (nil: all): reported, then forgotten.
    private mutating func dropEnded(before time: Timestamp?, _ events: inout [AnalysisEvent]) {
        while endedHead < ended.count {
            let transaction = ended[endedHead]
            guard let outcome = transaction.outcome, let closedAt = transaction.closedAt else { break }
            if let time, time.seconds(since: closedAt) <= options.relayLegWindow { break }
            endedHead += 1
            if options.transactionEvents { events.append(.transaction6(report(transaction, outcome, closedAt: closedAt))) }
            forget(transaction)
        }
        if endedHead > 1024, endedHead * 2 > ended.count {
            ended.removeFirst(endedHead)
            endedHead = 0
        }
        // Forgotten transactions leave `opened` here, in one pass now and then: it holds no more than twice the live.
        if opened.count - openedHead > 2 * max(transactions.count, 1024) {
            opened = opened[openedHead...].filter { transactions[$0.key] === $0 }
            openedHead = 0
        }
    }

    private func report(_ transaction: Transaction, _ outcome: DHCPv6TransactionOutcome, closedAt time: Timestamp)
        -> DHCPv6TransactionReport {
        func milliseconds(_ from: Timestamp?, _ to: Timestamp?) -> Double? {
            guard let from, let to else { return nil }
            return to.seconds(since: from) * 1000
        }
        let firstSent = transaction.opened
        let replyAt: Timestamp? = outcome == .noAdvertise || outcome == .noReply || outcome == .timeout ? nil : time
        return DHCPv6TransactionReport(
            xid: transaction.key.xid, requestXID: transaction.requestXID, client: name(transaction.key.client, mac: transaction.mac),
            kind: transaction.kind, servers: transaction.servers.map { servers[Int($0)].id }, messages: transaction.frames,
            outcome: outcome, rapidCommit: transaction.rapidCommit, relayed: transaction.relayed,
            solicitAdvertiseMilliseconds: transaction.kind == .solicit ? milliseconds(firstSent, transaction.advertisedAt) : nil,
            requestReplyMilliseconds: milliseconds(transaction.requestSentAt ?? (transaction.kind == .solicit ? nil : firstSent), replyAt),
            totalMilliseconds: time.seconds(since: firstSent) * 1000)
    }

    private mutating func forget(_ transaction: Transaction) {
        guard transactions[transaction.key] === transaction else { return }
        transactions[transaction.key] = nil
        if byXID[DHCPAnalyzer.XID(transaction.key.xid)] == transaction.key { byXID[DHCPAnalyzer.XID(transaction.key.xid)] = nil }
        if let requestXID = transaction.requestXID { aliases[TransactionKey(xid: requestXID, client: transaction.key.client)] = nil }
        if advertised[transaction.key.client] == transaction.key { advertised[transaction.key.client] = nil }
    }

    /// Past --max-transactions: the oldest open transaction ends as if timed out, and is dropped at once.
    private mutating func evictOldest(_ events: inout [AnalysisEvent]) {
        while openedHead < opened.count {
            let oldest = opened[openedHead]
            openedHead += 1
            guard !oldest.closed, transactions[oldest.key] === oldest else { continue }
            evictedTransactions += 1
            close(oldest, .timeout, at: oldest.lastActivity)
            forget(oldest)
            break
        }
        if openedHead > 4096, openedHead * 2 > opened.count {
            opened.removeFirst(openedHead)
            openedHead = 0
        }
    }

    /// The end of the input: every open transaction ends as if its timeout had passed.
    public mutating func finish(_ emit: ([AnalysisEvent]) -> Void) {
        var events = [AnalysisEvent]()
        for transaction in transactions.values.sorted(by: { $0.opened < $1.opened }) { expire(transaction, &events) }
        dropEnded(before: nil, &events)
        emit(events)
    }

    // MARK: reports

    /// Every lease, in the order first granted; active leases whose valid lifetime ended before the last message
    /// seen are expired.
    public func forEachLease(_ body: (DHCPv6LeaseReport) -> Void) {
        leases.forEach { key, lease in
            func timer(_ value: UInt32) -> UInt32? { value == LeaseRecord.noTimer ? nil : value }
            let mac = clients.position(of: key.client).flatMap { clients[position: $0].mac }
            var report = DHCPv6LeaseReport(
                client: name(key.client, mac: mac), iaid: key.iaid, ia: key.ia,
                address: key.address, prefixLength: key.prefixLength == 255 ? nil : key.prefixLength,
                server: lease.server >= 0 ? servers[Int(lease.server)].id : nil, start: lease.start,
                preferredLifetime: lease.preferred, validLifetime: lease.valid, t1: timer(lease.t1), t2: timer(lease.t2),
                state: lease.state, frame: FrameReference(file: Int(lease.file), frame: Int(lease.frame), time: lease.start))
            if report.state == .active || report.state == .renewed, let end = report.end, let latestTime, end < latestTime {
                report.state = .expired
            }
            body(report)
        }
    }

    public var leaseTable: [DHCPv6LeaseReport] {
        var table = [DHCPv6LeaseReport]()
        forEachLease { table.append($0) }
        return table
    }

    public var serverTable: [DHCPv6ServerReport] {
        servers.map { server in
            let empty = server.latency.totalCount == 0
            func ms(_ percentile: Double) -> Double? { empty ? nil : Double(server.latency.valueAtPercentile(percentile)) / 1000 }
            var statuses = [String: Int]()
            for (code, count) in server.statuses { statuses[DHCPv6OptionValue.statusName(code), default: 0] += count }
            return DHCPv6ServerReport(id: server.id, ip: server.ip, mac: server.mac, advertises: server.advertises,
                                      replies: server.replies, statuses: statuses, expected: server.expected,
                                      p50Milliseconds: ms(50), p90Milliseconds: ms(90), p99Milliseconds: ms(99),
                                      maxMilliseconds: empty ? nil : Double(server.latency.max) / 1000)
        }
    }

    /// Every client, in the order first seen, with its active leases.
    public func forEachClient(_ body: (DHCPv6ClientReport) -> Void) {
        var active = [[DHCPv6LeaseAddress]](repeating: [], count: clients.count)
        leases.forEach { key, lease in
            guard lease.state == .active || lease.state == .renewed, let client = clients.position(of: key.client) else { return }
            if lease.valid != .max, let latestTime,
               Timestamp(seconds: lease.start.seconds + Int64(lease.valid), nanoseconds: lease.start.nanoseconds) < latestTime { return }
            active[client].append(DHCPv6LeaseAddress(address: key.address,
                                                              prefixLength: key.prefixLength == 255 ? nil : key.prefixLength))
        }
        var position = 0
        clients.forEach { key, record in
            body(DHCPv6ClientReport(client: name(key, mac: record.mac), state: record.machine.state, leases: active[position],
                                    transitions: Int(record.transitions), lastSeen: record.lastSeen))
            position += 1
        }
    }

    public var clientTable: [DHCPv6ClientReport] {
        var table = [DHCPv6ClientReport]()
        forEachClient { table.append($0) }
        return table
    }

    // MARK: problems

    private mutating func report(_ code: Problem.Code, _ severity: Problem.Severity, rfc: String?,
                                 client: DHCPv6ClientName? = nil, address: IPv6Address? = nil,
                                 xid: UInt32? = nil, frames: @autoclosure () -> [FrameReference],
                                 _ text: @autoclosure () -> String, _ events: inout [AnalysisEvent]) {
        severityCounts[severity == .info ? 0 : severity == .warning ? 1 : 2] += 1
        guard problemEvents < options.problemEvents else {
            problemsLeftOut += 1
            return
        }
        problemEvents += 1
        events.append(.problem(Problem(code, severity, rfc: rfc, xid: xid, frames: frames(),
                                       v6: Problem.V6Subject(client: client, address: address), text())))
    }
}

extension SmallList where Element: Equatable {
    func holds(_ element: Element) -> Bool {
        for each in self where each == element { return true }
        return false
    }
}
