import DHCPv6Core
import DHCPv6Protocol
import Framing
import Histogram
import NetworkPrimitives

/// Streaming analysis of DHCPv6 (RFC 8415): transactions keyed by xid and client DUID (a SOLICIT's goes on through
/// the REQUEST after its ADVERTISE), relay legs joined through the innermost message, each client's state
/// (`DHCPv6ClientStateMachine`), leases per (DUID, IAID, address or prefix), servers by DUID, and problems with their
/// RFC 8415 clause. Feed it messages in time order, as `DHCPAnalyzer` is fed DHCPv4. Memory grows with open
/// transactions (capped), clients and leases.
public struct DHCPv6Analyzer {
    public let options: AnalysisOptions

    struct TransactionKey: Hashable {
        var xid: UInt32
        var duid: [UInt8]
    }

    /// A message sent, kept to tell a relay leg (the same bytes at another relay depth) from a retransmission.
    struct Sent {
        var type: DHCPv6MessageType
        var time: Timestamp
        var depth: Int
        var bytes: [UInt8]
    }

    final class Transaction {
        let key: TransactionKey
        let kind: DHCPv6TransactionKind
        let opened: Timestamp
        var client: DHCPv6ClientName
        var lastActivity: Timestamp
        var frames: [FrameReference] = []
        var servers: [[UInt8]] = []
        var rapidCommit = false
        var relayed = false
        var advertisedAt: Timestamp?
        var requestXID: UInt32?
        var requestSentAt: Timestamp?
        var closed = false
        /// Client transmissions of the message now retransmitted (times at its first relay depth), the last seen.
        var transmissions: [Timestamp] = []
        var lastElapsed: UInt16?
        var lastClient: Sent?
        var lastServer: Sent?
        var multipleServersReported = false
        var timingReported = false
        /// Set when it ended; its event waits `relayLegWindow` for the other leg of a relayed reply.
        var outcome: DHCPv6TransactionOutcome?
        var closedAt: Timestamp?

        init(key: TransactionKey, kind: DHCPv6TransactionKind, client: DHCPv6ClientName, at time: Timestamp) {
            self.key = key; self.kind = kind; self.client = client; opened = time; lastActivity = time
        }
    }

    struct ClientRecord {
        var machine: DHCPv6ClientStateMachine
        var mac: MACAddress?
        var transitions = 0
        var lastSeen: Timestamp
        var boundAt: Timestamp?
        /// The shortest T1 and T2 of the IAs of its last REPLY with leases (0: the client chooses).
        var t1: UInt32 = 0
        var t2: UInt32 = 0
        var renewChecked = false
        var rebindChecked = false
    }

    struct LeaseKey: Hashable {
        var duid: [UInt8]
        var iaid: UInt32
        var ia: DHCPv6IAType
        var address: IPv6Address
        var prefixLength: UInt8?
    }

    struct ServerRecord {
        var id: [UInt8]
        var ip: IPv6Address
        var seenDirect: Bool
        var mac: MACAddress?
        var advertises = 0, replies = 0
        var statuses: [String: Int] = [:]
        var expected: Bool
        var latency = Histogram<UInt64>(numberOfSignificantValueDigits: .two)
    }

    private var transactions: [TransactionKey: Transaction] = [:]
    /// The REQUEST after an ADVERTISE carries a new xid: it leads to the SOLICIT's transaction.
    private var aliases: [TransactionKey: TransactionKey] = [:]
    /// The last transaction opened with each xid: a reply whose client identifier names nobody finds it here.
    private var byXID: [UInt32: TransactionKey] = [:]
    /// Each client's SOLICIT transaction that got an ADVERTISE and awaits its REQUEST.
    private var advertised: [[UInt8]: TransactionKey] = [:]
    private var creationOrder: [TransactionKey] = []
    private var creationHead = 0
    private var clients: [[UInt8]: ClientRecord] = [:]
    private var leases: [LeaseKey: DHCPv6LeaseReport] = [:]
    private var leaseOrder: [LeaseKey] = []
    private var servers: [ServerRecord] = []
    private var serverPositions: [[UInt8]: Int] = [:]
    private var lastScan: Timestamp?
    /// Ended transactions whose events wait for late relay legs, in the order they ended.
    private var pendingReports: [Transaction] = []
    private var pendingHead = 0

    public private(set) var latestTime: Timestamp?
    public private(set) var messageCount = 0
    public private(set) var transactionCount = 0
    public private(set) var evictedTransactions = 0
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

