import Foundation
import Glibc

/// An OpenLDAP server of the lab's own: slapd in the foreground inside a lab namespace, listening on that
/// namespace's loopback only, with a configuration, a database folder and ISC dhcpd's LDAP schema (the part for
/// host entries) in the lab folder; stopped by its PID.
final class LabSlapd {
    let lab: Lab
    let namespace: String
    let port = 3890
    static let suffix = "dc=lab,dc=example"
    static let admin = "cn=admin,dc=lab,dc=example"
    static let password = "lab-secret"
    private(set) var process: LabProcess?

    /// The URL mock-server uses, from inside `namespace`.
    var url: String { "ldap://127.0.0.1:\(port)" }

    /// The attribute types and the object class of ISC dhcpd's dhcp.schema that host entries use, with its OIDs.
    static let schema = """
        attributetype ( 2.16.840.1.113719.1.203.4.3 NAME 'dhcpStatements' EQUALITY caseIgnoreIA5Match
            SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )
        attributetype ( 2.16.840.1.113719.1.203.4.7 NAME 'dhcpOption' EQUALITY caseIgnoreIA5Match
            SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )
        attributetype ( 2.16.840.1.113719.1.203.4.9 NAME 'dhcpOptionsDN' EQUALITY distinguishedNameMatch
            SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
        attributetype ( 2.16.840.1.113719.1.203.4.14 NAME 'dhcpLeaseDN' EQUALITY distinguishedNameMatch
            SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 SINGLE-VALUE )
        attributetype ( 2.16.840.1.113719.1.203.4.34 NAME 'dhcpHWAddress' EQUALITY caseIgnoreIA5Match
            SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
        attributetype ( 2.16.840.1.113719.1.203.4.56 NAME 'dhcpComments' EQUALITY caseIgnoreIA5Match
            SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
        attributetype ( 2.16.840.1.113719.1.203.4.57 NAME 'dhcpClientId' EQUALITY caseIgnoreIA5Match
            SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 SINGLE-VALUE )
        objectclass ( 2.16.840.1.113719.1.203.6.6 NAME 'dhcpHost' SUP top MUST cn
            MAY ( dhcpLeaseDN $ dhcpHWAddress $ dhcpOptionsDN $ dhcpStatements $ dhcpComments $ dhcpOption $ dhcpClientId ) )

        """

    init(_ lab: Lab, in namespace: String) async throws {
        self.lab = lab
        self.namespace = namespace
        let data = lab.path("ldapdata")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let schema = try lab.write("dhcp.schema", Self.schema)
        try lab.write("slapd.conf", """
            include /etc/ldap/schema/core.schema
            include \(schema)
            pidfile \(lab.path("slapd.pid"))
            modulepath /usr/lib/ldap
            moduleload back_mdb
            database mdb
            suffix "\(Self.suffix)"
            rootdn "\(Self.admin)"
            rootpw \(Self.password)
            directory \(data)
            maxsize 10485760

            """)
        let server = try lab.start("slapd", in: namespace, ["/usr/sbin/slapd", "-d", "0", "-h", "\(url)/", "-f", lab.path("slapd.conf")],
                                   timeout: 200)
        process = server
        try await lab.wait(for: "slapd to listen on \(port)", seconds: 15) {
            if !server.isRunning { throw LabError.check("slapd ended: \(server.output)") }
            return lab.listensTCP(server, port: port)
        }
        try modify(add: true, """
            dn: \(Self.suffix)
            objectClass: dcObject
            objectClass: organization
            dc: lab
            o: lab

            dn: ou=hosts,\(Self.suffix)
            objectClass: organizationalUnit
            ou: hosts

            """)
    }

    /// ldapadd or ldapmodify as the directory's administrator.
    func modify(add: Bool = false, _ ldif: String) throws {
        let file = try lab.write("change-\(UInt32.random(in: 0...UInt32.max)).ldif", ldif)
        try lab.run(add ? "ldapadd" : "ldapmodify", in: namespace, [add ? "/usr/bin/ldapadd" : "/usr/bin/ldapmodify", "-x", "-H", url,
                                                                      "-D", Self.admin, "-w", Self.password, "-f", file])
    }

    func stop() { process?.stop() }
}

extension Lab {
    /// Whether the program has a TCP socket listening on `port` (its own namespace's table).
    func listensTCP(_ process: LabProcess, port: Int) -> Bool {
        guard let pid = process.commandPID,
              let table = try? String(contentsOfFile: "/proc/\(pid)/net/tcp", encoding: .utf8) else { return false }
        let local = String(format: ":%04X", port)
        return table.split(separator: "\n").dropFirst().contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[1].hasSuffix(local) && fields[3] == "0A"  // LISTEN
        }
    }
}
