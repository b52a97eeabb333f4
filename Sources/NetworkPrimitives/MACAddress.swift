/// A 48-bit Ethernet address, printed lower-case and colon-separated.
public struct MACAddress: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible, BitwiseCopyable {
    /// The six bytes in the low 48 bits, first byte most significant.
    public var rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        var value: UInt64 = 0
        for index in offset..<offset + 6 { value = value << 8 | UInt64(bytes[index]) }
        rawValue = value
    }

    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        rawValue = value
    }

    /// Parses "aa:bb:cc:dd:ee:ff" (also with '-' separators); nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard (1...2).contains(part.count), part.allSatisfy(\.isHexDigit), part.allSatisfy(\.isASCII),
                  let byte = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(byte)
        }
        rawValue = value
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public static let broadcast = MACAddress(rawValue: 0xFFFF_FFFF_FFFF)

    public var bytes: [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> UInt64(40 - 8 * $0)) } }

    public var description: String { Hex.colonSeparated(bytes) }
}
