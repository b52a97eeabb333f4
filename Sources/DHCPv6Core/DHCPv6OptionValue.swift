import NetworkPrimitives

/// A DUID (RFC 8415 §11, RFC 6355): its type and the fields that type has. Unknown types keep their bytes.
public struct DHCPv6DUID: Hashable, Sendable {
    public var type: UInt16
    /// DUID-LLT and DUID-LL: the hardware type (RFC 826) and the link-layer address.
    public var hardwareType: UInt16?
    public var linkLayerAddress: [UInt8]?
    /// DUID-LLT: seconds since midnight UTC, January 1, 2000.
    public var time: UInt32?
    /// DUID-EN: the enterprise number and its identifier.
    public var enterprise: UInt32?
    public var identifier: [UInt8]?
    /// DUID-UUID: the 16 bytes of the UUID.
    public var uuid: [UInt8]?

    /// The contract's name of the type: LLT, EN, LL, UUID, or the number.
    public var typeName: String {
        switch type {
        case 1: "LLT"
        case 2: "EN"
        case 3: "LL"
        case 4: "UUID"
        default: String(type)
        }
    }

    /// Reads a DUID; nil when it is shorter than its type's fixed fields (a UUID must be exactly 16 bytes).
    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= 2 else { return nil }
        type = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let rest = Array(bytes[2...])
        switch type {
        case 1:
            guard rest.count >= 6 else { return nil }
            hardwareType = UInt16(rest[0]) << 8 | UInt16(rest[1])
            time = rest[2..<6].reduce(0) { $0 << 8 | UInt32($1) }
            linkLayerAddress = Array(rest[6...])
        case 2:
            guard rest.count >= 4 else { return nil }
            enterprise = rest[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
            identifier = Array(rest[4...])
        case 3:
            guard rest.count >= 2 else { return nil }
            hardwareType = UInt16(rest[0]) << 8 | UInt16(rest[1])
            linkLayerAddress = Array(rest[2...])
        case 4:
            guard rest.count == 16 else { return nil }
            uuid = rest
        default:
            identifier = rest
        }
    }

    /// The MAC a DUID-LLT or DUID-LL of an Ethernet interface (hardware type 1, six bytes) gives.
    public var mac: MACAddress? {
        guard hardwareType == 1, let address = linkLayerAddress, address.count == 6 else { return nil }
        return MACAddress(bytes: address)
    }
}

/// What a DHCPv6 option says, read by its shape in `DHCPv6OptionTable`. Options that hold options give their own
/// fields here; what they hold is read with `DHCPv6Option.suboptions`.
public enum DHCPv6OptionValue: Hashable, Sendable {
    case duid(DHCPv6DUID)
    case identityAssociation(iaid: UInt32, t1: UInt32, t2: UInt32)
    case temporaryAssociation(iaid: UInt32)
    case address(IPv6Address, preferredLifetime: UInt32, validLifetime: UInt32)
    case prefix(IPv6Address, length: UInt8, preferredLifetime: UInt32, validLifetime: UInt32)
    case optionCodes([UInt16])
    case number(UInt32)
    /// Elapsed time in hundredths of a second.
    case elapsedTime(UInt16)
    case addresses([IPv6Address])
    case status(code: UInt16, message: String)
    case empty
    case enterprise(number: UInt32, data: [UInt8])
    case text(String)
    /// DNS names, without the root's trailing dot.
    case names([String])
    /// Client FQDN: its flags (S, O, N) and its name (partial when it does not end at the root).
    case fqdn(flags: UInt8, name: String)
    /// The option's bytes, for shapes not read further (and relay messages, read with `relayedMessage`).
    case bytes([UInt8])

    /// The value of `option`; nil when its data does not fit its shape (the option is then shown as bytes).
    public init?(_ option: DHCPv6Option) {
        let data = option.data
        func word(_ at: Int) -> UInt32 { data[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        func half(_ at: Int) -> UInt16 { UInt16(data[at]) << 8 | UInt16(data[at + 1]) }
        func address(_ at: Int) -> IPv6Address { data.withUnsafeBytes { IPv6Address($0, at: at) } }
        let shape = DHCPv6OptionTable.definition(option.code)?.shape ?? .opaque
        if let fixed = shape.optionsOffset, data.count < fixed { return nil }
        switch shape {
        case .duid:
            guard let duid = DHCPv6DUID(data) else { return nil }
            self = .duid(duid)
        case .identityAssociation: self = .identityAssociation(iaid: word(0), t1: word(4), t2: word(8))
        case .temporaryAssociation: self = .temporaryAssociation(iaid: word(0))
        case .address: self = .address(address(0), preferredLifetime: word(16), validLifetime: word(20))
        case .prefix: self = .prefix(address(9), length: data[8], preferredLifetime: word(0), validLifetime: word(4))
        case .optionCodes:
            guard data.count % 2 == 0 else { return nil }
            self = .optionCodes(stride(from: 0, to: data.count, by: 2).map(half))
        case .uint8:
            guard data.count == 1 else { return nil }
            self = .number(UInt32(data[0]))
        case .uint16:
            guard data.count == 2 else { return nil }
            self = .number(UInt32(half(0)))
        case .uint32:
            guard data.count == 4 else { return nil }
            self = .number(word(0))
        case .elapsedTime:
            guard data.count == 2 else { return nil }
            self = .elapsedTime(half(0))
        case .ipv6:
            guard data.count == 16 else { return nil }
            self = .addresses([address(0)])
        case .ipv6List:
            guard data.count % 16 == 0 else { return nil }
            self = .addresses(stride(from: 0, to: data.count, by: 16).map(address))
        case .statusCode:
            guard data.count >= 2 else { return nil }
            self = .status(code: half(0), message: String(decoding: data[2...], as: UTF8.self))
        case .empty:
            guard data.isEmpty else { return nil }
            self = .empty
        case .enterprise:
            guard data.count >= 4 else { return nil }
            self = .enterprise(number: word(0), data: Array(data[4...]))
        case .text: self = .text(String(decoding: data, as: UTF8.self))
        case .domainList:
            var names = [String]()
            do { try DomainName.forEachName(data) { names.append(String(decoding: $0, as: UTF8.self)) } } catch { return nil }
            self = .names(names)
        case .domainName:
            guard let name = try? DomainName.decodeOne(data, allowPartial: false) else { return nil }
            self = .names([String(decoding: name, as: UTF8.self)])
        case .fqdn:
            guard let flags = data.first, let name = try? DomainName.decodeOne(Array(data.dropFirst()), allowPartial: true)
            else { return nil }
            self = .fqdn(flags: flags, name: String(decoding: name, as: UTF8.self))
        case .message, .opaque: self = .bytes(data)
        }
    }

    /// RFC 8415 §21.13's status code names (and the leasequery and other registry entries), for text and JSON.
    public static func statusName(_ code: UInt16) -> String {
        let names = [
            "Success", "UnspecFail", "NoAddrsAvail", "NoBinding", "NotOnLink", "UseMulticast", "NoPrefixAvail",
            "UnknownQueryType", "MalformedQuery", "NotConfigured", "NotAllowed", "QueryTerminated",
            "DataMissing", "CatchUpComplete", "NotSupported", "TLSConnectionRefused", "AddressInUse",
            "ConfigurationConflict", "MissingBindingInformation", "OutdatedBindingInformation",
            "ServerShuttingDown", "DNSUpdateNotSupported", "ExcessiveTimeSkew",
        ]
        return Int(code) < names.count ? names[Int(code)] : String(code)
    }
}
