/// The wire shape of an option value: how its bytes become a `DHCPOptionValue` and back.
public enum DHCPOptionShape: Sendable, Hashable {
    case ipv4, ipv4List, ipv4Pairs
    case uint8, uint16, uint32, int32, uint16List
    case bool
    /// Zero-length option whose presence is the information (rapid commit, RFC 4039).
    case flag
    case text
    case bytes
    /// One byte naming one of a list of values.
    case named([UInt32: String])
    case optionCodes
    case clientIdentifier
    case relayAgentInformation
    case domainList
    case classlessRoutes
    case clientFQDN
    case userClass
    case vendorIdentifyingClass
    case vendorIdentifyingOptions
    case networkInterfaceIdentifier
    case machineIdentifier
    case statusCode
    case sipServers
    /// Option 43: code/length/data items when the bytes parse as such (RFC 2132 §8.4 SHOULD), else opaque; 63's
    /// NetWare/IP suboptions have the same form (RFC 2242).
    case vendorEncapsulated
    /// Fixed fields in order, the last possibly taking the rest (78, 79, 90, 159): a record of those names.
    case structure([StructureField])

    public struct StructureField: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            case uint8, uint16, uint32, uint64
            /// One byte, 0 or 1.
            case flag
            /// The rest of the option: bytes, text, or IPv4 addresses.
            case restBytes, restText, restAddresses
        }

        public var name: String
        public var kind: Kind
        public init(_ name: String, _ kind: Kind) { self.name = name; self.kind = kind }
    }

    // MARK: decoding

    /// The value of `data` as a tree.
    public func decode(_ data: [UInt8]) throws(DHCPValueError) -> DHCPOptionValue {
        var tree = DHCPValueTree()
        try decode(data, into: &tree)
        return tree.value
    }

    /// Reads `data` by this shape and hands the value to `sink`, piece by piece: the one decoder of every shape.
    public func decode<Sink: DHCPValueSink>(_ data: [UInt8], into sink: inout Sink) throws(DHCPValueError) {
        switch self {
        case .ipv4:
            try Self.expectLength(data, 4)
            sink.ipv4(Self.address(data, 0))
        case .ipv4List:
            try Self.expectMultiple(data, of: 4, minimum: 4)
            sink.beginList()
            for offset in stride(from: 0, to: data.count, by: 4) { sink.ipv4(Self.address(data, offset)) }
            sink.endList()
        case .ipv4Pairs:
            try Self.expectMultiple(data, of: 8, minimum: 8)
            sink.beginList()
            for offset in stride(from: 0, to: data.count, by: 8) {
                sink.beginRecord()
                sink.field("address"); sink.ipv4(Self.address(data, offset))
                sink.field("mask_or_router"); sink.ipv4(Self.address(data, offset + 4))
                sink.endRecord()
            }
            sink.endList()
        case .uint8:
            try Self.expectLength(data, 1)
            sink.unsigned(UInt64(data[0]))
        case .uint16:
            try Self.expectLength(data, 2)
            sink.unsigned(UInt64(Self.uint16(data, 0)))
        case .uint32:
            try Self.expectLength(data, 4)
            sink.unsigned(UInt64(Self.uint32(data, 0)))
        case .int32:
            try Self.expectLength(data, 4)
            sink.signed(Int64(Int32(bitPattern: Self.uint32(data, 0))))
        case .uint16List:
            try Self.expectMultiple(data, of: 2, minimum: 2)
            sink.beginList()
            for offset in stride(from: 0, to: data.count, by: 2) { sink.unsigned(UInt64(Self.uint16(data, offset))) }
            sink.endList()
        case .bool:
            try Self.expectLength(data, 1)
            guard data[0] <= 1 else { throw DHCPValueError("flag byte \(data[0]) is neither 0 nor 1") }
            sink.bool(data[0] == 1)
        case .flag:
            try Self.expectLength(data, 0)
            sink.bool(true)
        case .text:
            sink.text(bytes: data[...])
        case .bytes:
            sink.bytes(data[...])
        case .named(let names):
            try Self.expectLength(data, 1)
            sink.named(code: UInt32(data[0]), name: names[UInt32(data[0])])
        case .optionCodes:
            sink.beginList()
            for code in data { sink.unsigned(UInt64(code)) }
            sink.endList()
        case .clientIdentifier:
            try Self.decodeClientIdentifier(data, into: &sink)
        case .relayAgentInformation:
            try RelayAgentInformation.decode(data, into: &sink)
        case .domainList:
            sink.beginList()
            try DHCPValueError.wrapping { () throws(DomainNameError) in try DomainName.forEachName(data) { sink.text(bytes: $0) } }
            sink.endList()
        case .classlessRoutes:
            try Self.decodeClasslessRoutes(data, into: &sink)
        case .clientFQDN:
            try Self.decodeClientFQDN(data, into: &sink)
        case .userClass:
            Self.decodeUserClass(data, into: &sink)
        case .vendorIdentifyingClass:
            try Self.decodeVendorIdentifying(data, suboptions: false, into: &sink)
        case .vendorIdentifyingOptions:
            try Self.decodeVendorIdentifying(data, suboptions: true, into: &sink)
        case .networkInterfaceIdentifier:
            try Self.expectLength(data, 3)
            sink.beginRecord()
            sink.field("type"); sink.unsigned(UInt64(data[0]))
            sink.field("major"); sink.unsigned(UInt64(data[1]))
            sink.field("minor"); sink.unsigned(UInt64(data[2]))
            sink.endRecord()
        case .machineIdentifier:
            guard data.count >= 1 else { throw DHCPValueError("empty machine identifier") }
            sink.beginRecord()
            sink.field("type"); sink.unsigned(UInt64(data[0]))
            sink.field("id"); sink.bytes(data[1...])
            sink.endRecord()
        case .statusCode:
            guard data.count >= 1 else { throw DHCPValueError("empty status code") }
            sink.beginRecord()
            sink.field("code"); sink.unsigned(UInt64(data[0]))
            sink.field("message"); sink.text(bytes: data[1...])
            sink.endRecord()
        case .vendorEncapsulated:
            try Self.decodeVendorEncapsulated(data, into: &sink)
        case .structure(let fields):
            try Self.decodeStructure(data, fields, into: &sink)
        case .sipServers:
            guard let encoding = data.first else { throw DHCPValueError("empty SIP server option") }
            let rest = Array(data[1...])
            switch encoding {
            case 0:
                sink.beginRecord()
                sink.field("names")
                sink.beginList()
                try DHCPValueError.wrapping { () throws(DomainNameError) in try DomainName.forEachName(rest) { sink.text(bytes: $0) } }
                sink.endList()
                sink.endRecord()
            case 1:
                try Self.expectMultiple(rest, of: 4, minimum: 4)
                sink.beginRecord()
                sink.field("addresses")
                sink.beginList()
                for offset in stride(from: 0, to: rest.count, by: 4) { sink.ipv4(Self.address(rest, offset)) }
                sink.endList()
                sink.endRecord()
            default: throw DHCPValueError("unknown SIP server encoding \(encoding)")
            }
        }
    }

    // MARK: encoding

    /// The option bytes for `value`; nil when the value does not have this shape.
    public func encode(_ value: DHCPOptionValue) -> [UInt8]? {
        var out = [UInt8]()
        switch (self, value) {
        case (.ipv4, .ipv4(let address)):
            address.append(to: &out)
        case (.ipv4List, .list(let items)):
            for item in items {
                guard case .ipv4(let address) = item else { return nil }
                address.append(to: &out)
            }
        case (.ipv4Pairs, .list(let items)):
            for item in items {
                guard case .ipv4(let first)? = item[field: "address"],
                      case .ipv4(let second)? = item[field: "mask_or_router"] else { return nil }
                first.append(to: &out); second.append(to: &out)
            }
        case (.uint8, .unsigned(let number)) where number <= 0xFF:
            out.append(UInt8(number))
        case (.uint16, .unsigned(let number)) where number <= 0xFFFF:
            Self.append16(UInt16(number), to: &out)
        case (.uint32, .unsigned(let number)) where number <= 0xFFFF_FFFF:
            Self.append32(UInt32(number), to: &out)
        case (.int32, .signed(let number)) where number >= Int64(Int32.min) && number <= Int64(Int32.max):
            Self.append32(UInt32(bitPattern: Int32(number)), to: &out)
        case (.uint16List, .list(let items)):
            for item in items {
                guard case .unsigned(let number) = item, number <= 0xFFFF else { return nil }
                Self.append16(UInt16(number), to: &out)
            }
        case (.bool, .bool(let flag)):
            out.append(flag ? 1 : 0)
        case (.flag, .bool(true)):
            break
        case (.text, .text(let string)):
            out.append(contentsOf: string.utf8)
        case (.bytes, .bytes(let bytes)), (.vendorEncapsulated, .bytes(let bytes)):
            out = bytes
        case (.vendorEncapsulated, .list(let items)):
            for item in items {
                guard case .unsigned(let code)? = item[field: "code"], code > 0, code < 255,
                      case .bytes(let data)? = item[field: "data"], data.count <= 0xFF else { return nil }
                out.append(UInt8(code)); out.append(UInt8(data.count)); out.append(contentsOf: data)
            }
        case (.named, .named(let code, _)) where code <= 0xFF:
            out.append(UInt8(code))
        case (.optionCodes, .list(let items)):
            for item in items {
                guard case .unsigned(let number) = item, number <= 0xFF else { return nil }
                out.append(UInt8(number))
            }
        case (.clientIdentifier, _):
            return Self.encodeClientIdentifier(value)
        case (.relayAgentInformation, _):
            return RelayAgentInformation.encode(value)
        case (.domainList, .list(let items)):
            var names = [String]()
            for item in items {
                guard case .text(let name) = item else { return nil }
                names.append(name)
            }
            return DomainName.encodeList(names)
        case (.classlessRoutes, .list(let items)):
            for item in items {
                guard case .prefix(let destination, let width)? = item[field: "destination"],
                      case .ipv4(let router)? = item[field: "router"], (0...32).contains(width) else { return nil }
                out.append(UInt8(width))
                out.append(contentsOf: destination.octets.prefix((width + 7) / 8))
                router.append(to: &out)
            }
        case (.clientFQDN, _):
            return Self.encodeClientFQDN(value)
        case (.userClass, .list(let items)):
            for item in items {
                guard let bytes = Self.textOrBytesPayload(item), bytes.count <= 0xFF else { return nil }
                out.append(UInt8(bytes.count)); out.append(contentsOf: bytes)
            }
        case (.userClass, .text(let string)):
            out.append(contentsOf: string.utf8)
        case (.vendorIdentifyingClass, _), (.vendorIdentifyingOptions, _):
            return Self.encodeVendorIdentifying(value, suboptions: self == .vendorIdentifyingOptions)
        case (.networkInterfaceIdentifier, .record):
            for name in ["type", "major", "minor"] {
                guard case .unsigned(let number)? = value[field: name], number <= 0xFF else { return nil }
                out.append(UInt8(number))
            }
        case (.machineIdentifier, .record):
            guard case .unsigned(let type)? = value[field: "type"], type <= 0xFF,
                  case .bytes(let id)? = value[field: "id"] else { return nil }
            out.append(UInt8(type)); out.append(contentsOf: id)
        case (.statusCode, .record):
            guard case .unsigned(let code)? = value[field: "code"], code <= 0xFF,
                  case .text(let message)? = value[field: "message"] else { return nil }
            out.append(UInt8(code)); out.append(contentsOf: message.utf8)
        case (.structure(let fields), .record):
            return Self.encodeStructure(value, fields)
        case (.sipServers, .record):
            if case .list(let names)? = value[field: "names"] {
                out.append(0)
                guard let encoded = Self.encode(.domainList, .list(names)) else { return nil }
                out.append(contentsOf: encoded)
            } else if case .list(let addresses)? = value[field: "addresses"] {
                out.append(1)
                guard let encoded = Self.encode(.ipv4List, .list(addresses)) else { return nil }
                out.append(contentsOf: encoded)
            } else { return nil }
        default:
            return nil
        }
        return out
    }

    private static func encode(_ shape: DHCPOptionShape, _ value: DHCPOptionValue) -> [UInt8]? { shape.encode(value) }

    // MARK: composite shapes

    private static func decodeStructure(_ data: [UInt8], _ fields: [StructureField], into sink: inout some DHCPValueSink)
        throws(DHCPValueError) {
        var index = 0
        sink.beginRecord()
        for field in fields {
            func take(_ count: Int) throws(DHCPValueError) -> UInt64 {
                guard index + count <= data.count else {
                    throw DHCPValueError("\(field.name) needs \(count) bytes at byte \(index), the option has \(data.count)")
                }
                defer { index += count }
                return data[index..<(index + count)].reduce(0) { $0 << 8 | UInt64($1) }
            }
            sink.field(field.name)
            switch field.kind {
            case .uint8: sink.unsigned(try take(1))
            case .uint16: sink.unsigned(try take(2))
            case .uint32: sink.unsigned(try take(4))
            case .uint64: sink.unsigned(try take(8))
            case .flag:
                let byte = try take(1)
                guard byte <= 1 else { throw DHCPValueError("\(field.name) byte \(byte) is neither 0 nor 1") }
                sink.bool(byte == 1)
            case .restBytes: sink.bytes(data[index...]); index = data.count
            case .restText: sink.text(bytes: data[index...]); index = data.count
            case .restAddresses:
                let rest = Array(data[index...])
                guard rest.count % 4 == 0 else { throw DHCPValueError("\(field.name): \(rest.count) bytes is not a list of addresses") }
                sink.beginList()
                for offset in stride(from: 0, to: rest.count, by: 4) { sink.ipv4(address(rest, offset)) }
                sink.endList()
                index = data.count
            }
        }
        guard index == data.count else { throw DHCPValueError("\(data.count - index) bytes past the last field") }
        sink.endRecord()
    }

    private static func encodeStructure(_ value: DHCPOptionValue, _ fields: [StructureField]) -> [UInt8]? {
        var out = [UInt8]()
        for field in fields {
            guard let item = value[field: field.name] else { return nil }
            func put(_ width: Int) -> Bool {
                guard case .unsigned(let number) = item, width == 8 || number < UInt64(1) << (8 * width) else { return false }
                for shift in stride(from: 8 * (width - 1), through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: number >> UInt64(shift))) }
                return true
            }
            switch (field.kind, item) {
            case (.uint8, _): guard put(1) else { return nil }
            case (.uint16, _): guard put(2) else { return nil }
            case (.uint32, _): guard put(4) else { return nil }
            case (.uint64, _): guard put(8) else { return nil }
            case (.flag, .bool(let flag)): out.append(flag ? 1 : 0)
            case (.restBytes, .bytes(let bytes)): out.append(contentsOf: bytes)
            case (.restText, .text(let string)): out.append(contentsOf: string.utf8)
            case (.restAddresses, .list(let items)):
                for item in items {
                    guard case .ipv4(let address) = item else { return nil }
                    address.append(to: &out)
                }
            default: return nil
            }
        }
        return out
    }

    private static func decodeClientIdentifier(_ data: [UInt8], into sink: inout some DHCPValueSink) throws(DHCPValueError) {
        guard let type = data.first else { throw DHCPValueError("empty client identifier") }
        let rest = data[1...]
        sink.beginRecord()
        sink.field("type"); sink.unsigned(UInt64(type))
        if type == 1, rest.count == 6, let mac = MACAddress(bytes: rest) {
            sink.field("mac"); sink.mac(mac)
        } else if type == 255, rest.count >= 4 {
            // RFC 4361: IAID and DUID.
            sink.field("iaid"); sink.unsigned(UInt64(uint32(data, 1)))
            sink.field("duid"); sink.bytes(rest.dropFirst(4))
        } else {
            sink.field("id"); sink.bytes(rest)
        }
        sink.endRecord()
    }

    private static func encodeClientIdentifier(_ value: DHCPOptionValue) -> [UInt8]? {
        guard case .unsigned(let type)? = value[field: "type"], type <= 0xFF else { return nil }
        var out: [UInt8] = [UInt8(type)]
        if case .text(let text)? = value[field: "mac"], let mac = MACAddress(text) {
            out.append(contentsOf: mac.bytes)
        } else if case .unsigned(let iaid)? = value[field: "iaid"], iaid <= 0xFFFF_FFFF,
                  case .bytes(let duid)? = value[field: "duid"] {
            append32(UInt32(iaid), to: &out); out.append(contentsOf: duid)
        } else if case .bytes(let id)? = value[field: "id"] {
            out.append(contentsOf: id)
        } else { return nil }
        return out
    }

    private static func decodeClasslessRoutes(_ data: [UInt8], into sink: inout some DHCPValueSink) throws(DHCPValueError) {
        var index = 0
        sink.beginList()
        while index < data.count {
            let width = Int(data[index])
            guard width <= 32 else { throw DHCPValueError("route prefix width \(width) is over 32 at byte \(index)") }
            let significant = (width + 7) / 8
            guard index + 1 + significant + 4 <= data.count else {
                throw DHCPValueError("route at byte \(index) runs past the option's end")
            }
            var destination: UInt32 = 0
            for octet in 0..<4 {
                destination = destination << 8 | UInt32(octet < significant ? data[index + 1 + octet] : 0)
            }
            sink.beginRecord()
            sink.field("destination"); sink.prefix(IPv4Address(rawValue: destination), width: width)
            sink.field("router"); sink.ipv4(address(data, index + 1 + significant))
            sink.endRecord()
            index += 1 + significant + 4
        }
        sink.endList()
    }

    private static func decodeClientFQDN(_ data: [UInt8], into sink: inout some DHCPValueSink) throws(DHCPValueError) {
        guard data.count >= 3 else { throw DHCPValueError("client FQDN shorter than 3 bytes") }
        let flags = data[0]
        let rest = Array(data[3...])
        // E bit: canonical wire format (RFC 4702 §2.1); a partial name ends without the root label. Otherwise text.
        let name = flags & 0x04 != 0 ? try DHCPValueError.wrapping { () throws(DomainNameError) in try DomainName.decodeOne(rest, allowPartial: true) } : rest
        sink.beginRecord()
        sink.field("flags"); sink.unsigned(UInt64(flags))
        sink.field("rcode1"); sink.unsigned(UInt64(data[1]))
        sink.field("rcode2"); sink.unsigned(UInt64(data[2]))
        sink.field("name"); sink.text(bytes: name[...])
        sink.endRecord()
    }

    private static func encodeClientFQDN(_ value: DHCPOptionValue) -> [UInt8]? {
        guard case .unsigned(let flags)? = value[field: "flags"], flags <= 0xFF,
              case .unsigned(let rcode1)? = value[field: "rcode1"], rcode1 <= 0xFF,
              case .unsigned(let rcode2)? = value[field: "rcode2"], rcode2 <= 0xFF,
              case .text(let name)? = value[field: "name"] else { return nil }
        var out: [UInt8] = [UInt8(flags), UInt8(rcode1), UInt8(rcode2)]
        if flags & 0x04 != 0 {
            guard let encoded = DomainName.encodeOne(name) else { return nil }
            out.append(contentsOf: encoded)
        } else {
            out.append(contentsOf: name.utf8)
        }
        return out
    }

    /// RFC 3004 user classes (length-prefixed); Microsoft clients send a bare string, kept as text.
    private static func decodeUserClass(_ data: [UInt8], into sink: inout some DHCPValueSink) {
        // Checked whole first: a string that is not a class list is text, and nothing may be emitted before.
        var index = 0
        while index < data.count {
            let length = Int(data[index])
            guard length > 0, index + 1 + length <= data.count else { return sink.text(bytes: data[...]) }
            index += 1 + length
        }
        guard !data.isEmpty else { return sink.text(text(data)) }
        sink.beginList()
        index = 0
        while index < data.count {
            let length = Int(data[index])
            sink.textOrBytes(data[(index + 1)..<(index + 1 + length)])
            index += 1 + length
        }
        sink.endList()
    }

    /// RFC 3925: option 124 (enterprise + opaque class data items) and 125 (enterprise + suboptions).
    private static func decodeVendorIdentifying(_ data: [UInt8], suboptions: Bool, into sink: inout some DHCPValueSink)
        throws(DHCPValueError) {
        var index = 0
        sink.beginList()
        while index < data.count {
            guard index + 5 <= data.count else { throw DHCPValueError("vendor entry at byte \(index) is truncated") }
            let enterprise = uint32(data, index)
            let length = Int(data[index + 4])
            let start = index + 5
            guard start + length <= data.count else {
                throw DHCPValueError("vendor data of enterprise \(enterprise) runs past the option's end")
            }
            sink.beginRecord()
            sink.field("enterprise"); sink.unsigned(UInt64(enterprise))
            sink.field(suboptions ? "suboptions" : "data")
            sink.beginList()
            let end = start + length
            var at = start
            while at < end {
                let headerLength = suboptions ? 2 : 1
                guard at + headerLength <= end else { throw DHCPValueError("vendor item at byte \(at) is truncated") }
                let itemLength = Int(data[at + headerLength - 1])
                let itemStart = at + headerLength
                guard itemStart + itemLength <= end else {
                    throw DHCPValueError("vendor item at byte \(at) runs past its entry")
                }
                let itemData = data[itemStart..<(itemStart + itemLength)]
                if suboptions {
                    sink.beginRecord()
                    sink.field("code"); sink.unsigned(UInt64(data[at]))
                    sink.field("data"); sink.textOrBytes(itemData)
                    sink.endRecord()
                } else {
                    sink.textOrBytes(itemData)
                }
                at = itemStart + itemLength
            }
            sink.endList()
            sink.endRecord()
            index = end
        }
        sink.endList()
    }

    /// Option 43: code/length/data items when the bytes parse as such (RFC 2132 §8.4 SHOULD), else opaque.
    private static func decodeVendorEncapsulated(_ data: [UInt8], into sink: inout some DHCPValueSink) throws(DHCPValueError) {
        // Checked whole first: bytes that are not items are opaque, and nothing may be emitted before.
        var index = 0
        var items = 0
        while index < data.count {
            let code = data[index]
            if code == 0 || code == 255 { index += 1; continue }
            guard index + 1 < data.count, index + 2 + Int(data[index + 1]) <= data.count else { return sink.bytes(data[...]) }
            index += 2 + Int(data[index + 1])
            items += 1
        }
        guard items > 0 else { return sink.bytes(data[...]) }
        sink.beginList()
        index = 0
        while index < data.count {
            let code = data[index]
            if code == 0 || code == 255 { index += 1; continue }
            let end = index + 2 + Int(data[index + 1])
            sink.beginRecord()
            sink.field("code"); sink.unsigned(UInt64(code))
            sink.field("data"); sink.bytes(data[(index + 2)..<end])
            sink.endRecord()
            index = end
        }
        sink.endList()
    }

    private static func encodeVendorIdentifying(_ value: DHCPOptionValue, suboptions: Bool) -> [UInt8]? {
        guard case .list(let vendors) = value else { return nil }
        var out = [UInt8]()
        for vendor in vendors {
            guard case .unsigned(let enterprise)? = vendor[field: "enterprise"], enterprise <= 0xFFFF_FFFF,
                  case .list(let items)? = vendor[field: suboptions ? "suboptions" : "data"] else { return nil }
            var body = [UInt8]()
            for item in items {
                if suboptions {
                    guard case .unsigned(let code)? = item[field: "code"], code <= 0xFF,
                          let field = item[field: "data"], let data = textOrBytesPayload(field), data.count <= 0xFF
                    else { return nil }
                    body.append(UInt8(code)); body.append(UInt8(data.count)); body.append(contentsOf: data)
                } else {
                    guard let data = textOrBytesPayload(item), data.count <= 0xFF else { return nil }
                    body.append(UInt8(data.count)); body.append(contentsOf: data)
                }
            }
            guard body.count <= 0xFF else { return nil }
            append32(UInt32(enterprise), to: &out); out.append(UInt8(body.count)); out.append(contentsOf: body)
        }
        return out
    }

    // MARK: helpers

    static func textOrBytesPayload(_ value: DHCPOptionValue) -> [UInt8]? {
        switch value {
        case .text(let string): Array(string.utf8)
        case .bytes(let bytes): bytes
        default: nil
        }
    }

    /// The addresses of an address list, four bytes each (the caller checks the length).
    static func addressList(_ data: some RandomAccessCollection<UInt8>) -> [IPv4Address] {
        stride(from: 0, to: data.count, by: 4).map { offset in
            let start = data.index(data.startIndex, offsetBy: offset)
            return IPv4Address(rawValue: data[start...].prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
        }
    }

    /// Option text: UTF-8 when valid, otherwise each byte as its Latin-1 character.
    public static func text(_ bytes: some Collection<UInt8>) -> String { WireText.decode(bytes) }

    static func expectLength(_ data: [UInt8], _ length: Int) throws(DHCPValueError) {
        guard data.count == length else { throw DHCPValueError("length \(data.count), expected \(length)") }
    }

    static func expectMultiple(_ data: [UInt8], of unit: Int, minimum: Int) throws(DHCPValueError) {
        guard data.count >= minimum, data.count % unit == 0 else {
            throw DHCPValueError("length \(data.count) is not a non-zero multiple of \(unit)")
        }
    }

    static func address(_ data: [UInt8], _ offset: Int) -> IPv4Address {
        IPv4Address(rawValue: uint32(data, offset))
    }

    static func uint16(_ data: [UInt8], _ offset: Int) -> UInt16 { UInt16(data[offset]) << 8 | UInt16(data[offset + 1]) }

    static func uint32(_ data: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(data[offset]) << 24 | UInt32(data[offset + 1]) << 16 | UInt32(data[offset + 2]) << 8 | UInt32(data[offset + 3])
    }

    static func append16(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(value >> 8)); out.append(UInt8(truncatingIfNeeded: value))
    }

    static func append32(_ value: UInt32, to out: inout [UInt8]) {
        IPv4Address(rawValue: value).append(to: &out)
    }
}
