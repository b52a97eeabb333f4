import DHCPCore

/// Builds one JSON object as bytes, with no intermediate dictionaries: a million lines a second is the aim.
struct JSONLine {
    private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    init(event: String) {
        bytes.reserveCapacity(1024)
        beginObject()
        field("event", event)
    }

    mutating func beginObject() { separator(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma.removeLast(); markValue() }
    mutating func beginArray() { separator(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma.removeLast(); markValue() }

    mutating func key(_ name: String) {
        separator()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating func beginObject(_ name: String) { key(name); beginObject() }
    mutating func beginArray(_ name: String) { key(name); beginArray() }

    mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    mutating func field(_ name: String, _ value: Int) { key(name); number(value) }
    mutating func field(_ name: String, _ value: UInt64) { key(name); unsigned(value) }
    mutating func field(_ name: String, _ value: Double) { key(name); double(value) }
    mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }
    mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }
    mutating func field(_ name: String, _ value: Int?) {
        key(name)
        if let value { number(value) } else { null() }
    }

    mutating func string(_ value: String) { separator(); appendString(value); markValue() }
    mutating func number(_ value: Int) { separator(); bytes.append(contentsOf: String(value).utf8); markValue() }
    mutating func unsigned(_ value: UInt64) { separator(); bytes.append(contentsOf: String(value).utf8); markValue() }
    mutating func double(_ value: Double) {
        separator()
        bytes.append(contentsOf: (value.isFinite ? String(value) : "null").utf8)
        markValue()
    }
    mutating func bool(_ value: Bool) { separator(); bytes.append(contentsOf: (value ? "true" : "false").utf8); markValue() }
    mutating func null() { separator(); bytes.append(contentsOf: "null".utf8); markValue() }

    /// Closes the event object; the bytes are then one complete line without its newline.
    mutating func finish() -> [UInt8] {
        while !needsComma.isEmpty { endObject() }
        return bytes
    }

    private mutating func separator() {
        if let last = needsComma.last, last { bytes.append(UInt8(ascii: ",")) }
    }

    private mutating func markValue() {
        if !needsComma.isEmpty { needsComma[needsComma.count - 1] = true }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hex[Int(byte >> 4)]); bytes.append(Self.hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONLine {
    /// An option value as JSON: numbers as numbers, addresses and text as strings, bytes as colon hex,
    /// lists as arrays, records (option 82 suboptions, routes …) as objects.
    mutating func value(_ value: DHCPOptionValue) {
        switch value {
        case .unsigned(let number): unsigned(number)
        case .signed(let signedValue): number(Int(signedValue))
        case .bool(let flag): bool(flag)
        case .ipv4(let address): string(address.description)
        case .text(let text): string(text)
        case .bytes(let data): string(Hex.colonSeparated(data))
        case .named(let code, let name):
            if let name { string(name) } else { unsigned(UInt64(code)) }
        case .prefix(let address, let width): string("\(address)/\(width)")
        case .list(let items):
            beginArray()
            for item in items { self.value(item) }
            endArray()
        case .record(let fields):
            beginObject()
            for field in fields { key(field.name); self.value(field.value) }
            endObject()
        }
    }
}
