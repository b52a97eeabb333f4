import DHCPCore
import DHCPProtocol

struct TransactionKey: Hashable {
    var xid: UInt32
    var client: ClientKey
}

/// A transaction being followed: one xid and client, from the first client message to its answer.
///
/// A class, changed in place where the table holds it: as a struct of this size with its lists it was copied out
/// and back for every message. Its state is only ever touched by the analyzer that owns it, on one thread and never
/// reentered, so it needs no run-time exclusivity checks (they would cost more than the changes themselves).
final class Transaction {
    static let maximumFrames = 64

    let key: TransactionKey
    @exclusivity(unchecked) var kind: TransactionKind
    let firstTime: Timestamp
    @exclusivity(unchecked) var lastTime: Timestamp
    @exclusivity(unchecked) var frames: [FrameReference] = []
    @exclusivity(unchecked) var servers = SmallList<IPv4Address>()
    @exclusivity(unchecked) var offers = SmallList<(server: IPv4Address, address: IPv4Address)>()
    /// Whether a client message sent option 61 (the key gives it), and the option when longer than a key holds.
    @exclusivity(unchecked) var sentClientID = false
    @exclusivity(unchecked) var longClientID: [UInt8]?
    @exclusivity(unchecked) var outcome: TransactionOutcome?
    @exclusivity(unchecked) var closedAt: Timestamp?
    /// Other keys under which this transaction is also found (a REQUEST with a new xid answering our OFFER).
    @exclusivity(unchecked) var aliases = SmallList<TransactionKey>()

    @exclusivity(unchecked) var firstDiscover: Timestamp?
    @exclusivity(unchecked) var firstOffer: Timestamp?
    @exclusivity(unchecked) var firstRequest: Timestamp?
    @exclusivity(unchecked) var selectedServer: IPv4Address?
    @exclusivity(unchecked) var requestedAddress: IPv4Address?
    @exclusivity(unchecked) var broadcastAsked = false
    @exclusivity(unchecked) var relayAddress: IPv4Address = .any
    /// Option 55 of the client's latest message that sent one.
    @exclusivity(unchecked) var requestedParameters: OptionCodeSet?
    /// The last message the client sent: its type, when, and how it was relayed (to tell a relay leg from a retry).
    @exclusivity(unchecked) var lastClientType: DHCPMessageType?
    @exclusivity(unchecked) var lastClientTime: Timestamp?
    @exclusivity(unchecked) var lastClientRelay: (IPv4Address, UInt8)?
    @exclusivity(unchecked) var retransmissions = 0
    @exclusivity(unchecked) var retransmissionTimingReported = false
    @exclusivity(unchecked) var multipleServersReported = false
    /// Replies seen, to tell the relay's leg of a reply from a second reply.
    @exclusivity(unchecked) var replies = SmallList<(type: DHCPMessageType, server: IPv4Address, address: IPv4Address, time: Timestamp,
                             source: IPv4Address, destination: IPv4Address)>()
    /// When the client last sent a DISCOVER, REQUEST or INFORM, for response times.
    @exclusivity(unchecked) private var lastDiscoverSent: Timestamp?
    @exclusivity(unchecked) private var lastRequestSent: Timestamp?
    @exclusivity(unchecked) private var lastInformSent: Timestamp?

    init(key: TransactionKey, kind: TransactionKind, time: Timestamp) {
        self.key = key; self.kind = kind; firstTime = time; lastTime = time
    }

    var isClosed: Bool { outcome != nil }

    func markSent(_ type: DHCPMessageType, at time: Timestamp) {
        switch type {
        case .discover: lastDiscoverSent = time
        case .request: lastRequestSent = time
        case .inform: lastInformSent = time
        default: break
        }
    }

    func lastSent(_ type: DHCPMessageType) -> Timestamp? {
        switch type {
        case .discover: lastDiscoverSent
        case .request: lastRequestSent
        case .inform: lastInformSent
        default: nil
        }
    }

    func add(_ frame: FrameReference) {
        lastTime = frame.time
        // Most exchanges are four messages: one allocation rather than three.
        if frames.isEmpty { frames.reserveCapacity(4) }
        if frames.count < Self.maximumFrames { frames.append(frame) }
    }

    /// The outcome when nothing more comes: RFC 2131's failure cases by how far the exchange got.
    var timeoutOutcome: TransactionOutcome {
        switch kind {
        case .dora where offers.isEmpty && firstRequest == nil: .noOffer
        case .dora: .noAck
        default: .timeout
        }
    }

    func report(address: IPv4Address?) -> TransactionReport {
        let discoverOffer = firstDiscover.flatMap { discover in firstOffer.map { $0.seconds(since: discover) * 1000 } }
        let end = closedAt ?? lastTime
        let requestAck: Double? = outcome == .ack || outcome == .nak
            ? firstRequest.map { end.seconds(since: $0) * 1000 } : nil
        return TransactionReport(
            xid: key.xid, client: key.client, clientID: sentClientID ? key.client.wholeIdentifier ?? longClientID : nil,
            kind: kind, servers: Array(servers), messages: frames,
            outcome: outcome ?? timeoutOutcome, address: address, discoverOfferMilliseconds: discoverOffer,
            requestAckMilliseconds: requestAck, totalMilliseconds: end.seconds(since: firstTime) * 1000,
            relayed: relayAddress != .any)
    }
}
