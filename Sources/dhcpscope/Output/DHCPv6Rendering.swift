import DHCPAnalysis
import DHCPv6Core
import Framing
import NetworkPrimitives

/// Where a DHCPv6 message was seen, and the message read from it: what its renderers need.
struct DHCPv6MessageContext: RenderableMessage {
    var file: String
    var frame: Int
    var time: Timestamp
    var link: LinkInfo
    var record: DHCPv6Record
    /// The message, or why it cannot be read.
    var parsed: Result<DHCPv6Message, DHCPv6ParseError>

    init(file: String, frame: Int, time: Timestamp, link: LinkInfo, record: DHCPv6Record) {
        self.file = file; self.frame = frame; self.time = time; self.link = link; self.record = record
        parsed = record.parse()
    }

    var source: String { Self.endpoint(record.ip.source, record.sourcePort) }
    var destination: String { Self.endpoint(record.ip.destination, record.destinationPort) }

    /// "[2001:db8::1]:547".
    static func endpoint(_ address: IPv6Address, _ port: UInt16) -> String { "[\(address)]:\(port)" }

    /// What is wrong with the message, first the framing warning, then what reading it (to any depth) found.
    var problems: [MessageProblem] {
        var list = [MessageProblem]()
        if let warning = record.framingWarning { list.append((warning.code.description, warning.offset, warning.reason, "warning")) }
        if let error = record.error { list.append((error.code, error.offset, error.description, "error")) }
        return list
    }

    // MARK: JSON

    /// The `message` event: the contract's envelope with `family` "v6" and `dhcp6`.
    func jsonLine(in buffer: ByteBuffer? = nil) -> JSONLine {
        var json = buffer.map { JSONLine(event: "message", buffer: $0) } ?? JSONLine(event: "message")
        json.field("file", file)
        json.fixedFields(maximumLength: 128) { fields in
            fields.number("frame", UInt64(clamping: frame))
            fields.timestamp("time", time)
        }
        json.key("src"); json.endpoint6(record.ip.source, record.sourcePort)
        json.key("dst"); json.endpoint6(record.ip.destination, record.destinationPort)
        json.key("eth_src"); json.mac(link.source)
        json.key("eth_dst"); json.mac(link.destination)
        json.field("vlan", link.vlans.first.map { Int($0) })
        json.field("family", "v6")
        json.field("hop_limit", Int(record.ip.hopLimit))
        if record.reassembled { json.field("reassembled", true) }
        json.key("dhcp6")
        switch parsed {
        case .success(let message): Self.write(message, into: &json, base: 0)
        case .failure: json.null()
        }
        json.messageProblems(problems)
        return json
    }

    /// A `dhcp6` object: header fields by kind, then the options; relayed messages nested.
    static func write(_ message: DHCPv6Message, into json: inout JSONLine, base: Int) {
        json.beginObject()
        json.field("type", message.type.description)
        json.field("msg_type", Int(message.type.rawValue))
        switch message.header {
        case .transaction(let id):
            json.field("xid", Hex.xid6(id))
        case let .relay(hopCount, linkAddress, peerAddress):
            json.field("hop_count", Int(hopCount))
            json.key("link_address"); json.ipv6(linkAddress)
            json.key("peer_address"); json.ipv6(peerAddress)
        }
        writeOptions(message.options, into: &json, base: base + (message.type.isRelay ? 34 : 4))
        json.endObject()
    }

    /// `"code":N,"name":"…"` of the option codes below 256, made once: the start of every option's object.
    private static let optionHeads: [[UInt8]] = (0..<256).map { code in
        JSONLine.fragment { json in
            json.field("code", code)
            json.field("name", DHCPv6OptionTable.name(UInt16(code)))
        }
    }

