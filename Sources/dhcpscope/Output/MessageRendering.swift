import DHCPAnalysis
import DHCPCore
import DHCPRuntime
import Framing

/// A message as decode, analyse -v and sniff print it, whichever its family: its JSON event, its verbose lines and its
/// one-line form.
protocol RenderableMessage {
    func jsonLine(in buffer: ByteBuffer?) -> JSONLine
    func verboseText() -> String
    func appendTextLine(to line: inout [UInt8])
}

/// What is wrong with a message, each at its byte offset: framing warnings and what reading it found.
typealias MessageProblem = (code: String, offset: Int, text: String, severity: String)

extension JSONLine {
    /// A message event's `error` (the first error, else the first problem) and, when there are several, `diagnostics`.
    mutating func messageProblems(_ problems: [MessageProblem]) {
        if let first = problems.first(where: { $0.severity == "error" }) ?? problems.first {
            beginObject("error")
            field("code", first.code)
            field("offset", first.offset)
            field("text", first.text)
            field("severity", first.severity)
            endObject()
        }
        if problems.count > 1 {
            beginArray("diagnostics")
            for problem in problems {
                beginObject()
                field("code", problem.code); field("offset", problem.offset)
                field("text", problem.text); field("severity", problem.severity)
                endObject()
            }
            endArray()
        }
    }
}

/// Where a message was seen: the context every message renderer needs.
struct MessageContext {
    var file: String
    var frame: Int
    var time: Timestamp
    var link: LinkInfo
    var record: DHCPRecord
}

/// An option made ready for output: the RFC 3396 concatenated data and its typed value or the reason it has none.
struct RenderedOption {
    var option: DHCPOption
    var instances: Int
    var location: DHCPOptionLocation
    var value: DHCPOptionValue?
    var valueError: String?

    static func all(of message: DHCPMessage) -> [RenderedOption] {
        message.concatenatedOptions.map { concatenated in
            var rendered = RenderedOption(option: concatenated.option, instances: concatenated.instances,
                                          location: concatenated.location)
            do throws(DHCPValueError) { rendered.value = try concatenated.option.value() } catch { rendered.valueError = error.reason }
            return rendered
        }
    }
}

extension MessageContext: RenderableMessage {
    var source: String { Self.endpoint(record.ip.source, record.sourcePort) }
    var destination: String { Self.endpoint(record.ip.destination, record.destinationPort) }

