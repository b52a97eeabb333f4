import DHCPCore

/// Reservations from a directory in the schema ISC dhcpd's LDAP support uses (its dhcp.schema): `dhcpHost`
/// entries with `dhcpHWAddress` (`ethernet MAC`) or `dhcpClientId` (hex), `dhcpStatements` (`fixed-address IP`)
/// and `dhcpOption` (`NAME VALUE`, as the configuration file's `option` key reads it). Pure: entries in,
/// reservations out; the LDAP search is the I/O layer's.
public enum DHCPLDAPHosts {
    /// One entry as a search returned it: its DN and its attributes' values, names in lower case.
    public struct Entry: Hashable, Sendable {
        public var dn: String
        public var attributes: [String: [String]]

        public init(dn: String, attributes: [String: [String]]) {
            self.dn = dn
            self.attributes = Dictionary(attributes.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: +)
        }
    }

    /// The attributes a search asks for.
    public static let attributes = ["cn", "dhcpHWAddress", "dhcpClientId", "dhcpStatements", "dhcpOption"]
    /// The filter of the search.
    public static let filter = "(objectClass=dhcpHost)"

    /// The reservations of `entries`, and a line for each entry left out or statement passed over, naming the
    /// entry and the attribute: `DN: ATTRIBUTE: reason`.
    public static func reservations(_ entries: [Entry]) -> (reservations: [DHCPReservation], problems: [String]) {
        var reservations = [DHCPReservation]()
        var problems = [String]()
        for entry in entries {
            switch reservation(entry, notes: &problems) {
            case .success(let reservation): reservations.append(reservation)
            case .failure(let problem): problems.append(problem.description)
            }
        }
        return (reservations, problems)
    }

    public struct EntryError: Error, CustomStringConvertible {
        public var dn: String
        public var attribute: String
        public var reason: String
        public var description: String { "\(dn): \(attribute): \(reason)" }
    }

    static func reservation(_ entry: Entry, notes: inout [String]) -> Result<DHCPReservation, EntryError> {
        func fail(_ attribute: String, _ reason: String) -> Result<DHCPReservation, EntryError> {
            .failure(EntryError(dn: entry.dn, attribute: attribute, reason: reason))
        }
        let key: DHCPReservation.Key
        if let hardware = entry.attributes["dhcphwaddress"]?.first {
            let words = hardware.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count == 2, words[0].lowercased() == "ethernet",
                  let mac = MACAddress(String(words[1]).trimmingSemicolon) else {
                return fail("dhcpHWAddress", "'\(hardware)' is not 'ethernet MAC'")
            }
            key = .hardwareAddress(mac)
        } else if let identifier = entry.attributes["dhcpclientid"]?.first {
            guard let bytes = Hex.parse(identifier.trimmingSemicolon), !bytes.isEmpty else {
                return fail("dhcpClientId", "'\(identifier)' is not a client identifier in hex")
            }
            key = .clientIdentifier(bytes)
        } else {
            return fail("dhcpHWAddress", "missing (and no dhcpClientId): the entry names no client")
        }
        var address: IPv4Address?
        for statement in entry.attributes["dhcpstatements"] ?? [] {
            let words = statement.trimmingSemicolon.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.first == "fixed-address" else {
                notes.append("\(entry.dn): dhcpStatements: '\(statement)' is not supported: passed over")
                continue
            }
            guard words.count == 2, let fixed = IPv4Address(String(words[1])) else {
                return fail("dhcpStatements", "'\(statement)' is not 'fixed-address IP'")
            }
            address = fixed
        }
        guard let address else { return fail("dhcpStatements", "no fixed-address") }
        var options = [DHCPOption]()
        for text in entry.attributes["dhcpoption"] ?? [] {
            switch DHCPServerConfigFile.option(fromText: text.trimmingSemicolon) {
            case .success(let option): options.append(option)
            case .failure(let error): return fail("dhcpOption", "'\(text)': \(error.reason)")
            }
        }
        return .success(DHCPReservation(key, address: address, options: options))
    }
}

private extension String {
    /// Without a trailing `;` and blanks (dhcpd statements are often stored with their semicolon).
    var trimmingSemicolon: String {
        var text = Substring(self)
        while let last = text.last, last == ";" || last == " " || last == "\t" { text.removeLast() }
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        return String(text)
    }
}
