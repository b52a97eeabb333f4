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
        guard let hardwareType, let address = linkLayerAddress else { return nil }
        return address.withUnsafeBytes { Self.ethernetMAC(hardwareType: hardwareType, address: $0) }
    }

    /// The MAC of a DUID read in place (the analyzer's path): its link-layer address when it is an Ethernet one.
    public static func mac(of duid: UnsafeRawBufferPointer) -> MACAddress? {
        guard duid.count >= 4 else { return nil }
        let at: Int
        switch DHCPv6Bytes.half(duid, 0) {
        case 1: at = 8
        case 3: at = 4
        default: return nil
        }
        guard duid.count >= at else { return nil }
        return ethernetMAC(hardwareType: DHCPv6Bytes.half(duid, 2), address: UnsafeRawBufferPointer(rebasing: duid[at...]))
    }

    /// RFC 826 hardware type 1 (Ethernet) with a six-byte address.
    static func ethernetMAC(hardwareType: UInt16, address: UnsafeRawBufferPointer) -> MACAddress? {
        guard hardwareType == 1, address.count == 6 else { return nil }
        return MACAddress(address, at: 0)
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
    /// An enterprise and its data (remote-id: the relay's enterprise number and the remote-id it assigns).
    case enterprise(number: UInt32, data: [UInt8])
    /// Vendor class: the enterprise and its opaque items.
    case vendorClass(enterprise: UInt32, items: [[UInt8]])
    /// Vendor options: the enterprise and its options (codes the vendor defines, not the table).
    case vendorOptions(enterprise: UInt32, options: [DHCPv6Option])
    /// Opaque items (user class).
    case opaqueList([[UInt8]])
    /// Text items (boot file parameters).
    case textList([String])
    /// 16-bit numbers (client architecture types).
    case numbers([UInt16])
    /// NTP servers, each by address, multicast address or FQDN.
    case ntpServers([DHCPv6NTPServer])
    /// A client's link-layer address and its hardware type (RFC 826 numbers: 1 is Ethernet).
    case linkLayerAddress(hardwareType: UInt16, address: [UInt8])
    /// The excluded prefix's length and the bits of its subnet ID (RFC 6603 §4.2), left-aligned.
    case pdExclude(length: UInt8, subnetID: [UInt8])
    /// Authentication (RFC 8415 §21.11).
    case authentication(protocol: UInt8, algorithm: UInt8, rdm: UInt8, replayDetection: UInt64, information: [UInt8])
    case text(String)
    /// DNS names, without the root's trailing dot.
    case names([String])
    /// Client FQDN: its flags (S, O, N) and its name (partial when it does not end at the root).
    case fqdn(flags: UInt8, name: String)
    /// The option's bytes, for shapes not read further (and relay messages, read with `relayedMessage`).
    case bytes([UInt8])

    /// The value of `option`; nil when its data does not fit its shape (the option is then shown as bytes).
    public init?(_ option: DHCPv6Option) {
        guard let value = option.data.withUnsafeBytes({ Self(code: option.code, data: $0) }) else { return nil }
        self = value
    }

    /// The value of option `code` whose data is `data`, read in place (the analyzer reads options so, without copying
    /// them out of the message): the one reading of each shape.
    public init?(code: UInt16, data: UnsafeRawBufferPointer) {
        func word(_ at: Int) -> UInt32 { DHCPv6Bytes.word(data, at) }
        func half(_ at: Int) -> UInt16 { DHCPv6Bytes.half(data, at) }
        func address(_ at: Int) -> IPv6Address { IPv6Address(data, at: at) }
        func rest(_ from: Int) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: data[from...])) }
        let shape = DHCPv6OptionTable.definition(code)?.shape ?? .opaque
        if let fixed = shape.optionsOffset, data.count < fixed { return nil }
        switch shape {
        case .duid:
            guard let duid = DHCPv6DUID(Array(data)) else { return nil }
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
            self = .status(code: half(0), message: String(decoding: UnsafeRawBufferPointer(rebasing: data[2...]), as: UTF8.self))
        case .empty:
            guard data.isEmpty else { return nil }
            self = .empty
        case .enterprise:
            guard data.count >= 4 else { return nil }
            self = .enterprise(number: word(0), data: rest(4))
        case .vendorClass:
            guard data.count >= 4, let items = Self.lengthPrefixed(UnsafeRawBufferPointer(rebasing: data[4...])) else { return nil }
            self = .vendorClass(enterprise: word(0), items: items)
        case .vendorOptions:
            guard data.count >= 4,
                  let options = try? DHCPv6Message.parseOptions(data, from: 4, base: 0) else { return nil }
            self = .vendorOptions(enterprise: word(0), options: options)
        case .opaqueList:
            guard let items = Self.lengthPrefixed(data) else { return nil }
            self = .opaqueList(items)
        case .textList:
            guard let items = Self.lengthPrefixed(data) else { return nil }
            self = .textList(items.map { String(decoding: $0, as: UTF8.self) })
        case .uint16List:
            guard data.count % 2 == 0, !data.isEmpty else { return nil }
            self = .numbers(stride(from: 0, to: data.count, by: 2).map(half))
        case .ntpServer:
            guard let options = try? DHCPv6Message.parseOptions(data, from: 0, base: 0) else { return nil }
            self = .ntpServers(options.map(DHCPv6NTPServer.init))
        case .linkLayerAddress:
            guard data.count >= 2 else { return nil }
            self = .linkLayerAddress(hardwareType: half(0), address: rest(2))
        case .pdExclude:
            guard let length = data.first, length > 0, length <= 128 else { return nil }
            self = .pdExclude(length: length, subnetID: rest(1))
        case .authentication:
            guard data.count >= 11 else { return nil }
            let replay = UInt64(word(3)) << 32 | UInt64(word(7))
            self = .authentication(protocol: data[0], algorithm: data[1], rdm: data[2], replayDetection: replay,
                                   information: rest(11))
        case .text: self = .text(String(decoding: data, as: UTF8.self))
        case .domainList:
            var names = [String]()
            do { try DomainName.forEachName(Array(data)) { names.append(String(decoding: $0, as: UTF8.self)) } } catch { return nil }
            self = .names(names)
        case .domainName:
            guard let name = try? DomainName.decodeOne(Array(data), allowPartial: false) else { return nil }
            self = .names([String(decoding: name, as: UTF8.self)])
        case .fqdn:
            guard let flags = data.first, let name = try? DomainName.decodeOne(rest(1), allowPartial: true) else { return nil }
            self = .fqdn(flags: flags, name: String(decoding: name, as: UTF8.self))
        case .message, .opaque: self = .bytes(Array(data))
        }
    }

    /// Items each preceded by a 16-bit length (RFC 8415 §21.15, §21.16; RFC 5970 §3.2); nil when one runs past the end.
    static func lengthPrefixed(_ data: UnsafeRawBufferPointer) -> [[UInt8]]? {
        var items = [[UInt8]](), at = 0
        while at < data.count {
            guard data.count - at >= 2 else { return nil }
            let length = Int(data[at]) << 8 | Int(data[at + 1])
            guard data.count - at - 2 >= length else { return nil }
            items.append(Array(UnsafeRawBufferPointer(rebasing: data[(at + 2)..<(at + 2 + length)])))
            at += 2 + length
        }
        return items
    }

    /// The MAC a client identifier or link-layer address option gives (an Ethernet address), if any.
    public var mac: MACAddress? {
        switch self {
        case .duid(let duid): duid.mac
        case let .linkLayerAddress(hardwareType, address):
            address.withUnsafeBytes { DHCPv6DUID.ethernetMAC(hardwareType: hardwareType, address: $0) }
        default: nil
        }
    }

    /// The MAC option 79's data gives, read in place.
    public static func mac(ofLinkLayerAddress data: UnsafeRawBufferPointer) -> MACAddress? {
        guard data.count >= 2 else { return nil }
        return DHCPv6DUID.ethernetMAC(hardwareType: DHCPv6Bytes.half(data, 0), address: UnsafeRawBufferPointer(rebasing: data[2...]))
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

/// One server of an NTP server option (RFC 5908 §4): by unicast address (suboption 1), multicast address (2) or FQDN
/// (3); another suboption keeps its bytes.
public enum DHCPv6NTPServer: Hashable, Sendable {
    case address(IPv6Address)
    case multicast(IPv6Address)
    case fqdn(String)
    case other(DHCPv6Option)

    init(_ option: DHCPv6Option) {
        let data = option.data
        switch option.code {
        case 1 where data.count == 16: self = .address(data.withUnsafeBytes { IPv6Address($0, at: 0) })
        case 2 where data.count == 16: self = .multicast(data.withUnsafeBytes { IPv6Address($0, at: 0) })
        case 3:
            if let name = try? DomainName.decodeOne(data, allowPartial: false) {
                self = .fqdn(String(decoding: name, as: UTF8.self))
            } else {
                self = .other(option)
            }
        default: self = .other(option)
        }
    }
}

/// Big-endian numbers read in place.
enum DHCPv6Bytes {
    @inline(__always)
    static func half(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
    @inline(__always)
    static func word(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
}
