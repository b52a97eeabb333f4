import DHCPCore

/// Builds one JSON object as bytes, with no intermediate dictionaries: a million lines a second is the aim. A line
/// is built once: copies of a JSONLine share its buffer.
struct JSONLine {
    private let bytes: ByteBuffer
    /// One bit per open object or array, innermost at `depth`: whether a value was written in it (the next needs a
    /// comma). Option values nest a few levels; 63 is far more than any event has.
    private var commas: UInt64 = 0
    private var depth = 0

    init(event: String) { self.init(event: event, buffer: ByteBuffer()) }

    /// Fields (`"a":1,"b":"x"`) written once to be copied into lines with `fields(_:)`.
    static func fragment(_ build: (inout JSONLine) -> Void) -> [UInt8] {
        var line = JSONLine(inObject: ByteBuffer())
        build(&line)
        return Array(line.bytes.bytes)
    }

    private init(inObject buffer: ByteBuffer) {
        bytes = buffer
        depth = 1
    }

    /// A line built in `buffer` (emptied first): a writer that renders line after line reuses one buffer.
    init(event: String, buffer: ByteBuffer) {
        bytes = buffer
        buffer.truncate(to: 0)
        beginObject()
        field("event", event)
    }

    @inline(__always)
    mutating func beginObject() { separator(); bytes.append(UInt8(ascii: "{")); open() }
    @inline(__always)
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); close() }
    @inline(__always)
    mutating func beginArray() { separator(); bytes.append(UInt8(ascii: "[")); open() }
    @inline(__always)
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); close() }

    @inline(__always)
    private mutating func open() {
        depth += 1
        commas &= ~(1 << UInt64(depth & 63))
    }

    @inline(__always)
    private mutating func close() {
        depth -= 1
        markValue()
    }

    /// A key written in the source: copied as it stands (keys need no escaping), no scan. Inlined: the literal's
    /// length is then known where it is written, and the copy is a few stores.
    @inline(__always)
    mutating func key(_ name: StaticString) {
        guard name.hasPointerRepresentation else {
            // A one-scalar literal: not stored as bytes.
            separator()
            bytes.append(UInt8(ascii: "\"")); bytes.append(contentsOf: name); bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: ":"))
            commas &= ~(1 << UInt64(depth & 63))
            return
        }
        let count = name.utf8CodeUnitCount, source = name.utf8Start, comma = needsComma
        // The comma, the quoted key and the colon: room made once, stored through a pointer.
        bytes.write(upTo: count &+ 4) { out in
            var at = 0
            if comma { out[0] = UInt8(ascii: ","); at = 1 }
            out[at] = UInt8(ascii: "\"")
            for index in 0..<count { out[at &+ 1 &+ index] = source[index] }
            out[at &+ 1 &+ count] = UInt8(ascii: "\"")
            out[at &+ 2 &+ count] = UInt8(ascii: ":")
            return at &+ 3 &+ count
        }
        commas &= ~(1 << UInt64(depth & 63))
    }

    /// Writes a run of fields whose keys are literals and whose values are bounded (numbers, addresses, stamps, short
    /// hex), with one capacity check for all of them: `maximumLength` must bound what `body` writes (the keys, the
    /// punctuation and the longest values).
    mutating func fixedFields(maximumLength: Int, _ body: (inout FixedFields) -> Void) {
        let comma = needsComma
        bytes.write(upTo: maximumLength) { out in
            var fields = FixedFields(out: out, at: 0, comma: comma)
            body(&fields)
            return fields.at
        }
        markValue()
    }

    /// The writer `fixedFields` lends: each method writes one whole field, its comma first when one is due.
    struct FixedFields {
        fileprivate let out: UnsafeMutablePointer<UInt8>
        fileprivate var at: Int
        fileprivate var comma: Bool

        @inline(__always)
        private mutating func key(_ name: StaticString) {
            if comma { out[at] = UInt8(ascii: ","); at &+= 1 }
            comma = true
            out[at] = UInt8(ascii: "\"")
            let count = name.utf8CodeUnitCount, source = name.utf8Start
            for index in 0..<count { out[at &+ 1 &+ index] = source[index] }
            out[at &+ 1 &+ count] = UInt8(ascii: "\"")
            out[at &+ 2 &+ count] = UInt8(ascii: ":")
            at &+= 3 &+ count
        }

        @inline(__always)
        mutating func number(_ name: StaticString, _ value: UInt64) {
            key(name)
            at &+= JSONLine.store(value, at: out + at)
        }

        @inline(__always)
        mutating func bool(_ name: StaticString, _ value: Bool) {
            key(name)
            let text: StaticString = value ? "true" : "false"
            for index in 0..<text.utf8CodeUnitCount { out[at &+ index] = text.utf8Start[index] }
            at &+= text.utf8CodeUnitCount
        }

        @inline(__always)
        mutating func address(_ name: StaticString, _ value: IPv4Address) {
            key(name)
            at &+= JSONLine.storeQuoted(value, at: out + at)
        }

        @inline(__always)
        mutating func endpoint(_ name: StaticString, _ address: IPv4Address, _ port: UInt16) {
            key(name)
            out[at] = UInt8(ascii: "\"")
            at &+= 1 &+ JSONLine.store(address, at: out + (at &+ 1))
            out[at] = UInt8(ascii: ":")
            at &+= 1 &+ JSONLine.store(UInt64(port), at: out + (at &+ 1))
            out[at] = UInt8(ascii: "\"")
            at &+= 1
        }

        @inline(__always)
        mutating func timestamp(_ name: StaticString, _ value: Timestamp) {
            key(name)
            out[at] = UInt8(ascii: "\"")
            at &+= 1 &+ value.storeRFC3339(fractionDigits: 6, at: out + (at &+ 1))
            out[at] = UInt8(ascii: "\"")
            at &+= 1
        }

        /// Colon-separated or compact hex: two bytes of room a byte, three with colons.
        @inline(__always)
        mutating func hex(_ name: StaticString, _ data: UnsafeRawBufferPointer, colons: Bool) {
            key(name)
            at &+= JSONLine.storeQuotedHex(data, colons: colons, at: out + at)
        }

        /// "0x%08x".
        @inline(__always)
        mutating func hex32(_ name: StaticString, _ value: UInt32) {
            key(name)
            at &+= JSONLine.storeQuotedHex32(value, at: out + at)
        }

        /// "0a:1b:2c:3d:4e:5f", or null.
        @inline(__always)
        mutating func mac(_ name: StaticString, _ value: MACAddress?) {
            key(name)
            guard let value else {
                for index in 0..<4 { out[at &+ index] = ("null" as StaticString).utf8Start[index] }
                at &+= 4
                return
            }
            at &+= JSONLine.storeQuoted(value, at: out + at)
        }
    }

    /// Fields prepared once as JSON text (`"code":53,"name":"…"`), inside the current object.
    mutating func fields(_ text: UnsafeBufferPointer<UInt8>) {
        separator()
        bytes.append(contentsOf: text)
        markValue()
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

    @inline(__always)
    mutating func field(_ name: StaticString, _ value: String) { key(name); string(value) }
    @inline(__always)
    mutating func field(_ name: StaticString, _ value: Int) { key(name); number(value) }
    @inline(__always)
    mutating func field(_ name: StaticString, _ value: UInt64) { key(name); unsigned(value) }
    @inline(__always)
    mutating func field(_ name: StaticString, _ value: Double) { key(name); double(value) }
    @inline(__always)
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

    /// An IPv6 address in RFC 5952 text, quoted, written without building a String.
    mutating func ipv6(_ value: IPv6Address) {
        separator()
        bytes.write(upTo: IPv6Address.maximumTextLength + 2) { out in
            out[0] = UInt8(ascii: "\"")
            let length = value.store(at: out + 1)
            out[length + 1] = UInt8(ascii: "\"")
            return length + 2
        }
        markValue()
    }

    /// "[address]:port", quoted.
    mutating func endpoint6(_ address: IPv6Address, _ port: UInt16) {
        separator()
        bytes.write(upTo: IPv6Address.maximumTextLength + 10) { out in
            out[0] = UInt8(ascii: "\""); out[1] = UInt8(ascii: "[")
            var at = 2 + address.store(at: out + 2)
            out[at] = UInt8(ascii: "]"); out[at + 1] = UInt8(ascii: ":")
            at += 2 + Self.store(UInt64(port), at: out + at + 2)
            out[at] = UInt8(ascii: "\"")
            return at + 1
        }
        markValue()
    }

    /// "a.b.c.d", written without building a String.
    mutating func address(_ value: IPv4Address) {
        separator()
        bytes.write(upTo: 17) { Self.storeQuoted(value, at: $0) }
        markValue()
    }

    /// The two hex digits of each byte value, as they lie in memory: one store a byte. Made once and never freed (a
    /// pointer: reading it retains nothing; written only by its initializer, so shared safely).
    nonisolated(unsafe) private static let hexPairs: UnsafePointer<UInt16> = {
        let table = UnsafeMutablePointer<UInt16>.allocate(capacity: 256)
        for byte in 0..<256 {
            table[byte] = (UInt16(Hex.digit(UInt8(byte >> 4))) | UInt16(Hex.digit(UInt8(byte & 0xF))) << 8).littleEndian
        }
        return UnsafePointer(table)
    }()

    /// The decimal text of 0…255 as it lies in memory, up to three digits, with its length in the top byte.
    nonisolated(unsafe) private static let octets: UnsafePointer<UInt32> = {
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
        for value in 0..<256 {
            let digits = Array(String(value).utf8)
            var packed = UInt32(digits.count) << 24
            for (index, digit) in digits.enumerated() { packed |= UInt32(digit) << (8 * UInt32(index)) }
            table[value] = packed.littleEndian
        }
        return UnsafePointer(table)
    }()

    /// Hex digits of `data`, colon-separated or compact.
    mutating func hex(_ data: some Collection<UInt8>, colons: Bool) {
        separator()
        // Room for all of it at once: three bytes a byte at most, and the quotes.
        bytes.write(upTo: 3 &* data.count &+ 2) { Self.storeQuotedHex(data, colons: colons, at: $0) }
        markValue()
    }

    /// "0x%08x".
    mutating func hex32(_ value: UInt32) {
        separator()
        bytes.write(upTo: 12) { Self.storeQuotedHex32(value, at: $0) }
        markValue()
    }

    /// A MAC address, "0a:1b:2c:3d:4e:5f", or null.
    mutating func mac(_ value: MACAddress?) {
        separator()
        if let value { bytes.write(upTo: 19) { Self.storeQuoted(value, at: $0) } } else { bytes.append(contentsOf: "null") }
        markValue()
    }

    // The stores behind both the single values and `FixedFields`: each writes a quoted value at `out` (room made by
    // the caller) and returns its length.

    /// "a.b.c.d" (17 bytes of room).
    @inline(__always)
    fileprivate static func storeQuoted(_ value: IPv4Address, at out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\"")
        let at = 1 &+ store(value, at: out + 1)
        out[at] = UInt8(ascii: "\"")
        return at &+ 1
    }

    /// "0a:1b:2c:3d:4e:5f" (19 bytes).
    @inline(__always)
    fileprivate static func storeQuoted(_ value: MACAddress, at out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\"")
        for index in 0..<6 {
            let byte = UInt8(truncatingIfNeeded: value.rawValue >> UInt64(40 &- 8 &* index))
            out[1 &+ 3 &* index] = Hex.digit(byte >> 4); out[2 &+ 3 &* index] = Hex.digit(byte & 0xF)
            out[3 &+ 3 &* index] = index < 5 ? UInt8(ascii: ":") : UInt8(ascii: "\"")
        }
        return 19
    }

    /// "0x%08x" (12 bytes).
    @inline(__always)
    fileprivate static func storeQuotedHex32(_ value: UInt32, at out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\""); out[1] = UInt8(ascii: "0"); out[2] = UInt8(ascii: "x")
        for index in 0..<8 { out[3 &+ index] = Hex.digit(UInt8(truncatingIfNeeded: value >> UInt32(28 &- 4 &* index)) & 0xF) }
        out[11] = UInt8(ascii: "\"")
        return 12
    }

    /// Hex digits of `data`, colon-separated or compact (three bytes of room a byte, and two).
    @inline(__always)
    fileprivate static func storeQuotedHex(_ data: some Collection<UInt8>, colons: Bool,
                                           at out: UnsafeMutablePointer<UInt8>) -> Int {
        let pairs = hexPairs
        out[0] = UInt8(ascii: "\"")
        var at = 1
        for byte in data {
            if colons, at > 1 { out[at] = UInt8(ascii: ":"); at &+= 1 }
            UnsafeMutableRawPointer(out + at).storeBytes(of: pairs[Int(byte)], as: UInt16.self)
            at &+= 2
        }
        out[at] = UInt8(ascii: "\"")
        return at &+ 1
    }

    /// Stores "a.b.c.d" at `out` (room for 16: each octet is stored as four bytes, the last overwritten or past the
    /// end); returns its length.
    @inline(__always)
    fileprivate static func store(_ value: IPv4Address, at out: UnsafeMutablePointer<UInt8>) -> Int {
        let octets = Self.octets
        var at = 0
        for index in 0..<4 {
            if index > 0 { out[at] = UInt8(ascii: "."); at &+= 1 }
            let packed = UInt32(littleEndian: octets[Int(truncatingIfNeeded: value.rawValue >> UInt32(24 &- 8 &* index) & 0xFF)])
            UnsafeMutableRawPointer(out + at).storeBytes(of: packed.littleEndian, as: UInt32.self)
            at &+= Int(packed >> 24)
        }
        return at
    }

    /// Stores the decimal digits of `value` at `out` (room for 20); returns how many.
    @inline(__always)
    fileprivate static func store(_ value: UInt64, at out: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 10 { out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value); return 1 }
        if value < 100 {
            out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 10)
            out[1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
            return 2
        }
        var count = 1
        var rest = value / 10
        while rest > 0 { count &+= 1; rest /= 10 }
        rest = value
        for index in stride(from: count &- 1, through: 0, by: -1) {
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        return count
    }

    private mutating func appendDigits(_ value: UInt64) {
        bytes.write(upTo: 20) { Self.store(value, at: $0) }
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

    /// Whether the next value or key needs a comma before it.
    private var needsComma: Bool { depth > 0 && commas & (1 << UInt64(depth & 63)) != 0 }

    @inline(__always)
    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    @inline(__always)
    private mutating func markValue() {
        if depth > 0 { commas |= 1 << UInt64(depth & 63) }
    }

    private mutating func appendString(_ text: String) {
        // Native strings (all of them on Linux) lend their UTF-8 in place; another is made contiguous first.
        if text.utf8.withContiguousStorageIfAvailable({ appendQuoted($0) }) != nil { return }
        var copy = text
        copy.makeContiguousUTF8()
        _ = copy.utf8.withContiguousStorageIfAvailable { appendQuoted($0) }
    }

    /// Whether any of the eight bytes of `word` is a control character, a quote, a backslash or DEL and above
    /// (exact, not a guess: the usual zero-byte tests of "Bit Twiddling Hacks").
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        let below = (word &- ones &* 0x20) & ~word & highs
        let quote = hasZero(word ^ (ones &* 0x22)), backslash = hasZero(word ^ (ones &* 0x5C))
        let above = ((word &+ ones &* (127 - 0x7E)) | word) & highs
        return below | quote | backslash | above != 0
    }

    /// `utf8` quoted and escaped in one pass: room for the worst case (six bytes a byte) made once.
    private mutating func appendQuoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.write(upTo: 6 &* utf8.count &+ 2) { out in
            out[0] = UInt8(ascii: "\"")
            var at = 1
            // Eight bytes at a time while none needs an escape (nearly all text), then byte by byte.
            var start = 0
            if let source = utf8.baseAddress {
                while start &+ 8 <= utf8.count {
                    let word = UnsafeRawPointer(source + start).loadUnaligned(as: UInt64.self)
                    guard !Self.needsEscape(word) else { break }
                    UnsafeMutableRawPointer(out + at).storeBytes(of: word, as: UInt64.self)
                    at &+= 8
                    start &+= 8
                }
            }
            for byte in UnsafeBufferPointer(rebasing: utf8[start...]) {
                if byte >= 0x20, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte != 0x7F {
                    out[at] = byte
                    at &+= 1
                    continue
                }
                out[at] = UInt8(ascii: "\\")
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out[at &+ 1] = byte; at &+= 2
                case 0x0A: out[at &+ 1] = UInt8(ascii: "n"); at &+= 2
                case 0x0D: out[at &+ 1] = UInt8(ascii: "r"); at &+= 2
                case 0x09: out[at &+ 1] = UInt8(ascii: "t"); at &+= 2
                default:
                    out[at &+ 1] = UInt8(ascii: "u"); out[at &+ 2] = UInt8(ascii: "0"); out[at &+ 3] = UInt8(ascii: "0")
                    out[at &+ 4] = Hex.digit(byte >> 4); out[at &+ 5] = Hex.digit(byte & 0xF)
                    at &+= 6
                }
            }
            out[at] = UInt8(ascii: "\"")
            return at &+ 1
        }
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
    mutating func mac(_ value: MACAddress) { mac(.some(value)) }
    mutating func text(_ value: String) { string(value) }
    /// ASCII (what options nearly always carry) is the same text as bytes: written without a String.
    mutating func text(bytes value: ArraySlice<UInt8>) {
        guard value.allSatisfy({ $0 < 0x80 }) else { return text(DHCPOptionShape.text(value)) }
        separator()
        value.withUnsafeBufferPointer { appendQuoted($0) }
        markValue()
    }
    mutating func bytes(_ value: ArraySlice<UInt8>) { hex(value, colons: true) }
    mutating func named(code: UInt32, name: String?) {
        if let name { string(name) } else { unsigned(UInt64(code)) }
    }
    mutating func prefix(_ address: IPv4Address, width: Int) {
        separator()
        bytes.write(upTo: 38) { out in
            out[0] = UInt8(ascii: "\"")
            var at = 1 &+ Self.store(address, at: out + 1)
            out[at] = UInt8(ascii: "/")
            at &+= 1 &+ Self.store(UInt64(width.magnitude), at: out + (at &+ 1))
            out[at] = UInt8(ascii: "\"")
            return at &+ 1
        }
        markValue()
    }
    mutating func beginList() { beginArray() }
    mutating func endList() { endArray() }
    mutating func beginRecord() { beginObject() }
    mutating func field(_ name: String) { key(text: name) }
    mutating func endRecord() { endObject() }
}

private extension UInt {
    var asUInt64: UInt64 { UInt64(self) }
}