    /// One DHCPv6 message seen at `frame`: its events appended to `events`.
    public mutating func observe(_ record: DHCPv6Record, link: LinkInfo, frame: FrameReference,
                                 into events: inout [AnalysisEvent]) {
        messageCount += 1
        advance(to: frame.time, &events)
        let message: DHCPv6Message
        do throws(DHCPv6ParseError) {
            try DHCPv6Message.validate(record.payload)
            message = try DHCPv6Message(record.payload)
        } catch {
            report(.malformed, .error, rfc: "8415 16", frames: [frame], "\(error.description)", &events)
            return
        }
        let chain = message.relayChain
        for relay in chain where relay.type.isRelay {
            if case .relay(let hops, _, _) = relay.header, hops > dhcpv6HopCountLimit {
                report(.relayHops, .warning, rfc: "8415 19.1.1", frames: [frame],
                       "\(relay.type) with hop count \(hops), over HOP_COUNT_LIMIT \(dhcpv6HopCountLimit) (RFC 8415 7.6)", &events)
            }
        }
        guard let inner = chain.last, !inner.type.isRelay, let xid = inner.transactionID else { return }
        let depth = chain.count - 1
        let seen = Seen(message: inner, xid: xid, depth: depth, frame: frame, source: record.ip.source,
                        link: link, bytes: depth == 0 ? Array(record.payload) : inner.serialized())
        if let kind = DHCPv6TransactionKind(opening: inner.type) {
            clientMessage(seen, kind, &events)
        } else if inner.type.isFromServer {
            serverMessage(seen, &events)
        }
    }

    /// What the handlers need of one message.
    struct Seen {
        var message: DHCPv6Message
        var xid: UInt32
        var depth: Int
        var frame: FrameReference
        var source: IPv6Address
        var link: LinkInfo
        var bytes: [UInt8]
        var time: Timestamp { frame.time }
        var duid: [UInt8]? { message.option(1)?.data }

        /// The client's name: its DUID, and the MAC of the DUID or option 79 (or, seen on the client's own link, of
        /// the frame when the client sent it).
        func client(sentByClient: Bool) -> DHCPv6ClientName {
            let fromOptions = message.option(1).flatMap(DHCPv6OptionValue.init)?.mac
                ?? message.option(79).flatMap(DHCPv6OptionValue.init)?.mac
            return DHCPv6ClientName(duid: duid ?? [], mac: fromOptions ?? (sentByClient && depth == 0 ? link.source : nil))
        }
    }

    private func resolve(_ key: TransactionKey) -> TransactionKey { aliases[key] ?? key }

    private mutating func clientMessage(_ seen: Seen, _ kind: DHCPv6TransactionKind, _ events: inout [AnalysisEvent]) {
        let client = seen.client(sentByClient: true)
        let key = resolve(TransactionKey(xid: seen.xid, duid: client.duid))
        if let transaction = transactions[key] {
            transaction.frames.append(seen.frame)
            transaction.lastActivity = seen.time
            if let last = transaction.lastClient, last.type == seen.message.type {
                if last.depth != seen.depth, last.bytes == seen.bytes,
                   seen.time.seconds(since: last.time) <= options.relayLegWindow {
                    transaction.relayed = true
                    return
                }
                if last.depth == seen.depth { retransmitted(seen, transaction, &events) }
            }
            transaction.lastClient = Sent(type: seen.message.type, time: seen.time, depth: seen.depth, bytes: seen.bytes)
            return
        }
        // The REQUEST after an ADVERTISE: a new xid, the same exchange.
        if kind == .request, let solicitKey = advertised[client.duid], let solicit = transactions[solicitKey], !solicit.closed {
            aliases[TransactionKey(xid: seen.xid, duid: client.duid)] = solicitKey
            advertised[client.duid] = nil
            solicit.requestXID = seen.xid
            solicit.requestSentAt = seen.time
            solicit.frames.append(seen.frame)
            solicit.lastActivity = seen.time
            solicit.transmissions = [seen.time]
            solicit.lastElapsed = elapsed(seen.message)
            solicit.lastClient = Sent(type: seen.message.type, time: seen.time, depth: seen.depth, bytes: seen.bytes)
            if seen.depth > 0 { solicit.relayed = true }
            apply(.sendRequest, to: client, seen.frame, &events)
            return
        }
        let transaction = Transaction(key: key, kind: kind, client: client, at: seen.time)
        transaction.frames = [seen.frame]
        transaction.rapidCommit = kind == .solicit && seen.message.option(14) != nil
        transaction.relayed = seen.depth > 0
        transaction.transmissions = [seen.time]
        transaction.lastElapsed = elapsed(seen.message)
        transaction.lastClient = Sent(type: seen.message.type, time: seen.time, depth: seen.depth, bytes: seen.bytes)
        transactions[key] = transaction
        byXID[seen.xid] = key
        creationOrder.append(key)
        transactionCount += 1
        if transactions.count > options.maximumTransactions { evictOldest(&events) }
        if kind == .renew || kind == .rebind { checkTimer(seen, kind, client, &events) }
        let event: DHCPv6ClientEvent = switch kind {
        case .solicit: .sendSolicit
        case .request: .sendRequest
        case .renew: .sendRenew
        case .rebind: .sendRebind
        case .confirm: .sendConfirm
        case .release: .sendRelease
        case .decline: .sendDecline
        case .informationRequest: .sendInformationRequest
        case .leasequery: .sendInformationRequest
        }
        if kind != .leasequery { apply(event, to: client, seen.frame, &events) }
        if kind == .release || kind == .decline { markLeases(in: seen.message, of: client, kind == .release ? .released : .declined) }
    }

