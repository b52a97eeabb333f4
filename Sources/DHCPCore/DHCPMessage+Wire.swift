/// The result of parsing: the message (nil only when the fixed header is incomplete) and every problem found.
public struct DHCPParseResult: Sendable {
    public var message: DHCPMessage?
    public var diagnostics: [DHCPParseError]
    /// Offsets (in the payload) of each option instance, in `optionInstances` order.
    public var optionOffsets: [Int]
}

extension DHCPMessage {
    /// Parses a UDP payload. Never throws and never traps: problems are returned as diagnostics.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> DHCPParseResult {
        var diagnostics = [DHCPParseError]()
        var offsets = [Int]()
        guard bytes.count >= headerLength else {
            diagnostics.append(DHCPParseError(.truncatedHeader, offset: bytes.count,
                                              "\(bytes.count) bytes, the BOOTP header needs \(headerLength)"))
            return DHCPParseResult(message: nil, diagnostics: diagnostics, optionOffsets: offsets)
        }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }
        let hlen = bytes[2]
        if hlen > 16 {
            diagnostics.append(DHCPParseError(.badHardwareLength, offset: 2, "hlen \(hlen) is larger than chaddr's 16 bytes"))
        }
        var message = DHCPMessage(
            op: bytes[0], htype: bytes[1], hlen: hlen, hops: bytes[3],
            xid: IPv4Address(bytes, at: 4).rawValue, secs: u16(8), flags: u16(10),
            clientAddress: IPv4Address(bytes, at: 12), yourAddress: IPv4Address(bytes, at: 16),
            serverAddress: IPv4Address(bytes, at: 20), relayAddress: IPv4Address(bytes, at: 24),
            chaddr: Array(bytes[28..<44]),
            sname: .raw(field(bytes, 44..<108)), file: .raw(field(bytes, 108..<236)),
            rawVendor: .absent)

        if bytes.count > headerLength {
            if bytes.count >= headerLength + 4, IPv4Address(bytes, at: headerLength).rawValue == magicCookie {
                let main = DHCPOptionArea.parse(bytes, (headerLength + 4)..<bytes.count, location: .options,
                                                offsets: &offsets, diagnostics: &diagnostics)
                message.vendor = .options(main)
                message.parseOverload(bytes, main: main, offsets: &offsets, diagnostics: &diagnostics)
            } else {
                let found = Array(bytes[headerLength..<min(bytes.count, headerLength + 4)])
                diagnostics.append(DHCPParseError(.badMagicCookie, offset: headerLength,
                                                  "magic cookie \(Hex.colonSeparated(found)) is not 63:82:53:63"))
                message.vendor = .unknown(Array(bytes[headerLength...]))
            }
        }
        return DHCPParseResult(message: message, diagnostics: diagnostics, optionOffsets: offsets)
    }

    /// Empty sname and file fields, shared by parsed and built messages instead of allocated for each.
    @usableFromInline static let zeroSname = [UInt8](repeating: 0, count: 64)
    @usableFromInline static let zeroFile = [UInt8](repeating: 0, count: 128)

    /// sname and file are empty in most messages: share one array of zeros instead of allocating.
    private static func field(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> [UInt8] {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        if slice.allSatisfy({ $0 == 0 }) { return range.count == 64 ? zeroSname : zeroFile }
        return Array(slice)
    }

    public static func parse(_ bytes: [UInt8]) -> DHCPParseResult {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// RFC 2131 §4.1 / RFC 2132 §9.3: option 52 moves options into file (1), sname (2) or both (3).
    private mutating func parseOverload(
        _ bytes: UnsafeRawBufferPointer, main: DHCPOptionArea, offsets: inout [Int], diagnostics: inout [DHCPParseError]
    ) {
        // `offsets` holds exactly the main field's option offsets here, in `main.options` order.
        guard let index = main.options.firstIndex(where: { $0.code == .optionOverload }) else { return }
        let overload = main.options[index]
        guard overload.data.count == 1, (1...3).contains(overload.data[0]) else {
            diagnostics.append(DHCPParseError(.badOverload, offset: offsets[index],
                                              "option 52 value \(Hex.colonSeparated(overload.data)) is not 1, 2 or 3"))
            return
        }
        let value = overload.data[0]
        let mainCount = offsets.count
        if value & 1 != 0 {
            file = .options(DHCPOptionArea.parse(bytes, 108..<236, location: .file, offsets: &offsets, diagnostics: &diagnostics))
        }
        if value & 2 != 0 {
            sname = .options(DHCPOptionArea.parse(bytes, 44..<108, location: .sname, offsets: &offsets, diagnostics: &diagnostics))
        }
        for offset in offsets[mainCount...] where bytes[offset] == DHCPOptionCode.optionOverload.rawValue {
            diagnostics.append(DHCPParseError(.misplacedOverload, offset: offset, "option 52 inside an overloaded field"))
        }
    }

    private init(
        op: UInt8, htype: UInt8, hlen: UInt8, hops: UInt8, xid: UInt32, secs: UInt16, flags: UInt16,
        clientAddress: IPv4Address, yourAddress: IPv4Address, serverAddress: IPv4Address, relayAddress: IPv4Address,
        chaddr: [UInt8], sname: Field, file: Field, rawVendor: VendorArea
    ) {
        self.op = op; self.htype = htype; self.hlen = hlen; self.hops = hops; self.xid = xid; self.secs = secs
        self.flags = flags; self.clientAddress = clientAddress; self.yourAddress = yourAddress
        self.serverAddress = serverAddress; self.relayAddress = relayAddress; self.chaddr = chaddr
        self.sname = sname; self.file = file; self.vendor = rawVendor
    }

    /// The message's bytes. A parsed message gives back exactly the bytes it was parsed from.
    public func serialize() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(576)
        out.append(op); out.append(htype); out.append(hlen); out.append(hops)
        IPv4Address(rawValue: xid).append(to: &out)
        DHCPOptionShape.append16(secs, to: &out); DHCPOptionShape.append16(flags, to: &out)
        for address in [clientAddress, yourAddress, serverAddress, relayAddress] { address.append(to: &out) }
        Self.append(chaddr, size: 16, to: &out)
        Self.append(sname, size: 64, to: &out)
        Self.append(file, size: 128, to: &out)
        switch vendor {
        case .absent: break
        case .options(let area):
            IPv4Address(rawValue: Self.magicCookie).append(to: &out)
            area.serialize(into: &out)
        case .unknown(let bytes): out.append(contentsOf: bytes)
        }
        return out
    }

    private static func append(_ field: Field, size: Int, to out: inout [UInt8]) {
        switch field {
        case .raw(let bytes): append(bytes, size: size, to: &out)
        case .options(let area):
            var bytes = [UInt8]()
            area.serialize(into: &bytes)
            append(bytes, size: size, to: &out)
        }
    }

    /// Exactly `size` bytes: cut or zero-padded.
    private static func append(_ bytes: [UInt8], size: Int, to out: inout [UInt8]) {
        out.append(contentsOf: bytes.prefix(size))
        if bytes.count < size { out.append(contentsOf: repeatElement(0, count: size - bytes.count)) }
    }
}
