/// An IPv4 address in host order, printed dotted-quad.
public struct IPv4Address: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible, BitwiseCopyable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses "a.b.c.d"; nil for anything else.
    public init?(_ text: some StringProtocol) {
        var value: UInt32 = 0
        var octets = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard part.count >= 1, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isWholeNumber }),
                  let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
            octets += 1
        }
        guard octets == 4 else { return nil }
        rawValue = value
    }

    /// Reads four bytes in network order at `offset`; the caller checks the bounds.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        rawValue = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    public static let any = IPv4Address(rawValue: 0)
    public static let broadcast = IPv4Address(rawValue: 0xFFFF_FFFF)

    public var octets: [UInt8] {
        [UInt8(rawValue >> 24), UInt8(truncatingIfNeeded: rawValue >> 16),
         UInt8(truncatingIfNeeded: rawValue >> 8), UInt8(truncatingIfNeeded: rawValue)]
    }

    public var description: String {
        var text = [UInt8]()
        text.reserveCapacity(15)
        appendDottedQuad(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.rawValue < rhs.rawValue }

    public func append(to bytes: inout [UInt8]) {
        bytes.append(UInt8(rawValue >> 24)); bytes.append(UInt8(truncatingIfNeeded: rawValue >> 16))
        bytes.append(UInt8(truncatingIfNeeded: rawValue >> 8)); bytes.append(UInt8(truncatingIfNeeded: rawValue))
    }

    /// Appends the dotted-quad text ("198.18.0.1") as UTF-8, for output built byte by byte.
    public func appendDottedQuad(to text: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) {
            let octet = UInt8(truncatingIfNeeded: rawValue >> UInt32(shift))
            if octet >= 100 { text.append(UInt8(ascii: "0") + octet / 100) }
            if octet >= 10 { text.append(UInt8(ascii: "0") + octet / 10 % 10) }
            text.append(UInt8(ascii: "0") + octet % 10)
            if shift > 0 { text.append(UInt8(ascii: ".")) }
        }
    }
}
