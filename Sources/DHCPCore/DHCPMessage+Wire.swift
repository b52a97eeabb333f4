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
        DHCPMessageReader().parse(bytes)
    }

    public static func parse(_ bytes: [UInt8]) -> DHCPParseResult {
        bytes.withUnsafeBytes { parse($0) }
    }

    /// The owned message of a view: the payload copied once, field by field, so that serializing gives it back.
    public init(_ view: DHCPMessageView) {
        let bytes = view.bytes
        self.init(
            op: view.op, htype: view.htype, hlen: view.hlen, hops: view.hops, xid: view.xid, secs: view.secs,
            flags: view.flags, clientAddress: view.clientAddress, yourAddress: view.yourAddress,
            serverAddress: view.serverAddress, relayAddress: view.relayAddress, chaddr: Array(bytes[28..<44]),
            sname: view.areas.sname.present ? .options(Self.area(view, view.areas.sname)) : .raw(Self.field(bytes, 44..<108)),
            file: view.areas.file.present ? .options(Self.area(view, view.areas.file)) : .raw(Self.field(bytes, 108..<236)),
            rawVendor: .absent)
        switch view.areas.vendor {
        case .absent: break
        case .options: vendor = .options(Self.area(view, view.areas.main))
        case .unknown: vendor = .unknown(Array(bytes[Self.headerLength...]))
        }
    }

    private static func area(_ view: DHCPMessageView, _ area: DHCPMessageReader.Areas.Area) -> DHCPOptionArea {
        var elements = [DHCPOptionArea.Element]()
        elements.reserveCapacity(area.endItem - area.firstItem)
        for index in area.firstItem..<area.endItem {
            let item = view.items[index]
            let offset = Int(item.offset)
            switch item.kind {
            case .pad: elements.append(.pad(count: Int(item.length)))
            case .end: elements.append(.end)
            case .option:
                elements.append(.option(DHCPOption(DHCPOptionCode(view.bytes[offset]),
                                                   Array(view.bytes[(offset + 2)..<(offset + 2 + Int(item.length))]))))
            }
        }
        return DHCPOptionArea(elements: elements, trailer: Array(view.bytes[area.trailerStart..<area.trailerEnd]))
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
