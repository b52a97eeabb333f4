/// A problem found while parsing a message: what, where (byte offset in the DHCP payload), and why.
/// Parsing goes on after every one of them; only a header shorter than 236 bytes stops it.
public struct DHCPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Kebab-case codes, listed in the man page. Open, like the wire codes.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Fewer than the 236 bytes of the fixed BOOTP header.
        public static let truncatedHeader = Self(rawValue: "truncated-header")
        /// Four bytes after the header that are not 99.130.83.99, or fewer than four.
        public static let badMagicCookie = Self(rawValue: "bad-magic-cookie")
        /// An option whose length byte is missing or whose data runs past the end of its field.
        public static let optionTruncated = Self(rawValue: "option-truncated")
        /// An option field without the end option (255).
        public static let missingEnd = Self(rawValue: "missing-end-option")
        /// hlen larger than the 16 bytes of chaddr.
        public static let badHardwareLength = Self(rawValue: "bad-hlen")
        /// Option 52 with a value other than 1, 2 or 3, or a length other than 1.
        public static let badOverload = Self(rawValue: "bad-option-overload")
        /// Option bytes that do not fit the option's shape (an address of 3 bytes, a loop in a name …).
        public static let badOptionValue = Self(rawValue: "bad-option-value")
        /// Option 52 found in the file or sname field, where RFC 2131 does not allow it.
        public static let misplacedOverload = Self(rawValue: "misplaced-option-overload")
    }

    public enum Severity: String, Sendable, Comparable {
        case info, warning, error
        public static func < (lhs: Self, rhs: Self) -> Bool {
            let order: [Severity] = [.info, .warning, .error]
            return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
        }
    }

    public var code: Code
    /// Byte offset from the start of the DHCP payload.
    public var offset: Int
    public var reason: String

    public init(_ code: Code, offset: Int, _ reason: String) {
        self.code = code; self.offset = offset; self.reason = reason
    }

    public var severity: Severity { Self.severity(of: code) }

    /// A missing end option or a value that does not fit its option is a warning; everything else an error.
    public static func severity(of code: Code) -> Severity {
        switch code {
        case .missingEnd: .warning
        case .badOptionValue: .warning
        default: .error
        }
    }

    public var description: String { "\(code) at byte \(offset): \(reason)" }
}
