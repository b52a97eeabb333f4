import DHCPAnalysis
import DHCPCore

/// The lease table in other tools' formats: CSV (RFC 4180 quoting) and ISC dhcpd.leases(5).
enum LeaseExport {
    static let csvHeader = "ip,mac,client_id,hostname,server,start,end,lease_time,t1,t2,router,dns,domain,state,family,iaid,ia,preferred_lifetime"

    /// One line per lease, LF-terminated; a field with a comma, a double quote, CR or LF is quoted, quotes doubled.
    /// DHCPv6 leases follow the DHCPv4 ones: `ip` the address or prefix, `client_id` the DUID, `server` the server's
    /// DUID, `lease_time` the valid lifetime, and the last columns theirs.
    static func csv(_ leases: [LeaseReport], v6: [DHCPv6LeaseReport] = []) -> String {
        var lines = [csvHeader]
        for lease in leases {
            let fields: [String] = [
                lease.ip.description,
                lease.client.description,
                lease.clientID.map { Hex.colonSeparated($0) } ?? "",
                lease.hostname ?? "",
                lease.server?.description ?? "",
                lease.start.description,
                lease.end?.description ?? "",
                lease.leaseTime.map { String($0) } ?? "",
                lease.t1.map(number) ?? "",
                lease.t2.map(number) ?? "",
                lease.router?.description ?? "",
                lease.dns.map(\.description).joined(separator: " "),
                lease.domain ?? "",
                lease.state.rawValue,
                "v4", "", "", "",
            ]
            lines.append(fields.map(csvField).joined(separator: ","))
        }
        for lease in v6 {
            let fields: [String] = [
                lease.text, lease.client.mac?.description ?? "", Hex.colonSeparated(lease.client.duid), "",
                lease.server.map { Hex.colonSeparated($0) } ?? "", lease.start.description, lease.end?.description ?? "",
                String(lease.validLifetime), lease.t1.map { String($0) } ?? "", lease.t2.map { String($0) } ?? "", "", "", "",
                lease.state.rawValue, "v6", String(lease.iaid), lease.ia.rawValue, String(lease.preferredLifetime),
            ]
            lines.append(fields.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }

    /// Seconds without a needless ".0": 450, 787.5.
    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    // MARK: dhcpd.leases

    /// One lease as dhcpd.leases(5) needs it: from a `LeaseReport` (analyse) or a server's lease (mock-server).
    struct DHCPDEntry {
        var ip: IPv4Address
        var client: ClientKey
        var clientID: [UInt8]?
        var hostname: String?
        var start: Timestamp
        var end: Timestamp?
        var state: LeaseState
    }

    /// The leases as ISC dhcpd writes them to dhcpd.leases: times in UTC with the weekday (0 = Sunday) first.
    static func dhcpd(_ leases: [LeaseReport]) -> String {
        dhcpd(entries: leases.map {
            DHCPDEntry(ip: $0.ip, client: $0.client, clientID: $0.clientID, hostname: $0.hostname, start: $0.start,
                       end: $0.end, state: $0.state)
        }, origin: "from captured DHCP traffic")
    }

    /// `origin` ends the second comment line: "This lease file was written by dhcpscope VERSION \(origin)."
    static func dhcpd(entries leases: [DHCPDEntry], origin: String) -> String {
        var text = "# The format of this file is documented in the dhcpd.leases(5) manual page.\n"
        text += "# This lease file was written by dhcpscope \(DHCPScope.version) \(origin).\n\n"
        for lease in leases {
            text += "lease \(lease.ip) {\n"
            text += "  starts \(dhcpdTime(lease.start));\n"
            text += "  ends \(lease.end.map(dhcpdTime) ?? "never");\n"
            text += "  cltt \(dhcpdTime(lease.start));\n"
            let state = bindingState(lease.state)
            text += "  binding state \(state);\n"
            if state == "active" { text += "  next binding state free;\n" }
            text += "  hardware \(hardwareType(lease.client.htype)) \(lease.client);\n"
            if let uid = lease.clientID, !uid.isEmpty { text += "  uid \(quoted(uid));\n" }
            if let hostname = lease.hostname { text += "  client-hostname \(quoted(Array(hostname.utf8)));\n" }
            text += "}\n"
        }
        return text
    }

    /// active and renewed leases are active; released, expired and NAKed ones are free; declined ones abandoned
    /// (dhcpd marks an address a client declined as abandoned).
    static func bindingState(_ state: LeaseState) -> String {
        switch state {
        case .active, .renewed: "active"
        case .released, .expired, .nak: "free"
        case .declined: "abandoned"
        }
    }

    /// dhcpd's date form: `W YYYY/MM/DD HH:MM:SS`, UTC, W the weekday with 0 for Sunday.
    static func dhcpdTime(_ time: Timestamp) -> String {
        let days = time.seconds >= 0 ? time.seconds / 86_400 : (time.seconds - 86_399) / 86_400
        let weekday = ((days + 4) % 7 + 7) % 7  // 1970-01-01 was a Thursday
        let iso = time.rfc3339(fractionDigits: 0)  // 2004-12-05T19:16:24Z
        let date = iso.prefix(10).replacing("-", with: "/")
        let clock = iso.dropFirst(11).prefix(8)
        return "\(weekday) \(date) \(clock)"
    }

    /// dhcpd's quoted string (its quotify_buf): printable ASCII as is, `"` and `\` escaped with a backslash,
    /// every other byte as a three-digit octal escape.
    static func quoted(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): text += "\\" + String(UnicodeScalar(byte))
            case 0x20...0x7e: text += String(UnicodeScalar(byte))
            default:
                let octal = String(byte, radix: 8)
                text += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return text + "\""
    }

    /// dhcpd's names for hardware types (its hardware_types table).
    static func hardwareType(_ htype: UInt8) -> String {
        switch htype {
        case 1: "ethernet"
        case 6: "token-ring"
        case 8: "fddi"
        case 32: "infiniband"
        default: "unknown-\(htype)"
        }
    }
}
