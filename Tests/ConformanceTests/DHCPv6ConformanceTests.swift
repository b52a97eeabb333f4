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
            let leaves = typedLeaves(option)
            for field in Set(leaves.map(\.field)) {
                let oursValues = leaves.filter { $0.field == field }.map(\.value)
                let theirValues = leafValues(field, in: reference)
                if oursValues != theirValues {
                    differences.append((here + "." + field, "ours \(oursValues), tshark \(theirValues)"))
                }
            }
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

    /// Every value of `field` in an option's tree, also inside the subtrees tshark groups fields in ("Domain name
    /// suffix search list"), but not inside the options or the message the option holds.
    static func leafValues(_ field: String, in tree: OrderedJSON) -> [String] {
        (tree.members ?? []).flatMap { member -> [String] in
            if member.key == field, let value = member.value.string { return [value] }
            if member.key == "dhcpv6.option.type_str_tree" || member.key == "dhcpv6" || member.value.members == nil { return [] }
            return leafValues(field, in: member.value)
        }
    }

    /// What tshark shows of an option's typed value, field by field, as DHCPv6Core reads it.
    static func typedLeaves(_ option: DHCPv6Option) -> [(field: String, value: String)] {
        guard let value = DHCPv6OptionValue(option) else { return [] }
        func hex8(_ value: UInt32) -> String { String(format: "%08x", value) }
        switch value {
        case .duid(let duid):
            var leaves = [("dhcpv6.duid.bytes", Hex.colonSeparated(option.data)), ("dhcpv6.duid.type", String(duid.type))]
            switch duid.type {
            case 1:
                leaves += [("dhcpv6.duidllt.hwtype", String(duid.hardwareType ?? 0)),
                           ("dhcpv6.duidllt.time", duidTime(duid.time ?? 0)),
                           ("dhcpv6.duidllt.link_layer_addr", Hex.colonSeparated(duid.linkLayerAddress ?? []))]
            case 2:
                leaves += [("dhcpv6.duiden.enterprise", String(duid.enterprise ?? 0)),
                           ("dhcpv6.duiden.identifier", Hex.colonSeparated(duid.identifier ?? []))]
            case 3:
                leaves += [("dhcpv6.duidll.hwtype", String(duid.hardwareType ?? 0)),
                           ("dhcpv6.duidll.link_layer_addr", Hex.colonSeparated(duid.linkLayerAddress ?? []))]
            case 4:
                leaves += [("dhcpv6.duiduuid.bytes", Hex.colonSeparated(duid.uuid ?? []))]
            default: break
            }
            return leaves
        case let .identityAssociation(iaid, t1, t2):
            return [("dhcpv6.iaid", hex8(iaid)), ("dhcpv6.iaid.t1", String(t1)), ("dhcpv6.iaid.t2", String(t2))]
        case let .temporaryAssociation(iaid):
            return [("dhcpv6.iata", hex8(iaid))]
        case let .address(address, preferred, valid):
            return [("dhcpv6.iaaddr.ip", address.description), ("dhcpv6.iaaddr.pref_lifetime", String(preferred)),
                    ("dhcpv6.iaaddr.valid_lifetime", String(valid))]
        case let .prefix(prefix, length, preferred, valid):
            return [("dhcpv6.iaprefix.pref_addr", prefix.description), ("dhcpv6.iaprefix.pref_len", String(length)),
                    ("dhcpv6.iaprefix.pref_lifetime", String(preferred)), ("dhcpv6.iaprefix.valid_lifetime", String(valid))]
        case let .optionCodes(codes) where option.code == 6:
            return codes.map { ("dhcpv6.requested_option_code", String($0)) }
        case let .number(number) where option.code == 7:
            return [("dhcpv6.option_preference", String(number))]
        case let .elapsedTime(hundredths):
            // tshark shows milliseconds.
            return [("dhcpv6.elapsed_time", String(Int(hundredths) * 10))]
        case let .addresses(addresses) where option.code == 23:
            return addresses.map { ("dhcpv6.dns_server", $0.description) }
        case let .status(code, message):
            return [("dhcpv6.status_code", String(code)), ("dhcpv6.status_msg", message)]
        case let .vendorClass(number, items):
            return [("dhcpv6.vendorclass.enterprise", String(number))]
                + items.map { ("dhcpv6.vendorclass.data", String(decoding: $0, as: UTF8.self)) }
        case let .vendorOptions(number, options):
            // tshark reads enterprise 4491's (CableLabs') options its own way; the others as code, length, data.
            return [("dhcpv6.vendoropts.enterprise", String(number))] + (number == 4491 ? [] : options.flatMap {
                [("dhcpv6.vendoropts.enterprise.option_code", String($0.code)),
                 ("dhcpv6.vendoropts.enterprise.option_length", String($0.data.count)),
                 ("dhcpv6.vendoropts.enterprise.option_data", Hex.colonSeparated($0.data))]
            })
        case let .opaqueList(items) where option.code == 15:
            return items.flatMap { [("dhcpv6.userclass.length", String($0.count)),
                                    ("dhcpv6.userclass.opaque_data", Hex.colonSeparated($0))] }
        case let .ntpServers(servers):
            return servers.compactMap { server in
                switch server {
                case .address(let address): ("dhcpv6.ntpserver.addr", address.description)
                case .multicast(let address): ("dhcpv6.ntpserver.mc_addr", address.description)
                case .fqdn(let name): ("dhcpv6.ntpserver.fqdn", name + ".")
                case .other: nil
                }
            }
        case let .text(text) where option.code == 112:
            return [("dhcpv6.mudurl", text)]
        case let .names(names) where option.code == 24:
            // tshark writes names with the root's dot.
            return names.map { ("dhcpv6.search_list_entry", $0 + ".") }
        case let .names(names) where option.code == 64:
            return names.map { ("dhcpv6.aftr_name", $0 + ".") }
        case let .fqdn(flags, name):
            return [("dhcpv6.client_fqdn_flags", String(format: "0x%02x", flags)), ("dhcpv6.client_domain", name)]
        default:
            return []
        }
    }

    /// A DUID-LLT time as tshark writes it: "Feb 26, 2016 02:38:03.000000000 UTC" (seconds since 2000).
    static func duidTime(_ seconds: UInt32) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                            from: Date(timeIntervalSince1970: 946_684_800 + Double(seconds)))
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return String(format: "%@ %2d, %04d %02d:%02d:%02d.000000000 UTC", months[(parts.month ?? 1) - 1], parts.day ?? 0,
                      parts.year ?? 0, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }
}
