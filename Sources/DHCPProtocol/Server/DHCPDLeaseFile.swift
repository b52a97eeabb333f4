import DHCPCore

/// ISC dhcpd's lease file, dhcpd.leases(5): `lease IP { … }` blocks, appended one per change, the last block of an
/// address winning. The one reader and writer of the format: mock-server's `file:` store journals in it, and
/// analyse and mock-server export to it. Pure: text in, text out.
public enum DHCPDLeaseFile {
    /// One `lease` block: the statements dhcpd writes that dhcpscope uses.
    public struct Entry: Hashable, Sendable {
        public var address: IPv4Address
        /// `starts`, seconds since 1970 (UTC).
        public var starts: Int64?
        /// `ends`; nil for `never`.
        public var ends: Int64?
        /// `binding state`: `active`, `free`, `expired`, `released`, `abandoned`, `backup`, `reset`.
        public var bindingState: String
        /// `hardware TYPE MAC`: the hardware type (1 Ethernet) and address.
        public var hardwareType: UInt8
        public var hardwareAddress: [UInt8]
        /// `uid "…"`: the client identifier (option 61) as the client sent it.
        public var uid: [UInt8]?
        /// `client-hostname "…"`.
        public var hostname: [UInt8]?

        public init(address: IPv4Address, starts: Int64?, ends: Int64?, bindingState: String, hardwareType: UInt8 = 1,
                    hardwareAddress: [UInt8], uid: [UInt8]? = nil, hostname: [UInt8]? = nil) {
            self.address = address; self.starts = starts; self.ends = ends; self.bindingState = bindingState
            self.hardwareType = hardwareType; self.hardwareAddress = hardwareAddress; self.uid = uid; self.hostname = hostname
        }
    }

    /// The two comment lines dhcpd starts its file with; `origin` names the writer.
    public static func header(origin: String) -> String {
        "# The format of this file is documented in the dhcpd.leases(5) manual page.\n# This lease file was written by \(origin).\n\n"
    }

    /// One block as dhcpd writes it: times in UTC with the weekday (0 = Sunday) first.
    public static func block(_ entry: Entry) -> String {
        var text = "lease \(entry.address) {\n"
        if let starts = entry.starts {
            text += "  starts \(time(starts));\n"
        }
        text += "  ends \(entry.ends.map(time) ?? "never");\n"
        if let starts = entry.starts { text += "  cltt \(time(starts));\n" }
        text += "  binding state \(entry.bindingState);\n"
        if entry.bindingState == "active" { text += "  next binding state free;\n" }
        text += "  hardware \(hardwareTypeName(entry.hardwareType)) \(Hex.colonSeparated(entry.hardwareAddress));\n"
        if let uid = entry.uid, !uid.isEmpty { text += "  uid \(quoted(uid));\n" }
        if let hostname = entry.hostname { text += "  client-hostname \(quoted(hostname));\n" }
        return text + "}\n"
    }

    /// What `parse` read: the blocks in file order, and a line for each one it could not read.
    public struct Contents: Sendable {
        public var entries: [Entry] = []
        /// `LINE: reason` for each block skipped; a last block cut short (a crash in the middle of an append) is
        /// one of them.
        public var skipped: [String] = []
        /// The byte offset just past the last complete block: where a journal goes on appending.
        public var validLength: Int = 0

        public init() {}
    }

    /// Reads every `lease` block of `text` (dhcpd's own files included: statements dhcpscope does not use, and
    /// other top-level blocks such as `failover peer` or `server-duid`, are passed over).
    public static func parse(_ text: String) -> Contents { parse(bytes: Array(text.utf8)) }

