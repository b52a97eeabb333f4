/// A DHCP option code (RFC 2132 §2). Open: every byte value fits, known or not.
public struct DHCPOptionCode: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The table's name for the code, or "option-N".
    public var name: String { DHCPOptionTable.definition(for: self)?.name ?? "option-\(rawValue)" }
    public var description: String { "\(rawValue) (\(name))" }

    public static let pad = Self(0)
    public static let subnetMask = Self(1)
    public static let timeOffset = Self(2)
    public static let routers = Self(3)
    public static let domainNameServers = Self(6)
    public static let hostName = Self(12)
    public static let domainName = Self(15)
    public static let broadcastAddress = Self(28)
    public static let ntpServers = Self(42)
    public static let vendorEncapsulatedOptions = Self(43)
    public static let requestedAddress = Self(50)
    public static let leaseTime = Self(51)
    public static let optionOverload = Self(52)
    public static let messageType = Self(53)
    public static let serverIdentifier = Self(54)
    public static let parameterRequestList = Self(55)
    public static let message = Self(56)
    public static let maximumMessageSize = Self(57)
    public static let renewalTime = Self(58)
    public static let rebindingTime = Self(59)
    public static let vendorClassIdentifier = Self(60)
    public static let clientIdentifier = Self(61)
    public static let tftpServerName = Self(66)
    public static let bootfileName = Self(67)
    public static let userClass = Self(77)
    public static let clientFQDN = Self(81)
    public static let relayAgentInformation = Self(82)
    public static let clientSystemArchitecture = Self(93)
    public static let clientNetworkInterface = Self(94)
    public static let clientMachineIdentifier = Self(97)
    public static let autoConfigure = Self(116)
    public static let subnetSelection = Self(118)
    public static let domainSearch = Self(119)
    public static let classlessStaticRoutes = Self(121)
    public static let vendorIdentifyingClass = Self(124)
    public static let vendorIdentifyingOptions = Self(125)
    public static let tftpServerAddresses = Self(150)
    public static let wpad = Self(252)
    public static let end = Self(255)
}

/// Option 53's value (RFC 2132 §9.6, RFC 4388 §6.1, RFC 6926). Open like the option code.
public struct DHCPMessageType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let discover = Self(rawValue: 1)
    public static let offer = Self(rawValue: 2)
    public static let request = Self(rawValue: 3)
    public static let decline = Self(rawValue: 4)
    public static let ack = Self(rawValue: 5)
    public static let nak = Self(rawValue: 6)
    public static let release = Self(rawValue: 7)
    public static let inform = Self(rawValue: 8)
    public static let forceRenew = Self(rawValue: 9)
    public static let leaseQuery = Self(rawValue: 10)
    public static let leaseUnassigned = Self(rawValue: 11)
    public static let leaseUnknown = Self(rawValue: 12)
    public static let leaseActive = Self(rawValue: 13)
    public static let bulkLeaseQuery = Self(rawValue: 14)
    public static let leaseQueryDone = Self(rawValue: 15)
    public static let activeLeaseQuery = Self(rawValue: 16)
    public static let leaseQueryStatus = Self(rawValue: 17)
    public static let tls = Self(rawValue: 18)

    /// The names every output uses: the RFC names upper case without the DHCP prefix.
    public static let names: [UInt32: String] = [
        1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK", 7: "RELEASE", 8: "INFORM",
        9: "FORCERENEW", 10: "LEASEQUERY", 11: "LEASEUNASSIGNED", 12: "LEASEUNKNOWN", 13: "LEASEACTIVE",
        14: "BULKLEASEQUERY", 15: "LEASEQUERYDONE", 16: "ACTIVELEASEQUERY", 17: "LEASEQUERYSTATUS", 18: "TLS",
    ]

    /// The name, or the number for a type no RFC names.
    public var description: String { Self.names[UInt32(rawValue)] ?? String(rawValue) }

    /// Parses a name (any case, with or without a DHCP prefix) or a number.
    public init?(name: String) {
        var upper = name.uppercased()
        if upper.hasPrefix("DHCP") { upper.removeFirst(4) }
        if let number = UInt8(upper) { rawValue = number; return }
        guard let match = Self.names.first(where: { $0.value == upper }) else { return nil }
        rawValue = UInt8(match.key)
    }
}
