/// One option instance as it stands on the wire: code and data (RFC 2132 §2).
public struct DHCPOption: Hashable, Sendable {
    public var code: DHCPOptionCode
    public var data: [UInt8]

    public init(_ code: DHCPOptionCode, _ data: [UInt8]) { self.code = code; self.data = data }

    /// Encodes `value` with the table's shape for `code`; nil if the value does not fit the shape.
    public init?(_ code: DHCPOptionCode, value: DHCPOptionValue) {
        guard let shape = DHCPOptionTable.definition(for: code)?.shape, let data = shape.encode(value) else { return nil }
        self.init(code, data)
    }

    public var name: String { code.name }

    /// The typed value by the table's shape: nil for a code the table does not know (raw bytes),
    /// an error for bytes that do not fit the shape.
    public func value() throws(DHCPValueError) -> DHCPOptionValue? {
        guard let definition = DHCPOptionTable.definition(for: code) else { return nil }
        return try definition.shape.decode(data)
    }
}

/// Where an option instance was found (RFC 2131 §4.1: options, then file, then sname when overloaded).
public enum DHCPOptionLocation: String, Hashable, Sendable, BitwiseCopyable {
    case options, file, sname
}

/// An option as a receiver reads it (RFC 3396): the data of every instance of its code, concatenated.
public struct DHCPConcatenatedOption: Hashable, Sendable {
    public var option: DHCPOption
    /// How many instances it was sent in.
    public var instances: Int
    /// The field the first instance was in.
    public var location: DHCPOptionLocation

    mutating func add(_ instance: DHCPOption) {
        option.data.append(contentsOf: instance.data)
        instances += 1
    }
}

extension DHCPOption {
    /// RFC 3396 §5: an option whose data is longer than 255 bytes is sent as several instances of its code, in
    /// order, each with at most 255 bytes. The one place the splitting is done.
    public var instances: [DHCPOption] {
        guard data.count > 255 else { return [self] }
        return stride(from: 0, to: data.count, by: 255).map { start in
            DHCPOption(code, Array(data[start..<min(start + 255, data.count)]))
        }
    }

    /// Bytes the option takes on the wire: a code and a length byte per instance, and the data.
    public var encodedSize: Int { 2 * max(1, (data.count + 254) / 255) + data.count }
}

/// An option instance with the field it came from.
public struct DHCPOptionInstance: Hashable, Sendable {
    public var location: DHCPOptionLocation
    public var option: DHCPOption
    /// Byte offset of the option's code in the DHCP payload; nil for a message built in memory.
    public var offset: Int?
}

/// The items of an option field, in order, so that serializing gives back the same bytes.
public struct DHCPOptionArea: Hashable, Sendable {
    public enum Element: Hashable, Sendable {
        /// A run of pad options (0).
        case pad(count: Int)
        case option(DHCPOption)
        /// The end option (255).
        case end
    }

    public var elements: [Element]
    /// Bytes after the end option (usually zero padding), or the unparseable rest after a malformed option.
    public var trailer: [UInt8]

    public init(elements: [Element], trailer: [UInt8] = []) { self.elements = elements; self.trailer = trailer }

    /// Options with data longer than 255 bytes become several instances (RFC 3396 §5), then the end option.
    public init(options: [DHCPOption]) {
        var elements = [Element]()
        elements.reserveCapacity(options.count + 1)
        for option in options { elements.append(contentsOf: option.instances.map(Element.option)) }
        elements.append(.end)
        self.init(elements: elements)
    }

    public var options: [DHCPOption] {
        elements.compactMap { if case .option(let option) = $0 { option } else { nil } }
    }

    public var byteCount: Int {
        elements.reduce(trailer.count) { total, element in
            switch element {
            case .pad(let count): total + count
            case .option(let option): total + option.encodedSize
            case .end: total + 1
            }
        }
    }

    public func serialize(into out: inout [UInt8]) {
        for element in elements {
            switch element {
            case .pad(let count): out.append(contentsOf: repeatElement(0, count: count))
            case .option(let option):
                // Data over 255 bytes (only from an area built by hand) goes out as several instances.
                for instance in option.instances {
                    out.append(instance.code.rawValue)
                    out.append(UInt8(instance.data.count))
                    out.append(contentsOf: instance.data)
                }
            case .end: out.append(255)
            }
        }
        out.append(contentsOf: trailer)
    }
}
