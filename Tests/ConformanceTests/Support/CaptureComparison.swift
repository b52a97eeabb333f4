import Foundation
import Capture
import DHCPAnalysis
import DHCPCore
import Framing

/// A place where our decode and tshark's disagree. `field` is the stable name used by known-differences.tsv.
struct Difference: Hashable, Sendable, CustomStringConvertible {
    var frame: Int
    var field: String
    var detail: String
    var description: String { "frame \(frame) \(field): \(detail)" }
}

/// What a comparison covered.
struct Tally: Sendable {
    var captures = 0
    var frames = 0
    var messagesCompared = 0
    var headerFieldsCompared = 0
    var optionsCompared = 0
    /// Options whose typed value was compared with tshark's typed fields.
    var typedCompared = 0
    /// Options for which tshark shows no typed field (only length and bytes): bytes compared only.
    var typedNotGivenByTshark = 0
    /// Options of an opaque shape (bytes) in our table: bytes compared only.
    var typedOpaque = 0
    /// Codes tshark decodes but our table does not (or our shape has no mapping), with counts.
    var typedUnmapped = [String: Int]()
    var roundTrips = 0
    var roundTripsWithoutPayload = 0
    var padAndEndEntries = 0

    mutating func add(_ other: Tally) {
        captures += other.captures; frames += other.frames; messagesCompared += other.messagesCompared
        headerFieldsCompared += other.headerFieldsCompared; optionsCompared += other.optionsCompared
        typedCompared += other.typedCompared; typedNotGivenByTshark += other.typedNotGivenByTshark
        typedOpaque += other.typedOpaque; roundTrips += other.roundTrips
        roundTripsWithoutPayload += other.roundTripsWithoutPayload; padAndEndEntries += other.padAndEndEntries
        for (key, count) in other.typedUnmapped { typedUnmapped[key, default: 0] += count }
    }

    var summary: String {
        let unmapped = typedUnmapped.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
        return "\(captures) captures, \(frames) frames, \(messagesCompared) DHCP messages compared, "
            + "\(headerFieldsCompared) header fields, \(optionsCompared) options compared (code, length, bytes), "
            + "\(typedCompared) typed values compared, \(typedNotGivenByTshark) without a tshark typed value, "
            + "\(typedOpaque) opaque, \(padAndEndEntries) pad/end entries, \(roundTrips) byte-exact round trips"
            + (roundTripsWithoutPayload > 0 ? " (\(roundTripsWithoutPayload) without payload)" : "")
            + (unmapped.isEmpty ? "" : "; tshark-typed but not mapped: \(unmapped)")
    }
}

/// Decodes every frame of a capture and compares it with the tshark reference.
struct CaptureComparison {
    let capture: CaptureCase
    var differences = [Difference]()
    var tally = Tally()

    init(_ capture: CaptureCase) { self.capture = capture }

    mutating func diff(_ frame: Int, _ field: String, _ detail: String) {
        differences.append(Difference(frame: frame, field: field, detail: detail))
    }

    mutating func run() throws {
        tally.captures = 1
        let reference = try TsharkReference.load(capture)
        let reader = try PCAPFileReader(path: capture.url.path)
        let linkType = LinkType(rawValue: reader.linkType)
        var decoder = DHCPFrameDecoder()
        var seen = Set<Int>()
        while let packet = try reader.next() {
            tally.frames += 1
            seen.insert(packet.frameNumber)
            let decoded = decoder.decode(packet.bytes, linkType: linkType, time: packet.timestamp)
            var framePayload: [UInt8]?
            if case .udp(_, let udp, _) = FrameParser.parse(packet.bytes, linkType: linkType).payload {
                framePayload = Array(packet.bytes[udp.payload])
            }
            compareFrame(packet.frameNumber, decoded, framePayload: framePayload, reference: reference[packet.frameNumber])
        }
        for number in reference.keys.sorted() where !seen.contains(number) {
            diff(number, "frame.missing", "tshark shows this frame (\(reference[number]!.protocols)); our reader did not return it")
        }
    }

