import NetworkPrimitives

extension DHCPv6DUID {
    /// DUID-LLT's time as a timestamp (its epoch is midnight UTC, January 1, 2000).
    public var timestamp: Timestamp? { time.map { Timestamp(seconds: 946_684_800 + Int64($0), nanoseconds: 0) } }

    /// "LLT hw 1 time 2016-02-26T02:38:03Z 00:0c:29:…", "EN 30065 0a:0b", "LL hw 1 …", "UUID …", or the type and bytes.
    public var text: String {
        switch type {
        case 1:
            "LLT hw \(hardwareType ?? 0) time \(timestamp?.rfc3339(fractionDigits: 0) ?? "-") "
                + Hex.colonSeparated(linkLayerAddress ?? [])
        case 2: "EN \(enterprise ?? 0) " + Hex.colonSeparated(identifier ?? [])
        case 3: "LL hw \(hardwareType ?? 0) " + Hex.colonSeparated(linkLayerAddress ?? [])
        case 4: "UUID " + Hex.colonSeparated(uuid ?? [])
        default: "type \(type) " + Hex.colonSeparated(identifier ?? [])
        }
    }
}

extension DHCPv6OptionValue {
    /// The value as one line of text, for decode's text and verbose forms.
    public var text: String {
        func quoted(_ bytes: [UInt8]) -> String {
            bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) ? "\"" + String(decoding: bytes, as: UTF8.self) + "\""
                : Hex.colonSeparated(bytes)
        }
        switch self {
        case .duid(let duid): return duid.text
        case let .identityAssociation(iaid, t1, t2): return "iaid 0x\(Hex.compact(Self.bigEndian(iaid))) t1 \(t1) t2 \(t2)"
        case .temporaryAssociation(let iaid): return "iaid 0x\(Hex.compact(Self.bigEndian(iaid)))"
        case let .address(address, preferred, valid): return "\(address) preferred \(preferred) valid \(valid)"
        case let .prefix(prefix, length, preferred, valid): return "\(prefix)/\(length) preferred \(preferred) valid \(valid)"
        case .optionCodes(let codes): return codes.map { DHCPv6OptionTable.name($0) }.joined(separator: ",")
        case .number(let number): return String(number)
        case .elapsedTime(let hundredths):
            return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)s"
        case .addresses(let addresses): return addresses.map(\.description).joined(separator: ",")
        case let .status(code, message):
            return Self.statusName(code) + (message.isEmpty ? "" : " \"\(message)\"")
        case .empty: return "(present)"
        case let .enterprise(number, data): return "enterprise \(number) " + Hex.colonSeparated(data)
        case let .vendorClass(enterprise, items): return "enterprise \(enterprise) " + items.map(quoted).joined(separator: ",")
        case let .vendorOptions(enterprise, options):
            return "enterprise \(enterprise) " + options.map { "\($0.code)=" + Hex.colonSeparated($0.data) }.joined(separator: " ")
        case .opaqueList(let items): return items.map(quoted).joined(separator: ",")
        case .textList(let items): return items.map { "\"\($0)\"" }.joined(separator: ",")
        case .numbers(let numbers): return numbers.map(String.init).joined(separator: ",")
        case .ntpServers(let servers):
            return servers.map { server in
                switch server {
                case .address(let address): "address \(address)"
                case .multicast(let address): "multicast \(address)"
                case .fqdn(let name): "fqdn \(name)"
                case .other(let option): "\(option.code)=" + Hex.colonSeparated(option.data)
                }
            }.joined(separator: ",")
        case let .linkLayerAddress(hardwareType, address): return "hw \(hardwareType) " + Hex.colonSeparated(address)
        case let .pdExclude(length, subnetID): return "/\(length) subnet-id " + Hex.colonSeparated(subnetID)
        case let .authentication(proto, algorithm, rdm, replay, information):
            return "protocol \(proto) algorithm \(algorithm) rdm \(rdm) replay 0x\(String(replay, radix: 16)) "
                + Hex.colonSeparated(information)
        case .text(let text): return "\"\(text)\""
        case .names(let names): return names.joined(separator: ",")
        case let .fqdn(flags, name):
            let letters = [(0x01, "S"), (0x02, "O"), (0x04, "N")].filter { Int(flags) & $0.0 != 0 }.map(\.1).joined()
            return "flags \(letters.isEmpty ? "-" : letters) \(name)"
        case .bytes(let bytes): return Hex.colonSeparated(bytes)
        }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
