import DHCPCore
import DHCPProtocol

struct TransactionKey: Hashable {
    var xid: UInt32
    var client: ClientKey
}

/// A transaction being followed: one xid and client, from the first client message to its answer.
struct Transaction {
    static let maximumFrames = 64

    let key: TransactionKey
    var kind: TransactionKind
    let firstTime: Timestamp
    var lastTime: Timestamp
    var frames: [FrameReference] = []
    var servers: [IPv4Address] = []
    var offers: [(server: IPv4Address, address: IPv4Address)] = []
    var clientID: [UInt8]?
    var outcome: TransactionOutcome?
    var closedAt: Timestamp?
    /// Other keys under which this transaction is also found (a REQUEST with a new xid answering our OFFER).
    var aliases: [TransactionKey] = []

    var firstDiscover: Timestamp?
    var firstOffer: Timestamp?
    var firstRequest: Timestamp?
    var selectedServer: IPv4Address?
    var requestedAddress: IPv4Address?
    var broadcastAsked = false
    var relayAddress: IPv4Address = .any
    var requestedParameters: [UInt8]?
    /// The last message the client sent: its type, when, and how it was relayed (to tell a relay leg from a retry).
    var lastClientType: DHCPMessageType?
    var lastClientTime: Timestamp?
    var lastClientRelay: (IPv4Address, UInt8)?
    var retransmissions = 0
    var retransmissionTimingReported = false
    var multipleServersReported = false
    /// Replies seen, to tell the relay's leg of a reply from a second reply.
    var replies: [(type: DHCPMessageType, server: IPv4Address, address: IPv4Address, time: Timestamp,
                   source: IPv4Address, destination: IPv4Address)] = []
    /// When the client last sent a DISCOVER, REQUEST or INFORM, for response times.
    private var lastDiscoverSent: Timestamp?
    private var lastRequestSent: Timestamp?
    private var lastInformSent: Timestamp?

    init(key: TransactionKey, kind: TransactionKind, time: Timestamp) {
        self.key = key; self.kind = kind; firstTime = time; lastTime = time
    }

    var isClosed: Bool { outcome != nil }

    mutating func markSent(_ type: DHCPMessageType, at time: Timestamp) {
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

    mutating func add(_ frame: FrameReference) {
        lastTime = frame.time
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
            xid: key.xid, client: key.client, clientID: clientID, kind: kind, servers: servers, messages: frames,
            outcome: outcome ?? timeoutOutcome, address: address, discoverOfferMilliseconds: discoverOffer,
            requestAckMilliseconds: requestAck, totalMilliseconds: end.seconds(since: firstTime) * 1000,
            relayed: relayAddress != .any)
    }
}