    private func elapsed(_ message: DHCPv6Message) -> UInt16? {
        if case .elapsedTime(let value)? = message.option(8).flatMap(DHCPv6OptionValue.init) { return value }
        return nil
    }

    /// A client message sent again at the same relay depth: RFC 8415 §15's timing, and §21.9's elapsed time, which
    /// grows with each transmission of an exchange.
    private mutating func retransmitted(_ seen: Seen, _ transaction: Transaction, _ events: inout [AnalysisEvent]) {
        let type = seen.message.type
        let now = elapsed(seen.message)
        if let before = transaction.lastElapsed, let now, now <= before, before != .max {
            report(.elapsedTimeNotGrowing, .warning, rfc: "8415 21.9", client: transaction.client, xid: seen.xid,
                   frames: [seen.frame],
                   "\(type) sent again with elapsed time \(Double(now) / 100) s, not more than the \(Double(before) / 100) s before", &events)
        }
        transaction.lastElapsed = now ?? transaction.lastElapsed
        guard let parameters = DHCPv6Retransmission.of(type), let last = transaction.transmissions.last else { return }
        let gaps = zip(transaction.transmissions.dropFirst(), transaction.transmissions).map { $0.seconds(since: $1) }
        let gap = seen.time.seconds(since: last)
        transaction.transmissions.append(seen.time)
        guard !transaction.timingReported else { return }
        let range = parameters.range(after: gaps.last, solicit: type == .solicit && gaps.isEmpty)
        // Capture timestamps and the client's timer are not exact: a tenth of a second either way is not a finding.
        let slack = 0.1
        if gap < range.lowerBound - slack || gap > range.upperBound + slack {
            transaction.timingReported = true
            report(.retransmissionTiming, .info, rfc: "8415 15", client: transaction.client, xid: seen.xid,
                   frames: Array(transaction.frames.suffix(2)),
                   "\(type) sent again after \(FixedPoint.format(gap)) s; RFC 8415 15 gives \(FixedPoint.format(range.lowerBound))–\(FixedPoint.format(range.upperBound)) s", &events)
        } else if parameters.count > 0, transaction.transmissions.count > parameters.count {
            transaction.timingReported = true
            report(.retransmissionTiming, .info, rfc: "8415 15", client: transaction.client, xid: seen.xid,
                   frames: [seen.frame], "\(type) sent \(transaction.transmissions.count) times, more than its \(parameters.count)", &events)
        }
    }

    /// RENEW near T1 and REBIND near T2 after the REPLY that bound the client (RFC 8415 §18.2.4, §18.2.5).
    private mutating func checkTimer(_ seen: Seen, _ kind: DHCPv6TransactionKind, _ client: DHCPv6ClientName,
                                     _ events: inout [AnalysisEvent]) {
        guard var record = clients[client.duid], let boundAt = record.boundAt else { return }
        let renew = kind == .renew
        let timer = renew ? record.t1 : record.t2
        guard timer > 0, timer != .max, renew ? !record.renewChecked : !record.rebindChecked else { return }
        if renew { record.renewChecked = true } else { record.rebindChecked = true }
        clients[client.duid] = record
        let expected = Double(timer), actual = seen.time.seconds(since: boundAt)
        let tolerance = options.timerTolerance ?? max(2, expected * 0.1)
        guard abs(actual - expected) > tolerance else { return }
        report(.renewTiming, .warning, rfc: renew ? "8415 18.2.4" : "8415 18.2.5", client: client, xid: seen.xid,
               frames: [seen.frame],
               "\(renew ? "RENEW" : "REBIND") \(FixedPoint.format(actual)) s after binding; \(renew ? "T1" : "T2") is \(timer) s", &events)
    }

