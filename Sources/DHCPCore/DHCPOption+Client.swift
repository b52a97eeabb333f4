// Options the roles build — server replies, client messages, probes — made through the option table, so that every
// encoding is the table's. The typed input always fits the code's shape; a table entry whose shape does not take
// it is a programming error, which OptionBuildingTests catch for every code used here.

extension DHCPOption {
    /// `value` encoded by the table's shape for `code`.
    static func built(_ code: DHCPOptionCode, _ value: DHCPOptionValue) -> DHCPOption {
        guard let option = DHCPOption(code, value: value) else {
            preconditionFailure("the option table's shape for \(code.rawValue) does not take \(value)")
        }
        return option
    }

    /// One IPv4 address (1, 16, 28, 32, 50, 54 …).
    public init(_ code: DHCPOptionCode, address: IPv4Address) { self = .built(code, .ipv4(address)) }

    /// A list of IPv4 addresses (3, 6, 42, 150 …).
    public init(_ code: DHCPOptionCode, addresses: [IPv4Address]) { self = .built(code, .list(addresses.map { .ipv4($0) })) }

    /// A 32-bit number (51, 58, 59 …).
    public init(_ code: DHCPOptionCode, uint32 value: UInt32) { self = .built(code, .unsigned(UInt64(value))) }

    /// A 16-bit number (57 …).
    public init(_ code: DHCPOptionCode, uint16 value: UInt16) { self = .built(code, .unsigned(UInt64(value))) }

    /// Text (12, 15, 56, 60, 66, 67 …).
    public init(_ code: DHCPOptionCode, text: String) { self = .built(code, .text(text)) }

    /// Option 53.
    public init(messageType: DHCPMessageType) {
        self = .built(.messageType, .named(code: UInt32(messageType.rawValue), name: nil))
    }

    /// Option 52 (RFC 2132 §9.3): 1 file, 2 sname, 3 both hold options.
    public init(optionOverload fields: UInt8) { self = .built(.optionOverload, .named(code: UInt32(fields), name: nil)) }

    /// Option 55: the codes asked for, in order.
    public init(parameterRequestList codes: [UInt8]) {
        self = .built(.parameterRequestList, .list(codes.map { .unsigned(UInt64($0)) }))
    }

    /// Option 61 as the client sends it: its bytes, type byte first (RFC 2132 §9.14); nil when empty.
    public init?(clientIdentifier bytes: [UInt8]) {
        guard let type = bytes.first else { return nil }
        self = .built(.clientIdentifier, .record([DHCPOptionField("type", .unsigned(UInt64(type))),
                                                  DHCPOptionField("id", .bytes(Array(bytes.dropFirst())))]))
    }

    /// Option 81 (RFC 4702 §2) for a client: flags S (the server updates the A record) and E (the name in DNS
    /// wire format), RCODE1 and RCODE2 zero, then `name`. Nil when `name` is not a valid DNS name.
    public static func clientFQDN(_ name: String) -> DHCPOption? {
        let labels = (name.hasSuffix(".") ? String(name.dropLast()) : name).split(separator: ".", omittingEmptySubsequences: false)
        guard !labels.contains(where: \.isEmpty) else { return nil }
        return DHCPOption(.clientFQDN, value: .record([
            DHCPOptionField("flags", .unsigned(0x05)), DHCPOptionField("rcode1", .unsigned(0)),
            DHCPOptionField("rcode2", .unsigned(0)), DHCPOptionField("name", .text(name)),
        ]))
    }
}