    /// The same, from the file's bytes (`validLength` counts them).
    public static func parse(bytes: [UInt8]) -> Contents {
        var contents = Contents()
        var lexer = Lexer(bytes)
        while true {
            lexer.skipSpace()
            guard !lexer.atEnd else { break }
            let line = lexer.line
            let startOffset = lexer.offset
            do throws(Reason) {
                guard let keyword = lexer.word() else { throw Reason("a statement cannot start with '\(lexer.peekCharacter)'") }
                if keyword == "lease" {
                    if let entry = try leaseBlock(&lexer) { contents.entries.append(entry) }
                } else {
                    try lexer.skipStatement()
                }
                contents.validLength = lexer.offset
            } catch {
                contents.skipped.append("\(line): \(error.text)")
                // A damaged block: go on after its closing brace, or stop at the end (a cut-short last block).
                lexer.offset = startOffset
                if !lexer.skipPastBlock() { break }
                contents.validLength = lexer.offset
            }
        }
        return contents
    }

    private static func leaseBlock(_ lexer: inout Lexer) throws(Reason) -> Entry? {
        guard let addressText = lexer.word(), let address = IPv4Address(addressText) else {
            throw Reason("lease: not an IPv4 address")
        }
        try lexer.expect("{")
        var entry = Entry(address: address, starts: nil, ends: nil, bindingState: "free", hardwareAddress: [])
        while true {
            lexer.skipSpace()
            if lexer.atEnd { throw Reason("lease \(address): cut short (no closing brace)") }
            if lexer.take("}") { break }
            guard let key = lexer.word() else { throw Reason("lease \(address): unexpected '\(lexer.peekCharacter)'") }
            switch key {
            case "starts": entry.starts = try timeValue(&lexer, address, key)
            case "ends": entry.ends = try timeValue(&lexer, address, key)
            case "binding":
                guard lexer.word() == "state", let state = lexer.word() else { throw Reason("lease \(address): binding state: no state") }
                entry.bindingState = state
                try lexer.expect(";")
            case "hardware":
                guard let type = lexer.word(), let mac = lexer.word(), let bytes = colonHex(mac) else {
                    throw Reason("lease \(address): hardware: not TYPE XX:XX:…")
                }
                entry.hardwareType = hardwareType(named: type)
                entry.hardwareAddress = bytes
                try lexer.expect(";")
            case "uid":
                entry.uid = try lexer.quotedString(address, key)
                try lexer.expect(";")
            case "client-hostname":
                entry.hostname = try lexer.quotedString(address, key)
                try lexer.expect(";")
            default:
                try lexer.skipStatement()
            }
        }
        return entry
    }

    private static func timeValue(_ lexer: inout Lexer, _ address: IPv4Address, _ key: String) throws(Reason) -> Int64? {
        guard let first = lexer.word() else { throw Reason("lease \(address): \(key): no time") }
        if first == "never" { try lexer.expect(";"); return nil }
        if first == "epoch" {
            guard let seconds = lexer.word().flatMap({ Int64($0) }) else { throw Reason("lease \(address): \(key): epoch without seconds") }
            try lexer.expect(";")
            return seconds
        }
        guard let date = lexer.word(), let clock = lexer.word(), let seconds = parseTime(date: date, clock: clock) else {
            throw Reason("lease \(address): \(key): not 'W YYYY/MM/DD HH:MM:SS'")
        }
        try lexer.expect(";")
        return seconds
    }

    // MARK: dhcpd's text forms

    /// dhcpd's date form: `W YYYY/MM/DD HH:MM:SS`, UTC, W the weekday with 0 for Sunday.
    public static func time(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let weekday = ((days + 4) % 7 + 7) % 7  // 1970-01-01 was a Thursday
        let iso = Timestamp(seconds: seconds, nanoseconds: 0).rfc3339(fractionDigits: 0)  // 2004-12-05T19:16:24Z
        let date = iso.prefix(10).replacing("-", with: "/")
        let clock = iso.dropFirst(11).prefix(8)
        return "\(weekday) \(date) \(clock)"
    }

    /// `YYYY/MM/DD` and `HH:MM:SS` (UTC) as seconds since 1970.
    static func parseTime(date: String, clock: String) -> Int64? {
        let d = date.split(separator: "/").compactMap { Int64($0) }
        let c = clock.split(separator: ":").compactMap { Int64($0) }
        guard d.count == 3, c.count == 3, (1...12).contains(d[1]), (1...31).contains(d[2]),
              (0...23).contains(c[0]), (0...59).contains(c[1]), (0...60).contains(c[2]) else { return nil }
        // Days from civil (Howard Hinnant's algorithm).
        let (y, m, day) = (d[1] <= 2 ? d[0] - 1 : d[0], d[1], d[2])
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + c[0] * 3600 + c[1] * 60 + c[2]
    }

