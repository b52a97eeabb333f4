import DHCPCore

/// What the relay agent does with a client's request that already carries option 82 (RFC 3046 §2.1), as ISC
/// dhcrelay's `-m` does: a switch between the client and the relay (DHCP snooping) may have added one.
public enum DHCPAgentInformationPolicy: String, CaseIterable, Hashable, Sendable {
    /// Keep the suboptions there are and add the relay's after them.
    case append
    /// Put the relay's suboptions in their place (ISC dhcrelay's default).
    case replace
    /// Forward the option as it came, adding nothing.
    case keep
    /// Do not forward the request.
    case drop
}

/// A client-side interface of the relay agent: where clients' broadcasts come in and replies go out.
public struct DHCPRelayLink: Hashable, Sendable {
    /// The interface name (for output).
    public var name: String
    /// The interface index, as IP_PKTINFO reports the interface a datagram arrived on.
    public var index: Int32
    /// The interface's address: giaddr for its clients (RFC 1542 §4.1.1).
    public var address: IPv4Address
    /// Option 82 suboption 1 (RFC 3046 §3.1); the interface name unless configured.
    public var circuitID: [UInt8]

    public init(name: String, index: Int32, address: IPv4Address, circuitID: [UInt8]? = nil) {
        self.name = name; self.index = index; self.address = address
        self.circuitID = circuitID ?? Array(name.utf8)
    }
}

/// How the relay agent forwards: to which servers, with which option 82.
public struct DHCPRelayConfiguration: Hashable, Sendable {
    /// The client-side interfaces.
    public var links: [DHCPRelayLink]
    /// Every request is unicast to each of these, port 67.
    public var servers: [IPv4Address]
    /// The server-side interface's address, when there is one: with `linkSelection` it is giaddr, and the client's
    /// link is named by suboption 5 instead (RFC 3527).
    public var upstreamAddress: IPv4Address?
    /// Option 82 suboption 2 (RFC 3046 §3.2), none when nil.
    public var remoteID: [UInt8]?
    /// Add suboption 5, link selection (RFC 3527): the client link's address.
    public var linkSelection: Bool
    /// Add suboption 11, server identifier override (RFC 5107): the client link's address, so that clients send
    /// their renewals and releases to the relay agent.
    public var serverIdentifierOverride: Bool
    /// For requests that already carry option 82.
    public var policy: DHCPAgentInformationPolicy
    /// A request that has passed this many relay agents already (hops) is dropped (RFC 1542 §4.1.1), so that a
    /// forwarded one never carries more.
    public var maximumHops: UInt8
    /// The largest DHCP message forwarded with option 82 added (ISC dhcrelay's default: a 576-byte IP datagram).
    /// A request that would grow past it is forwarded without the option (RFC 3046 §2.1).
    public var maximumMessageSize: Int

    public init(links: [DHCPRelayLink], servers: [IPv4Address], upstreamAddress: IPv4Address? = nil,
                remoteID: [UInt8]? = nil, linkSelection: Bool = false, serverIdentifierOverride: Bool = false,
                policy: DHCPAgentInformationPolicy = .replace, maximumHops: UInt8 = 16, maximumMessageSize: Int = 576 - 28) {
        self.links = links; self.servers = servers; self.upstreamAddress = upstreamAddress; self.remoteID = remoteID
        self.linkSelection = linkSelection; self.serverIdentifierOverride = serverIdentifierOverride
        self.policy = policy; self.maximumHops = maximumHops; self.maximumMessageSize = maximumMessageSize
    }

    /// The relay agent's suboptions for a client on `link`: circuit-id, remote-id, link selection, server
    /// identifier override, as configured.
    public func suboptions(for link: DHCPRelayLink) -> [RelayAgentInformation.Suboption] {
        var suboptions = [RelayAgentInformation.Suboption(1, link.circuitID)]
        if let remoteID { suboptions.append(.init(2, remoteID)) }
        if linkSelection { suboptions.append(.init(5, link.address.octets)) }
        if serverIdentifierOverride { suboptions.append(.init(11, link.address.octets)) }
        return suboptions
    }

    /// giaddr for the clients of `link`: the link's address, or the upstream address under link selection.
    public func relayAddress(for link: DHCPRelayLink) -> IPv4Address {
        if linkSelection, let upstreamAddress { return upstreamAddress }
        return link.address
    }
}

/// How a datagram reached the relay agent: the I/O layer fills it from the socket (IP_PKTINFO).
public struct DHCPRelayReceipt: Hashable, Sendable {
    /// The index of the interface it arrived on; nil when unknown.
    public var interfaceIndex: Int32?
    public var sourceAddress: IPv4Address
    public var sourcePort: UInt16

    public init(interfaceIndex: Int32?, sourceAddress: IPv4Address, sourcePort: UInt16) {
        self.interfaceIndex = interfaceIndex; self.sourceAddress = sourceAddress; self.sourcePort = sourcePort
    }
}

/// Why the relay agent did not pass a message on, or passed it on differently.
public struct DHCPRelayProblem: Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// Not a DHCP message that can be relayed: short header, bad cookie, an option running past its field, hlen > 16.
        case malformed = "relay-malformed"
        /// A request that has passed --max-hops relay agents (RFC 1542 §4.1.1).
        case hopLimit = "relay-hop-limit"
        /// A reply whose giaddr is not an address of this relay agent (RFC 1542 §4.1.2).
        case foreignRelayAddress = "relay-foreign-giaddr"
        /// A reply whose client link cannot be told (link selection without a known suboption 5 or circuit-id).
        case unknownLink = "relay-unknown-link"
        /// A request carrying option 82 already, dropped by the `drop` policy (RFC 3046 §2.1).
        case agentInformationPresent = "relay-agent-info-present"
        /// Option 82 would make the request larger than the maximum message size: forwarded without it (RFC 3046 §2.1).
        case agentInformationTooLong = "relay-agent-info-too-long"
        /// A message that is neither a request nor a reply (op not 1 or 2).
        case ignored = "relay-ignored"

        /// The RFC clause, as the `problem` event names it.
        public var rfc: String? {
            switch self {
            case .malformed, .ignored: nil
            case .hopLimit: "1542 4.1.1"
            case .foreignRelayAddress: "1542 4.1.2"
            case .unknownLink: "3527 3"
            case .agentInformationPresent, .agentInformationTooLong: "3046 2.1"
            }
        }
    }

    public var code: Code
    public var text: String
    public var xid: UInt32?
    /// The client's hardware address (chaddr), when the message has one.
    public var clientHardwareAddress: [UInt8]?

    public init(_ code: Code, _ text: String, xid: UInt32? = nil, clientHardwareAddress: [UInt8]? = nil) {
        self.code = code; self.text = text; self.xid = xid; self.clientHardwareAddress = clientHardwareAddress
    }

    public var description: String { "\(code.rawValue): \(text)" }
}

/// What the relay agent asks its I/O layer to do, in order.
public enum DHCPRelayAction: Hashable, Sendable {
    /// Unicast `message` to `server`, port 67; it came from a client on `link`.
    case forward(DHCPMessage, to: IPv4Address, link: DHCPRelayLink)
    /// Hand a server's reply to the client on `link`, as `destination` says (never `.relay`).
    case deliver(DHCPMessage, link: DHCPRelayLink, to: DHCPServerDestination)
    /// Dropped or changed: for the log.
    case problem(DHCPRelayProblem)
}