    // MARK: frames

    mutating func compareFrame(_ number: Int, _ decoded: DecodedFrame, framePayload: [UInt8]?, reference: ReferenceFrame?) {
        let tsharkDHCP = reference?.dhcp != nil
        let tsharkV6 = reference?.hasDHCPv6 ?? false
        let where_ = reference.map { "tshark: \($0.protocols)" } ?? "frame not in the tshark reference"
        switch decoded.content {
        case .dhcp(let record):
            let payload = record.reassembled ? reference?.udpPayload : framePayload
            roundTrip(number, record, payload: payload)
            if let layer = reference?.dhcp {
                switch capture.format {
                case .json: compareMessage(number, record, layer)
                case .ek: compareEK(number, record, layer)
                }
            } else {
                diff(number, "frame.dhcp", "we decode a DHCPv4 message; tshark has no dhcp layer (\(where_))")
            }
        case .dhcpv6:
            if tsharkDHCP { diff(number, "frame.dhcp", "tshark decodes DHCPv4; we see DHCPv6") }
            if !tsharkV6 { diff(number, "frame.dhcpv6", "we count DHCPv6; tshark has no dhcpv6 layer (\(where_))") }
        case .fragment, .other, .malformed:
            if tsharkDHCP { diff(number, "frame.dhcp", "tshark decodes DHCPv4 (\(where_)); we give \(decoded.content)") }
            if tsharkV6 { diff(number, "frame.dhcpv6", "tshark decodes DHCPv6 (\(where_)); we give \(decoded.content)") }
        }
    }

    /// parse(payload).serialize() == payload, and the decoder's message is the one parsed from the payload.
    mutating func roundTrip(_ number: Int, _ record: DHCPRecord, payload: [UInt8]?) {
        guard let payload else {
            tally.roundTripsWithoutPayload += 1
            diff(number, "roundtrip.payload", "no UDP payload to round-trip (reassembled without tshark's udp.payload)")
            return
        }
        if payload.count != record.payload.count {
            diff(number, "roundtrip.length", "UDP payload \(payload.count) bytes, the record says \(record.payload.count)")
        }
        let parsed = DHCPMessage.parse(payload)
        if parsed.message != record.message { diff(number, "roundtrip.decoder", "the decoder's message differs from parse(payload)") }
        guard let message = parsed.message else { return }  // shorter than the BOOTP header: nothing to serialize
        let bytes = message.serialize()
        if bytes != payload {
            let at = zip(bytes, payload).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset ?? min(bytes.count, payload.count)
            diff(number, "roundtrip", "serialize() gives \(bytes.count) bytes for a \(payload.count)-byte payload; first difference at byte \(at)")
        } else {
            tally.roundTrips += 1
        }
    }

    // MARK: -T json messages

    mutating func compareMessage(_ number: Int, _ record: DHCPRecord, _ layer: OrderedJSON) {
        guard let members = layer.members else {
            // tshark puts only the protocol name when the payload is too short for the header.
            if record.message != nil {
                diff(number, "header", "tshark could not read the BOOTP header (\(layer.string ?? "?")); we did")
            }
            tally.messagesCompared += 1
            return
        }
        guard let message = record.message else {
            diff(number, "header", "we could not read the header (\(record.diagnostics.map(\.description))); tshark did")
            return
        }
        tally.messagesCompared += 1
        compareHeader(number, message, layer)

        // Options: the options field, and the overloaded fields tshark nests under option 52.
        let main = Self.referenceArea(members)
        if case .options(let area) = message.vendor {
            compareArea(number, "options", ours: area, theirs: main.entries, message: message)
            let trailerPadding = layer.all("dhcp.option.padding").compactMap { $0.string.flatMap { Hex.parse($0) } }
            if !trailerPadding.isEmpty || !area.trailer.isEmpty {
                let theirs = trailerPadding.reduce(0) { $0 + $1.count }
                if area.trailer.allSatisfy({ $0 == 0 }) ? theirs != area.trailer.count : !trailerPadding.isEmpty {
                    diff(number, "options.trailer", "we keep \(area.trailer.count) bytes after the end option (\(Hex.colonSeparated(area.trailer.prefix(8)))…); tshark shows \(theirs) bytes of padding")
                }
            }
        } else if !main.entries.isEmpty {
            diff(number, "options.count", "we have no options field (\(message.vendor)); tshark shows \(main.entries.count) entries")
        }
        let overloads: [(String, DHCPMessage.Field, String)] = [
            ("sname", message.sname, "Server host name option overload"),
            ("file", message.file, "Boot file name option overload"),
        ]
        for (name, field, title) in overloads {
            let theirs = main.overloads[title]
            switch (field, theirs) {
            case (.options(let area), let theirs?):
                compareArea(number, "\(name).options", ours: area, theirs: theirs, message: message)
            case (.options, nil):
                diff(number, "\(name).overload", "we read options in \(name); tshark does not")
            case (.raw, _?):
                diff(number, "\(name).overload", "tshark reads options in \(name); we do not")
            case (.raw, nil):
                break
            }
        }
        compareTypedValues(number, message)
    }

