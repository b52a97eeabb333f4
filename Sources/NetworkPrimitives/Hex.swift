/// Hexadecimal renderings used by every output.
public enum Hex {
    /// The lowercase hex digit of `nibble` (0–15), computed: no table behind a lazy global's check per digit.
    @inlinable @inline(__always)
    public static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// "0a:1b:ff", as tshark and tcpdump print byte strings.
    @inlinable
    public static func colonSeparated(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 3)
        appendColonSeparated(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the "0a:1b:ff" text as UTF-8, for output built byte by byte.
    @inlinable
    public static func appendColonSeparated(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        var first = true
        for byte in bytes {
            if !first { out.append(UInt8(ascii: ":")) }
            first = false
            out.append(digit(byte >> 4)); out.append(digit(byte & 0xF))
        }
    }

    /// A transaction id as every output prints it, text and JSON alike: "0x" and eight lowercase hex digits
    /// ("0x00003d1d", C's "0x%08x").
    public static func xid(_ value: UInt32) -> String {
        var text = [UInt8]()
        text.reserveCapacity(10)
        appendXID(value, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// A DHCPv6 transaction id (24 bits): "0x%06x".
    public static func xid6(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// Appends `xid(value)` as UTF-8, for output built byte by byte.
    public static func appendXID(_ value: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "0")); out.append(UInt8(ascii: "x"))
        for shift in stride(from: 28, through: 0, by: -4) { out.append(digit(UInt8(truncatingIfNeeded: value >> UInt32(shift)) & 0xF)) }
    }

    /// "0a1bff".
    public static func compact(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out.append(digit(byte >> 4)); out.append(digit(byte & 0xF)) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses hex with optional ':' '-' or ' ' separators and an optional 0x prefix.
    public static func parse(_ text: some StringProtocol) -> [UInt8]? {
        var digitsOnly = String(text.filter { $0 != ":" && $0 != "-" && $0 != " " })
        if digitsOnly.hasPrefix("0x") || digitsOnly.hasPrefix("0X") { digitsOnly.removeFirst(2) }
        guard digitsOnly.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        var iterator = digitsOnly.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let h = high.hexDigitValue, let l = low.hexDigitValue else { return nil }
            out.append(UInt8(h << 4 | l))
        }
        return out
    }
}
