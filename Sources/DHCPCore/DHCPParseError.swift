/// A problem found while parsing a message: what, where (byte offset in the DHCP payload), and why.
/// Parsing goes on after every one of them; only a header shorter than 236 bytes stops it.
public struct DHCPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The problems reading finds; their kebab-case names (`description`) are listed in the man page.
    public enum Code: UInt8, Hashable, Sendable, CustomStringConvertible, BitwiseCopyable {
        /// Fewer than the 236 bytes of the fixed BOOTP header.
        case truncatedHeader
        /// Four bytes after the header that are not 99.130.83.99, or fewer than four.
        case badMagicCookie
        /// An option whose length byte is missing or whose data runs past the end of its field.
        case optionTruncated
        /// An option field without the end option (255).
        case missingEnd
        /// hlen larger than the 16 bytes of chaddr.
        case badHardwareLength
        /// Option 52 with a value other than 1, 2 or 3, or a length other than 1.
        case badOverload
        /// Option bytes that do not fit the option's shape (an address of 3 bytes, a loop in a name …).
        case badOptionValue
        /// Option 52 found in the file or sname field, where RFC 2131 does not allow it.
        case misplacedOverload

        public var description: String {
            switch self {
            case .truncatedHeader: "truncated-header"
            case .badMagicCookie: "bad-magic-cookie"
            case .optionTruncated: "option-truncated"
            case .missingEnd: "missing-end-option"
            case .badHardwareLength: "bad-hlen"
            case .badOverload: "bad-option-overload"
            case .badOptionValue: "bad-option-value"
            case .misplacedOverload: "misplaced-option-overload"
            }
        }
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
        case .missingEnd, .badOptionValue: .warning
        case .truncatedHeader, .badMagicCookie, .optionTruncated, .badHardwareLength, .badOverload, .misplacedOverload: .error
        }
    }

    public var description: String { "\(code) at byte \(offset): \(reason)" }
}
