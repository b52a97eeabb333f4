import Foundation
import Glibc
import Testing

extension OneAtATime {
/// mock-server's durable lease stores against real ones: a PostgreSQL server the test starts (initdb into the lab
/// folder, Unix socket only, stopped by PID), and the dhcpd.leases journal under kill -9.
@Suite("Lease stores", .serialized, .enabled(if: LabGate.enabled))
struct LeaseStoreLabTests: MockServerScenario {
    static func boundLeases(_ run: LabProcess) -> [String: String] {
        var bound: [String: String] = [:]
        for event in events(run) where event.name == "lease" && event.string("state") == "active" {
            if let mac = event.string("mac"), let ip = event.string("ip") { bound[mac] = ip }
        }
        return bound
    }

    /// The database's bound rows: MAC → address.
    static func databaseLeases(_ postgres: LabPostgreSQL) throws -> [String: String] {
        let rows = try postgres.psql("SELECT encode(hardware, 'hex') || ' ' || host(address) FROM dhcpscope_lease4 WHERE state = 'bound'",
                                     database: "leases")
        var bound: [String: String] = [:]
        for row in rows.split(separator: "\n") {
            let parts = row.split(separator: " ")
            guard parts.count == 2 else { continue }
            let hex = Array(parts[0])
            let mac = stride(from: 0, to: hex.count, by: 2).map { String(hex[$0..<min($0 + 2, hex.count)]) }.joined(separator: ":")
            bound[mac] = String(parts[1])
        }
        return bound
    }

    /// mock-server on PostgreSQL: five mock-clients bound, their leases the database's rows; PostgreSQL killed:
    /// the server goes on, refuses what it cannot make durable (no ACK, a lease-db problem); PostgreSQL back: the
    /// server recovers by itself and binds new clients, in the database too.
    @Test("mock-server --lease-db postgresql://: PostgreSQL restarted while it serves")
    func postgreSQLRestart() async throws {
        try await Lab.run("lease-db-postgresql-restart", index: 64) { lab in
            let database = try lab.namespace("db")
            let postgres = try await LabPostgreSQL(lab, in: database)
            let (client, server, _) = try Self.pair(lab, link: 1, serverAddress: lab.subnet.host(1))
            let mock = try await Self.startMock(lab, in: server, ["--range", Self.range(lab.subnet, 100, 150), "--lease-time", "600",
                                                                  "--lease-db", postgres.url], timeout: 200)
            let first = try lab.start("mock-client-1", in: client, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                   "--clients", "5", "--mac", "06:01:00:00:00:01", "--once", "--timeout", "20"])
            try await lab.wait(for: "five clients bound", seconds: 25) { !first.isRunning }
            try lab.check(first.exitStatus == 0, "mock-client exited \(first.exitStatus ?? -1): \(first.output)")
            let bound = Self.boundLeases(first)
            try lab.check(bound.count == 5 && Set(bound.values).count == 5, "five clients, five addresses: \(bound)")
            let rows = try Self.databaseLeases(postgres)
            try lab.check(rows == bound, "the database: \(rows), the clients: \(bound)")

            postgres.stop(signal: SIGKILL)
            let refused = try lab.start("mock-client-2", in: client, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                     "--clients", "2", "--mac", "06:01:00:00:01:01", "--once", "--timeout", "6"])
            try await lab.wait(for: "the refused clients to give up", seconds: 15) { !refused.isRunning }
            try lab.check(refused.exitStatus == 1 && Self.boundLeases(refused).isEmpty, "a client bound without the database: \(refused.output)")
            try lab.check(mock.isRunning, "mock-server ended without its database: \(mock.output)")
            try lab.check(Self.problems(mock).contains { $0.string("code") == "server-lease-db" && $0.string("text")?.contains("commit failed") == true },
                          "no lease-db problem for the failed commit: \(Self.problems(mock).map(\.object))")
            try lab.check(!Self.replies(mock).contains { $0.string("type") == "ACK" && $0.string("mac")?.hasPrefix("06:01:00:00:01") == true },
                          "an ACK went to a client while the database was down")