    private mutating func serverMessage(_ seen: Seen, _ events: inout [AnalysisEvent]) {
        let message = seen.message, type = message.type
        let client = seen.client(sentByClient: false)
        let serverID = message.option(2)?.data
        if serverID == nil, type == .advertise || type == .reply {
            report(.serverIDMissing, .error, rfc: type == .advertise ? "8415 16.3" : "8415 16.10", client: client,
                   xid: seen.xid, frames: [seen.frame], "\(type) from \(seen.source) has no server identifier (option 2)", &events)
        }
        var transaction = transactions[resolve(TransactionKey(xid: seen.xid, duid: client.duid))]
        if transaction == nil, let other = byXID[seen.xid].flatMap({ transactions[$0] }), !other.closed || other.kind == .solicit {
            if !client.duid.isEmpty, other.key.duid != client.duid {
                report(.clientIDMismatch, .error, rfc: "8415 16.10", client: other.client, xid: seen.xid, frames: [seen.frame],
                       "\(type) for xid \(Hex.xid6(seen.xid)) names client \(Hex.colonSeparated(client.duid)), not the \(Hex.colonSeparated(other.key.duid)) that asked", &events)
            } else {
                transaction = other
            }
        }
        if let transaction {
            transaction.frames.append(seen.frame)
            transaction.lastActivity = seen.time
            if let last = transaction.lastServer, last.type == type, last.depth != seen.depth, last.bytes == seen.bytes,
               seen.time.seconds(since: last.time) <= options.relayLegWindow {
                transaction.relayed = true
                updateServerAddress(serverID, seen)
                return
            }
            transaction.lastServer = Sent(type: type, time: seen.time, depth: seen.depth, bytes: seen.bytes)
            if seen.depth > 0 { transaction.relayed = true }
        }
        let asked = transaction.flatMap { $0.requestSentAt ?? $0.transmissions.last }
        countServer(serverID, seen, latency: asked.map { seen.time.seconds(since: $0) }, client: client, &events)
        checkStatuses(seen, client, &events)
        guard let transaction else {
            // A reply whose request was not seen: its leases still count.
            if type == .reply { bindings(seen, client: client, server: serverID, &events) }
            return
        }
        if let serverID, !transaction.servers.contains(serverID) {
            transaction.servers.append(serverID)
            if transaction.servers.count > 1, !transaction.multipleServersReported, type == .advertise {
                transaction.multipleServersReported = true
                report(.multipleServers, .info, rfc: "8415 18.2.9", client: transaction.client, xid: seen.xid,
                       frames: transaction.frames, "\(transaction.servers.count) servers advertised to one SOLICIT", &events)
            }
        }
        switch type {
        case .advertise where transaction.kind == .solicit && transaction.requestSentAt == nil:
            if transaction.advertisedAt == nil { transaction.advertisedAt = seen.time }
            advertised[transaction.key.duid] = transaction.key
            apply(.receiveAdvertise, to: transaction.client, seen.frame, &events)
        case .reply:
            reply(seen, transaction, server: serverID, &events)
        default:
            break
        }
    }

    /// A REPLY to `transaction`: its leases, the client's step, and the transaction's end.
    private mutating func reply(_ seen: Seen, _ transaction: Transaction, server: [UInt8]?, _ events: inout [AnalysisEvent]) {
        let message = seen.message
        if transaction.kind == .solicit, transaction.requestSentAt == nil, transaction.rapidCommit, message.option(14) == nil {
            report(.rapidCommitMissing, .error, rfc: "8415 18.3.1", client: transaction.client, xid: seen.xid,
                   frames: [seen.frame], "a REPLY to a rapid-commit SOLICIT without the Rapid Commit option (14)", &events)
        }
        let granted = bindings(seen, client: transaction.client, server: server, &events)
        let status = Self.failingStatus(of: message)
        let event: DHCPv6ClientEvent
        switch transaction.kind {
        case .solicit, .request, .renew, .rebind:
            event = granted ? .receiveBindings : status == DHCPv6Status.notOnLink ? .receiveNotOnLink : .receiveNoBindings
        case .confirm:
            event = status == DHCPv6Status.notOnLink ? .receiveNotOnLink : .receiveSuccess
        default:
            event = .receiveSuccess
        }
        apply(event, to: transaction.client, seen.frame, &events)
        guard !transaction.closed else { return }
        let outcome: DHCPv6TransactionOutcome = if let status, !granted { .status(status) } else { .reply }
        close(transaction, outcome, at: seen.time, &events)
    }

