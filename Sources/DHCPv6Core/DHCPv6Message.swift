import NetworkPrimitives

/// A DHCPv6 option in wire order: its code and its data as sent. Options that hold options (their shape in
/// `DHCPv6OptionTable` has an `optionsOffset`) are read further with `suboptions(at:)`; the relay message (9) with
/// `relayedMessage(at:)`.
public struct DHCPv6Option: Hashable, Sendable {
    public var code: UInt16
    public var data: [UInt8]

    public init(_ code: UInt16, _ data: [UInt8]) { self.code = code; self.data = data }

    /// The options inside this one, after its fixed fields; nil when its code holds none. `offset` is where the
    /// option's data starts in the message, for the offsets of what is malformed.
    public func suboptions(at offset: Int = 0) throws(DHCPv6ParseError) -> [DHCPv6Option]? {
        guard let header = DHCPv6OptionTable.definition(code)?.shape.optionsOffset else { return nil }
        guard data.count >= header else {
            throw DHCPv6ParseError(.optionFieldsShort(code: code, needed: header, present: data.count), offset: offset)
        }
        return try data.withUnsafeBytes { bytes in
            Result { () throws(DHCPv6ParseError) in try DHCPv6Message.parseOptions(bytes, from: header, base: offset) }
        }.get()
    }

    /// The message inside a relay message option (9); nil for any other code.
    public func relayedMessage(at offset: Int = 0) throws(DHCPv6ParseError) -> DHCPv6Message? {
        guard DHCPv6OptionTable.definition(code)?.shape == .message else { return nil }
        return try DHCPv6Message(parsing: data, base: offset)
    }

    /// An option that holds `fields` (its fixed part) and then `options`.
    public init(_ code: UInt16, fields: [UInt8], options: [DHCPv6Option]) {
        var data = fields
        for option in options { option.append(to: &data) }
        self.init(code, data)
    }

    func append(to bytes: inout [UInt8]) {
        bytes.append(UInt8(code >> 8)); bytes.append(UInt8(truncatingIfNeeded: code))
        bytes.append(UInt8(truncatingIfNeeded: data.count >> 8)); bytes.append(UInt8(truncatingIfNeeded: data.count))
        bytes.append(contentsOf: data)
    }
}

/// What makes a DHCPv6 message unreadable, and the byte offset in the outermost message where it was found.
public struct DHCPv6ParseError: Error, Hashable, Sendable, CustomStringConvertible, BitwiseCopyable {
    public enum Reason: Hashable, Sendable, BitwiseCopyable {
        case messageShort(needed: Int, present: Int)
        case optionHeaderShort(present: Int)
        case optionLengthPastEnd(code: UInt16, length: Int, present: Int)
        case optionFieldsShort(code: UInt16, needed: Int, present: Int)
    }

    public var reason: Reason
    public var offset: Int

    public init(_ reason: Reason, offset: Int) { self.reason = reason; self.offset = offset }

    /// The diagnostic's code in output (kebab case, as DHCPv4's).
    public var code: String {
        switch reason {
        case .messageShort: "message-short"
        case .optionHeaderShort: "option-header-short"
        case .optionLengthPastEnd: "option-length-past-end"
        case .optionFieldsShort: "option-fields-short"
        }
    }

    public var description: String {
        switch reason {
        case let .messageShort(needed, present):
            "message of \(present) bytes, shorter than its \(needed)-byte header at offset \(offset)"
        case let .optionHeaderShort(present):
            "\(present) bytes at offset \(offset), too few for an option header (4)"
        case let .optionLengthPastEnd(code, length, present):
            "option \(code) at offset \(offset) says \(length) bytes, \(present) remain"
        case let .optionFieldsShort(code, needed, present):
            "option \(code) at offset \(offset) has \(present) bytes, its fixed fields need \(needed)"
        }
    }
}

/// A DHCPv6 message (RFC 8415 §8, §9): a client/server message (type, 3-byte transaction id) or a relay message
/// (type, hop count, link and peer addresses), then its options in wire order. Parsing keeps every byte, so that
/// `serialized()` gives back exactly what was read.
public struct DHCPv6Message: Hashable, Sendable {
    public enum Header: Hashable, Sendable {
        /// Client and server messages, and the others with a transaction id (leasequery, DHCPv4-over-DHCPv6's flags
        /// take its place: the same three bytes).
        case transaction(id: UInt32)
        case relay(hopCount: UInt8, linkAddress: IPv6Address, peerAddress: IPv6Address)
    }

    public var type: DHCPv6MessageType
    public var header: Header
    public var options: [DHCPv6Option]

    public init(type: DHCPv6MessageType, header: Header, options: [DHCPv6Option] = []) {
        self.type = type; self.header = header; self.options = options
    }

    /// The transaction id; nil for relay messages.
    public var transactionID: UInt32? {
        if case .transaction(let id) = header { return id }
        return nil
    }

    /// The first option of `code` at the top level.
    public func option(_ code: UInt16) -> DHCPv6Option? { options.first { $0.code == code } }