    /// The fixed BOOTP header fields as tshark writes them, for both reference formats.
    static func fixedHeader(_ message: DHCPMessage) -> [(String, String)] {
        [
            ("dhcp.type", "\(message.op)"),
            ("dhcp.hw.type", "0x" + Hex.compact([message.htype])),
            ("dhcp.hw.len", "\(message.hlen)"),
            ("dhcp.hops", "\(message.hops)"),
            ("dhcp.id", "0x" + Hex.compact(IPv4Address(rawValue: message.xid).octets)),
            ("dhcp.secs", "\(message.secs)"),
            ("dhcp.flags", "0x" + Hex.compact([UInt8(message.flags >> 8), UInt8(message.flags & 0xFF)])),
            ("dhcp.ip.client", message.clientAddress.description),
            ("dhcp.ip.your", message.yourAddress.description),
            ("dhcp.ip.server", message.serverAddress.description),
            ("dhcp.ip.relay", message.relayAddress.description),
        ]
    }

    mutating func compareHeader(_ number: Int, _ message: DHCPMessage, _ layer: OrderedJSON) {
        var expected = Self.fixedHeader(message)
        for (key, ours) in expected {
            tally.headerFieldsCompared += 1
            guard let theirs = layer[key]?.string else { diff(number, "header.\(key)", "missing in tshark; ours \(ours)"); continue }
            if theirs != ours { diff(number, "header.\(key)", "ours \(ours), tshark \(theirs)") }
        }
        // chaddr: tshark shows the Ethernet address and the padding after it, or the hlen bytes and the padding.
        let length = min(Int(message.hlen), 16)
        expected = [
            ("dhcp.hw.mac_addr", Hex.colonSeparated(message.chaddr.prefix(6))),
            ("dhcp.hw.addr", Hex.colonSeparated(message.chaddr.prefix(length))),
            ("dhcp.hw.addr_padding", Hex.colonSeparated(message.chaddr.dropFirst(length))),
            ("dhcp.server", Self.fieldText(message.sname) ?? ""),
            ("dhcp.file", Self.fieldText(message.file) ?? ""),
        ]
        for (key, ours) in expected {
            guard let theirs = layer[key]?.string else { continue }
            tally.headerFieldsCompared += 1
            if theirs != ours { diff(number, "header.\(key)", "ours \(ours), tshark \(theirs)") }
        }
        if message.htype == 1, message.hlen == 6, layer["dhcp.hw.mac_addr"] == nil {
            diff(number, "header.dhcp.hw.mac_addr", "missing in tshark for an Ethernet chaddr")
        }
        for (key, field) in [("dhcp.server", message.sname), ("dhcp.file", message.file)] {
            if case .raw = field, layer[key] == nil { diff(number, "header.\(key)", "missing in tshark; ours \(Self.fieldText(field)!)") }
            if case .options = field, layer[key] != nil { diff(number, "header.\(key)", "tshark shows text for an overloaded field") }
        }
        for member in layer.members ?? [] where member.key.hasPrefix("dhcp.hw.")
            && !["dhcp.hw.type", "dhcp.hw.len", "dhcp.hw.mac_addr", "dhcp.hw.addr", "dhcp.hw.addr_padding"].contains(member.key) {
            diff(number, "header.\(member.key)", "tshark field not compared: \(member.value.string ?? "?")")
        }
        // The magic cookie.
        tally.headerFieldsCompared += 1
        let cookie = layer["dhcp.cookie"]?.string
        switch message.vendor {
        case .options:
            if cookie != "99.130.83.99" { diff(number, "header.dhcp.cookie", "we read the magic cookie; tshark shows \(cookie ?? "none")") }
        case .absent, .unknown:
            if let cookie { diff(number, "header.dhcp.cookie", "we found no magic cookie (\(message.vendor)); tshark shows \(cookie)") }
        }
    }

