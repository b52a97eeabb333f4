import DHCPCore

/// tshark's typed fields of one option: every leaf under its `dhcp.option.type_tree`, in order, except the
/// length, the raw bytes, expert notes and the nested overload lists.
enum TypedLeaves {
    static func of(_ tree: OrderedJSON) -> [(key: String, value: String)] {
        var leaves = [(key: String, value: String)]()
        func walk(_ members: [OrderedJSON.Member]) {
            for member in members {
                if ["dhcp.option.length", "dhcp.option.value", "_ws.expert"].contains(member.key) { continue }
                if member.key.contains(" ") { continue }  // "Server host name option overload" and such
                switch member.value {
                case .object(let inner): walk(inner)
                case .string(let text): leaves.append((member.key, text))
                default: break
                }
            }
        }
        walk(tree.members ?? [])
        return leaves
    }

    static func render(_ leaves: [(key: String, value: String)]) -> String {
        leaves.map { "\($0.key.replacingPrefix("dhcp.option.", with: ""))=\($0.value)" }.joined(separator: " ")
    }

    /// For each key we expect: tshark's values under that key, in order, equal ours. Keys we do not name are
    /// tshark detail we do not model (flag bits, lengths).
    static func compareKeyed(_ expected: [(String, String)], _ leaves: [(key: String, value: String)]) -> String? {
        var keys = [String]()
        for (key, _) in expected where !keys.contains(key) { keys.append(key) }
        var problems = [String]()
        for key in keys {
            let ours = expected.filter { $0.0 == key }.map(\.1)
            let theirs = leaves.filter { $0.key == key }.map(\.value)
            if ours != theirs { problems.append("\(key) ours \(ours), tshark \(theirs)") }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ") + " (tshark: \(render(leaves)))"
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

/// What tshark should show for one of our decoded options.
enum TypedExpectation {
    /// Every typed leaf's value, in order.
    case values([String])
    /// For each named key, tshark's values under that key in order.
    case keyed([(String, String)])
    /// Items (sub-options) that start at `groupKey`; each compared like `keyed`.
    case grouped(groupKey: String, groups: [[(String, String)]])
    /// Our shape is opaque bytes, already compared as bytes.
    case opaque
    /// No mapping from our value to tshark's fields (reason).
    case unmapped(String)
    case failed(DHCPValueError)

    static func make(_ option: DHCPOption) -> TypedExpectation {
        guard let definition = DHCPOptionTable.definition(for: option.code) else { return .unmapped("unknown code") }
        let value: DHCPOptionValue
        do {
            guard let decoded = try option.value() else { return .unmapped("unknown code") }
            value = decoded
        } catch {
            return .failed(error)
        }
        switch definition.shape {
        case .ipv4, .ipv4List, .ipv4Pairs, .uint8, .uint16, .uint32, .int32, .uint16List, .bool, .named, .optionCodes, .flag:
            return .values(flatten(value))
        case .text:
            return .values([TsharkText.render(option.data)])
        case .structure:
            // 78, 79, 90, 159: compared as bytes; tshark's field names for them are not mapped here.
            return .unmapped("structure")
        case .bytes, .vendorEncapsulated:
            // tshark decodes option 43 only for vendors it knows (PXE, Aruba …); compared as bytes.
            return .opaque
        case .clientIdentifier:
            if case .text(let mac)? = value[field: "mac"] {
                return .keyed([("dhcp.hw.type", "0x01"), ("dhcp.hw.mac_addr", mac)])
            }
            guard case .unsigned(let type)? = value[field: "type"] else { return .unmapped("client id") }
            return .keyed([("dhcp.client_id.type", "\(type)")])
        case .relayAgentInformation:
            guard case .record(let fields) = value else { return .unmapped("relay agent") }
            let prefix = "dhcp.option.agent_information_option."
            return .grouped(groupKey: prefix + "suboption", groups: fields.map { field in
                let code = subOptionCode(field.name)
                var pairs = [(prefix + "suboption", code.map(String.init) ?? field.name)]
                if let code, let raw = subOptionBytes(code, field.value) {
                    pairs.append((prefix + "value", Hex.colonSeparated(raw)))
                    switch code {
                    case 1: pairs.append((prefix + "agent_circuit_id", Hex.colonSeparated(raw)))
                    case 2: pairs.append((prefix + "agent_remote_id", Hex.colonSeparated(raw)))
                    case 5: pairs.append((prefix + "link_selection", flatten(field.value).joined()))
                    case 6: pairs.append((prefix + "subscriber_id", TsharkText.render(raw)))
                    case 11: pairs.append((prefix + "server_id_override", flatten(field.value).joined()))
                    case 9:
                        // RFC 4243: enterprise number, data length, then the vendor's sub-options; tshark shows
                        // each enterprise and its data again under the generic value key.
                        if case .list(let vendors) = field.value {
                            for vendor in vendors {
                                guard case .unsigned(let enterprise)? = vendor[field: "enterprise"] else { continue }
                                pairs.append((prefix + "vi.enterprise", "\(enterprise)"))
                            }
                        }
                        var at = 0
                        while at + 5 <= raw.count {
                            let length = Int(raw[at + 4])
                            pairs.append((prefix + "value", Hex.colonSeparated(raw[(at + 5)..<min(raw.count, at + 5 + length)])))
                            at += 5 + length
                        }
                    default: break
                    }
                }
                return pairs
            })
        case .domainList:
            return .keyed(flatten(value).map { ("dhcp.option.dhcp_dns_domain_search_list_fqdn", $0) })
        case .classlessRoutes:
            guard case .list(let routes) = value else { return .unmapped("routes") }
            return .keyed(routes.compactMap { route in
                guard case .prefix(let destination, let width)? = route[field: "destination"],
                      case .ipv4(let router)? = route[field: "router"] else { return nil }
                let bytes = [UInt8(width)] + destination.octets.prefix((width + 7) / 8) + router.octets
                return ("dhcp.option.classless_static_route", Hex.colonSeparated(bytes))
            })
        case .clientFQDN:
            guard case .unsigned(let flags)? = value[field: "flags"], case .unsigned(let rcode1)? = value[field: "rcode1"],
                  case .unsigned(let rcode2)? = value[field: "rcode2"], case .text(let name)? = value[field: "name"]
            else { return .unmapped("fqdn") }
            return .keyed([("dhcp.fqdn.flags", "0x" + Hex.compact([UInt8(flags)])), ("dhcp.fqdn.rcode1", "\(rcode1)"),
                           ("dhcp.fqdn.rcode2", "\(rcode2)"), ("dhcp.fqdn.name", TsharkText.render(Array(name.utf8)))])
        case .userClass:
            guard case .list(let classes) = value else { return .unmapped("user class text") }
            return .keyed(classes.compactMap { item in
                payload(item).map { ("dhcp.option.user_class.data", Hex.colonSeparated($0)) }
            })
        case .vendorIdentifyingClass, .vendorIdentifyingOptions:
            guard case .list(let vendors) = value else { return .unmapped("vendor") }
            let key = definition.shape == .vendorIdentifyingClass ? "dhcp.option.vi_class.enterprise" : "dhcp.option.vi.enterprise"
            return .keyed(vendors.compactMap { vendor in
                guard case .unsigned(let enterprise)? = vendor[field: "enterprise"] else { return nil }
                return (key, "\(enterprise)")
            })
        case .networkInterfaceIdentifier:
            guard case .unsigned(let major)? = value[field: "major"], case .unsigned(let minor)? = value[field: "minor"]
            else { return .unmapped("nii") }
            return .keyed([("dhcp.client_network_id_major", "\(major)"), ("dhcp.client_network_id_minor", "\(minor)")])
        case .machineIdentifier:
            guard case .unsigned(0)? = value[field: "type"], case .bytes(let id)? = value[field: "id"], id.count == 16
            else { return .unmapped("machine id") }
            // tshark prints the GUID with its first three groups little-endian.
            let groups = [Array(id[0..<4].reversed()), Array(id[4..<6].reversed()), Array(id[6..<8].reversed()),
                          Array(id[8..<10]), Array(id[10..<16])]
            return .keyed([("dhcp.client_id.uuid", groups.map { Hex.compact($0) }.joined(separator: "-"))])
        case .statusCode:
            return .unmapped("status code")
        case .sipServers:
            return .unmapped("sip servers")
        }
    }

    static func flatten(_ value: DHCPOptionValue) -> [String] {
        switch value {
        case .unsigned(let number): ["\(number)"]
        case .signed(let number): ["\(number)"]
        case .bool(let flag): [flag ? "1" : "0"]
        case .ipv4(let address): [address.description]
        case .text(let text): [text]
        case .bytes(let bytes): [Hex.colonSeparated(bytes)]
        case .named(let code, _): ["\(code)"]
        case .prefix(let address, let width): ["\(address)/\(width)"]
        case .list(let items): items.flatMap(flatten)
        case .record(let fields): fields.flatMap { flatten($0.value) }
        }
    }

    static func payload(_ value: DHCPOptionValue) -> [UInt8]? {
        switch value {
        case .text(let text): Array(text.utf8)
        case .bytes(let bytes): bytes
        default: nil
        }
    }

    static func subOptionCode(_ name: String) -> UInt8? {
        if let match = RelayAgentInformation.suboptions.first(where: { $0.value.name == name }) { return match.key }
        return name.hasPrefix("suboption_") ? UInt8(name.dropFirst("suboption_".count)) : nil
    }

    /// A sub-option's bytes, rebuilt from our decoded value with the sub-option's own shape.
    static func subOptionBytes(_ code: UInt8, _ value: DHCPOptionValue) -> [UInt8]? {
        if let shape = RelayAgentInformation.suboptions[code]?.shape { return shape.encode(value) }
        return payload(value)
    }
}
