/// A decoded option value: the tree that the option table's shapes produce and that every output renders.
public indirect enum DHCPOptionValue: Hashable, Sendable {
    case unsigned(UInt64)
    case signed(Int64)
    case bool(Bool)
    case ipv4(IPv4Address)
    /// Text: NVT ASCII or UTF-8 (RFC 2132 §2).
    case text(String)
    /// Opaque bytes, rendered as colon-separated hex.
    case bytes([UInt8])
    /// A code from a list of named values (message type, overload, NetBIOS node type …); `name` nil when unnamed.
    case named(code: UInt32, name: String?)
    /// A CIDR prefix "a.b.c.d/n" (RFC 3442 destinations).
    case prefix(IPv4Address, Int)
    case list([DHCPOptionValue])
    /// Ordered named fields; names are snake_case.
    case record([DHCPOptionField])

    /// `.text` when every byte is printable ASCII, `.bytes` otherwise (circuit-id, remote-id, vendor data).
    public static func textOrBytes(_ bytes: some Collection<UInt8>) -> DHCPOptionValue {
        var tree = DHCPValueTree()
        tree.textOrBytes(ArraySlice(bytes))
        return tree.value
    }

    /// The field named `name` of a record.
    public subscript(field name: String) -> DHCPOptionValue? {
        guard case .record(let fields) = self else { return nil }
        return fields.first(where: { $0.name == name })?.value
    }
}

public struct DHCPOptionField: Hashable, Sendable {
    public var name: String
    public var value: DHCPOptionValue
    public init(_ name: String, _ value: DHCPOptionValue) { self.name = name; self.value = value }
}

/// Why an option's bytes do not fit its shape.
public struct DHCPValueError: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }

    /// `body`'s result, a DNS name fault becoming a value fault with the same reason.
    static func wrapping<Result>(_ body: () throws(DomainNameError) -> Result) throws(DHCPValueError) -> Result {
        do { return try body() } catch { throw DHCPValueError(error.reason) }
    }
}