    static func fieldText(_ field: DHCPMessage.Field) -> String? {
        guard case .raw(let bytes) = field else { return nil }
        return TsharkText.render(bytes)
    }

    // MARK: option areas

    enum ReferenceEntry {
        case pad(Int)
        case end
        case option(code: Int, length: Int?, value: [UInt8]?, tree: OrderedJSON)
    }

    struct ReferenceArea {
        var entries = [ReferenceEntry]()
        /// The option lists nested under option 52, by tshark's title.
        var overloads = [String: [ReferenceEntry]]()
    }

    static func referenceArea(_ members: [OrderedJSON.Member]) -> ReferenceArea {
        var area = ReferenceArea()
        var index = 0
        while index < members.count {
            defer { index += 1 }
            guard members[index].key == "dhcp.option.type", let code = members[index].value.string.flatMap({ Int($0) }) else { continue }
            var tree = OrderedJSON.object([])
            if index + 1 < members.count, members[index + 1].key == "dhcp.option.type_tree" {
                tree = members[index + 1].value
                index += 1
            }
            if tree["dhcp.option.end"] != nil { area.entries.append(.end); continue }
            if let padding = tree["dhcp.option.padding"]?.string {
                area.entries.append(.pad(Hex.parse(padding)?.count ?? 0)); continue
            }
            let length = tree["dhcp.option.length"]?.string.flatMap { Int($0) }
            let value = tree["dhcp.option.value"]?.string.flatMap { Hex.parse($0) }
            area.entries.append(.option(code: code, length: length, value: value, tree: tree))
            for member in tree.members ?? [] where member.key.hasSuffix("option overload") {
                area.overloads[member.key] = referenceArea(member.value.members ?? []).entries
            }
        }
        return area
    }

    /// Typed checks are done per message after all areas, so that RFC 3396 split options can be joined.
    var pendingTyped = [(field: String, option: DHCPOption, tree: OrderedJSON)]()

