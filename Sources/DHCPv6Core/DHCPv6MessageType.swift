/// A DHCPv6 msg-type (RFC 8415 §7.3 and the IANA registry), named as the contract writes it: RFC names in upper
/// case with hyphens.
public struct DHCPv6MessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible, BitwiseCopyable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let solicit = Self(rawValue: 1)
    public static let advertise = Self(rawValue: 2)
    public static let request = Self(rawValue: 3)
    public static let confirm = Self(rawValue: 4)
    public static let renew = Self(rawValue: 5)
    public static let rebind = Self(rawValue: 6)
    public static let reply = Self(rawValue: 7)
    public static let release = Self(rawValue: 8)
    public static let decline = Self(rawValue: 9)
    public static let reconfigure = Self(rawValue: 10)
    public static let informationRequest = Self(rawValue: 11)
    public static let relayForward = Self(rawValue: 12)
    public static let relayReply = Self(rawValue: 13)

    /// The registry's names, by number (RFC 8415, 5007, 5460, 6977, 7341, 7653, 8156, 9686).
    static let names: [UInt8: String] = [
        1: "SOLICIT", 2: "ADVERTISE", 3: "REQUEST", 4: "CONFIRM", 5: "RENEW", 6: "REBIND", 7: "REPLY", 8: "RELEASE",
        9: "DECLINE", 10: "RECONFIGURE", 11: "INFORMATION-REQUEST", 12: "RELAY-FORW", 13: "RELAY-REPL",
        14: "LEASEQUERY", 15: "LEASEQUERY-REPLY", 16: "LEASEQUERY-DONE", 17: "LEASEQUERY-DATA",
        18: "RECONFIGURE-REQUEST", 19: "RECONFIGURE-REPLY", 20: "DHCPV4-QUERY", 21: "DHCPV4-RESPONSE",
        22: "ACTIVELEASEQUERY", 23: "STARTTLS", 24: "BNDUPD", 25: "BNDREPLY", 26: "POOLREQ", 27: "POOLRESP",
        28: "UPDREQ", 29: "UPDREQALL", 30: "UPDDONE", 31: "CONNECT", 32: "CONNECTREPLY", 33: "DISCONNECT",
        34: "STATE", 35: "CONTACT", 36: "ADDR-REG-INFORM", 37: "ADDR-REG-REPLY",
    ]

    /// The type of a registry name (any case: "solicit", "RELAY-FORW").
    public static func named(_ name: String) -> Self? {
        let upper = name.uppercased()
        return names.first { $0.value == upper }.map { Self(rawValue: $0.key) }
    }

    /// The registry name, or the number for an unassigned type.
    public var description: String { Self.names[rawValue] ?? String(rawValue) }

    /// Relay messages (RELAY-FORW, RELAY-REPL) carry hop count and two addresses instead of a transaction id.
    public var isRelay: Bool { self == .relayForward || self == .relayReply }
}
