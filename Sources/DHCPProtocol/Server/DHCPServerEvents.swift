import DHCPCore

/// How a message reached the server: the I/O layer fills this from the socket (IP_PKTINFO) or the frame.
public struct DHCPReceipt: Hashable, Sendable {
    /// The receiving interface's address: selects the subnet of a client that is not relayed.
    public var interfaceAddress: IPv4Address
    /// The IP source address and UDP source port (67 from a relay agent, 68 from a client).
    public var sourceAddress: IPv4Address
    public var sourcePort: UInt16
    /// Whether the IP destination was a broadcast address (255.255.255.255 or the subnet's); false for unicast.
    /// Tells RENEWING (unicast) from REBINDING (broadcast) apart.
    public var broadcast: Bool

    public init(interfaceAddress: IPv4Address, sourceAddress: IPv4Address = .any, sourcePort: UInt16 = 68,
                broadcast: Bool = true) {
        self.interfaceAddress = interfaceAddress; self.sourceAddress = sourceAddress; self.sourcePort = sourcePort
        self.broadcast = broadcast
    }
}

/// Where a reply goes (RFC 2131 §4.1, in this order of precedence).
public enum DHCPServerDestination: Hashable, Sendable, CustomStringConvertible {
    /// giaddr set: unicast to the relay agent, UDP port 67.
    case relay(IPv4Address)
    /// ciaddr set (and not a NAK): unicast to ciaddr, port 68, through ordinary IP routing and ARP.
    case unicast(IPv4Address)
    /// A NAK, the broadcast bit, or a client whose hardware address cannot be addressed: 255.255.255.255:68.
    case broadcast
    /// Neither giaddr nor ciaddr, broadcast bit clear: yiaddr:68 in a raw Ethernet frame to the client's MAC
    /// address, without ARP (the client does not answer ARP for an address it does not have yet).
    case hardware(IPv4Address, MACAddress)

    /// RFC 2131 §4.1 on the client's own link, for a server without a relay agent between and for a relay agent
    /// handing a server's reply on (RFC 1542 §4.1.2): a NAK is broadcast; else unicast to ciaddr; else broadcast
    /// for the broadcast bit; else yiaddr at chaddr; a client whose chaddr is not an Ethernet address, or a reply
    /// without yiaddr, gets a broadcast.
    public static func onLink(nak: Bool, clientAddress: IPv4Address, broadcast: Bool, clientMAC: MACAddress?,
                              yourAddress: IPv4Address) -> DHCPServerDestination {
        if nak { return .broadcast }
        if clientAddress != .any { return .unicast(clientAddress) }
        if broadcast { return .broadcast }
        if let clientMAC, yourAddress != .any { return .hardware(yourAddress, clientMAC) }
        return .broadcast
    }

    /// The IP destination address.
    public var address: IPv4Address {
        switch self {
        case .relay(let address), .unicast(let address), .hardware(let address, _): address
        case .broadcast: .broadcast
        }
    }

    /// The UDP destination port: 67 to a relay agent, 68 to a client.
    public var port: UInt16 {
        if case .relay = self { return 67 }
        return 68
    }

    public var description: String {
        var text = [UInt8]()
        text.reserveCapacity(40)
        appendDescription(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends `description` as UTF-8 ("relay 198.18.0.2:67", "198.18.1.5:68 via 06:00:00:00:00:01"), for output
    /// built byte by byte.
    public func appendDescription(to text: inout [UInt8]) {
        if case .relay = self { text.append(contentsOf: "relay ".utf8) }
        address.appendDottedQuad(to: &text)
        text.append(contentsOf: port == 67 ? ":67".utf8 : ":68".utf8)
        if case .hardware(_, let mac) = self {
            text.append(contentsOf: " via ".utf8)
            Hex.appendColonSeparated(mac.bytes, to: &text)
        }
    }
}

/// Why the server did not answer as a plain server would, or what it could not use.
public struct DHCPServerProblem: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// The message cannot be served as it stands (bad header, missing option, wrong op …).
        case malformed
        /// A well-formed message that RFC 2131 says to answer with silence (another server selected, unknown client …).
        case ignored
        /// A configured fault changed the answer.
        case fault
        /// A limit was hit: rate limit, hold table, pool exhausted, option dropped to fit the maximum message size.
        case limit
        /// The lease database failed or another server holds the address (the durable stores).
        case leaseDatabase = "lease-db"
        /// The INFORM policy refused an INFORM (subnet, MAC allow-list or rate).
        case informRefused = "inform-refused"
    }

    public var kind: Kind
    public var text: String
    /// The message's xid, when it has one.
    public var xid: UInt32?

    public init(_ kind: Kind, _ text: String, xid: UInt32? = nil) { self.kind = kind; self.text = text; self.xid = xid }

    public var description: String { "\(kind.rawValue): \(text)" }
}

/// What the server asks its I/O layer to do, in order.
public enum DHCPServerAction: Hashable, Sendable {
    /// Send `message` to `destination` after `delay` seconds (0 unless the `replyDelay` fault is set).
    case send(DHCPMessage, to: DHCPServerDestination, delay: Double)
    /// A lease record changed: commit it before any later `.send` of the same batch (see `DHCPLeaseStore`).
    case leaseChanged(DHCPLease)
    /// Input ignored, malformed, limited or faulted: for the log; nothing to do.
    case problem(DHCPServerProblem)
}

/// Which client message a server received: DISCOVER, the four REQUESTs of RFC 2131 §4.3.2, DECLINE, RELEASE,
/// INFORM. Used by the `answerOnly` fault and in problem texts.
public enum DHCPServerMessageKind: Hashable, Sendable, CustomStringConvertible {
    case discover
    case request(DHCPRequestKind)
    case decline
    case release
    case inform

    /// Classifies `message` (a REQUEST by `DHCPRequestKind`'s RFC 2131 §4.3.2 rule): nil for a type a server
    /// does not serve.
    public init?(_ message: DHCPMessage, receipt: DHCPReceipt) {
        switch message.messageType {
        case .discover?: self = .discover
        case .decline?: self = .decline
        case .release?: self = .release
        case .inform?: self = .inform
        case .request?: self = .request(DHCPRequestKind(message, broadcast: receipt.broadcast))
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .discover: "DISCOVER"
        case .request(let kind): "REQUEST (\(kind.rawValue))"
        case .decline: "DECLINE"
        case .release: "RELEASE"
        case .inform: "INFORM"
        }
    }
}

/// An address offered and held for a client until `expires`.
public struct DHCPOfferHold: Hashable, Sendable {
    public var address: IPv4Address
    public var client: DHCPClientKey
    public var xid: UInt32
    public var expires: Double
}
