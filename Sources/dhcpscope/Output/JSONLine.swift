import DHCPCore

/// Builds one JSON object as bytes, with no intermediate dictionaries: a million lines a second is the aim. A line
/// is built once: copies of a JSONLine share its buffer.
struct JSONLine {
    private let bytes = ByteBuffer()
    /// One bit per open object or array, innermost at `depth`: whether a value was written in it (the next needs a
    /// comma). Option values nest a few levels; 63 is far more than any event has.
    private var commas: UInt64 = 0
    private var depth = 0

    init(event: String) {
        beginObject()
        field("event", event)
    }

    mutating func beginObject() { separator(); bytes.append(UInt8(ascii: "{")); open() }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); close() }
    mutating func beginArray() { separator(); bytes.append(UInt8(ascii: "[")); open() }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); close() }

    private mutating func open() {
        depth += 1
        commas &= ~(1 << UInt64(depth & 63))
    }

    private mutating func close() {
        depth -= 1
        markValue()
    }

    /// A key written in the source: copied as it stands (keys need no escaping), no scan.
    mutating func key(_ name: StaticString) {
        separator()
        let count = name.utf8CodeUnitCount
        // Keys are string literals (pointer representation): room made once, the bytes stored through a pointer.
        bytes.reserve(count + 3)
        bytes.appendReserved(UInt8(ascii: "\""))
        if name.hasPointerRepresentation {
            bytes.appendReserved(name.utf8Start, count: count)
        } else {
            bytes.append(contentsOf: name)
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        commas &= ~(1 << UInt64(depth & 63))
    }

    /// A key made at run time (a message type, a problem code): escaped as any string.
    mutating func key(text name: String) {
        separator()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        commas &= ~(1 << UInt64(depth & 63))
    }

    mutating func beginObject(_ name: StaticString) { key(name); beginObject() }
    mutating func beginArray(_ name: StaticString) { key(name); beginArray() }

    mutating func field(_ name: StaticString, _ value: String) { key(name); string(value) }
    mutating func field(_ name: StaticString, _ value: Int) { key(name); number(value) }
    mutating func field(_ name: StaticString, _ value: UInt64) { key(name); unsigned(value) }
    mutating func field(_ name: StaticString, _ value: Double) { key(name); double(value) }
    mutating func field(_ name: StaticString, _ value: Bool) { key(name); bool(value) }
    mutating func field(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }
    mutating func field(_ name: StaticString, _ value: Int?) {
        key(name)
        if let value { number(value) } else { null() }
    }

    mutating func string(_ value: String) { separator(); appendString(value); markValue() }
    mutating func number(_ value: Int) {
        separator()
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude.asUInt64)
        markValue()
    }
    mutating func unsigned(_ value: UInt64) { separator(); appendDigits(value); markValue() }

    /// "a.b.c.d", written without building a String.
    mutating func address(_ value: IPv4Address) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        appendAddress(value)
        bytes.append(UInt8(ascii: "\""))
        markValue()
    }

    /// "a.b.c.d:port".
    mutating func endpoint(_ address: IPv4Address, _ port: UInt16) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        appendAddress(address)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(UInt64(port))
        bytes.append(UInt8(ascii: "\""))
        markValue()
    }

    /// Hex digits of `data`, colon-separated or compact.
    mutating func hex(_ data: some Collection<UInt8>, colons: Bool) {
        separator()
        // Room for all of it at once: three bytes a byte at most, and the quotes.
        bytes.reserve(3 * data.count + 2)
        bytes.appendReserved(UInt8(ascii: "\""))
        var first = true
        for byte in data {
            if colons, !first { bytes.appendReserved(UInt8(ascii: ":")) }
            first = false
            bytes.appendReserved(Hex.digit(byte >> 4)); bytes.appendReserved(Hex.digit(byte & 0xF))
        }
        bytes.appendReserved(UInt8(ascii: "\""))
        markValue()
    }

    /// The time as `Timestamp.description` writes it (RFC 3339, microseconds), without a String in between.
    mutating func timestamp(_ value: Timestamp) {
        separator()
        var text = [UInt8]()
        text.reserveCapacity(32)
        value.appendRFC3339(fractionDigits: 6, to: &text)
        bytes.append(UInt8(ascii: "\""))
        text.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        markValue()
    }

    /// "0x%08x".
    mutating func hex32(_ value: UInt32) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        bytes.reserve(10)
        bytes.appendReserved(UInt8(ascii: "0")); bytes.appendReserved(UInt8(ascii: "x"))
        for shift in stride(from: 28, through: 0, by: -4) { bytes.appendReserved(Hex.digit(UInt8(truncatingIfNeeded: value >> UInt32(shift)) & 0xF)) }
        bytes.append(UInt8(ascii: "\""))
        markValue()
    }

    private mutating func appendAddress(_ value: IPv4Address) {
        bytes.reserve(15)
        for shift in stride(from: 24, through: 0, by: -8) {
            appendSmall(UInt8(truncatingIfNeeded: value.rawValue >> UInt32(shift)))
            if shift > 0 { bytes.append(UInt8(ascii: ".")) }
        }
    }

    /// A MAC address, "0a:1b:2c:3d:4e:5f", or null.
    mutating func mac(_ value: MACAddress?) {
        separator()
        if let value {
            bytes.append(UInt8(ascii: "\""))
            for shift in stride(from: 40, through: 0, by: -8) {
                let byte = UInt8(truncatingIfNeeded: value.rawValue >> UInt64(shift))
                bytes.append(Hex.digit(byte >> 4)); bytes.append(Hex.digit(byte & 0xF))
                if shift > 0 { bytes.append(UInt8(ascii: ":")) }
            }
            bytes.append(UInt8(ascii: "\""))
        } else {
            bytes.append(contentsOf: "null")
        }
        markValue()
    }

    /// 0–255 in one to three digits.
    @inline(__always)
    private mutating func appendSmall(_ value: UInt8) {
        bytes.reserve(3)
        if value >= 100 { bytes.appendReserved(UInt8(ascii: "0") + value / 100) }
        if value >= 10 { bytes.appendReserved(UInt8(ascii: "0") + value / 10 % 10) }
        bytes.appendReserved(UInt8(ascii: "0") + value % 10)
    }

    private mutating func appendDigits(_ value: UInt64) {
        if value < 256 { appendSmall(UInt8(value)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 { buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10); rest /= 10; count += 1 }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }
    mutating func double(_ value: Double) {
        separator()
        var text = value.isFinite ? String(value) : "null"
        text.withUTF8 { bytes.append(contentsOf: $0) }
        markValue()
    }
    mutating func bool(_ value: Bool) { separator(); bytes.append(contentsOf: value ? "true" : "false"); markValue() }
    mutating func null() { separator(); bytes.append(contentsOf: "null"); markValue() }

    /// Closes the event object; the bytes are then one complete line without its newline.
    mutating func finish() -> [UInt8] {
        while depth > 0 { endObject() }
        return Array(bytes.bytes)
    }

    /// Closes the event object and hands its bytes to `body`, without a copy.
    mutating func finish<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        while depth > 0 { endObject() }
        return body(bytes.bytes)
    }

    @inline(__always)
    private mutating func separator() {
        if depth > 0, commas & (1 << UInt64(depth & 63)) != 0 { bytes.append(UInt8(ascii: ",")) }
    }

    @inline(__always)
    private mutating func markValue() {
        if depth > 0 { commas |= 1 << UInt64(depth & 63) }
    }

    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (keys, names, addresses) need no escape: copied whole (withUTF8 reaches small strings' bytes
        // too, in place).
        var value = text
        let copied = value.withUTF8 { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == 0x7F {
                return false
            }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F:
                bytes.append(contentsOf: "\\u00")
                bytes.append(Hex.digit(byte >> 4)); bytes.append(Hex.digit(byte & 0xF))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONLine {
    /// An option value as JSON: numbers as numbers, addresses and text as strings, bytes as colon hex,
    /// lists as arrays, records (option 82 suboptions, routes …) as objects.
    /// An array of options, each {code, name, hex, value}: the value decoded as in the message event, null when the
    /// data does not fit the option's shape.
    mutating func options(_ name: StaticString, _ options: [DHCPOption]) {
        beginArray(name)
        for option in options {
            beginObject()
            field("code", Int(option.code.rawValue))
            field("name", option.name)
            key("hex"); hex(option.data, colons: false)
            key("value")
            if let decoded = (try? option.value()) ?? nil { value(decoded) } else { null() }
            endObject()
        }
        endArray()
    }

    /// Where the line stands, to go back to when a value written after it turns out to be malformed.
    struct Mark {
        fileprivate var count: Int
        fileprivate var commas: UInt64
        fileprivate var depth: Int
    }

    var mark: Mark { Mark(count: bytes.count, commas: commas, depth: depth) }

    mutating func rollback(to mark: Mark) {
        bytes.truncate(to: mark.count)
        commas = mark.commas
        depth = mark.depth
    }
}

/// Option values are written as the decoder reads them, with no tree in between.
extension JSONLine: DHCPValueSink {
    mutating func signed(_ value: Int64) { number(Int(value)) }
    mutating func ipv4(_ value: IPv4Address) { address(value) }
    mutating func text(_ value: String) { string(value) }
    mutating func bytes(_ value: ArraySlice<UInt8>) { hex(value, colons: true) }
    mutating func named(code: UInt32, name: String?) {
        if let name { string(name) } else { unsigned(UInt64(code)) }
    }
    mutating func prefix(_ address: IPv4Address, width: Int) { string("\(address)/\(width)") }
    mutating func beginList() { beginArray() }
    mutating func endList() { endArray() }
    mutating func beginRecord() { beginObject() }
    mutating func field(_ name: String) { key(text: name) }
    mutating func endRecord() { endObject() }
}

private extension UInt {
    var asUInt64: UInt64 { UInt64(self) }
}
