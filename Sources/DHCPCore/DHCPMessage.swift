/// A DHCPv4 / BOOTP message (RFC 2131 §2, RFC 951). Parsing keeps every byte, so that serializing a parsed
/// message gives back the bytes it came from; options are an ordered list, duplicates and padding included.
public struct DHCPMessage: Hashable, Sendable {
    /// The sname (64 bytes) or file (128 bytes) field: text, or options when option 52 says so.
    public enum Field: Hashable, Sendable {
        case raw([UInt8])
        case options(DHCPOptionArea)
    }

    /// What follows the fixed header.
    public enum VendorArea: Hashable, Sendable {
        /// The message ends with the file field (plain BOOTP without vendor extensions).
        case absent
        /// The magic cookie 99.130.83.99, then options.
        case options(DHCPOptionArea)
        /// Anything else after the header, kept as it was.
        case unknown([UInt8])
    }

    public static let magicCookie: UInt32 = 0x6382_5363
    public static let headerLength = 236
    public static let bootRequest: UInt8 = 1
    public static let bootReply: UInt8 = 2

    /// `op`: 1 BOOTREQUEST, 2 BOOTREPLY.
    public var op: UInt8
    /// `htype`: hardware address type (1 Ethernet).
    public var htype: UInt8
    /// `hlen`: hardware address length, as sent (may exceed 16 in a malformed message).
    public var hlen: UInt8
    /// `hops`: relay agents passed.
    public var hops: UInt8
    /// `xid`: transaction ID.
    public var xid: UInt32
    /// `secs`: seconds since the client began.
    public var secs: UInt16
    /// `flags`: bit 15 is the broadcast bit.
    public var flags: UInt16
    /// `ciaddr`: client address, when the client has one.
    public var clientAddress: IPv4Address
    /// `yiaddr`: the address offered or assigned.
    public var yourAddress: IPv4Address
    /// `siaddr`: next server for bootstrap.
    public var serverAddress: IPv4Address
    /// `giaddr`: relay agent address.
    public var relayAddress: IPv4Address
    /// `chaddr`: all 16 bytes of the field.
    public var chaddr: [UInt8]
    /// `sname`.
    public var sname: Field
    /// `file`.
    public var file: Field
    public var vendor: VendorArea

    public init(
        op: UInt8, htype: UInt8 = 1, hlen: UInt8 = 6, hops: UInt8 = 0, xid: UInt32, secs: UInt16 = 0,
        flags: UInt16 = 0, clientAddress: IPv4Address = .any, yourAddress: IPv4Address = .any,
        serverAddress: IPv4Address = .any, relayAddress: IPv4Address = .any, chaddr: [UInt8],
        sname: Field = .raw(zeroSname), file: Field = .raw(zeroFile),
        options: [DHCPOption]
    ) {
        self.op = op; self.htype = htype; self.hlen = hlen; self.hops = hops; self.xid = xid; self.secs = secs
        self.flags = flags; self.clientAddress = clientAddress; self.yourAddress = yourAddress
        self.serverAddress = serverAddress; self.relayAddress = relayAddress
        self.chaddr = chaddr.count == 16 ? chaddr : Array((chaddr + [UInt8](repeating: 0, count: 16)).prefix(16))
        self.sname = sname; self.file = file
        self.vendor = .absent
        setOptions(options)
    }

    /// Replaces the options field: long options are split (RFC 3396), the end option added,
    /// and the message padded to the 300 bytes that BOOTP relays expect (RFC 1542 §2.1).
    public mutating func setOptions(_ options: [DHCPOption]) {
        var area = DHCPOptionArea(options: options)
        let total = Self.headerLength + 4 + area.byteCount
        if total < 300 { area.trailer = [UInt8](repeating: 0, count: 300 - total) }
        vendor = .options(area)
    }

    // MARK: views

    /// The client hardware address: the first hlen bytes of chaddr (at most 16).
    public var hardwareAddress: ArraySlice<UInt8> { chaddr.prefix(Int(min(hlen, 16))) }

    /// The Ethernet address, when htype is 1 and hlen 6.
    public var clientMAC: MACAddress? {
        guard htype == 1, hlen == 6, chaddr.count >= 6 else { return nil }
        return chaddr.withUnsafeBytes { MACAddress($0, at: 0) }
    }

    /// Every option instance in RFC 2131 order: the options field, then file, then sname when overloaded.
    public var optionInstances: [DHCPOptionInstance] {
        var instances = [DHCPOptionInstance]()
        forEachInstance { location, option in instances.append(DHCPOptionInstance(location: location, option: option)) }
        return instances
    }

    /// Walks the option instances in RFC 2131 order, in place.
    private func forEachInstance(_ body: (DHCPOptionLocation, DHCPOption) -> Void) {
        guard case .options(let main) = vendor else { return }
        func walk(_ area: DHCPOptionArea, _ location: DHCPOptionLocation) {
            for element in area.elements { if case .option(let option) = element { body(location, option) } }
        }
        walk(main, .options)
        if case .options(let area) = file { walk(area, .file) }
        if case .options(let area) = sname { walk(area, .sname) }
    }

    /// The options as RFC 3396 reads them — every instance of a code concatenated, in first-seen order — with how
    /// many instances each had and where the first was. The one place the concatenation is done.
    public var concatenatedOptions: [DHCPConcatenatedOption] {
        var merged = [DHCPConcatenatedOption]()
        forEachInstance { location, option in
            if let index = merged.firstIndex(where: { $0.option.code == option.code }) {
                merged[index].add(option)
            } else {
                merged.append(DHCPConcatenatedOption(option: option, instances: 1, location: location))
            }
        }
        return merged
    }

    /// The options as RFC 3396 reads them: every instance of a code concatenated, in first-seen order.
    public var options: [DHCPOption] { concatenatedOptions.map(\.option) }