    /// `options`: [{code, name, length, hex, value, options | message, value_error}], in wire order. `start` is
    /// where the first lies in the outermost message.
    static func writeOptions(_ options: [DHCPv6Option], into json: inout JSONLine, base start: Int) {
        json.beginArray("options")
        var offset = start
        for option in options {
            let dataOffset = offset + 4
            json.beginObject()
            if option.code < 256 {
                Self.optionHeads[Int(option.code)].withUnsafeBufferPointer { json.fields($0) }
            } else {
                json.field("code", Int(option.code))
                json.field("name", DHCPv6OptionTable.name(option.code))
            }
            // Keys, a length of up to 20 digits and two hex digits a byte.
            option.data.withUnsafeBytes { data in
                json.fixedFields(maximumLength: 2 * data.count + 48) { fields in
                    fields.number("length", UInt64(data.count))
                    fields.hex("hex", data, colons: false)
                }
            }
            json.key("value")
            let shape = DHCPv6OptionTable.definition(option.code)?.shape
            let value = DHCPv6OptionValue(option)
            if let value, shape != .message { write(value, shape: shape, into: &json) } else { json.null() }
            var problem: String?
            if shape != .message, shape != nil, shape != .opaque, value == nil {
                problem = "the data does not fit the option's form"
            }
            do throws(DHCPv6ParseError) {
                if let inner = try option.suboptions(at: dataOffset) {
                    writeOptions(inner, into: &json, base: dataOffset + (shape?.optionsOffset ?? 0))
                } else if let relayed = try option.relayedMessage(at: dataOffset) {
                    json.key("message")
                    write(relayed, into: &json, base: dataOffset)
                }
            } catch {
                problem = error.description
            }
            if let problem { json.field("value_error", problem) }
            json.endObject()
            offset = dataOffset + option.data.count
        }
        json.endArray()
    }

    /// An option's value as the contract writes it.
    static func write(_ value: DHCPv6OptionValue, shape: DHCPv6OptionShape?, into json: inout JSONLine) {
        switch value {
        case .duid(let duid): writeDUID(duid, into: &json)
        case let .identityAssociation(iaid, t1, t2):
            json.beginObject()
            json.field("iaid", Int(iaid)); json.field("t1", Int(t1)); json.field("t2", Int(t2))
            json.endObject()
        case .temporaryAssociation(let iaid):
            json.beginObject(); json.field("iaid", Int(iaid)); json.endObject()
        case let .address(address, preferred, valid):
            json.beginObject()
            json.key("address"); json.ipv6(address)
            json.field("preferred_lifetime", Int(preferred)); json.field("valid_lifetime", Int(valid))
            json.endObject()
        case let .prefix(prefix, length, preferred, valid):
            json.beginObject()
            json.field("prefix", "\(prefix)/\(length)")
            json.field("preferred_lifetime", Int(preferred)); json.field("valid_lifetime", Int(valid))
            json.endObject()
        case .optionCodes(let codes):
            json.beginArray(); for code in codes { json.number(Int(code)) }; json.endArray()
        case .number(let number): json.number(Int(number))
        case .elapsedTime(let hundredths): json.double(Double(hundredths) / 100)
        case .addresses(let addresses):
            if shape == .ipv6, let address = addresses.first { json.ipv6(address); return }
            json.beginArray(); for address in addresses { json.ipv6(address) }; json.endArray()
        case let .status(code, message):
            json.beginObject()
            json.field("code", Int(code)); json.field("name", DHCPv6OptionValue.statusName(code)); json.field("message", message)
            json.endObject()
        case .empty: json.bool(true)
        case let .enterprise(number, data):
            json.beginObject()
            json.field("enterprise", Int(number)); json.key("data"); json.hex(data, colons: true)
            json.endObject()
        case let .vendorClass(enterprise, items):
            json.beginObject()
            json.field("enterprise", Int(enterprise))
            writeItems(items, into: &json)
            json.endObject()
        case let .vendorOptions(enterprise, options):
            json.beginObject()
            json.field("enterprise", Int(enterprise))
            json.beginArray("options")
            for option in options {
                json.beginObject()
                json.field("code", Int(option.code)); json.field("length", option.data.count)
                json.key("hex"); json.hex(option.data, colons: false)
                json.endObject()
            }
            json.endArray()
            json.endObject()
        case .opaqueList(let items):
            json.beginObject(); writeItems(items, into: &json); json.endObject()
        case .textList(let items):
            json.beginArray(); for item in items { json.string(item) }; json.endArray()
        case .numbers(let numbers):
            json.beginArray(); for number in numbers { json.number(Int(number)) }; json.endArray()
        case .ntpServers(let servers):
            json.beginArray()
            for server in servers {
                json.beginObject()
                switch server {
                case .address(let address): json.key("address"); json.ipv6(address)
                case .multicast(let address): json.key("multicast"); json.ipv6(address)
                case .fqdn(let name): json.field("fqdn", name)
                case .other(let option):
                    json.field("code", Int(option.code)); json.key("hex"); json.hex(option.data, colons: false)
                }
                json.endObject()
            }
            json.endArray()
        case let .linkLayerAddress(hardwareType, address):
            json.beginObject()
            json.field("hw_type", Int(hardwareType)); json.key("link_layer"); json.hex(address, colons: true)
            json.endObject()
        case let .pdExclude(length, subnetID):
            json.beginObject()
            json.field("prefix_length", Int(length)); json.key("subnet_id"); json.hex(subnetID, colons: false)
            json.endObject()
        case let .authentication(proto, algorithm, rdm, replay, information):
            json.beginObject()
            json.field("protocol", Int(proto)); json.field("algorithm", Int(algorithm)); json.field("rdm", Int(rdm))
            json.field("replay_detection", replay)
            json.key("information"); json.hex(information, colons: false)
            json.endObject()
        case .text(let text): json.string(text)
        case .names(let names):
            if shape == .domainName, let name = names.first { json.string(name); return }
            json.beginArray(); for name in names { json.string(name) }; json.endArray()
        case let .fqdn(flags, name):
            json.beginObject(); json.field("flags", Int(flags)); json.field("name", name); json.endObject()
        case .bytes(let bytes): json.hex(bytes, colons: true)
        }
    }

