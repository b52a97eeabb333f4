import DHCPCore
import DHCPProtocol

/// What the analyzer needs of one DHCP message, read once.
struct ObservedMessage {
    let message: DHCPMessageView
    let frame: FrameReference
    let sourceIP: IPv4Address
    let destinationIP: IPv4Address
    let destinationPort: UInt16
    let sourceMAC: MACAddress?
    let client: ClientKey
    let type: DHCPMessageType?

    init(message: DHCPMessageView, frame: FrameReference, sourceIP: IPv4Address, destinationIP: IPv4Address,
         destinationPort: UInt16, sourceMAC: MACAddress?, client: ClientKey, type: DHCPMessageType?) {
        self.message = message; self.frame = frame; self.sourceIP = sourceIP; self.destinationIP = destinationIP
        self.destinationPort = destinationPort; self.sourceMAC = sourceMAC; self.client = client; self.type = type
        origin = DHCPReplyOrigin(message, sourceIP: sourceIP, toClient: destinationPort == 68)
    }

    var time: Timestamp { frame.time }
    var xid: UInt32 { message.xid }
    var isFromClient: Bool { message.op == DHCPMessage.bootRequest }
    var isRelayed: Bool { message.relayAddress != .any }

    /// The server a reply speaks for (`DHCPReplyOrigin`: option 54, else a relayed BOOTP reply's siaddr, else the
    /// source), and the relay agent that passed it on to the client, if one did.
    let origin: DHCPReplyOrigin
    var serverID: IPv4Address { origin.server }

    /// The client's Figure 5 event for a message it sent or received; nil for messages that are not about a
    /// client's own state (leasequery, FORCERENEW, BOOTP).
    var clientEvent: DHCPClientEvent? {
        guard let type else { return nil }
        switch type {
        case .discover: return .sendDiscover
        case .offer: return .receiveOffer
        case .request: return .sendRequest(requestKind)
        case .ack: return .receiveAck
        case .nak: return .receiveNak
        case .decline: return .sendDecline
        case .release: return .sendRelease
        case .inform: return .sendInform
        default: return nil
        }
    }

    /// RFC 2131 §4.3.2: which state a REQUEST comes from (a capture knows only 255.255.255.255 as broadcast).
    var requestKind: DHCPRequestKind { DHCPRequestKind(message, broadcast: destinationIP == .broadcast) }

    var transactionKind: TransactionKind {
        switch type {
        case .discover?: .dora
        case .request?:
            switch requestKind {
            case .selecting: .dora
            case .initReboot: .initReboot
            case .renewing: .renew
            case .rebinding: .rebind
            }
        case .inform?: .inform
        case .release?: .release
        case .decline?: .decline
        case .offer?: .dora
        // Only the ACK to an INFORM leaves yiaddr empty (RFC 2131 §4.3.5).
        case .ack? where message.yourAddress == .any: .inform
        default: .unknown
        }
    }
}
