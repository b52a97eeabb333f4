/// How a DHCPv6 option's data is laid out (RFC 8415 §21 and the RFCs each entry names): what `DHCPv6OptionValue`
/// reads it as. Options whose shape is not read yet are `.opaque` and are shown as their bytes.
public enum DHCPv6OptionShape: Sendable, Equatable {
    /// A DUID (RFC 8415 §11): client and server identifiers.
    case duid
    /// IA_NA, IA_PD: IAID, T1, T2, then options.
    case identityAssociation
    /// IA_TA: IAID, then options.
    case temporaryAssociation
    /// IAADDR: address, preferred and valid lifetimes, then options.
    case address
    /// IAPREFIX: preferred and valid lifetimes, prefix length, prefix, then options.
    case prefix
    /// A list of option codes (ORO, 16 bits each).
    case optionCodes
    /// Unsigned integers of one size.
    case uint8, uint16, uint32
    /// Elapsed time: hundredths of a second, 16 bits.
    case elapsedTime
    /// One IPv6 address; a list of them.
    case ipv6, ipv6List
    /// Status code (RFC 8415 §21.13): a code and a UTF-8 message.
    case statusCode
    /// No data: its presence says it all.
    case empty
    /// An enterprise number, then opaque data (remote-id 37, RFC 4649 §3).
    case enterprise
    /// Vendor class (16): enterprise number, then opaque items each with a 16-bit length.
    case vendorClass
    /// Vendor options (17): enterprise number, then the vendor's options (16-bit code and length, as DHCPv6's).
    case vendorOptions
    /// Opaque items each with a 16-bit length (user class 15); text items so framed (boot file parameters 60).
    case opaqueList, textList
    /// A list of 16-bit numbers (client architecture types, 61).
    case uint16List
    /// NTP server (RFC 5908): suboptions naming servers by address, multicast address or FQDN.
    case ntpServer
    /// Client link-layer address (RFC 6939): hardware type, then the address.
    case linkLayerAddress
    /// PD exclude (RFC 6603): a prefix length, then the bits of the excluded prefix's subnet ID.
    case pdExclude
    /// Authentication (RFC 8415 §21.11): protocol, algorithm, RDM, replay detection, then the information.
    case authentication
    /// Text (UTF-8): URLs, and the like.
    case text
    /// DNS names in wire format (RFC 8415 §10): one name; a list of them.
    case domainName, domainList
    /// Client FQDN (RFC 4704): flags, then a name that may be partial.
    case fqdn
    /// A whole DHCPv6 message (relay message 9).
    case message
    /// Bytes shown as they are (interface-id, subscriber-id, and options not read yet).
    case opaque

    /// Where the options inside an option of this shape start, after its fixed fields; nil when it holds none.
    public var optionsOffset: Int? {
        switch self {
        case .identityAssociation: 12
        case .temporaryAssociation: 4
        case .address: 24
        case .prefix: 25
        default: nil
        }
    }
}

/// One option's entry in the DHCPv6 table.
public struct DHCPv6OptionDefinition: Sendable {
    public let code: UInt16
    /// The IANA registry's name without "OPTION_", lower case with hyphens ("ia-na", "dns-servers").
    public let name: String
    public let rfc: String
    public let shape: DHCPv6OptionShape
}

