import DHCPAnalysis
import DHCPCore
import DHCPProtocol

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

    /// The leases seen, as ISC dhcpd writes them to dhcpd.leases (`DHCPDLeaseFile`).
    static func dhcpd(_ leases: [LeaseReport]) -> String {
        dhcpd(entries: leases.map {
            DHCPDLeaseFile.Entry(address: $0.ip, starts: $0.start.seconds, ends: $0.end?.seconds,
                                 bindingState: bindingState($0.state), hardwareType: $0.client.htype,
                                 hardwareAddress: $0.client.address, uid: $0.clientID, hostname: $0.hostname.map { Array($0.utf8) })
        }, origin: "from captured DHCP traffic")
    }

    /// `origin` ends the second comment line: "This lease file was written by dhcpscope VERSION \(origin)."
    static func dhcpd(entries: [DHCPDLeaseFile.Entry], origin: String) -> String {
        DHCPDLeaseFile.header(origin: "dhcpscope \(DHCPScope.version) \(origin)") + entries.map(DHCPDLeaseFile.block).joined()
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
}
