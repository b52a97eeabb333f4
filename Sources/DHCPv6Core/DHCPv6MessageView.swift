import NetworkPrimitives

/// A DHCPv6 message read in place: checked once to every depth (`DHCPv6Message.validate`), then its header and the
/// options one needs read straight from the bytes, without building the message — the analyzer's path, which reads a
/// few options of every message. Valid while its bytes are.
public struct DHCPv6MessageView: BitwiseCopyable {
    public let bytes: UnsafeRawBufferPointer
    public let type: DHCPv6MessageType

    /// The view of `bytes`, or what makes them unreadable (found at any depth).
    public static func read(_ bytes: UnsafeRawBufferPointer) -> Result<DHCPv6MessageView, DHCPv6ParseError> {
        Result { () throws(DHCPv6ParseError) in try DHCPv6MessageView(validating: bytes) }
    }

    /// Checks `bytes` to any depth; throws what `DHCPv6Message.validate` throws.
    public init(validating bytes: UnsafeRawBufferPointer) throws(DHCPv6ParseError) {
        type = try DHCPv6Message.validate(bytes)
        self.bytes = bytes
    }

    /// Bytes already validated (a relayed message of a validated message).
    private init(validated bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        type = DHCPv6MessageType(rawValue: bytes[0])
    }

    /// The transaction id; nil for relay messages.
    public var transactionID: UInt32? {
        type.isRelay ? nil : UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
    }

    /// A relay message's hop count, link and peer addresses; nil for other messages.
    public var relayHeader: (hopCount: UInt8, linkAddress: IPv6Address, peerAddress: IPv6Address)? {
        type.isRelay ? (bytes[1], IPv6Address(bytes, at: 2), IPv6Address(bytes, at: 18)) : nil
    }

    /// Each top-level option in wire order: its code and its data.
    public func forEachOption(_ body: (UInt16, UnsafeRawBufferPointer) -> Void) {
        Self.forEach(in: bytes, from: type.isRelay ? 34 : 4, body)
    }

    /// The data of the first top-level option `code`.
    public func option(_ code: UInt16) -> UnsafeRawBufferPointer? {
        var found: UnsafeRawBufferPointer?
        forEachOption { each, data in if each == code, found == nil { found = data } }
        return found
    }

    /// The message a relay message carries (its option 9); nil for other messages.
    public var relayed: DHCPv6MessageView? {
        guard type.isRelay, let inner = option(9) else { return nil }
        return DHCPv6MessageView(validated: inner)
    }

    /// The client's or server's message at the bottom of the relays, and how many relay messages wrap it; `body` sees
    /// each relay message on the way down.
    public func innermost(_ body: (DHCPv6MessageView) -> Void = { _ in }) -> (message: DHCPv6MessageView, depth: Int) {
        var message = self, depth = 0
        while message.type.isRelay {
            body(message)
            guard let inner = message.relayed else { break }
            message = inner
            depth += 1
        }
        return (message, depth)
    }

    /// The options inside option `code` whose data is `data` (an IA, an address, a prefix: its shape's fixed fields
    /// skipped); nothing for an option that holds none.
    public static func forEachSuboption(of code: UInt16, data: UnsafeRawBufferPointer, _ body: (UInt16, UnsafeRawBufferPointer) -> Void) {
        guard let start = DHCPv6OptionTable.definition(code)?.shape.optionsOffset, data.count >= start else { return }
        forEach(in: data, from: start, body)
    }

    /// The one walk of option framing (`DHCPv6Message.forEachOption`), over bytes already validated.
    private static func forEach(in bytes: UnsafeRawBufferPointer, from start: Int, _ body: (UInt16, UnsafeRawBufferPointer) -> Void) {
        try? DHCPv6Message.forEachOption(bytes, from: start, base: 0) { code, range in
            body(code, UnsafeRawBufferPointer(rebasing: bytes[range]))
        }
    }
}