/// The DHCPv6 option table: one per family, and this is DHCPv6's (its code 82 is SOL_MAX_RT, not the DHCPv4 relay
/// agent information). Adding an option is one line.
public enum DHCPv6OptionTable {
    public static let definitions: [DHCPv6OptionDefinition] = [
        entry(1, "clientid", "8415", .duid),
        entry(2, "serverid", "8415", .duid),
        entry(3, "ia-na", "8415", .identityAssociation),
        entry(4, "ia-ta", "8415", .temporaryAssociation),
        entry(5, "iaaddr", "8415", .address),
        entry(6, "oro", "8415", .optionCodes),
        entry(7, "preference", "8415", .uint8),
        entry(8, "elapsed-time", "8415", .elapsedTime),
        entry(9, "relay-msg", "8415", .message),
        entry(11, "auth", "8415", .authentication),
        entry(12, "unicast", "8415", .ipv6),
        entry(13, "status-code", "8415", .statusCode),
        entry(14, "rapid-commit", "8415", .empty),
        entry(15, "user-class", "8415", .opaqueList),
        entry(16, "vendor-class", "8415", .vendorClass),
        entry(17, "vendor-opts", "8415", .vendorOptions),
        entry(18, "interface-id", "8415", .opaque),
        entry(19, "reconf-msg", "8415", .uint8),
        entry(20, "reconf-accept", "8415", .empty),
        entry(21, "sip-server-d", "3319", .domainList),
        entry(22, "sip-server-a", "3319", .ipv6List),
        entry(23, "dns-servers", "3646", .ipv6List),
        entry(24, "domain-list", "3646", .domainList),
        entry(25, "ia-pd", "8415", .identityAssociation),
        entry(26, "iaprefix", "8415", .prefix),
        entry(27, "nis-servers", "3898", .ipv6List),
        entry(28, "nisp-servers", "3898", .ipv6List),
        entry(29, "nis-domain-name", "3898", .domainList),
        entry(30, "nisp-domain-name", "3898", .domainList),
        entry(31, "sntp-servers", "4075", .ipv6List),
        entry(32, "information-refresh-time", "8415", .uint32),
        entry(33, "bcmcs-server-d", "4280", .domainList),
        entry(34, "bcmcs-server-a", "4280", .ipv6List),
        entry(36, "geoconf-civic", "4776", .opaque),
        entry(37, "remote-id", "4649", .enterprise),
        entry(38, "subscriber-id", "4580", .opaque),
        entry(39, "client-fqdn", "4704", .fqdn),
        entry(40, "pana-agent", "5192", .ipv6List),
        entry(41, "new-posix-timezone", "4833", .text),
        entry(42, "new-tzdb-timezone", "4833", .text),
        entry(43, "ero", "4994", .optionCodes),
        entry(44, "lq-query", "5007", .opaque),
        entry(45, "client-data", "5007", .opaque),
        entry(46, "clt-time", "5007", .uint32),
        entry(47, "lq-relay-data", "5007", .opaque),
        entry(48, "lq-client-link", "5007", .ipv6List),
        entry(56, "ntp-server", "5908", .ntpServer),
        entry(59, "bootfile-url", "5970", .text),
        entry(60, "bootfile-param", "5970", .textList),
        entry(61, "client-arch-type", "5970", .uint16List),
        entry(62, "nii", "5970", .opaque),
        entry(64, "aftr-name", "6334", .domainName),
        entry(65, "erp-local-domain-name", "6440", .domainName),
        entry(66, "rsoo", "6422", .opaque),
        entry(67, "pd-exclude", "6603", .pdExclude),
        entry(79, "client-linklayer-addr", "6939", .linkLayerAddress),
        entry(80, "link-address", "6977", .ipv6),
        entry(82, "sol-max-rt", "8415", .uint32),
        entry(83, "inf-max-rt", "8415", .uint32),
        entry(87, "dhcpv4-msg", "7341", .opaque),
        entry(88, "dhcp4-o-dhcp6-server", "7341", .ipv6List),
        entry(103, "v6-captive-portal", "8910", .text),
        entry(112, "mud-url-v6", "8520", .text),
        entry(136, "v6-sztp-redirect", "8572", .opaque),
    ]

    private static func entry(_ code: UInt16, _ name: String, _ rfc: String, _ shape: DHCPv6OptionShape)
        -> DHCPv6OptionDefinition {
        DHCPv6OptionDefinition(code: code, name: name, rfc: rfc, shape: shape)
    }

    /// The entries of codes below 256 (every one the table has) by code, and any others in a dictionary: looked up for
    /// every option of every message, where hashing a key cost more than reading the option.
    private static let lowCodes: [DHCPv6OptionDefinition?] = {
        var table = [DHCPv6OptionDefinition?](repeating: nil, count: 256)
        for definition in definitions.reversed() where definition.code < 256 { table[Int(definition.code)] = definition }
        return table
    }()
    private static let highCodes: [UInt16: DHCPv6OptionDefinition] = Dictionary(
        definitions.filter { $0.code >= 256 }.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })

    /// The entry of `code`; nil for an option the table does not know.
    public static func definition(_ code: UInt16) -> DHCPv6OptionDefinition? {
        code < 256 ? lowCodes[Int(code)] : highCodes[code]
    }

    /// The option's name; "option-N" for one the table does not know.
    public static func name(_ code: UInt16) -> String { definition(code)?.name ?? "option-\(code)" }
}