    /// The concatenated data of `code`, nil when absent. Walks the fields in place: no option list is built.
    public func option(_ code: DHCPOptionCode) -> DHCPOption? {
        var found: DHCPConcatenatedOption?
        forEachInstance { location, option in
            guard option.code == code else { return }
            if found == nil { found = DHCPConcatenatedOption(option: option, instances: 1, location: location) } else { found?.add(option) }
        }
        return found?.option
    }

    /// The text of sname or file up to the first NUL, or "" when the field holds options.
    public static func text(of field: Field) -> String {
        guard case .raw(let bytes) = field else { return "" }
        return fieldText(bytes)
    }

    /// The text of an sname or file field: up to the first NUL, as option text is read.
    static func fieldText(_ bytes: some Collection<UInt8>) -> String { DHCPOptionShape.text(bytes.prefix(while: { $0 != 0 })) }
}

extension DHCPMessage: DHCPMessageFields {
    public func withOptionData<R>(_ code: DHCPOptionCode, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        option(code).map { $0.data.withUnsafeBytes(body) }
    }

    public func withHardwareAddress<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        hardwareAddress.withUnsafeBytes(body)
    }
}

extension DHCPMessageView: DHCPMessageFields {
    @inlinable
    public func withOptionData<R>(_ code: DHCPOptionCode, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        optionData(code).map(body)
    }

    @inlinable
    public func withHardwareAddress<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { body(hardwareAddress) }

    /// The RFC 3396 data of `code`, copied; nil when absent.
    public func option(_ code: DHCPOptionCode) -> DHCPOption? { optionData(code).map { DHCPOption(code, Array($0)) } }
}

/// What every reader of a DHCP message sees, whether the message is owned (`DHCPMessage`) or read in place
/// (`DHCPMessageView`): the RFC rules that read messages are written once, against this.
public protocol DHCPMessageFields {
    var op: UInt8 { get }
    var htype: UInt8 { get }
    var hlen: UInt8 { get }
    var hops: UInt8 { get }
    var xid: UInt32 { get }
    var secs: UInt16 { get }
    var flags: UInt16 { get }
    var clientAddress: IPv4Address { get }
    var yourAddress: IPv4Address { get }
    var serverAddress: IPv4Address { get }
    var relayAddress: IPv4Address { get }
    /// `body` applied to the RFC 3396 data of `code`; nil when the option is absent.
    func withOptionData<R>(_ code: DHCPOptionCode, _ body: (UnsafeRawBufferPointer) -> R) -> R?
    /// `body` applied to the first hlen bytes of chaddr (at most 16).
    func withHardwareAddress<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R
}

extension DHCPMessageFields {
    @inlinable public var isBroadcast: Bool { flags & 0x8000 != 0 }

    @inlinable public func hasOption(_ code: DHCPOptionCode) -> Bool { withOptionData(code) { _ in true } ?? false }

    /// Option 53; nil for plain BOOTP.
    @inlinable public var messageType: DHCPMessageType? {
        withOptionData(.messageType) { $0.count == 1 ? DHCPMessageType(rawValue: $0[0]) : nil } ?? nil
    }

    /// The message name of every output: the option 53 name, else BOOTREQUEST / BOOTREPLY.
    public var typeName: String {
        if let type = messageType { return type.description }
        return op == DHCPMessage.bootReply ? "BOOTREPLY" : "BOOTREQUEST"
    }

    @inlinable public var serverIdentifier: IPv4Address? { address(.serverIdentifier) }
    @inlinable public var requestedAddress: IPv4Address? { address(.requestedAddress) }
    @inlinable public var leaseTime: UInt32? { uint32(.leaseTime) }
    @inlinable public var renewalTime: UInt32? { uint32(.renewalTime) }
    @inlinable public var rebindingTime: UInt32? { uint32(.rebindingTime) }
    public var clientIdentifier: [UInt8]? { withOptionData(.clientIdentifier) { Array($0) } }
    public var hostName: String? { text(.hostName) }

    /// An option the table reads as text (12 host name, 15 domain name, 56 message …), read as the table reads it;
    /// nil when absent.
    public func text(_ code: DHCPOptionCode) -> String? { withOptionData(code) { DHCPOptionShape.text($0) } }

    /// An option the table reads as a list of addresses (3 routers, 6 DNS servers …); nil when absent or not a
    /// non-empty multiple of four bytes.
    public func addressList(_ code: DHCPOptionCode) -> [IPv4Address]? {
        withOptionData(code) { Self.isAddressList($0) ? DHCPOptionShape.addressList($0) : nil } ?? nil
    }

    /// The first address of `addressList(code)`, without building the list.
    public func firstAddress(in code: DHCPOptionCode) -> IPv4Address? {
        withOptionData(code) { Self.isAddressList($0) ? IPv4Address($0, at: 0) : nil } ?? nil
    }

    private static func isAddressList(_ data: UnsafeRawBufferPointer) -> Bool { data.count >= 4 && data.count % 4 == 0 }

    /// The typed value of `code`: nil when absent or malformed (use `withOptionData` and the table to tell apart).
    public func value(_ code: DHCPOptionCode) -> DHCPOptionValue? {
        withOptionData(code) { data in (try? DHCPOption(code, Array(data)).value()) ?? nil } ?? nil
    }

    @inlinable func address(_ code: DHCPOptionCode) -> IPv4Address? {
        withOptionData(code) { $0.count == 4 ? IPv4Address($0, at: 0) : nil } ?? nil
    }

    @inlinable func uint32(_ code: DHCPOptionCode) -> UInt32? {
        withOptionData(code) { $0.count == 4 ? IPv4Address($0, at: 0).rawValue : nil } ?? nil
    }
}