    /// The first status that is not Success: at the top level, else in an IA (and its addresses), for what the
    /// REPLY did not give.
    static func failingStatus(of message: DHCPv6Message) -> UInt16? {
        var found: UInt16?
        forEachStatus(in: message.options) { code in
            if code != DHCPv6Status.success, found == nil { found = code }
        }
        return found
    }

    /// Every status code of `options`, to any depth of IAs and leases.
    private static func forEachStatus(in options: [DHCPv6Option], _ body: (UInt16) -> Void) {
        for option in options {
            if case let .status(code, _)? = DHCPv6OptionValue(option) { body(code) }
            if let inner = try? option.suboptions() { forEachStatus(in: inner, body) }
        }
    }

    /// Statuses that tell of trouble, as problems with §21.13's names (once per message and code).
    private mutating func checkStatuses(_ seen: Seen, _ client: DHCPv6ClientName, _ events: inout [AnalysisEvent]) {
        var codes = [UInt16]()
        Self.forEachStatus(in: seen.message.options) { if $0 != DHCPv6Status.success, !codes.contains($0) { codes.append($0) } }
        for code in codes {
            let severity: Problem.Severity = code == DHCPv6Status.useMulticast || code == DHCPv6Status.noBinding ? .info : .warning
            report(.status(code), severity, rfc: "8415 21.13", client: client, xid: seen.xid, frames: [seen.frame],
                   "\(seen.message.type) from \(seen.source) says \(DHCPv6OptionValue.statusName(code))", &events)
        }
    }

    /// The leases a REPLY gives (or takes back: valid lifetime 0), with §21.4/§21.6/§21.21/§21.22's checks of their
    /// times. True when it gives at least one.
    @discardableResult
    private mutating func bindings(_ seen: Seen, client: DHCPv6ClientName, server: [UInt8]?,
                                   _ events: inout [AnalysisEvent]) -> Bool {
        var granted = false
        var shortestT1 = UInt32.max, shortestT2 = UInt32.max
        for option in seen.message.options {
            guard let ia = DHCPv6IAType(code: option.code), let inner = try? option.suboptions() else { continue }
            var iaid: UInt32 = 0, t1: UInt32?, t2: UInt32?
            switch DHCPv6OptionValue(option) {
            case let .identityAssociation(id, first, second)?: iaid = id; t1 = first; t2 = second
            case .temporaryAssociation(let id)?: iaid = id
            default: continue
            }
            var preferred = [UInt32]()
            for lease in inner {
                let address: IPv6Address, prefixLength: UInt8?, preferredLifetime: UInt32, validLifetime: UInt32
                switch DHCPv6OptionValue(lease) {
                case let .address(value, p, v)?: address = value; prefixLength = nil; preferredLifetime = p; validLifetime = v
                case let .prefix(value, length, p, v)?:
                    address = value; prefixLength = length; preferredLifetime = p; validLifetime = v
                default: continue
                }
                if let finding = DHCPv6Lifetimes.check(preferred: preferredLifetime, valid: validLifetime, prefix: prefixLength != nil) {
                    report(.badLifetimes, .error, rfc: finding.rfc, client: client, address: address, xid: seen.xid,
                           frames: [seen.frame], "\(address): \(finding.text)", &events)
                }
                preferred.append(preferredLifetime)
                let key = LeaseKey(duid: client.duid, iaid: iaid, ia: ia, address: address, prefixLength: prefixLength)
                let previous = leases[key]
                if validLifetime == 0 {
                    if var old = previous { old.state = .expired; leases[key] = old }
                    continue
                }
                granted = true
                let state: LeaseState = previous.map { $0.state == .active || $0.state == .renewed } == true ? .renewed : .active
                if previous == nil { leaseOrder.append(key) }
                leases[key] = DHCPv6LeaseReport(client: client, iaid: iaid, ia: ia, address: address, prefixLength: prefixLength,
                                                server: server, start: seen.time, preferredLifetime: preferredLifetime,
                                                validLifetime: validLifetime, t1: t1, t2: t2, state: state, frame: seen.frame)
            }
            if let t1, let t2 {
                for finding in DHCPv6Lifetimes.check(t1: t1, t2: t2, preferred: preferred, prefixes: ia == .pd) {
                    report(.badTimers, finding.discarded ? .error : .info, rfc: finding.rfc, client: client, xid: seen.xid, frames: [seen.frame],
                           "IA_\(ia.rawValue.uppercased()) \(iaid): \(finding.text)", &events)
                }
                if !preferred.isEmpty {
                    shortestT1 = min(shortestT1, t1 == 0 ? UInt32.max : t1)
                    shortestT2 = min(shortestT2, t2 == 0 ? UInt32.max : t2)
                }
            }
        }
        if granted {
            var record = clients[client.duid] ?? ClientRecord(machine: DHCPv6ClientStateMachine(state: .unknown), lastSeen: seen.time)
            record.boundAt = seen.time
            record.t1 = shortestT1 == .max ? 0 : shortestT1
            record.t2 = shortestT2 == .max ? 0 : shortestT2
            record.renewChecked = false
            record.rebindChecked = false
            clients[client.duid] = record
        }
        return granted
    }