    mutating func compareArea(_ number: Int, _ prefix: String, ours: DHCPOptionArea, theirs: [ReferenceEntry], message: DHCPMessage) {
        let ourOptions = ours.options
        var theirOptions = [(code: Int, length: Int?, value: [UInt8]?, tree: OrderedJSON)]()
        var theirLayout = [String]()
        for entry in theirs {
            switch entry {
            case .pad(let count): theirLayout.append("pad(\(count))")
            case .end: theirLayout.append("end")
            case .option(let code, let length, let value, let tree):
                theirOptions.append((code, length, value, tree)); theirLayout.append("option")
            }
        }
        let ourLayout = ours.elements.map { element -> String in
            switch element {
            case .pad(let count): "pad(\(count))"
            case .end: "end"
            case .option: "option"
            }
        }
        tally.padAndEndEntries += ourLayout.filter { $0 != "option" }.count
        if ourOptions.count != theirOptions.count {
            diff(number, "\(prefix).count", "we have \(ourOptions.count) options \(ourOptions.map(\.code.rawValue)); tshark \(theirOptions.count) \(theirOptions.map(\.code))")
        } else if ourLayout != theirLayout {
            diff(number, "\(prefix).layout", "pad/end layout: ours \(ourLayout.joined(separator: ",")); tshark \(theirLayout.joined(separator: ","))")
        }
        for (index, (option, theirs)) in zip(ourOptions, theirOptions).enumerated() {
            let field = "\(prefix)[\(index)]"
            guard Int(option.code.rawValue) == theirs.code else {
                diff(number, "\(field).code", "ours \(option.code.rawValue), tshark \(theirs.code)")
                continue
            }
            tally.optionsCompared += 1
            if theirs.length != option.data.count {
                diff(number, "\(field).length", "option \(theirs.code): ours \(option.data.count), tshark \(theirs.length.map(String.init) ?? "none")")
            }
            if let value = theirs.value {
                if value != option.data {
                    diff(number, "\(field).value", "option \(theirs.code): ours \(Hex.colonSeparated(option.data)), tshark \(Hex.colonSeparated(value))")
                }
            } else if !option.data.isEmpty {
                diff(number, "\(field).value", "option \(theirs.code): tshark shows no bytes; ours \(Hex.colonSeparated(option.data))")
            }
            pendingTyped.append((field, option, theirs.tree))
        }
    }

    // MARK: typed values

    mutating func compareTypedValues(_ number: Int, _ message: DHCPMessage) {
        let pending = pendingTyped
        pendingTyped.removeAll()
        var byCode = [UInt8: [(field: String, option: DHCPOption, tree: OrderedJSON)]]()
        for item in pending { byCode[item.option.code.rawValue, default: []].append(item) }
        var done = Set<UInt8>()
        for item in pending {
            let code = item.option.code.rawValue
            guard !done.contains(code) else { continue }
            done.insert(code)
            let instances = byCode[code]!
            let joinedByTshark = instances.contains { TypedLeaves.of($0.tree).contains { $0.key.contains("rfc_3396") } }
            if instances.count == 1 || !joinedByTshark {
                // tshark decodes each instance on its own (it joins only some options): so do we.
                for instance in instances {
                    compareTyped(number, instance.field, instance.option, leaves: TypedLeaves.of(instance.tree))
                }
            } else {
                // RFC 3396: the instances form one value. tshark joins this option (119, for example) and shows
                // the result once: compare the joined value with all of tshark's typed fields for the code, in order.
                let joined = DHCPOption(item.option.code, instances.flatMap(\.option.data))
                let leaves = instances.flatMap { TypedLeaves.of($0.tree) }.filter { !$0.key.contains("rfc_3396") }
                compareTyped(number, "option(\(code)).joined", joined, leaves: leaves)
            }
        }
    }

    mutating func compareTyped(_ number: Int, _ field: String, _ option: DHCPOption, leaves: [(key: String, value: String)]) {
        let code = option.code.rawValue
        guard !leaves.isEmpty else { tally.typedNotGivenByTshark += 1; return }
        switch TypedExpectation.make(option) {
        case .opaque:
            tally.typedOpaque += 1
        case .unmapped(let why):
            tally.typedUnmapped["\(code)(\(why))", default: 0] += 1
        case .failed(let error):
            diff(number, "\(field).typed", "option \(code): our value() fails (\(error)); tshark shows \(TypedLeaves.render(leaves))")
        case .values(let values):
            tally.typedCompared += 1
            let theirs = leaves.map(\.value)
            if theirs != values {
                diff(number, "\(field).typed", "option \(code): ours \(values), tshark \(TypedLeaves.render(leaves))")
            }
        case .keyed(let pairs):
            tally.typedCompared += 1
            if let problem = TypedLeaves.compareKeyed(pairs, leaves) {
                diff(number, "\(field).typed", "option \(code): \(problem)")
            }
        case .grouped(let groupKey, let groups):
            tally.typedCompared += 1
            var theirGroups = [[(key: String, value: String)]]()
            for leaf in leaves {
                if leaf.key == groupKey || theirGroups.isEmpty { theirGroups.append([]) }
                theirGroups[theirGroups.count - 1].append(leaf)
            }
            if theirGroups.count != groups.count {
                diff(number, "\(field).typed", "option \(code): ours \(groups.count) items \(groups), tshark \(theirGroups.count): \(TypedLeaves.render(leaves))")
                return
            }
            for (index, (pairs, theirs)) in zip(groups, theirGroups).enumerated() {
                if let problem = TypedLeaves.compareKeyed(pairs, theirs) {
                    diff(number, "\(field).typed", "option \(code) item \(index): \(problem)")
                }
            }
        }
    }

