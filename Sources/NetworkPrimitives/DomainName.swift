/// Why a DNS name in wire format cannot be read.
public struct DomainNameError: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// DNS names in wire format (RFC 1035 §3.1), with the compression pointers that DHCPv4 option 119 allows
/// (RFC 3397 §2). One rule for both families: DHCPv6's names (RFC 8415 §10) are the same encoding.
public enum DomainName {
    /// The longest name RFC 1035 allows; also bounds the work a hostile option can cause.
    public static let maximumLength = 255

    /// Every name in `data`, one after another (pointers may refer to earlier names), each handed to `body` as its
    /// text in UTF-8: the labels joined with dots, one buffer reused for all of them. A writer copies the bytes; no
    /// String is made unless the sink makes one.
    public static func forEachName(_ data: [UInt8], _ body: (ArraySlice<UInt8>) -> Void) throws(DomainNameError) {
        var joined = [UInt8]()
        var index = 0
        while index < data.count {
            index = try decode(data, at: index, allowPartial: false, into: &joined)
            body(joined[...])
        }
    }

    /// The one name filling `data`, as UTF-8.
    public static func decodeOne(_ data: [UInt8], allowPartial: Bool) throws(DomainNameError) -> [UInt8] {
        var joined = [UInt8]()
        if data.isEmpty { return joined }
        let next = try decode(data, at: 0, allowPartial: allowPartial, into: &joined)
        guard next == data.count else { throw DomainNameError("\(data.count - next) bytes after the name") }
        return joined
    }

    /// Decodes the name at `start` into `joined` (emptied first): its labels' text joined with dots. Returns the
    /// index after its last byte in place (not after pointers).
    private static func decode(_ data: [UInt8], at start: Int, allowPartial: Bool,
                               into joined: inout [UInt8]) throws(DomainNameError) -> Int {
        joined.removeAll(keepingCapacity: true)
        var labelCount = 0
        var length = 0
        var index = start
        var resume: Int? = nil
        var jumps = 0
        while true {
            guard index < data.count else {
                if allowPartial, resume == nil { return index }
                throw DomainNameError("name at byte \(start) runs past the option's end")
            }
            let byte = data[index]
            switch byte & 0xC0 {
            case 0x00:
                if byte == 0 {
                    return resume ?? index + 1
                }
                let labelLength = Int(byte)
                guard index + 1 + labelLength <= data.count else {
                    throw DomainNameError("label at byte \(index) runs past the option's end")
                }
                length += labelLength + 1
                guard length <= maximumLength else { throw DomainNameError("name at byte \(start) is longer than 255 bytes") }
                if labelCount > 0 { joined.append(UInt8(ascii: ".")) }
                labelCount += 1
                let label = data[(index + 1)...(index + labelLength)]
                // ASCII is its own text: only other labels go through the Latin-1 fallback.
                if label.allSatisfy({ $0 < 0x80 }) { joined.append(contentsOf: label) }
                else { joined.append(contentsOf: WireText.decode(label).utf8) }
                index += 1 + labelLength
            case 0xC0:
                guard index + 1 < data.count else { throw DomainNameError("pointer at byte \(index) is truncated") }
                let target = Int(byte & 0x3F) << 8 | Int(data[index + 1])
                // Pointers must go backwards; with a bounded number of jumps a loop cannot hang us.
                guard target < index, jumps < 64 else { throw DomainNameError("pointer at byte \(index) loops or points forward") }
                if resume == nil { resume = index + 2 }
                jumps += 1
                index = target
            default:
                throw DomainNameError("label type 0x\(String(byte >> 6, radix: 16)) at byte \(index) is not supported")
            }
        }
    }

    /// Uncompressed wire format; a name ending in "." or any name is written fully qualified.
    /// The labels of `name` (a trailing dot is the root); nil for an empty label inside the name ("a..b") or one
    /// over 63 bytes — such a name would not come back as written.
    public static func labels(_ name: String) -> [Substring]? {
        var labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.count > 1, labels.last?.isEmpty == true { labels.removeLast() }
        if labels == [""] { return [] }
        guard labels.allSatisfy({ (1...63).contains($0.utf8.count) }) else { return nil }
        return labels
    }

    public static func encodeOne(_ name: String) -> [UInt8]? {
        var out = [UInt8]()
        guard let labels = labels(name) else { return nil }
        for label in labels {
            let bytes = Array(label.utf8)
            out.append(UInt8(bytes.count)); out.append(contentsOf: bytes)
        }
        out.append(0)
        return out.count <= maximumLength ? out : nil
    }

    /// Names with RFC 1035 compression: a suffix already written becomes a pointer. nil for a name over 255 bytes.
    public static func encodeList(_ names: [String]) -> [UInt8]? {
        var out = [UInt8]()
        var suffixes = [[Substring]: Int]()
        for name in names {
            guard let labels = labels(name) else { return nil }
            // RFC 1035 §2.3.4, as decode checks it: a name longer than 255 bytes would not decode again.
            guard labels.reduce(1, { $0 + 1 + $1.utf8.count }) <= maximumLength else { return nil }
            var index = 0
            while index < labels.count {
                let suffix = Array(labels[index...])
                if let target = suffixes[suffix] {
                    out.append(0xC0 | UInt8(target >> 8)); out.append(UInt8(truncatingIfNeeded: target))
                    break
                }
                if out.count < 0x4000 { suffixes[suffix] = out.count }
                let bytes = Array(labels[index].utf8)
                guard !bytes.isEmpty, bytes.count <= 63 else { return nil }
                out.append(UInt8(bytes.count)); out.append(contentsOf: bytes)
                index += 1
            }
            if index == labels.count { out.append(0) }
        }
        return out
    }
}

/// Text as DHCP sends it: UTF-8 when it is valid UTF-8 (ASCII, the usual case, without a check), else each byte as
/// the Latin-1 character of that value, so that no byte is lost or replaced.
public enum WireText {
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }
}