    private static func endpoint(_ address: IPv4Address, _ port: UInt16) -> String {
        var text = [UInt8]()
        appendEndpoint(address, port, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// The diagnostics of the message, with a framing warning first when there was one.
    var problems: [MessageProblem] {
        var list = [MessageProblem]()
        if let warning = record.framingWarning { list.append((warning.code.description, warning.offset, warning.reason, "warning")) }
        for diagnostic in record.diagnostics {
            list.append((diagnostic.code.description, diagnostic.offset, diagnostic.reason, diagnostic.severity.rawValue))
        }
        return list
    }

    // MARK: JSON

    /// `"code":N,"name":"…"` of every option code, written once, one after another in one block: the start of each
    /// option of a message event. Pointers that are never freed nor written again (reading them retains nothing).
    nonisolated(unsafe) private static let optionHeads: (text: UnsafePointer<UInt8>, ends: UnsafePointer<Int>) = {
        var text = [UInt8]()
        let ends = UnsafeMutablePointer<Int>.allocate(capacity: 256)
        for code in 0...255 {
            text += JSONLine.fragment { json in
                json.field("code", code)
                json.field("name", DHCPOptionCode(UInt8(code)).name)
            }
            ends[code] = text.count
        }
        let block = UnsafeMutablePointer<UInt8>.allocate(capacity: text.count)
        block.initialize(from: text, count: text.count)
        return (UnsafePointer(block), UnsafePointer(ends))
    }()

    private static func optionHead(_ code: DHCPOptionCode) -> UnsafeBufferPointer<UInt8> {
        let heads = optionHeads, index = Int(code.rawValue)
        let start = index == 0 ? 0 : heads.ends[index - 1]
        return UnsafeBufferPointer(start: heads.text + start, count: heads.ends[index] - start)
    }

    /// The `message` event, built in `buffer` when one is given (a renderer of many lines reuses one).
    func jsonLine(in buffer: ByteBuffer? = nil) -> JSONLine {
        var json = buffer.map { JSONLine(event: "message", buffer: $0) } ?? JSONLine(event: "message")
        json.field("file", file)
        // Keys, 20 digits, a stamp (48), two endpoints (21 each), two MACs (17 each) and a VLAN: under 256 bytes.
        json.fixedFields(maximumLength: 256) { fields in
            fields.number("frame", UInt64(clamping: frame))
            fields.timestamp("time", time)
            fields.endpoint("src", record.ip.source, record.sourcePort)
            fields.endpoint("dst", record.ip.destination, record.destinationPort)
            fields.mac("eth_src", link.source)
            fields.mac("eth_dst", link.destination)
        }
        json.field("vlan", link.vlans.first.map { Int($0) })
        if link.vlans.count > 1 {
            json.beginArray("vlans")
            for vlan in link.vlans { json.number(Int(vlan)) }
            json.endArray()
        }
        if record.reassembled { json.field("reassembled", true) }
        if let message = record.view {
            json.beginObject("dhcp")
            // Keys (about 110 bytes), eight numbers, four addresses (17 each) and chaddr (16 bytes: 50): under 320.
            json.fixedFields(maximumLength: 320) { fields in
                fields.number("op", UInt64(message.op))
                fields.number("htype", UInt64(message.htype))
                fields.number("hlen", UInt64(message.hlen))
                fields.number("hops", UInt64(message.hops))
                fields.hex32("xid", message.xid)
                fields.number("secs", UInt64(message.secs))
                fields.number("flags", UInt64(message.flags))
                fields.bool("broadcast", message.isBroadcast)
                fields.address("ciaddr", message.clientAddress)
                fields.address("yiaddr", message.yourAddress)
                fields.address("siaddr", message.serverAddress)
                fields.address("giaddr", message.relayAddress)
                fields.hex("chaddr", message.hardwareAddress, colons: true)
            }
            json.field("sname", message.snameText)
            json.field("file", message.fileText)
            json.field("type", message.typeName)
            // Straight from the view: no owned copy of the message, no list of options.
            json.beginArray("options")
            // The data of each option in turn, for the decoder: one buffer for the message, not one per option.
            var scratch = [UInt8]()
            scratch.reserveCapacity(message.bytes.count)
            message.forEachOption { code, data, instances, location in
                json.beginObject()
                json.fields(Self.optionHead(code))
                // Keys, a length of up to 20 digits and two hex digits a byte.
                json.fixedFields(maximumLength: 2 * data.count + 48) { fields in
                    fields.number("length", UInt64(data.count))
                    fields.hex("hex", data, colons: false)
                }
                json.key("value")
                var valueError: String?
                if let shape = DHCPOptionTable.definition(for: code)?.shape {
                    // Written as it is decoded; a value that turns out malformed is taken back and is null.
                    let mark = json.mark
                    scratch.replaceSubrange(scratch.indices, with: data)
                    do throws(DHCPValueError) { try shape.decode(scratch, into: &json) } catch {
                        json.rollback(to: mark)
                        json.null()
                        valueError = error.reason
                    }
                } else {
                    json.null()
                }
                if instances > 1 { json.field("instances", instances) }
                if location != .options { json.field("location", location.rawValue) }
                if let valueError { json.field("value_error", valueError) }
                json.endObject()
            }
            json.endArray()
            json.endObject()
        } else {
            json.key("dhcp"); json.null()
        }
        json.messageProblems(problems)
        return json
    }

    // MARK: text

    /// The one-line form (time, addresses, type, xid, chaddr, the addresses that are set, the key options), appended as
    /// UTF-8 piece by piece (no String for each piece: appending Strings was a third of the line's cost).
    func appendTextLine(to line: inout [UInt8]) {
        time.appendRFC3339(fractionDigits: 6, to: &line)
        line.append(UInt8(ascii: " "))
        Self.appendEndpoint(record.ip.source, record.sourcePort, to: &line)
        line.append(contentsOf: " > ".utf8)
        Self.appendEndpoint(record.ip.destination, record.destinationPort, to: &line)
        if let vlan = link.vlans.first { line.append(contentsOf: " vlan \(vlan)".utf8) }
        guard let message = record.view else {
            line.append(contentsOf: " MALFORMED ".utf8)
            line.append(contentsOf: problems.map { "[\($0.code): \($0.text)]" }.joined(separator: " ").utf8)
            return
        }
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: message.typeName.utf8)
        line.append(contentsOf: " xid=".utf8)
        Hex.appendXID(message.xid, to: &line)
        line.append(contentsOf: " chaddr=".utf8)
        Hex.appendColonSeparated(message.hardwareAddress, to: &line)
        for (name, address) in [("ciaddr", message.clientAddress), ("yiaddr", message.yourAddress),
                                ("siaddr", message.serverAddress), ("giaddr", message.relayAddress)] where address != .any {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: name.utf8)
            line.append(UInt8(ascii: "="))
            address.appendDottedQuad(to: &line)
        }
        // Only these options are decoded, each found in the view's index.
        for (code, label) in Self.keyOptions {
            guard let value = message.value(code) else { continue }
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: label.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: Self.text(value, of: code).utf8)
        }
        for problem in problems where problem.severity != "info" {
            line.append(contentsOf: " [\(problem.code): \(problem.text)]".utf8)
        }
    }

    private static func appendEndpoint(_ address: IPv4Address, _ port: UInt16, to line: inout [UInt8]) {
        address.appendDottedQuad(to: &line)
        line.append(UInt8(ascii: ":"))
        line.append(contentsOf: String(port).utf8)
    }

    /// The options the one-line form shows, in its order.
    static let keyOptions: [(DHCPOptionCode, String)] = [
        (.requestedAddress, "requested"), (.serverIdentifier, "server-id"), (.leaseTime, "lease"),
        (.hostName, "hostname"), (.subnetMask, "mask"), (.routers, "router"), (.domainNameServers, "dns"),
        (.message, "message"), (.relayAgentInformation, "agent"),
    ]

    /// Every field and option, one per line, as dhcpdump lays them out.
    func verboseText() -> String {
        var lines = ["frame \(frame) \(time) \(file)" + (record.reassembled ? " (reassembled from fragments)" : "")]
        var ethernet = "  ETH     \(link.source?.description ?? "-") > \(link.destination?.description ?? "-")"
        if !link.vlans.isEmpty { ethernet += " vlan " + link.vlans.map(String.init).joined(separator: ",") }
        lines.append(ethernet)
        lines.append("  IP      \(source) > \(destination) ttl \(record.ip.ttl) id 0x\(String(record.ip.identification, radix: 16))")
        if let message = record.message {
            lines.append("  OP      \(message.op) (\(message.op == DHCPMessage.bootReply ? "BOOTREPLY" : message.op == DHCPMessage.bootRequest ? "BOOTREQUEST" : "unknown"))")
            lines.append("  HTYPE   \(message.htype)")
            lines.append("  HLEN    \(message.hlen)")
            lines.append("  HOPS    \(message.hops)")
            lines.append("  XID     \(Hex.xid(message.xid))")
            lines.append("  SECS    \(message.secs)")
            lines.append("  FLAGS   0x\(String(message.flags, radix: 16))\(message.isBroadcast ? " (broadcast)" : "")")
            lines.append("  CIADDR  \(message.clientAddress)")
            lines.append("  YIADDR  \(message.yourAddress)")
            lines.append("  SIADDR  \(message.serverAddress)")
            lines.append("  GIADDR  \(message.relayAddress)")
            lines.append("  CHADDR  \(Hex.colonSeparated(message.hardwareAddress))")
            lines.append("  SNAME   \(Self.fieldText(message.sname))")
            lines.append("  FILE    \(Self.fieldText(message.file))")
            lines.append("  TYPE    \(message.typeName)")
            for rendered in RenderedOption.all(of: message) {
                let code = String(rendered.option.code.rawValue)
                let length = String(rendered.option.data.count)
                var text = "  OPTION  " + String(repeating: " ", count: 3 - code.count) + code
                    + " (" + String(repeating: " ", count: max(0, 3 - length.count)) + length + ") "
                    + rendered.option.name.padding(31) + " "
                if let value = rendered.value { text += Self.text(value, of: rendered.option.code) }
                else { text += Hex.colonSeparated(rendered.option.data) }
                if let reason = rendered.valueError { text += "  [bad value: \(reason)]" }
                if rendered.instances > 1 { text += "  [\(rendered.instances) instances, RFC 3396]" }
                if rendered.location != .options { text += "  [in \(rendered.location)]" }
                lines.append(text)
            }
        }
        for problem in problems { lines.append("  \(problem.severity.uppercased())  \(problem.code) at byte \(problem.offset): \(problem.text)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func fieldText(_ field: DHCPMessage.Field) -> String {
        if case .options = field { return "(options, overloaded)" }
        return DHCPMessage.text(of: field)
    }

    /// An option's value in the option table's text form (what a configuration file takes back).
    static func text(_ value: DHCPOptionValue, of code: DHCPOptionCode) -> String {
        guard let definition = DHCPOptionTable.definition(for: code) else { return "" }
        return definition.text(value)
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

/// The `message` events of a role's `-v --json`: each frame its recorder keeps, decoded as `decode` decodes it, with
/// the interface as `file` and the frame's number in the recording.
final class MessageEvents {
    let interface: String
    let output: OutputStream
    private var decoder = DHCPFrameDecoder()

    init(interface: String, output: OutputStream) { self.interface = interface; self.output = output }

    func frame(_ frame: [UInt8], time: Timestamp, number: Int) {
        frame.withUnsafeBytes { bytes in
            let decoded = decoder.decode(bytes, linkType: .ethernet, time: time)
            guard case .dhcp(let record) = decoded.content else { return }
            output.event(MessageContext(file: interface, frame: number, time: time, link: decoded.link, record: record).jsonLine())
        }
    }
}

extension MessageRecorder {
    /// Records a frame; a failure to write the file is said on standard error, and the work goes on.
    func keep(_ frame: [UInt8], at time: Double) {
        do { try record(frame, at: time) } catch { Diagnostics.error(error.description) }
    }

    /// Records what the tap has seen (a role that talks through UDP); a failure is said on standard error.
    func collectTapped(at time: Double) {
        do { try collect(at: time) } catch { Diagnostics.error("\(error)") }
    }
}

/// How decode writes each message: one of its three renderings, as bytes.
enum MessageFormat: Sendable {
    case json, verbose, text

    /// Appends the message's line (the verbose form's lines), without the final newline. `scratch`: where a JSON
    /// line is built, reused from one message to the next.
    func render(_ context: some RenderableMessage, into out: inout [UInt8], scratch: ByteBuffer) {
        switch self {
        case .json:
            var line = context.jsonLine(in: scratch)
            line.finish { out.append(contentsOf: $0) }
        case .verbose: out.append(contentsOf: context.verboseText().utf8)
        case .text: context.appendTextLine(to: &out)
        }
    }
}

/// decode's messages rendered on the other cores: the capture is read and framed on the calling thread, each DHCP
/// payload copied into a batch with where it was seen, and each batch read again and rendered by a worker
/// (`OrderedWorkers`); the rendered batches are written in order, so the output is byte-for-byte what one thread
/// writes. Rendering is nearly all of decode's work (JSON: 95 % of its instructions), so it is what is spread.
final class ParallelMessageWriter {
    /// A message of a batch: where it was seen, and where its payload ends in the batch's bytes.
    struct Item: Sendable {
        /// The network header of each family.
        enum Network: Sendable {
            case v4(IPv4Info)
            case v6(IPv6Info)
        }
        var file: Int
        var frame: Int
        var time: Timestamp
        var link: LinkInfo
        var network: Network
        var sourcePort: UInt16
        var destinationPort: UInt16
        var framingWarning: FramingError?
        var reassembled: Bool
        var end: Int
    }

    struct Batch: Sendable {
        var payloads: [UInt8] = []
        var items: [Item] = []
    }

    /// Messages per batch: large enough that handing a batch over costs nothing next to rendering it, small enough
    /// that the first lines come at once.
    static let batchSize = 256
    private var batch = Batch()
    private let workers: OrderedWorkers<Batch, [UInt8]>

    init(width: Int, names: [String], format: MessageFormat, output: OutputStream) {
        workers = OrderedWorkers(width: width, work: { batch in Self.render(batch, names: names, format: format) },
                                 deliver: { output.write(bytes: $0) })
    }

    func add(file: Int, frame: Int, time: Timestamp, link: LinkInfo, record: DHCPRecord) {
        add(file: file, frame: frame, time: time, link: link, network: .v4(record.ip), payload: record.payload,
            ports: (record.sourcePort, record.destinationPort), framingWarning: record.framingWarning,
            reassembled: record.reassembled)
    }

    func add(file: Int, frame: Int, time: Timestamp, link: LinkInfo, record: DHCPv6Record) {
        add(file: file, frame: frame, time: time, link: link, network: .v6(record.ip), payload: record.payload,
            ports: (record.sourcePort, record.destinationPort), framingWarning: record.framingWarning,
            reassembled: record.reassembled)
    }

    /// A message of either family: its payload copied into the batch, where it was seen kept beside it.
    private func add(file: Int, frame: Int, time: Timestamp, link: LinkInfo, network: Item.Network,
                     payload: UnsafeRawBufferPointer, ports: (UInt16, UInt16), framingWarning: FramingError?,
                     reassembled: Bool) {
        batch.payloads.append(contentsOf: payload)
        batch.items.append(Item(file: file, frame: frame, time: time, link: link, network: network, sourcePort: ports.0,
                                destinationPort: ports.1, framingWarning: framingWarning, reassembled: reassembled,
                                end: batch.payloads.count))
        if batch.items.count >= Self.batchSize {
            workers.submit(batch)
            batch = Batch()
        }
    }

    /// Writes everything added so far (before a capture problem is reported, and at the end).
    func flush() {
        if !batch.items.isEmpty {
            workers.submit(batch)
            batch = Batch()
        }
        workers.finish()
    }

    private static func render(_ batch: Batch, names: [String], format: MessageFormat) -> [UInt8] {
        let reader = DHCPMessageReader(), scratch = ByteBuffer()
        var out = [UInt8]()
        out.reserveCapacity(batch.items.count * 1024)
        batch.payloads.withUnsafeBytes { payloads in
            var start = 0
            for item in batch.items {
                let payload = UnsafeRawBufferPointer(rebasing: payloads[start..<item.end])
                start = item.end
                switch item.network {
                case .v4(let ip):
                    let record = DHCPRecord(reader.read(payload), ip: ip, sourcePort: item.sourcePort,
                                            destinationPort: item.destinationPort, framingWarning: item.framingWarning,
                                            reassembled: item.reassembled)
                    format.render(MessageContext(file: names[item.file], frame: item.frame, time: item.time, link: item.link,
                                                 record: record), into: &out, scratch: scratch)
                case .v6(let ip):
                    let record = DHCPv6Record(ip: ip, sourcePort: item.sourcePort, destinationPort: item.destinationPort,
                                              payload: payload, framingWarning: item.framingWarning,
                                              reassembled: item.reassembled)
                    format.render(DHCPv6MessageContext(file: names[item.file], frame: item.frame, time: item.time,
                                                       link: item.link, record: record), into: &out, scratch: scratch)
                }
                out.append(10)
            }
        }
        return out
    }
}
