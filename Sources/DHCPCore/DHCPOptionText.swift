/// The text form of option values: what `decode -v` prints and what a configuration file (`option NAME VALUE`) or a
/// flag gives. One form per shape, written by `render` and read by `parse`, so that every value a shape decodes
/// comes back from its text: `parse(render(v)) == v`.
///
/// Scalars: numbers in decimal, addresses dotted, `true`/`false`, text in double quotes (`\"`, `\\` and `\xNN` for
/// control bytes; a bare word or phrase is read as text too), bytes as colon-separated hex, named values as
/// `NAME (N)` (the name or the number alone are read too), prefixes as `NET/LEN`. Lists: items joined by `,` (blanks
/// separate them too when read). Records: `{name=value name=value}`. Option 77 in Microsoft's form (not RFC 3004
/// length-prefixed classes) is `raw "TEXT"`. Address pairs (21, 33) and classless routes (121, 249) are also read
/// in the configuration file's form, `ADDRESS ADDRESS, …` and `NET/LEN ROUTER, …`.
public enum DHCPOptionText {
    // MARK: rendering

    public static func render(_ value: DHCPOptionValue, shape: DHCPOptionShape) -> String {
        if shape == .userClass, case .text(let text) = value { return "raw " + quoted(text) }
        if shape == .relayAgentInformation, case .record(let fields) = value {
            // A suboption whose value is a record or a list is written as its bytes in hex.
            return "{" + fields.map { field in
                let text: String
                if let code = RelayAgentInformation.code(named: field.name), let shape = RelayAgentInformation.suboptions[code]?.shape,
                   !Schema(shape).isScalar, let bytes = shape.encode(field.value) {
                    text = bytes.isEmpty ? "\"\"" : Hex.colonSeparated(bytes)
                } else {
                    text = render(field.value)
                }
                return "\(field.name)=\(text)"
            }.joined(separator: " ") + "}"
        }
        return render(value)
    }