            try await postgres.start()
            let third = try lab.start("mock-client-3", in: client, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                   "--clients", "3", "--mac", "06:01:00:00:02:01", "--once", "--timeout", "20"])
            try await lab.wait(for: "three more clients bound", seconds: 25) { !third.isRunning }
            try lab.check(third.exitStatus == 0, "after PostgreSQL came back, mock-client exited \(third.exitStatus ?? -1): \(third.output)")
            let after = try Self.databaseLeases(postgres)
            for (mac, address) in Self.boundLeases(third) {
                try lab.check(after[mac] == address, "\(mac) bound \(address), the database has \(after[mac] ?? "nothing")")
            }
            try lab.check(Self.problems(mock).contains { $0.string("text")?.contains("lease database back") == true },
                          "mock-server did not report the database back")
            try Self.stopMock(lab, mock)
            postgres.stop()
        }
    }

    /// Two mock-servers with the same pool on one segment and one PostgreSQL database, both answering every
    /// client: their free-address searches collide, and the database's conditional upsert lets one ACK through per
    /// address; 40 clients end with 40 different addresses, each the database's row for its MAC. Half the clients
    /// prefer each server, so that both ACK whichever answers faster.
    @Test("two mock-servers on one PostgreSQL database never give one address to two clients")
    func sharedDatabase() async throws {
        try await Lab.run("lease-db-postgresql-shared", index: 65) { lab in
            let database = try lab.namespace("db")
            let postgres = try await LabPostgreSQL(lab, in: database)
            let ends = try await Self.bridgedSegment(lab, servers: ["a", "b"], clients: ["cli"])
            let arguments = ["--range", Self.range(lab.subnet, 100, 199), "--lease-time", "600", "--lease-db", postgres.url]
            let a = try await Self.startMock(lab, "mock-server-a", in: ends["a"]!, arguments)
            let b = try await Self.startMock(lab, "mock-server-b", in: ends["b"]!, arguments)
            let halves = try [(lab.subnet.host(1), "06:01:00:00:00:01"), (lab.subnet.host(2), "06:01:00:00:01:01")].enumerated().map { half, choice in
                try lab.start("mock-client-\(half)", in: ends["cli"]!, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json",
                                                                      "--clients", "20", "--mac", choice.1, "--prefer-server", choice.0,
                                                                      "--offer-window", "2", "--once", "--timeout", "40"], timeout: 60)
            }
            try await lab.wait(for: "40 clients bound", seconds: 50) { halves.allSatisfy { !$0.isRunning } }
            for clients in halves {
                try lab.check(clients.exitStatus == 0, "\(clients.name) exited \(clients.exitStatus ?? -1): \(clients.output.suffix(3000))")
            }
            let bound = Self.boundLeases(halves[0]).merging(Self.boundLeases(halves[1])) { first, _ in first }
            try lab.check(bound.count == 40 && Set(bound.values).count == 40, "40 clients, \(Set(bound.values).count) addresses: \(bound)")
            try lab.check(try Self.databaseLeases(postgres) == bound, "the database and the clients differ")
            // Both servers answered; where their choices collided, one ACK was held back.
            let acksA = Self.replies(a).filter { $0.string("type") == "ACK" }.count
            let acksB = Self.replies(b).filter { $0.string("type") == "ACK" }.count
            try lab.check(acksA > 0 && acksB > 0, "ACKs: a \(acksA), b \(acksB)")
            try Self.stopMock(lab, a)
            try Self.stopMock(lab, b)
            postgres.stop()
        }
    }
}

/// mock-server's reservations from a real OpenLDAP server the test starts (ISC dhcpd's LDAP schema).
@Suite("LDAP reservations", .serialized, .enabled(if: LabGate.enabled))
struct LDAPReservationLabTests: MockServerScenario {
    /// A dhcpHost entry in slapd reserves 198.18.x.42 (and a domain name) for the client's MAC: mock-client gets it;
    /// an entry without fixed-address is a problem naming the entry and the attribute; the entry changed to .43
    /// and SIGHUP: the client, starting again, gets .43.
    @Test("mock-server --ldap: a reservation in slapd is honoured, and SIGHUP reads a change")
    func reservations() async throws {
        try await Lab.run("ldap-reservations", index: 68) { lab in
            let (client, server, mac) = try Self.pair(lab, link: 1, serverAddress: lab.subnet.host(1))
            let slapd = try await LabSlapd(lab, in: server)
            try slapd.modify(add: true, """
                dn: cn=pc1,ou=hosts,\(LabSlapd.suffix)
                objectClass: dhcpHost
                cn: pc1
                dhcpHWAddress: ethernet \(mac)
                dhcpStatements: fixed-address \(lab.subnet.host(42))
                dhcpOption: domain-name "pc1.lab.example"

                dn: cn=broken,ou=hosts,\(LabSlapd.suffix)
                objectClass: dhcpHost
                cn: broken
                dhcpHWAddress: ethernet 06:01:00:00:00:99

                """)
            let mock = try await Self.startMock(lab, in: server, ["--range", Self.range(lab.subnet, 100, 150), "--lease-time", "600",
                                                                  "--ldap", slapd.url, "--ldap-base", "ou=hosts,\(LabSlapd.suffix)"])
            let loaded = Self.events(mock).filter { $0.name == "reservations" }
            try lab.check(loaded.count == 1 && loaded[0].object["count"] as? Int == 1, "reservations events: \(loaded.map(\.object))")
            try lab.check(Self.problems(mock).contains { $0.string("code") == "server-ldap"
                    && $0.string("text") == "cn=broken,ou=hosts,\(LabSlapd.suffix): dhcpStatements: no fixed-address" },
                          "no problem naming the broken entry: \(Self.problems(mock).map(\.object))")

            func bind(_ name: String) async throws -> Event {
                let run = try lab.start(name, in: client, [DHCPScope.binary.path, "mock-client", "-i", "cli0", "--json", "--once", "--timeout", "15"])
                try await lab.wait(for: "\(name) bound", seconds: 20) { !run.isRunning }
                try lab.check(run.exitStatus == 0, "\(name) exited \(run.exitStatus ?? -1): \(run.output)")
                return try #require(Self.events(run).last { $0.name == "lease" })
            }
            let first = try await bind("mock-client-1")
            try lab.check(first.string("ip") == lab.subnet.host(42) && first.string("domain") == "pc1.lab.example",
                          "the reserved client got \(first.object)")

            try slapd.modify("""
                dn: cn=pc1,ou=hosts,\(LabSlapd.suffix)
                changetype: modify
                replace: dhcpStatements
                dhcpStatements: fixed-address \(lab.subnet.host(43))

                """)
            mock.signal(SIGHUP)
            try await lab.wait(for: "the reservations read again") { Self.events(mock).filter { $0.name == "reservations" }.count == 2 }
            let second = try await bind("mock-client-2")
            try lab.check(second.string("ip") == lab.subnet.host(43), "after SIGHUP the client got \(second.object)")
            try Self.stopMock(lab, mock)
            slapd.stop()
        }
    }
}