    /// Opaque items: `items` in hex and `text` as UTF-8 (what they nearly always are).
    private static func writeItems(_ items: [[UInt8]], into json: inout JSONLine) {
        json.beginArray("items"); for item in items { json.hex(item, colons: false) }; json.endArray()
        json.beginArray("text"); for item in items { json.string(String(decoding: item, as: UTF8.self)) }; json.endArray()
    }

    /// {type, hw_type, time, link_layer, enterprise, identifier, uuid}: those the DUID's type has.
    static func writeDUID(_ duid: DHCPv6DUID, into json: inout JSONLine) {
        json.beginObject()
        if duid.type <= 4 { json.field("type", duid.typeName) } else { json.field("type", Int(duid.type)) }
        if let hardwareType = duid.hardwareType { json.field("hw_type", Int(hardwareType)) }
        if let time = duid.timestamp { json.key("time"); json.string(time.rfc3339(fractionDigits: 6)) }
        if let address = duid.linkLayerAddress { json.key("link_layer"); json.hex(address, colons: true) }
        if let enterprise = duid.enterprise { json.field("enterprise", Int(enterprise)) }
        if let identifier = duid.identifier { json.key("identifier"); json.hex(identifier, colons: true) }
        if let uuid = duid.uuid { json.key("uuid"); json.hex(uuid, colons: true) }
        json.endObject()
    }

    // MARK: text

    /// One line: time, addresses, the relay levels, type, xid, client and server DUIDs (and the MAC they give),
    /// the IAs with their addresses and prefixes, status.
    func appendTextLine(to line: inout [UInt8]) {
        time.appendRFC3339(fractionDigits: 6, to: &line)
        line.append(contentsOf: " \(source) > \(destination)".utf8)
        if let vlan = link.vlans.first { line.append(contentsOf: " vlan \(vlan)".utf8) }
        guard case .success(let message) = parsed else {
            line.append(contentsOf: " DHCPv6 MALFORMED ".utf8)
            line.append(contentsOf: problems.map { "[\($0.code): \($0.text)]" }.joined(separator: " ").utf8)
            return
        }
        var text = ""
        let chain = message.relayChain
        for relay in chain.dropLast() {
            guard case let .relay(hopCount, linkAddress, peerAddress) = relay.header else { continue }
            text += " \(relay.type) hops=\(hopCount) link=\(linkAddress) peer=\(peerAddress)"
            if let interface = relay.option(18) { text += " interface-id=" + Hex.colonSeparated(interface.data) }
            text += " |"
        }
        if let inner = chain.last { text += Self.summary(of: inner) }
        for problem in problems { text += " [\(problem.code): \(problem.text)]" }
        line.append(contentsOf: text.utf8)
    }