    /// The leases a RELEASE or DECLINE names.
    private mutating func markLeases(in message: DHCPv6Message, of client: DHCPv6ClientName, _ state: LeaseState) {
        for option in message.options {
            guard let ia = DHCPv6IAType(code: option.code), let inner = try? option.suboptions() else { continue }
            let iaid: UInt32
            switch DHCPv6OptionValue(option) {
            case let .identityAssociation(id, _, _)?: iaid = id
            case .temporaryAssociation(let id)?: iaid = id
            default: continue
            }
            for lease in inner {
                let key: LeaseKey
                switch DHCPv6OptionValue(lease) {
                case let .address(address, _, _)?: key = LeaseKey(duid: client.duid, iaid: iaid, ia: ia, address: address)
                case let .prefix(prefix, length, _, _)?:
                    key = LeaseKey(duid: client.duid, iaid: iaid, ia: ia, address: prefix, prefixLength: length)
                default: continue
                }
                if var known = leases[key] { known.state = state; leases[key] = known }
            }
        }
    }

    private mutating func countServer(_ serverID: [UInt8]?, _ seen: Seen, latency: Double?, client: DHCPv6ClientName,
                                      _ events: inout [AnalysisEvent]) {
        let id = serverID ?? []
        let position: Int
        if let known = serverPositions[id] {
            position = known
        } else {
            let expected = options.expectation.isExpected(duid: serverID, sourceIP: seen.source,
                                                          sourceMAC: seen.depth == 0 ? seen.link.source : nil)
            position = servers.count
            serverPositions[id] = position
            servers.append(ServerRecord(id: id, ip: seen.source, seenDirect: seen.depth > 0,
                                        mac: seen.link.source, expected: expected))
            if !expected {
                report(.unexpectedServer, .error, rfc: nil, client: client, address: seen.source, xid: seen.xid,
                       frames: [seen.frame],
                       "\(seen.message.type) from an unexpected server \(serverID.map { Hex.colonSeparated($0) } ?? "-") at \(seen.source)", &events)
            }
        }
        updateServerAddress(serverID, seen)
        if seen.message.type == .advertise { servers[position].advertises += 1 }
        if seen.message.type == .reply { servers[position].replies += 1 }
        Self.forEachStatus(in: seen.message.options) { code in
            servers[position].statuses[DHCPv6OptionValue.statusName(code), default: 0] += 1
        }
        if let latency, latency >= 0 { servers[position].latency.record(UInt64(latency * 1_000_000)) }
    }

    /// A server's address is where its RELAY-REPL comes from when it is seen through a relay (the REPLY the relay
    /// sends on comes from the relay).
    private mutating func updateServerAddress(_ serverID: [UInt8]?, _ seen: Seen) {
        guard let position = serverPositions[serverID ?? []], seen.depth > 0, !servers[position].seenDirect else { return }
        servers[position].ip = seen.source
        servers[position].mac = seen.link.source
        servers[position].seenDirect = true
    }

    // MARK: clients

    private mutating func apply(_ event: DHCPv6ClientEvent, to client: DHCPv6ClientName, _ frame: FrameReference,
                                _ events: inout [AnalysisEvent]) {
        guard !client.duid.isEmpty else { return }
        var record = clients[client.duid]
            ?? ClientRecord(machine: DHCPv6ClientStateMachine(state: Self.firstState(before: event)), lastSeen: frame.time)
        record.lastSeen = frame.time
        if record.mac == nil { record.mac = client.mac }
        var inRFC = true
        var step = record.machine.apply(event)
        if step == nil, record.machine.state == .unknown {
            // First seen mid-life: the event shows where the client is.
            let to = DHCPv6ClientStateMachine.stateAfter(event)
            step = DHCPv6ClientTransition(from: .unknown, to: to, event: event, rfc: "8415 18.2")
            record.machine.force(to)
            inRFC = false
        }
        if let step, step.from != step.to || event == .sendSolicit && step.from != .selecting {
            record.transitions += 1
            if options.transitionEvents {
                events.append(.transition6(DHCPv6TransitionReport(client: DHCPv6ClientName(duid: client.duid, mac: record.mac),
                                                                  transition: step, frame: frame, inRFC: inRFC)))
            }
        }
        clients[client.duid] = record
    }