    /// Reads `bytes` as one message; `base` is where they start in the outermost message (for error offsets).
    public init(parsing bytes: [UInt8], base: Int = 0) throws(DHCPv6ParseError) {
        self = try bytes.withUnsafeBytes { raw in
            Result { () throws(DHCPv6ParseError) in try DHCPv6Message(raw, base: base) }
        }.get()
    }

    /// Reads `bytes` in place (they are copied into the options as they are read).
    public init(_ bytes: UnsafeRawBufferPointer, base: Int = 0) throws(DHCPv6ParseError) {
        guard let first = bytes.first else { throw DHCPv6ParseError(.messageShort(needed: 4, present: 0), offset: base) }
        type = DHCPv6MessageType(rawValue: first)
        let headerLength = type.isRelay ? 34 : 4
        guard bytes.count >= headerLength else {
            throw DHCPv6ParseError(.messageShort(needed: headerLength, present: bytes.count), offset: base)
        }
        if type.isRelay {
            header = .relay(hopCount: bytes[1], linkAddress: IPv6Address(bytes, at: 2), peerAddress: IPv6Address(bytes, at: 18))
        } else {
            header = .transaction(id: UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3]))
        }
        options = try Self.parseOptions(bytes, from: headerLength, base: base)
    }

    /// The options from `start` to the end of `bytes`, in wire order.
    static func parseOptions(_ bytes: UnsafeRawBufferPointer, from start: Int, base: Int) throws(DHCPv6ParseError)
        -> [DHCPv6Option] {
        var options = [DHCPv6Option]()
        try forEachOption(bytes, from: start, base: base) { code, data in options.append(DHCPv6Option(code, Array(bytes[data]))) }
        return options
    }

    /// Walks the options from `start` to the end of `bytes` (RFC 8415 §21.1: code, length, data), giving each code
    /// and where its data lies; the first that does not fit stops the walk. The one reading of option framing.
    static func forEachOption(_ bytes: UnsafeRawBufferPointer, from start: Int, base: Int,
                              _ body: (UInt16, Range<Int>) throws(DHCPv6ParseError) -> Void) throws(DHCPv6ParseError) {
        var offset = start
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else {
                throw DHCPv6ParseError(.optionHeaderShort(present: bytes.count - offset), offset: base + offset)
            }
            let code = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard bytes.count - offset - 4 >= length else {
                throw DHCPv6ParseError(.optionLengthPastEnd(code: code, length: length, present: bytes.count - offset - 4),
                                       offset: base + offset)
            }
            try body(code, (offset + 4)..<(offset + 4 + length))
            offset += 4 + length
        }
    }

    /// Checks a whole message without building it: the header, every option, the options inside options and the
    /// messages inside relay messages, to any depth. Returns its type; throws what `init(parsing:)` or reading the
    /// nested options would throw first.
    @discardableResult
    public static func validate(_ bytes: UnsafeRawBufferPointer, base: Int = 0) throws(DHCPv6ParseError) -> DHCPv6MessageType {
        guard let first = bytes.first else { throw DHCPv6ParseError(.messageShort(needed: 4, present: 0), offset: base) }
        let type = DHCPv6MessageType(rawValue: first)
        let headerLength = type.isRelay ? 34 : 4
        guard bytes.count >= headerLength else {
            throw DHCPv6ParseError(.messageShort(needed: headerLength, present: bytes.count), offset: base)
        }
        try validateOptions(bytes, from: headerLength, base: base)
        return type
    }

    private static func validateOptions(_ bytes: UnsafeRawBufferPointer, from start: Int, base: Int) throws(DHCPv6ParseError) {
        try forEachOption(bytes, from: start, base: base) { code, data throws(DHCPv6ParseError) in
            guard let shape = DHCPv6OptionTable.definition(code)?.shape else { return }
            let inner = UnsafeRawBufferPointer(rebasing: bytes[data])
            if let header = shape.optionsOffset {
                guard inner.count >= header else {
                    throw DHCPv6ParseError(.optionFieldsShort(code: code, needed: header, present: inner.count),
                                           offset: base + data.lowerBound)
                }
                try validateOptions(inner, from: header, base: base + data.lowerBound)
            } else if shape == .message {
                try validate(inner, base: base + data.lowerBound)
            }
        }
    }

    /// The message on the wire.
    public func serialized() -> [UInt8] {
        var bytes = [type.rawValue]
        switch header {
        case .transaction(let id):
            bytes += [UInt8(truncatingIfNeeded: id >> 16), UInt8(truncatingIfNeeded: id >> 8), UInt8(truncatingIfNeeded: id)]
        case let .relay(hopCount, linkAddress, peerAddress):
            bytes.append(hopCount)
            linkAddress.append(to: &bytes)
            peerAddress.append(to: &bytes)
        }
        for option in options { option.append(to: &bytes) }
        return bytes
    }

    /// The message a relay message carries, and the one that carries, down to the client's or server's own: the
    /// first is this message. Stops at the first relay message whose option 9 is missing or unreadable.
    public var relayChain: [DHCPv6Message] {
        var chain = [self]
        while let last = chain.last, last.type.isRelay,
              let inner = last.options.first(where: { DHCPv6OptionTable.definition($0.code)?.shape == .message }),
              let message = try? inner.relayedMessage() {
            chain.append(message)
        }
        return chain
    }
}
