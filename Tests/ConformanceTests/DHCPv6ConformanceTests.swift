import Capture
import DHCPv6Core
import Foundation
import Framing
import NetworkPrimitives
import Testing

/// Every DHCPv6 message of the corpus read by DHCPv6Core and compared with tshark's reading of it: the header
/// (type, transaction id, or hop count and the two addresses in RFC 5952 text), every option's code and length in
/// wire order, the options inside IA_NA, IA_TA, IAADDR, IA_PD and IAPREFIX, and relayed messages level by level.
/// Each message must also serialize back to its bytes. Differences must be listed in known-differences.tsv.
@Suite("DHCPv6 against tshark")
struct DHCPv6ConformanceTests {
    @Test("Every DHCPv6 message in the corpus reads as tshark reads it, and writes back to the same bytes")
    func corpus() throws {
        var compared = 0
        var unexplained = [String]()
        var used = Set<KnownDifference>()
        for capture in Fixtures.captures where capture.format == .json {
            let references = try TsharkReference.load(capture)
            guard references.values.contains(where: { $0.dhcpv6 != nil }) else { continue }
            let known = KnownDifference.forFile(capture.path)
            let reader = try PCAPFileReader(path: capture.url.path)
            let linkType = LinkType(rawValue: reader.linkType)
            while let packet = try reader.next() {
                guard let layer = references[packet.frameNumber]?.dhcpv6 else { continue }
                var differences = [(field: String, detail: String)]()
                Self.compareFrame(packet, linkType: linkType, layer, into: &differences)
                compared += 1
                for difference in differences {
                    if let entry = known.first(where: { $0.matches(frame: packet.frameNumber, field: difference.field) }) {
                        used.insert(entry)
                    } else {
                        unexplained.append("\(capture.path) frame \(packet.frameNumber) \(difference.field): \(difference.detail)")
                    }
                }
            }
        }
        #expect(compared >= 40, "only \(compared) DHCPv6 messages found in the corpus")
        #expect(unexplained.isEmpty, "\(unexplained.joined(separator: "\n"))")
        let stale = KnownDifference.all.filter { $0.field.hasPrefix("v6.") && !used.contains($0) }
        #expect(stale.isEmpty, "listed differences that no longer occur: \(stale)")
    }

    static func compareFrame(_ packet: CapturedPacket, linkType: LinkType, _ layer: OrderedJSON,
                             into differences: inout [(field: String, detail: String)]) {
        let frame = FrameParser.parse(packet.bytes, linkType: linkType)
        guard case let .ipv6UDP(_, udp, _) = frame.payload else {
            differences.append(("frame.dhcpv6", "tshark has DHCPv6; we frame \(frame.payload)"))
            return
        }
        let payload = Array(packet.bytes[udp.payload])
        do {
            let message = try DHCPv6Message(parsing: payload)
            if message.serialized() != payload { differences.append(("v6.round_trip", "the bytes written differ from those read")) }
            compare(message, layer, path: "v6", into: &differences)
        } catch {
            differences.append(("v6.malformed", error.description))
        }
    }

    static func compare(_ message: DHCPv6Message, _ layer: OrderedJSON, path: String,
                        into differences: inout [(field: String, detail: String)]) {
        func expect(_ field: String, _ ours: String) {
            let theirs = layer[field]?.string
            if theirs != ours { differences.append((path + "." + field, "ours \(ours), tshark \(theirs ?? "none")")) }
        }
        expect("dhcpv6.msgtype", String(message.type.rawValue))
        switch message.header {
        case .transaction(let id):
            if layer["dhcpv6.xid"] != nil { expect("dhcpv6.xid", String(format: "0x%06x", id)) }
        case let .relay(hopCount, linkAddress, peerAddress):
            expect("dhcpv6.hopcount", String(hopCount))
            expect("dhcpv6.linkaddr", linkAddress.description)
            expect("dhcpv6.peeraddr", peerAddress.description)
        }
        compareOptions(message.options, layer, path: path, into: &differences)
    }

    /// Our options against the `dhcpv6.option.type_str_tree` members of `tree`, in order; then inside each.
    static func compareOptions(_ ours: [DHCPv6Option], _ tree: OrderedJSON, path: String,
                               into differences: inout [(field: String, detail: String)]) {
        let theirs = tree.all("dhcpv6.option.type_str_tree")
        let oursCodes = ours.map { "\($0.code)/\($0.data.count)" }
        let theirCodes = theirs.map { "\($0["dhcpv6.option.type"]?.string ?? "?")/\($0["dhcpv6.option.length"]?.string ?? "?")" }
        guard oursCodes == theirCodes else {
            differences.append((path + ".options", "ours \(oursCodes), tshark \(theirCodes)"))
            return
        }
        for (option, reference) in zip(ours, theirs) {
            let here = "\(path).option\(option.code)"
            do {
                if let inner = try option.suboptions() {
                    compareOptions(inner, reference, path: here, into: &differences)
                } else if let relayed = try option.relayedMessage() {
                    guard let nested = reference["dhcpv6"] else {
                        differences.append((here + ".message", "tshark does not read the relayed message"))
                        continue
                    }
                    compare(relayed, nested, path: here, into: &differences)
                }
            } catch {
                differences.append((here + ".malformed", error.description))
            }
        }
    }
}