    // MARK: EK messages

    /// EK flattens each layer: `dhcp_dhcp_option_type` is an array of every option code ("0" for pad and end),
    /// `dhcp_dhcp_option_length` and `dhcp_dhcp_option_value` arrays of the real options'.
    mutating func compareEK(_ number: Int, _ record: DHCPRecord, _ layer: OrderedJSON) {
        guard let message = record.message else {
            diff(number, "header", "we could not read the header; tshark did")
            return
        }
        tally.messagesCompared += 1
        func field(_ name: String) -> [String] { layer["dhcp_" + name.replacingOccurrences(of: ".", with: "_")]?.strings ?? [] }
        let header: [(String, String)] = Self.fixedHeader(message) + [
            ("dhcp.hw.mac_addr", Hex.colonSeparated(message.chaddr.prefix(6))),
            ("dhcp.server", Self.fieldText(message.sname) ?? ""),
            ("dhcp.file", Self.fieldText(message.file) ?? ""),
            ("dhcp.cookie", "99.130.83.99"),
        ]
        for (key, ours) in header {
            tally.headerFieldsCompared += 1
            let theirs = field(key)
            if theirs != [ours] { diff(number, "header.\(key)", "ours \(ours), tshark \(theirs)") }
        }
        guard case .options(let area) = message.vendor else {
            diff(number, "options.count", "we have no options field")
            return
        }
        let options = message.optionInstances.map(\.option)
        let types = field("dhcp.option.type")
        let theirCodes = types.filter { $0 != "0" }
        let ourCodes = options.map { "\($0.code.rawValue)" }
        if theirCodes != ourCodes { diff(number, "options.code", "ours \(ourCodes), tshark \(theirCodes)") }
        let ourLengths = options.map { "\($0.data.count)" }
        if field("dhcp.option.length") != ourLengths {
            diff(number, "options.length", "ours \(ourLengths), tshark \(field("dhcp.option.length"))")
        }
        let ourValues = options.filter { !$0.data.isEmpty }.map { Hex.colonSeparated($0.data) }
        if field("dhcp.option.value") != ourValues {
            diff(number, "options.value", "ours \(ourValues), tshark \(field("dhcp.option.value"))")
        }
        let padAndEnd = area.elements.filter { if case .option = $0 { false } else { true } }.count
        tally.padAndEndEntries += padAndEnd
        if types.count - theirCodes.count != padAndEnd {
            diff(number, "options.layout", "we have \(padAndEnd) pad runs and end options; tshark \(types.count - theirCodes.count) type-0 entries")
        }
        if theirCodes == ourCodes { tally.optionsCompared += options.count }
        // Typed values that EK keeps attributable: option 53 and the request list.
        if let type = message.messageType {
            tally.typedCompared += 1
            if field("dhcp.option.dhcp") != ["\(type.rawValue)"] {
                diff(number, "options.typed", "message type ours \(type.rawValue), tshark \(field("dhcp.option.dhcp"))")
            }
        }
        if let list = message.option(.parameterRequestList) {
            tally.typedCompared += 1
            let ours = list.data.map { "\($0)" }
            if field("dhcp.option.request_list_item") != ours {
                diff(number, "options.typed", "request list ours \(ours), tshark \(field("dhcp.option.request_list_item"))")
            }
        }
    }
}