/// The `file:` store (ISC dhcpd.leases) by bench/crash-safety's method, in the lab.
@Suite("dhcpd.leases store", .serialized, .enabled(if: LabGate.enabled))
struct LeasesFileLabTests: MockServerScenario {
    /// Three rounds: mock-server on one dhcpd.leases file under perfdhcp load (perfdhcp as a relay, 35 new clients a
    /// round), killed with SIGKILL after a second or so; every lease ACKed on the wire (yiaddr, chaddr) is an active
    /// block of the file, and the next round's server reads every one of them back (its lease events at start).
    @Test("mock-server --lease-db file: every ACKed lease survives kill -9 under perfdhcp load")
    func crashSafety() async throws {
        try await Lab.run("lease-db-file-crash", index: 69) { lab in
            let client = try lab.namespace("cli"), server = try lab.namespace("srv")
            try lab.link((client, "cli0", lab.mac(link: 1, side: 2), "\(lab.subnet.host(2))/24"),
                         (server, "srv0", lab.mac(link: 1, side: 1), "\(lab.subnet.host(1))/24"))
            let file = lab.path("dhcpd.leases")
            var acked: [String: String] = [:]   // yiaddr → chaddr, every round so far
            for round in 1...3 {
                let mock = try await Self.startMock(lab, "mock-server-\(round)", in: server,
                                                    ["--range", Self.range(lab.subnet, 10, 250), "--lease-db", "file:\(file)"])
                // What the previous rounds acknowledged is read back from the file.
                let known = Dictionary(Self.leases(mock).compactMap { lease in lease.string("ip").map { ($0, lease.string("mac") ?? "") } },
                                       uniquingKeysWith: { $1 })
                for (address, mac) in acked {
                    try lab.check(known[address] == mac, "round \(round): the restarted server does not know \(address) → \(mac)")
                }
                let capture = try await lab.capture("tcpdump-\(round)", in: client, interface: "cli0", to: "round-\(round).pcap")
                let perfdhcp = try lab.start("perfdhcp-\(round)", in: client, [
                    "/usr/sbin/perfdhcp", "-4", "-l", "cli0", "-r", "200", "-R", "35", "-b", String(format: "mac=06:02:00:00:%02x:00", round),
                    "-p", "8", lab.subnet.host(1),
                ], timeout: 30)
                try await Task.sleep(for: .milliseconds(700 + 300 * round))
                mock.stop(signal: SIGKILL)
                perfdhcp.stop(signal: SIGINT)
                try await lab.stopCapture(capture)
                let acks = try lab.decodedMessages(["round-\(round).pcap"]).filter { $0.messageType == "ACK" }
                try lab.check(!acks.isEmpty, "round \(round): no ACK on the wire before the kill")
                for ack in acks {
                    if let address = ack.dhcp["yiaddr"] as? String, let mac = ack.chaddr { acked[address] = mac }
                }
                // Each ACKed lease is an active block of the file (the last of its address).
                let entries = Self.fileLeases(lab.read("dhcpd.leases"))
                for (address, mac) in acked {
                    try lab.check(entries[address] == mac, "round \(round): \(address) → \(mac) ACKed but the file has \(entries[address] ?? "nothing")")
                }
            }
        }
    }

    /// The file's last block per address, when active: address → MAC.
    static func fileLeases(_ text: String) -> [String: String] {
        var leases: [String: String] = [:]
        for block in text.components(separatedBy: "lease ").dropFirst() {
            let address = String(block.prefix { $0 != " " })
            guard block.contains("}") else { continue }  // a block cut short
            if block.contains("binding state active;"), let range = block.range(of: "hardware ethernet ") {
                leases[address] = String(block[range.upperBound...].prefix { $0 != ";" })
            } else {
                leases[address] = nil
            }
        }
        return leases
    }
}
}
