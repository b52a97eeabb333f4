import DHCPCore
import NetworkPrimitives

/// Who a server's reply comes from, told apart from the relay agent that passed it on. A relay agent sends the
/// server's reply to the client from its own address and MAC (RFC 1542 §4.1.2), so behind one relay every
/// server's reply has the same source: the server is the one its server identifier names (option 54, RFC 2131
/// §4.3.1), or, in a relayed BOOTP reply without one, its siaddr (RFC 951: the server's address); the source is
/// the server only when the server itself sent the reply.
public struct DHCPReplyOrigin: Hashable, Sendable {
    /// The server: option 54, else siaddr of a relayed reply, else the source address.
    public let server: IPv4Address
    /// The relay agent that sent it on to the client (the source address); nil when the server sent it itself.
    public let relay: IPv4Address?

    /// - Parameters:
    ///   - toClient: the reply was sent to a client (to UDP port 68), not to a relay agent (port 67): with giaddr
    ///     set, a relay agent sent it, from its own address.
    public init(_ reply: some DHCPMessageFields, sourceIP: IPv4Address, toClient: Bool) {
        let relayed = toClient && reply.relayAddress != .any
        relay = relayed ? sourceIP : nil
        if let identifier = reply.serverIdentifier {
            server = identifier
        } else if relayed, reply.serverAddress != .any {
            server = reply.serverAddress
        } else {
            server = sourceIP
        }
    }
}