    /// dhcpd's quoted string (its quotify_buf): printable ASCII as is, `"` and `\` escaped with a backslash,
    /// every other byte as a three-digit octal escape.
    public static func quoted(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): text += "\\" + String(UnicodeScalar(byte))
            case 0x20...0x7e: text += String(UnicodeScalar(byte))
            default:
                let octal = String(byte, radix: 8)
                text += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return text + "\""
    }

    /// `6:0:a:ff`-style hex (dhcpd writes one or two digits a byte).
    static func colonHex(_ text: String) -> [UInt8]? {
        var bytes = [UInt8]()
        for group in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard (1...2).contains(group.count), let byte = UInt8(group, radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private static let hardwareTypes: [(UInt8, String)] = [(1, "ethernet"), (6, "token-ring"), (8, "fddi"), (32, "infiniband")]

    /// dhcpd's names for hardware types (its hardware_types table).
    public static func hardwareTypeName(_ type: UInt8) -> String {
        hardwareTypes.first { $0.0 == type }?.1 ?? "unknown-\(type)"
    }

    static func hardwareType(named name: String) -> UInt8 {
        if let known = hardwareTypes.first(where: { $0.1 == name }) { return known.0 }
        if name.hasPrefix("unknown-"), let type = UInt8(name.dropFirst(8)) { return type }
        return 1
    }

    // MARK: lexer

    private struct Reason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// dhcpd.leases tokens: words (anything up to a blank, `;`, `{`, `}` or `"`), quoted strings, punctuation;
    /// `#` comments to the end of the line.
    private struct Lexer {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { offset >= bytes.count }
        var line: Int { bytes[..<min(offset, bytes.count)].reduce(1) { $0 + ($1 == 10 ? 1 : 0) } }
        var peekCharacter: String { atEnd ? "end of file" : String(UnicodeScalar(bytes[offset])) }

        mutating func skipSpace() {
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == UInt8(ascii: "#") {
                    while offset < bytes.count, bytes[offset] != 10 { offset += 1 }
                } else if byte == 32 || byte == 9 || byte == 10 || byte == 13 {
                    offset += 1
                } else {
                    return
                }
            }
        }

        static func isDelimiter(_ byte: UInt8) -> Bool {
            byte == 32 || byte == 9 || byte == 10 || byte == 13 || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "{")
                || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "#")
        }

        mutating func word() -> String? {
            skipSpace()
            let start = offset
            while offset < bytes.count, !Self.isDelimiter(bytes[offset]) { offset += 1 }
            return offset > start ? String(decoding: bytes[start..<offset], as: UTF8.self) : nil
        }

        mutating func take(_ character: Character) -> Bool {
            skipSpace()
            guard offset < bytes.count, let ascii = character.asciiValue, bytes[offset] == ascii else { return false }
            offset += 1
            return true
        }

        mutating func expect(_ character: Character) throws(Reason) {
            guard take(character) else { throw Reason("expected '\(character)', found '\(peekCharacter)'") }
        }

        mutating func quotedString(_ address: IPv4Address, _ key: String) throws(Reason) -> [UInt8] {
            skipSpace()
            guard offset < bytes.count else { throw Reason("lease \(address): \(key): cut short") }
            guard bytes[offset] == UInt8(ascii: "\"") else {
                // dhcpd writes a uid with only printable bytes quoted, and others as colon-separated hex.
                guard let text = word(), let hex = colonHex(text) else {
                    throw Reason("lease \(address): \(key): neither a quoted string nor hex")
                }
                return hex
            }
            offset += 1
            var value = [UInt8]()
            while offset < bytes.count {
                let byte = bytes[offset]
                offset += 1
                if byte == UInt8(ascii: "\"") { return value }
                guard byte == UInt8(ascii: "\\") else { value.append(byte); continue }
                guard offset < bytes.count else { break }
                let next = bytes[offset]
                if (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(next), offset + 2 < bytes.count {
                    let digits = bytes[offset..<offset + 3]
                    guard let octal = UInt8(String(decoding: digits, as: UTF8.self), radix: 8) else {
                        throw Reason("lease \(address): \(key): bad octal escape")
                    }
                    value.append(octal)
                    offset += 3
                } else {
                    value.append(next)
                    offset += 1
                }
            }
            throw Reason("lease \(address): \(key): unterminated string")
        }

        /// Passes over one statement: up to its `;`, or a `{ … }` block with its nesting.
        mutating func skipStatement() throws(Reason) {
            var depth = 0
            while true {
                skipSpace()
                guard offset < bytes.count else { throw Reason("cut short") }
                let byte = bytes[offset]
                if byte == UInt8(ascii: "\"") {
                    offset += 1
                    while offset < bytes.count, bytes[offset] != UInt8(ascii: "\"") {
                        offset += bytes[offset] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    offset += 1
                    continue
                }
                offset += 1
                switch byte {
                case UInt8(ascii: "{"): depth += 1
                case UInt8(ascii: "}"):
                    depth -= 1
                    if depth <= 0 { return }
                case UInt8(ascii: ";"): if depth == 0 { return }
                default: break
                }
            }
        }

        /// After a damaged block: moves past the next `}` at the start of a line; false at the end of the text.
        mutating func skipPastBlock() -> Bool {
            while offset < bytes.count {
                if bytes[offset] == UInt8(ascii: "}"), offset == 0 || bytes[offset - 1] == 10 {
                    offset += 1
                    return true
                }
                offset += 1
            }
            return false
        }
    }
}

