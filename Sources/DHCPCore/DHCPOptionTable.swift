/// One option's entry in the table: its code, name, defining RFC and value shape.
/// A class: looked up for every option decoded or written, it is handed out with one reference count, not one per
/// field.
public final class DHCPOptionDefinition: Sendable {
    public let code: DHCPOptionCode
    /// The ISC dhcp-options(5) style name, lower case with hyphens.
    public let name: String
    public let rfc: String
    public let shape: DHCPOptionShape

    init(code: DHCPOptionCode, name: String, rfc: String, shape: DHCPOptionShape) {
        self.code = code; self.name = name; self.rfc = rfc; self.shape = shape
    }
}

/// The one option table: it drives parsing, serializing, text and JSON. Adding an option is one line.
public enum DHCPOptionTable {

    public static let definitions: [DHCPOptionDefinition] = [
        entry(1, "subnet-mask", "2132", .ipv4),
        entry(2, "time-offset", "2132", .int32),
        entry(3, "routers", "2132", .ipv4List),
        entry(4, "time-servers", "2132", .ipv4List),
        entry(5, "ien116-name-servers", "2132", .ipv4List),
        entry(6, "domain-name-servers", "2132", .ipv4List),
        entry(7, "log-servers", "2132", .ipv4List),
        entry(8, "cookie-servers", "2132", .ipv4List),
        entry(9, "lpr-servers", "2132", .ipv4List),
        entry(10, "impress-servers", "2132", .ipv4List),
        entry(11, "resource-location-servers", "2132", .ipv4List),
        entry(12, "host-name", "2132", .text),
        entry(13, "boot-size", "2132", .uint16),
        entry(14, "merit-dump", "2132", .text),
        entry(15, "domain-name", "2132", .text),
        entry(16, "swap-server", "2132", .ipv4),
        entry(17, "root-path", "2132", .text),
        entry(18, "extensions-path", "2132", .text),
        entry(19, "ip-forwarding", "2132", .bool),
        entry(20, "non-local-source-routing", "2132", .bool),
        entry(21, "policy-filter", "2132", .ipv4Pairs),
        entry(22, "max-dgram-reassembly", "2132", .uint16),
        entry(23, "default-ip-ttl", "2132", .uint8),
        entry(24, "path-mtu-aging-timeout", "2132", .uint32),
        entry(25, "path-mtu-plateau-table", "2132", .uint16List),
        entry(26, "interface-mtu", "2132", .uint16),
        entry(27, "all-subnets-local", "2132", .bool),
        entry(28, "broadcast-address", "2132", .ipv4),
        entry(29, "perform-mask-discovery", "2132", .bool),
        entry(30, "mask-supplier", "2132", .bool),
        entry(31, "router-discovery", "2132", .bool),
        entry(32, "router-solicitation-address", "2132", .ipv4),
        entry(33, "static-routes", "2132", .ipv4Pairs),
        entry(34, "trailer-encapsulation", "2132", .bool),
        entry(35, "arp-cache-timeout", "2132", .uint32),
        entry(36, "ieee802-3-encapsulation", "2132", .bool),
        entry(37, "default-tcp-ttl", "2132", .uint8),
        entry(38, "tcp-keepalive-interval", "2132", .uint32),
        entry(39, "tcp-keepalive-garbage", "2132", .bool),
        entry(40, "nis-domain", "2132", .text),
        entry(41, "nis-servers", "2132", .ipv4List),
        entry(42, "ntp-servers", "2132", .ipv4List),
        // 43: items when the bytes parse as such; otherwise bytes, whose meaning only the vendor knows (RFC 2132 §8.4).
        entry(43, "vendor-encapsulated-options", "2132", .vendorEncapsulated),
        entry(44, "netbios-name-servers", "2132", .ipv4List),
        entry(45, "netbios-dd-server", "2132", .ipv4List),
        entry(46, "netbios-node-type", "2132", .named([1: "B-node", 2: "P-node", 4: "M-node", 8: "H-node"])),
        entry(47, "netbios-scope", "2132", .text),
        entry(48, "font-servers", "2132", .ipv4List),
        entry(49, "x-display-manager", "2132", .ipv4List),
        entry(50, "dhcp-requested-address", "2132", .ipv4),
        entry(51, "dhcp-lease-time", "2132", .uint32),
        entry(52, "dhcp-option-overload", "2132", .named([1: "file", 2: "sname", 3: "file+sname"])),
        entry(53, "dhcp-message-type", "2132", .named(DHCPMessageType.names)),
        entry(54, "dhcp-server-identifier", "2132", .ipv4),
        entry(55, "dhcp-parameter-request-list", "2132", .optionCodes),
        entry(56, "dhcp-message", "2132", .text),
        entry(57, "dhcp-max-message-size", "2132", .uint16),
        entry(58, "dhcp-renewal-time", "2132", .uint32),
        entry(59, "dhcp-rebinding-time", "2132", .uint32),
        entry(60, "vendor-class-identifier", "2132", .text),
        entry(61, "dhcp-client-identifier", "2132", .clientIdentifier),
        entry(62, "nwip-domain", "2242", .text),
        entry(63, "nwip-suboptions", "2242", .vendorEncapsulated),
        entry(64, "nisplus-domain", "2132", .text),
        entry(65, "nisplus-servers", "2132", .ipv4List),
        entry(66, "tftp-server-name", "2132", .text),
        entry(67, "bootfile-name", "2132", .text),
        entry(68, "mobile-ip-home-agent", "2132", .ipv4List),
        entry(69, "smtp-server", "2132", .ipv4List),
        entry(70, "pop-server", "2132", .ipv4List),
        entry(71, "nntp-server", "2132", .ipv4List),
        entry(72, "www-server", "2132", .ipv4List),
        entry(73, "finger-server", "2132", .ipv4List),
        entry(74, "irc-server", "2132", .ipv4List),
        entry(75, "streettalk-server", "2132", .ipv4List),
        entry(76, "streettalk-directory-assistance-server", "2132", .ipv4List),
        entry(77, "user-class", "3004", .userClass),
        entry(78, "slp-directory-agent", "2610", .structure([.init("mandatory", .flag), .init("agents", .restAddresses)])),
        entry(79, "slp-service-scope", "2610", .structure([.init("mandatory", .flag), .init("scopes", .restText)])),
        entry(80, "rapid-commit", "4039", .flag),
        entry(81, "fqdn", "4702", .clientFQDN),
        entry(82, "relay-agent-information", "3046", .relayAgentInformation),
        entry(85, "nds-servers", "2241", .ipv4List),
        entry(86, "nds-tree-name", "2241", .text),
        entry(87, "nds-context", "2241", .text),
        entry(88, "bcms-controller-names", "4280", .domainList),
        entry(89, "bcms-controller-address", "4280", .ipv4List),
        entry(90, "authenticate", "3118", .structure([.init("protocol", .uint8), .init("algorithm", .uint8), .init("rdm", .uint8),
                                                          .init("replay_detection", .uint64), .init("information", .restBytes)])),
        entry(91, "client-last-transaction-time", "4388", .uint32),
        entry(92, "associated-ip", "4388", .ipv4List),
        entry(93, "pxe-system-type", "4578", .uint16List),
        entry(94, "pxe-interface-id", "4578", .networkInterfaceIdentifier),
        entry(97, "pxe-client-id", "4578", .machineIdentifier),
        entry(98, "uap-servers", "2485", .text),
        entry(100, "pcode", "4833", .text),
        entry(101, "tcode", "4833", .text),
        entry(108, "v6-only-preferred", "8925", .uint32),
        entry(112, "netinfo-server-address", "3679", .ipv4List),
        entry(113, "netinfo-server-tag", "3679", .text),
        entry(114, "captive-portal", "8910", .text),
        entry(116, "auto-configure", "2563", .named([0: "do-not-auto-configure", 1: "auto-configure"])),
        entry(117, "name-service-search", "2937", .uint16List),
        entry(118, "subnet-selection", "3011", .ipv4),
        entry(119, "domain-search", "3397", .domainList),
        entry(120, "sip-servers", "3361", .sipServers),
        entry(121, "classless-static-routes", "3442", .classlessRoutes),
        entry(124, "vivco", "3925", .vendorIdentifyingClass),
        entry(125, "vivso", "3925", .vendorIdentifyingOptions),
        entry(136, "pana-agent", "5192", .ipv4List),
        entry(137, "v4-lost", "5223", .domainList),
        entry(138, "capwap-ac-v4", "5417", .ipv4List),
        entry(141, "sip-ua-cs-domains", "6011", .domainList),
        entry(150, "tftp-server-address", "5859", .ipv4List),
        entry(151, "status-code", "6926", .statusCode),
        entry(152, "base-time", "6926", .uint32),
        entry(153, "start-time-of-state", "6926", .uint32),
        entry(154, "query-start-time", "6926", .uint32),
        entry(155, "query-end-time", "6926", .uint32),
        entry(156, "dhcp-state", "6926", .named([
            1: "AVAILABLE", 2: "ACTIVE", 3: "EXPIRED", 4: "RELEASED", 5: "ABANDONED", 6: "RESET", 7: "REMOTE",
            8: "TRANSITIONING",
        ])),
        entry(157, "data-source", "6926", .uint8),
        entry(159, "v4-portparams", "7618", .structure([.init("offset", .uint8), .init("psid_length", .uint8),
                                                         .init("psid", .uint16)])),
        entry(161, "mud-url", "8520", .text),
        entry(209, "configuration-file", "5071", .text),
        entry(210, "path-prefix", "5071", .text),
        entry(211, "reboot-time", "5071", .uint32),
        entry(249, "ms-classless-static-routes", "MS-DHCPE", .classlessRoutes),
        entry(252, "wpad", "draft-ietf-wrec-wpad", .text),
    ]

    private static let byCode: [DHCPOptionDefinition?] = {
        var table = [DHCPOptionDefinition?](repeating: nil, count: 256)
        for definition in definitions { table[Int(definition.code.rawValue)] = definition }
        return table
    }()

    public static func definition(for code: DHCPOptionCode) -> DHCPOptionDefinition? { byCode[Int(code.rawValue)] }

    /// Looks a code up by number or by name.
    public static func code(named text: String) -> DHCPOptionCode? {
        if let number = UInt8(text) { return DHCPOptionCode(number) }
        return definitions.first(where: { $0.name == text.lowercased() })?.code
    }

    private static func entry(_ code: UInt8, _ name: String, _ rfc: String, _ shape: DHCPOptionShape) -> DHCPOptionDefinition {
        DHCPOptionDefinition(code: DHCPOptionCode(code), name: name, rfc: rfc, shape: shape)
    }
}
