/// An IPv6 address, as two big-endian words. Text is RFC 5952's canonical form: lower case, leading zeros dropped,
/// the longest run of two or more zero groups (the first of equal runs) written "::", and an IPv4-mapped address
/// (::ffff:0:0/96) with its last 32 bits as a dotted quad (RFC 5952 §5), as tshark writes them.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible, BitwiseCopyable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    /// The 16 bytes at `offset` of `bytes` (the caller checks that they are there).
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        high = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
    }

    /// The 16 bytes of `bytes`; nil unless there are exactly 16.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self = bytes.withUnsafeBytes { IPv6Address($0, at: 0) }
    }

    public static let unspecified = IPv6Address(high: 0, low: 0)

    /// ff00::/8 (RFC 4291 §2.7): DHCPv6's All_DHCP_Relay_Agents_and_Servers (ff02::1:2) among them.
    public var isMulticast: Bool { high >> 56 == 0xFF }

    /// Parses RFC 4291 §2.2 text: eight groups of up to four hex digits, one "::" for a run of zero groups, and an
    /// optional dotted-quad tail. Nil for anything else (zone identifiers included).
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, utf8.count <= 45 else { return nil }
        var head = [UInt16](), tail = [UInt16]()
        var sawGap = false
        var index = 0
        if utf8.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            sawGap = true
            index = 2
        } else if utf8[0] == UInt8(ascii: ":") {
            return nil
        }
        while index < utf8.count {
            // A dotted-quad tail takes the last two groups.
            if let dot = utf8[index...].firstIndex(of: UInt8(ascii: ".")),
               !utf8[index..<dot].contains(UInt8(ascii: ":")) {
                guard let quad = IPv4Address(String(decoding: utf8[index...], as: UTF8.self)) else { return nil }
                let groups = [UInt16(quad.rawValue >> 16), UInt16(truncatingIfNeeded: quad.rawValue)]
                if sawGap { tail += groups } else { head += groups }
                index = utf8.count
                break
            }
            var value: UInt32 = 0, digits = 0
            while index < utf8.count, let digit = Self.hexValue(utf8[index]) {
                value = value << 4 | UInt32(digit)
                digits += 1
                index += 1
            }
            guard digits >= 1, digits <= 4 else { return nil }
            if sawGap { tail.append(UInt16(value)) } else { head.append(UInt16(value)) }
            guard index < utf8.count else { break }
            guard utf8[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index < utf8.count, utf8[index] == UInt8(ascii: ":") {
                guard !sawGap else { return nil }
                sawGap = true
                index += 1
            } else if index == utf8.count {
                return nil
            }
        }
        let count = head.count + tail.count
        guard sawGap ? count <= 7 : count == 8 else { return nil }
        let groups = head + [UInt16](repeating: 0, count: 8 - count) + tail
        high = groups[0..<4].reduce(0) { $0 << 16 | UInt64($1) }
        low = groups[4..<8].reduce(0) { $0 << 16 | UInt64($1) }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { index in UInt16(truncatingIfNeeded: (index < 4 ? high : low) >> (48 - 16 * UInt64(index % 4))) }
    }

    /// The 16 bytes, network order.
    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        append(to: &bytes)
        return bytes
    }

    public func append(to bytes: inout [UInt8]) {
        for word in [high, low] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
    }

    public var description: String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maximumTextLength) { buffer in
            guard let base = buffer.baseAddress else { return "" }
            return String(decoding: UnsafeBufferPointer(start: base, count: store(at: base)), as: UTF8.self)
        }
    }

    /// The longest text an address has ("ffff:…:ffff", or "::ffff:255.255.255.255").
    public static let maximumTextLength = 45

    /// RFC 5952 text appended as UTF-8.
    public func appendText(to text: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maximumTextLength) { buffer in
            guard let base = buffer.baseAddress else { return }
            text.append(contentsOf: UnsafeBufferPointer(start: base, count: store(at: base)))
        }
    }

    /// Stores the RFC 5952 text at `out` (room for `maximumTextLength` bytes) and returns its length: the one writer of
    /// the text, which `description`, `appendText` and JSON output use.
    public func store(at out: UnsafeMutablePointer<UInt8>) -> Int {
        @inline(__always) func group(_ index: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (index < 4 ? high : low) >> UInt64(48 - 16 * (index & 3)))
        }
        var at = 0
        // IPv4-mapped: ::ffff:a.b.c.d.
        if high == 0, low >> 32 == 0xFFFF {
            var mapped = Array("::ffff:".utf8)
            IPv4Address(rawValue: UInt32(truncatingIfNeeded: low)).appendDottedQuad(to: &mapped)
            for byte in mapped { out[at] = byte; at += 1 }
            return at
        }
        // The longest run of two or more zero groups; the first of equal runs.
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8, group(index) == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var index = 0
        while index < 8 {
            if index == bestStart {
                out[at] = UInt8(ascii: ":"); out[at + 1] = UInt8(ascii: ":")
                at += 2
                index += bestLength
                continue
            }
            if index > 0, index != bestStart + bestLength { out[at] = UInt8(ascii: ":"); at += 1 }
            // Lower-case hex without leading zeros ("db8", "0").
            let value = group(index)
            let digits = value >= 0x1000 ? 4 : value >= 0x100 ? 3 : value >= 0x10 ? 2 : 1
            var shift = UInt16(4 * (digits - 1))
            while true {
                out[at] = Hex.digit(UInt8(truncatingIfNeeded: value >> shift) & 0xF)
                at += 1
                if shift == 0 { break }
                shift -= 4
            }
            index += 1
        }
        return at
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }
}