    static func render(_ value: DHCPOptionValue) -> String {
        switch value {
        case .unsigned(let number): String(number)
        case .signed(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .ipv4(let address): address.description
        case .text(let string): quoted(string)
        case .bytes(let bytes): bytes.isEmpty ? "\"\"" : Hex.colonSeparated(bytes)
        case .named(let code, let name): name.map { "\($0) (\(code))" } ?? String(code)
        case .prefix(let address, let width): "\(address)/\(width)"
        case .list(let items): items.map(render).joined(separator: ",")
        case .record(let fields): "{" + fields.map { "\($0.name)=\(render($0.value))" }.joined(separator: " ") + "}"
        }
    }

    /// `"…"` with `"`, `\` and control characters escaped.
    static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let digits = String(scalar.value, radix: 16)
                out += "\\x" + (digits.count < 2 ? "0" : "") + digits
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: parsing

    /// The value of `shape` that `text` writes; an error says what is wrong.
    public static func parse(_ text: String, shape: DHCPOptionShape) throws(DHCPValueError) -> DHCPOptionValue {
        let trimmed = Substring(text).trimmingBlanks()
        switch shape {
        case .text:
            return .text(trimmed.hasPrefix("\"") ? try single(trimmed).text() : String(trimmed))
        case .named(let names):
            return try named(String(trimmed), names)
        case .flag:
            guard trimmed.isEmpty || (try? boolean(String(trimmed))) == true else {
                throw DHCPValueError("'\(trimmed)' for an option that is sent empty or not at all")
            }
            return .bool(true)
        case .userClass where trimmed.hasPrefix("raw "):
            return .text(try single(trimmed.dropFirst(4)).text())
        default:
            let node = try Node.parse(trimmed)
            return try Schema(shape).value(node, top: true)
        }
    }

    static func named(_ text: String, _ names: [UInt32: String]) throws(DHCPValueError) -> DHCPOptionValue {
        var word = text
        // "NAME (N)": the number decides.
        if let open = text.lastIndex(of: "("), text.hasSuffix(")") {
            word = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        }
        if let number = UInt32(word), number <= 0xFF { return .named(code: number, name: names[number]) }
        guard let entry = names.first(where: { $0.value.lowercased() == word.lowercased() }) else {
            let known = names.sorted { $0.key < $1.key }.map { "\($0.value) (\($0.key))" }.joined(separator: ", ")
            throw DHCPValueError("'\(text)' is not one of \(known)")
        }
        return .named(code: entry.key, name: entry.value)
    }

    /// yes/no, true/false, on/off, 1/0.
    public static func boolean(_ text: String) throws(DHCPValueError) -> Bool {
        switch text.lowercased() {
        case "yes", "true", "on", "1": return true
        case "no", "false", "off", "0": return false
        default: throw DHCPValueError("'\(text)' is neither yes nor no (true/false, on/off, 1/0)")
        }
    }

    /// NET/LEN with no host bits set.
    public static func prefix(_ word: String) throws(DHCPValueError) -> (IPv4Address, Int) {
        let parts = word.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let network = IPv4Address(parts[0]), parts[1].allSatisfy(\.isNumber),
              let length = Int(parts[1]), (0...32).contains(length) else {
            throw DHCPValueError("'\(word)' is not NET/PREFIX (e.g. 198.18.0.0/24)")
        }
        let mask: UInt32 = length == 0 ? 0 : UInt32.max << UInt32(32 - length)
        guard network.rawValue & mask == network.rawValue else {
            throw DHCPValueError("\(word) has host bits set: the network is \(IPv4Address(rawValue: network.rawValue & mask))/\(length)")
        }
        return (network, length)
    }

    static func single(_ text: Substring) throws(DHCPValueError) -> Node {
        let node = try Node.parse(text)
        if case .list(let items) = node, items.count != 1 { throw DHCPValueError("expected one value: \(text)") }
        if case .list(let items) = node { return items[0] }
        return node
    }

    // MARK: the untyped tree of a text

    /// What a text says before the shape gives it types: words, quoted text, records, lists.
    indirect enum Node {
        case word(String)
        case quoted(String)
        case record([(String, Node)])
        case list([Node])

        /// A whole text: one item, or a list of items separated by commas or blanks.
        static func parse(_ text: Substring) throws(DHCPValueError) -> Node {
            var reader = Reader(text: text)
            let items = try reader.items(blanksSeparate: true, until: nil)
            return items.count == 1 ? items[0] : .list(items)
        }

        func text() throws(DHCPValueError) -> String {
            switch self {
            case .quoted(let text), .word(let text): return text
            default: throw DHCPValueError("expected text, found a record or a list")
            }
        }
    }

    struct Reader {
        let text: Substring
        var index: Substring.Index

        init(text: Substring) { self.text = text; index = text.startIndex }

        var atEnd: Bool { index == text.endIndex }
        var current: Character? { atEnd ? nil : text[index] }

        mutating func skipBlanks() { while let character = current, character == " " || character == "\t" { index = text.index(after: index) } }

        /// Items separated by `,` (and by blanks when `blanksSeparate`), up to `closer` or the end.
        mutating func items(blanksSeparate: Bool, until closer: Character?) throws(DHCPValueError) -> [Node] {
            var items = [Node]()
            skipBlanks()
            while let character = current, character != closer {
                items.append(try item())
                skipBlanks()
                if current == "," {
                    index = text.index(after: index)
                    skipBlanks()
                } else if !blanksSeparate {
                    break
                }
            }
            return items
        }

        mutating func item() throws(DHCPValueError) -> Node {
            switch current {
            case "\""?: return .quoted(try quotedText())
            case "{"?: return try record()
            default: return .word(word())
            }
        }

        mutating func word() -> String {
            let start = index
            while let character = current, !" \t,{}=\"".contains(character) { index = text.index(after: index) }
            return String(text[start..<index])
        }

        mutating func quotedText() throws(DHCPValueError) -> String {
            index = text.index(after: index)
            var scalars = String.UnicodeScalarView()
            while true {
                guard let character = current else { throw DHCPValueError("unterminated quoted text") }
                index = text.index(after: index)
                if character == "\"" { return String(scalars) }
                if character == "\\" {
                    guard let escaped = current else { throw DHCPValueError("a \\ ends the text") }
                    index = text.index(after: index)
                    if escaped == "x" {
                        let start = index
                        for _ in 0..<2 where !atEnd { index = text.index(after: index) }
                        guard let value = UInt32(text[start..<index], radix: 16), let scalar = Unicode.Scalar(value) else {
                            throw DHCPValueError("\\x needs two hex digits")
                        }
                        scalars.append(scalar)
                    } else {
                        scalars.append(contentsOf: escaped.unicodeScalars)
                    }
                } else {
                    scalars.append(contentsOf: character.unicodeScalars)
                }
            }
        }

        /// `{name=value name=value}`; a value is an item or a list of them joined by commas.
        mutating func record() throws(DHCPValueError) -> Node {
            index = text.index(after: index)
            var fields = [(String, Node)]()
            skipBlanks()
            while current != "}" {
                guard !atEnd else { throw DHCPValueError("unterminated record: no }") }
                let name = word()
                guard !name.isEmpty, current == "=" else { throw DHCPValueError("expected name=value in a record") }
                index = text.index(after: index)
                let items = try items(blanksSeparate: false, until: "}")
                guard !items.isEmpty else { throw DHCPValueError("\(name)= has no value") }
                fields.append((name, items.count == 1 ? items[0] : .list(items)))
                skipBlanks()
            }
            index = text.index(after: index)
            return .record(fields)
        }
    }

    // MARK: what a shape's values are made of

    /// The types of a shape's value tree, which turn a `Node` into a `DHCPOptionValue`.
    indirect enum Schema {
        case signed, bool, ipv4, text, bytes, textOrBytes, prefix
        /// A number from 0 to `maximum`.
        case unsigned(maximum: UInt64)
        /// An option code: its number, or its name in the table.
        case optionCode
        /// A DNS name (RFC 1035: labels of 1…63 bytes).
        case dnsName
        case named([UInt32: String])
        case list(Schema)
        /// A record whose fields have these types (any subset, in the text's order).
        case record([String: Schema])
        /// Bytes in hex, read by the shape (a suboption of 82 whose shape is a record or a list).
        case encoded(DHCPOptionShape)
        /// Option 82: fields by suboption name.
        case relayAgentInformation
        /// Option 43: items {code data}, or opaque bytes.
        case vendorEncapsulated

        init(_ shape: DHCPOptionShape) {
            let unsigned = Schema.unsigned(maximum: 0xFFFF_FFFF), byte = Schema.unsigned(maximum: 0xFF)
            switch shape {
            case .ipv4: self = .ipv4
            case .ipv4List: self = .list(.ipv4)
            case .ipv4Pairs: self = .list(.record(["address": .ipv4, "mask_or_router": .ipv4]))
            case .uint8: self = byte
            case .uint16: self = .unsigned(maximum: 0xFFFF)
            case .uint32: self = unsigned
            case .int32: self = .signed
            case .uint16List: self = .list(.unsigned(maximum: 0xFFFF))
            case .optionCodes: self = .list(.optionCode)
            case .bool, .flag: self = .bool
            case .text: self = .text
            case .bytes: self = .bytes
            case .named(let names): self = .named(names)
            case .clientIdentifier: self = .record(["type": byte, "mac": .text, "iaid": unsigned, "duid": .bytes, "id": .bytes])
            case .relayAgentInformation: self = .relayAgentInformation
            case .domainList: self = .list(.dnsName)
            case .classlessRoutes: self = .list(.record(["destination": .prefix, "router": .ipv4]))
            case .clientFQDN: self = .record(["flags": byte, "rcode1": byte, "rcode2": byte, "name": .text])
            case .userClass: self = .list(.textOrBytes)
            case .vendorIdentifyingClass: self = .list(.record(["enterprise": unsigned, "data": .list(.textOrBytes)]))
            case .vendorIdentifyingOptions:
                self = .list(.record(["enterprise": unsigned, "suboptions": .list(.record(["code": byte, "data": .textOrBytes]))]))
            case .networkInterfaceIdentifier: self = .record(["type": byte, "major": byte, "minor": byte])
            case .machineIdentifier: self = .record(["type": byte, "id": .bytes])
            case .statusCode: self = .record(["code": byte, "message": .text])
            case .sipServers: self = .record(["names": .list(.dnsName), "addresses": .list(.ipv4)])
            case .vendorEncapsulated: self = .vendorEncapsulated
            case .structure(let fields):
                self = .record(Dictionary(uniqueKeysWithValues: fields.map { field in
                    let schema: Schema = switch field.kind {
                    case .uint8: byte
                    case .uint16: .unsigned(maximum: 0xFFFF)
                    case .uint32: unsigned
                    case .uint64: .unsigned(maximum: .max)
                    case .flag: .bool
                    case .restBytes: .bytes
                    case .restText: .text
                    case .restAddresses: .list(.ipv4)
                    }
                    return (field.name, schema)
                }))
            }
        }

        func value(_ node: Node, top: Bool = false) throws(DHCPValueError) -> DHCPOptionValue {
            switch self {
            case .list(let item):
                if case .record(let fields) = item, top, let pairs = try Self.pairs(node, fields) { return pairs }
                let nodes: [Node] = if case .list(let nodes) = node { nodes } else { [node] }
                var values = [DHCPOptionValue]()
                for node in nodes { values.append(try item.value(node)) }
                return .list(values)
            case .record(let types):
                guard case .record(let fields) = node else { throw DHCPValueError("expected a record {name=value …}") }
                var values = [DHCPOptionField]()
                for (name, field) in fields {
                    guard let type = types[name] else {
                        throw DHCPValueError("no field \(name) here: \(types.keys.sorted().joined(separator: ", "))")
                    }
                    values.append(DHCPOptionField(name, try type.value(field)))
                }
                return .record(values)
            case .relayAgentInformation:
                guard case .record(let fields) = node else { throw DHCPValueError("expected suboptions {name=value …}") }
                var values = [DHCPOptionField]()
                for (name, field) in fields {
                    guard let code = RelayAgentInformation.code(named: name) else { throw DHCPValueError("no suboption \(name)") }
                    let type: Schema
                    if let shape = RelayAgentInformation.suboptions[code]?.shape {
                        type = Schema(shape).isScalar ? Schema(shape) : .encoded(shape)
                    } else {
                        type = RelayAgentInformation.suboptions[code] == nil ? .bytes : .textOrBytes
                    }
                    values.append(DHCPOptionField(name, try type.value(field)))
                }
                return .record(values)
            case .vendorEncapsulated:
                if case .word = node { return try Schema.bytes.value(node) }
                return try Schema.list(.record(["code": .unsigned(maximum: 0xFE), "data": .bytes])).value(node)
            default:
                return try scalar(node)
            }
        }

        var isScalar: Bool {
            switch self {
            case .unsigned, .signed, .bool, .ipv4, .text, .bytes, .textOrBytes, .prefix, .named, .optionCode, .dnsName: true
            default: false
            }
        }

        private func scalar(_ node: Node) throws(DHCPValueError) -> DHCPOptionValue {
            if case .list(let items) = node, items.count == 1 { return try scalar(items[0]) }
            switch (self, node) {
            case (.text, .quoted(let text)), (.text, .word(let text)): return .text(text)
            case (.textOrBytes, .quoted(let text)): return text.isEmpty ? .bytes([]) : .textOrBytes(Array(text.utf8))
            case (.bytes, .quoted("")): return .bytes([])
            case (.bytes, .word(let word)), (.textOrBytes, .word(let word)):
                guard let bytes = Hex.parse(word) else { throw DHCPValueError("'\(word)' is not bytes in hex (e.g. 68:74:74:70)") }
                return .bytes(bytes)
            case (.unsigned(let maximum), .word(let word)):
                guard word.allSatisfy({ $0.isASCII && $0.isNumber }), let number = UInt64(word), number <= maximum else {
                    throw DHCPValueError("'\(word)' is not a number within 0…\(maximum)")
                }
                return .unsigned(number)
            case (.dnsName, .word(let name)), (.dnsName, .quoted(let name)):
                guard DomainName.labels(name) != nil, name.utf8.count <= 254 else {
                    throw DHCPValueError("'\(name)' is not a DNS name (labels of 1…63 bytes, at most 253 in all)")
                }
                return .text(name)
            case (.optionCode, .word(let word)):
                guard let code = DHCPOptionTable.code(named: word) else { throw DHCPValueError("'\(word)' is not an option code or name") }
                return .unsigned(UInt64(code.rawValue))
            case (.signed, .word(let word)):
                guard let number = Int64(word) else { throw DHCPValueError("'\(word)' is not a number") }
                return .signed(number)
            case (.bool, .word(let word)): return .bool(try boolean(word))
            case (.ipv4, .word(let word)):
                guard let address = IPv4Address(word) else { throw DHCPValueError("'\(word)' is not an IPv4 address") }
                return .ipv4(address)
            case (.prefix, .word(let word)):
                let (network, length) = try DHCPOptionText.prefix(word)
                return .prefix(network, length)
            case (.named(let names), .word(let word)): return try DHCPOptionText.named(word, names)
            case (.encoded(let shape), .word(let word)):
                guard let bytes = Hex.parse(word) else { throw DHCPValueError("'\(word)' is not bytes in hex") }
                return try shape.decode(bytes)
            default:
                throw DHCPValueError("'\(Node.describe(node))' is not \(self)")
            }
        }

        /// The configuration file's form of address pairs and routes: `A B, C D` — a list of two-word items.
        private static func pairs(_ node: Node, _ fields: [String: Schema]) throws(DHCPValueError) -> DHCPOptionValue? {
            guard case .list(let nodes) = node, nodes.count % 2 == 0, nodes.allSatisfy({ if case .word = $0 { true } else { false } })
            else { return nil }
            let names = fields.keys.contains("destination") ? ["destination", "router"] : ["address", "mask_or_router"]
            var records = [DHCPOptionValue]()
            for index in stride(from: 0, to: nodes.count, by: 2) {
                records.append(try Schema.record(fields).value(.record([(names[0], nodes[index]), (names[1], nodes[index + 1])])))
            }
            return .list(records)
        }
    }
}

extension DHCPOptionText.Node {
    static func describe(_ node: DHCPOptionText.Node) -> String {
        switch node {
        case .word(let word): word
        case .quoted(let text): DHCPOptionText.quoted(text)
        case .record: "{…}"
        case .list: "a list"
        }
    }
}

extension Substring {
    func trimmingBlanks() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" || first == "\r" || first == "\n" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" || last == "\n" { text.removeLast() }
        return text
    }
}

extension DHCPOptionDefinition {
    /// The text form of `value` (this option's shape).
    public func text(_ value: DHCPOptionValue) -> String { DHCPOptionText.render(value, shape: shape) }

    /// The value written as `text`, checked to encode.
    public func value(fromText text: String) throws(DHCPValueError) -> DHCPOptionValue {
        let value = try DHCPOptionText.parse(text, shape: shape)
        guard shape.encode(value) != nil else { throw DHCPValueError("'\(text)' does not fit option \(code.rawValue) (\(name))") }
        return value
    }
}