    /// Where a client first seen with `event` starts: INIT when the event starts an exchange, else UNKNOWN.
    private static func firstState(before event: DHCPv6ClientEvent) -> DHCPv6ClientState {
        switch event {
        case .sendSolicit, .sendInformationRequest, .sendConfirm: .initial
        default: .unknown
        }
    }

    // MARK: time

    /// Moves the clock: transactions silent for --txn-timeout end. Scanned once a second of capture time.
    public mutating func advance(to time: Timestamp) -> [AnalysisEvent] {
        var events = [AnalysisEvent]()
        advance(to: time, &events)
        return events
    }

    private mutating func advance(to time: Timestamp, _ events: inout [AnalysisEvent]) {
        if latestTime.map({ time > $0 }) ?? true { latestTime = time }
        reportEnded(before: time, &events)
        if let lastScan, time.seconds(since: lastScan) < 1 { return }
        lastScan = time
        let timeout = options.transactionTimeout
        let stale = transactions.values.filter { time.seconds(since: $0.lastActivity) > timeout }
        for transaction in stale.sorted(by: { $0.opened < $1.opened }) { expire(transaction, at: time, &events) }
        compactCreationOrder()
    }

    /// A transaction silent past the timeout: its outcome if it had none, and forgotten.
    private mutating func expire(_ transaction: Transaction, at time: Timestamp, _ events: inout [AnalysisEvent]) {
        if !transaction.closed {
            let client = transaction.client, xid = transaction.key.xid
            let outcome: DHCPv6TransactionOutcome
            if transaction.kind == .solicit, transaction.requestSentAt == nil {
                if transaction.advertisedAt == nil {
                    outcome = .noAdvertise
                    report(.solicitUnanswered, .warning, rfc: "8415 18.2.1", client: client, xid: xid, frames: transaction.frames,
                           "SOLICIT sent \(transaction.transmissions.count) time(s), no ADVERTISE or REPLY", &events)
                } else {
                    outcome = .timeout
                    report(.advertiseNotRequested, .warning, rfc: "8415 18.2.9", client: client, xid: xid,
                           frames: transaction.frames, "ADVERTISE from \(transaction.servers.count) server(s), never followed by a REQUEST", &events)
                }
            } else {
                outcome = .noReply
                let kind = transaction.requestSentAt != nil ? DHCPv6TransactionKind.request : transaction.kind
                report(.requestUnanswered, .warning, rfc: Self.clause(of: kind), client: client, xid: transaction.requestXID ?? xid,
                       frames: transaction.frames, "\(Self.typeName(of: kind)) sent \(transaction.transmissions.count) time(s), no REPLY", &events)
            }
            close(transaction, outcome, at: transaction.lastActivity, &events)
        }
        forget(transaction)
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

    private mutating func close(_ transaction: Transaction, _ outcome: DHCPv6TransactionOutcome, at time: Timestamp,
                                _ events: inout [AnalysisEvent]) {
        transaction.closed = true
        transaction.outcome = outcome
        transaction.closedAt = time
        if advertised[transaction.key.duid] == transaction.key { advertised[transaction.key.duid] = nil }
        outcomeCounts[outcome.rawValue, default: 0] += 1
        if options.transactionEvents { pendingReports.append(transaction) }
    }

    /// The events of transactions that ended more than `relayLegWindow` before `time` (nil: all of them).
    private mutating func reportEnded(before time: Timestamp?, _ events: inout [AnalysisEvent]) {
        while pendingHead < pendingReports.count {
            let transaction = pendingReports[pendingHead]
            guard let outcome = transaction.outcome, let closedAt = transaction.closedAt else { break }
            if let time, time.seconds(since: closedAt) <= options.relayLegWindow { break }
            pendingHead += 1
            events.append(.transaction6(Self.report(transaction, outcome, closedAt: closedAt)))
        }
        if pendingHead > 1024, pendingHead * 2 > pendingReports.count {
            pendingReports.removeFirst(pendingHead)
            pendingHead = 0
        }
    }

    private static func report(_ transaction: Transaction, _ outcome: DHCPv6TransactionOutcome, closedAt time: Timestamp)
        -> DHCPv6TransactionReport {
        func milliseconds(_ from: Timestamp?, _ to: Timestamp?) -> Double? {
            guard let from, let to else { return nil }
            return to.seconds(since: from) * 1000
        }
        let firstSent = transaction.opened
        let replyAt: Timestamp? = outcome == .noAdvertise || outcome == .noReply || outcome == .timeout ? nil : time
        return DHCPv6TransactionReport(
            xid: transaction.key.xid, requestXID: transaction.requestXID, client: transaction.client, kind: transaction.kind,
            servers: transaction.servers, messages: transaction.frames, outcome: outcome, rapidCommit: transaction.rapidCommit,
            relayed: transaction.relayed,
            solicitAdvertiseMilliseconds: transaction.kind == .solicit ? milliseconds(firstSent, transaction.advertisedAt) : nil,
            requestReplyMilliseconds: milliseconds(transaction.requestSentAt ?? (transaction.kind == .solicit ? nil : firstSent), replyAt),
            totalMilliseconds: time.seconds(since: firstSent) * 1000)
    }

    private mutating func forget(_ transaction: Transaction) {
        transactions[transaction.key] = nil
        if byXID[transaction.key.xid] == transaction.key { byXID[transaction.key.xid] = nil }
        if let requestXID = transaction.requestXID { aliases[TransactionKey(xid: requestXID, duid: transaction.key.duid)] = nil }
        if advertised[transaction.key.duid] == transaction.key { advertised[transaction.key.duid] = nil }
    }

    private mutating func evictOldest(_ events: inout [AnalysisEvent]) {
        while creationHead < creationOrder.count {
            let key = creationOrder[creationHead]
            creationHead += 1
            guard let transaction = transactions[key] else { continue }
            evictedTransactions += 1
            if !transaction.closed { close(transaction, .timeout, at: transaction.lastActivity, &events) }
            forget(transaction)
            break
        }
        compactCreationOrder()
    }

    private mutating func compactCreationOrder() {
        if creationHead > 4096, creationHead * 2 > creationOrder.count {
            creationOrder.removeFirst(creationHead)
            creationHead = 0
        }
        if creationOrder.count > 2 * max(transactions.count, 1024) {
            creationOrder = creationOrder.filter { transactions[$0] != nil }
            creationHead = 0
        }
    }

    /// The end of the input: every open transaction ends as if its timeout had passed.
    public mutating func finish(_ emit: ([AnalysisEvent]) -> Void) {
        var events = [AnalysisEvent]()
        for transaction in transactions.values.sorted(by: { $0.opened < $1.opened }) {
            expire(transaction, at: latestTime ?? transaction.lastActivity, &events)
        }
        reportEnded(before: nil, &events)
        emit(events)
    }

    // MARK: reports

    /// Every lease, in the order first granted; active leases whose valid lifetime ended before the last message
    /// seen are expired.
    public func forEachLease(_ body: (DHCPv6LeaseReport) -> Void) {
        for key in leaseOrder {
            guard var lease = leases[key] else { continue }
            if lease.state == .active || lease.state == .renewed, let end = lease.end, let latestTime, end < latestTime {
                lease.state = .expired
            }
            body(lease)
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
            return DHCPv6ServerReport(id: server.id, ip: server.ip, mac: server.mac, advertises: server.advertises,
                                      replies: server.replies, statuses: server.statuses, expected: server.expected,
                                      p50Milliseconds: ms(50), p90Milliseconds: ms(90), p99Milliseconds: ms(99),
                                      maxMilliseconds: empty ? nil : Double(server.latency.max) / 1000)
        }
    }

    /// Every client, by DUID.
    public var clientTable: [DHCPv6ClientReport] {
        var active = [[UInt8]: [String]]()
        forEachLease { lease in
            if lease.state == .active || lease.state == .renewed { active[lease.client.duid, default: []].append(lease.text) }
        }
        return clients.sorted { Hex.compact($0.key) < Hex.compact($1.key) }.map { duid, record in
            DHCPv6ClientReport(client: DHCPv6ClientName(duid: duid, mac: record.mac), state: record.machine.state,
                               leases: active[duid] ?? [], transitions: record.transitions, lastSeen: record.lastSeen)
        }
    }

    // MARK: problems

    private mutating func report(_ code: Problem.Code, _ severity: Problem.Severity, rfc: String?,
                                 client: DHCPv6ClientName? = nil, address: IPv6Address? = nil, xid: UInt32? = nil,
                                 frames: [FrameReference], _ text: @autoclosure () -> String, _ events: inout [AnalysisEvent]) {
        severityCounts[severity == .info ? 0 : severity == .warning ? 1 : 2] += 1
        guard problemEvents < options.problemEvents else {
            problemsLeftOut += 1
            return
        }
        problemEvents += 1
        events.append(.problem(Problem(code, severity, rfc: rfc, xid: xid, frames: frames,
                                       v6: Problem.V6Subject(client: client, address: address), text())))
    }
}