    /// The client or server message's key fields, for the one-line form.
    static func summary(of message: DHCPv6Message) -> String {
        var text = " " + message.type.description
        if let id = message.transactionID { text += " xid=" + Hex.xid6(id) }
        if message.type.isRelay { return text }
        if let client = message.option(1) {
            text += " client=" + Hex.colonSeparated(client.data)
            if let mac = DHCPv6OptionValue(client)?.mac { text += " mac=\(mac)" }
        }
        if let mac = message.option(79).flatMap(DHCPv6OptionValue.init)?.mac, message.option(1).flatMap(DHCPv6OptionValue.init)?.mac == nil {
            text += " mac=\(mac)"
        }
        if let server = message.option(2) { text += " server=" + Hex.colonSeparated(server.data) }
        if message.option(14) != nil { text += " rapid-commit" }
        for option in message.options {
            switch option.code {
            case 3, 4, 25:
                guard let value = DHCPv6OptionValue(option) else { continue }
                let name = option.code == 3 ? "ia-na" : option.code == 4 ? "ia-ta" : "ia-pd"
                switch value {
                case let .identityAssociation(iaid, t1, t2): text += " \(name)=\(iaid) t1=\(t1) t2=\(t2)"
                case .temporaryAssociation(let iaid): text += " \(name)=\(iaid)"
                default: break
                }
                for inner in (try? option.suboptions()) ?? [] {
                    switch DHCPv6OptionValue(inner) {
                    case let .address(address, preferred, valid)?: text += " addr=\(address) pref=\(preferred) valid=\(valid)"
                    case let .prefix(prefix, length, preferred, valid)?:
                        text += " prefix=\(prefix)/\(length) pref=\(preferred) valid=\(valid)"
                    case let .status(code, _)?: text += " ia-status=" + DHCPv6OptionValue.statusName(code)
                    default: break
                    }
                    // A status inside an address or prefix.
                    for nested in (try? inner.suboptions()) ?? [] {
                        if case let .status(code, _)? = DHCPv6OptionValue(nested) { text += " addr-status=" + DHCPv6OptionValue.statusName(code) }
                    }
                }
            case 13:
                if case let .status(code, message)? = DHCPv6OptionValue(option) {
                    text += " status=" + DHCPv6OptionValue.statusName(code) + (message.isEmpty ? "" : " \"\(message)\"")
                }
            default: break
            }
        }
        return text
    }

    /// Every field and option, nested as on the wire, as the DHCPv4 verbose form lays them out.
    func verboseText() -> String {
        var lines = ["frame \(frame) \(time) \(file)" + (record.reassembled ? " (reassembled from fragments)" : "")]
        var ethernet = "  ETH     \(link.source?.description ?? "-") > \(link.destination?.description ?? "-")"
        if !link.vlans.isEmpty { ethernet += " vlan " + link.vlans.map(String.init).joined(separator: ",") }
        lines.append(ethernet)
        lines.append("  IPv6    \(source) > \(destination) hop-limit \(record.ip.hopLimit)")
        if case .success(let message) = parsed { Self.verboseLines(message, indent: "  ", into: &lines) }
        for problem in problems { lines.append("  \(problem.severity.uppercased())  \(problem.code) at byte \(problem.offset): \(problem.text)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func verboseLines(_ message: DHCPv6Message, indent: String, into lines: inout [String]) {
        lines.append(indent + "TYPE    \(message.type) (\(message.type.rawValue))")
        switch message.header {
        case .transaction(let id): lines.append(indent + "XID     " + Hex.xid6(id))
        case let .relay(hopCount, linkAddress, peerAddress):
            lines.append(indent + "HOPS    \(hopCount)")
            lines.append(indent + "LINK    \(linkAddress)")
            lines.append(indent + "PEER    \(peerAddress)")
        }
        optionLines(message.options, indent: indent, into: &lines)
    }

    static func optionLines(_ options: [DHCPv6Option], indent: String, into lines: inout [String]) {
        for option in options {
            let code = String(option.code), length = String(option.data.count)
            var text = indent + "OPTION  " + String(repeating: " ", count: max(0, 3 - code.count)) + code
                + " (" + String(repeating: " ", count: max(0, 3 - length.count)) + length + ") "
                + DHCPv6OptionTable.name(option.code).padding(24) + " "
            let shape = DHCPv6OptionTable.definition(option.code)?.shape
            if shape != .message {
                if let value = DHCPv6OptionValue(option) { text += value.text } else { text += Hex.colonSeparated(option.data) }
            }
            lines.append(text)
            do throws(DHCPv6ParseError) {
                if let inner = try option.suboptions() {
                    optionLines(inner, indent: indent + "    ", into: &lines)
                } else if let relayed = try option.relayedMessage() {
                    verboseLines(relayed, indent: indent + "    ", into: &lines)
                }
            } catch {
                lines.append(indent + "    [bad options: \(error.description)]")
            }
        }
    }
}