extension DHCPDLeaseFile.Entry {
    /// A server's lease record as dhcpd writes it: bound is `active`, declined `abandoned` (dhcpd's word for an
    /// address a client declined), the others their own names; the client identifier is the `uid`.
    public init(_ lease: DHCPLease) {
        let state = switch lease.state {
        case .bound: "active"
        case .declined: "abandoned"
        case .released, .expired, .free: lease.state.rawValue
        }
        let htype: UInt8 = lease.client.kind == .hardwareAddress ? lease.client.bytes.first ?? 1 : 1
        self.init(address: lease.address, starts: lease.start.isFinite ? Int64(lease.start.rounded(.down)) : nil, ends: lease.expires.isFinite ? Int64(lease.expires.rounded(.down)) : nil,
                  bindingState: state, hardwareType: htype, hardwareAddress: lease.hardwareAddress,
                  uid: lease.client.kind == .clientIdentifier ? lease.client.bytes : nil,
                  hostname: lease.hostName.map { Array($0.utf8) })
    }
}

extension DHCPLease {
    /// The record a dhcpd.leases block describes: `active` is bound, `abandoned` declined, `free` a deleted record,
    /// `backup` and `reset` free addresses (expired); the client is its `uid`, else its hardware address.
    public init(_ entry: DHCPDLeaseFile.Entry) {
        let state: State = switch entry.bindingState {
        case "active": .bound
        case "abandoned": .declined
        case "released": .released
        case "free": .free
        default: .expired
        }
        let client = entry.uid.map { DHCPClientKey(kind: .clientIdentifier, bytes: $0) }
            ?? DHCPClientKey(kind: .hardwareAddress, bytes: [entry.hardwareType] + entry.hardwareAddress)
        let start = Double(entry.starts ?? 0)
        let expires = entry.ends.map(Double.init) ?? .infinity
        let leaseTime = state == .bound ? UInt32(clamping: max(0, (entry.ends ?? Int64(UInt32.max)) - (entry.starts ?? 0))) : 0
        self.init(address: entry.address, client: client, hardwareAddress: entry.hardwareAddress,
                  hostName: entry.hostname.map { String(decoding: $0, as: UTF8.self) }, state: state, start: start,
                  expires: expires, leaseTime: leaseTime)
    }
}
