import DHCPAnalysis

/// The lease table in other tools' formats.
enum LeaseExport {
    static func csv(_ leases: [LeaseReport]) -> String {
        var lines = ["ip,mac,client_id,hostname,server,start,end,lease_time,state"]
        for lease in leases {
            lines.append("\(lease.ip),\(lease.client),,\(lease.hostname ?? ""),\(lease.server?.description ?? ""),\(lease.start),\(lease.end?.description ?? ""),\(lease.leaseTime.map(String.init) ?? ""),\(lease.state.rawValue)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func dhcpd(_ leases: [LeaseReport]) -> String {
        leases.map { "lease \($0.ip) {\n  hardware ethernet \($0.client);\n}\n" }.joined()
    }
}
