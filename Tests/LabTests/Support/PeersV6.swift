import Foundation
import Glibc

/// A /64 of 2001:db8::/32 (RFC 3849 documentation space) for scenario `index`: 2001:db8:(10+index)::/64, and a /48
/// beside it, 2001:db8:(0x1000+index)::/48, from which /56 prefixes are delegated.
struct LabSubnet6 {
    let index: Int
    var prefix: String { "2001:db8:\(10 + index)" }
    func host(_ n: Int) -> String { "\(prefix)::\(String(n, radix: 16))" }
    var cidr: String { "\(prefix)::/64" }
    func contains(_ address: String) -> Bool { address.hasPrefix(prefix + "::") }
    var delegationPool: String { "2001:db8:\(String(0x1000 + index, radix: 16))::" }
    func delegated(_ prefix: String) -> Bool { prefix.hasPrefix("2001:db8:\(String(0x1000 + index, radix: 16)):") }
}

/// The DHCPv6 peers: configurations, scripts and command lines, all inside the lab folder. What each does was learned
/// running it in namespaces (Kea 2.2, dnsmasq 2.90, ISC dhcpd/dhclient/dhcrelay 4.4.3, dhcpcd 9.4, perfdhcp 2.2):
/// - kea-dhcp6 needs `server-id` with `persist: false` (else it writes /var/lib/kea); it answers a rapid-commit
///   SOLICIT with a REPLY only when the subnet has `rapid-commit: true`; its memfile marks a released lease with
///   valid_lifetime 0 (as kea-dhcp4), and lease_type 0 is IA_NA, 2 IA_PD.
/// - dhclient -6 solicits without waiting for a router advertisement; `send dhcp6.rapid-commit;` adds option 14; its
///   RENEW and REBIND carry lifetime hints (7200/7500) and T1/T2 hints (3600/5400); it renews at T1 to the
///   multicast address (no server unicast option), retransmitting per RFC 8415 §15; `-r` sends RELEASE. It rebinds
///   late when its server is gone: the RENEW's retransmission timer (REN_TIMEOUT, 10 s) runs past T2 rather than
///   ending there (§15's MRD), so with T1 4 s and T2 8 s it sends REBIND about 15 s after binding.
/// - dnsmasq picks an address of the range by a hash of the client, not the first; leases of 2 minutes get T1 60 s
///   and T2 105 s; it always adds preference 0 and status Success; its lease file holds one line per lease:
///   expiry, IAID, address, "*", client DUID.
/// - ISC dhcpd -6 takes T1 and T2 from `dhcp-renewal-time` and `dhcp-rebinding-time`; its lease file has an `ia-na`
///   block per IA (IAID and DUID in the quoted key) holding each `iaaddr` with its binding state.
/// - dhcrelay -6 relays with hop count 0, the link address its own global address on the lower interface, and no
///   interface-id unless asked (-I).
/// - dhcpcd starts DHCPv6 without a router advertisement when told `noipv6rs` and `ia_na`.
extension Lab {
    var subnet6: LabSubnet6 { LabSubnet6(index: index) }

    /// The filter of DHCPv6 captures.
    static let dhcpv6Filter = "udp and (port 546 or port 547)"

    // MARK: Servers

    /// kea-dhcp6 on `interface` (or, with `unicastAddress`, that address of it, for relayed traffic): addresses from
    /// host 0x100–0x1ff of the lab's /64 and /56 prefixes from its /48, DNS server host 0x53, memfile leases. Timers
    /// long enough that no client renews while a scenario runs, however loaded the machine.
    func startKea6(in namespace: String, interface: String, unicastAddress: String? = nil, rapidCommit: Bool = false,
                   preferred: Int = 3000, valid: Int = 4000, renew: Int = 1000, rebind: Int = 1600) async throws -> LabProcess {
        let subnet = subnet6
        let listen = unicastAddress.map { "\(interface)/\($0)" } ?? interface
        try write("kea-dhcp6.json", """
            {"Dhcp6": {
              "interfaces-config": {"interfaces": ["\(listen)"]},
              "server-id": {"type": "LL", "persist": false},
              "lease-database": {"type": "memfile", "persist": true, "name": "\(path("kea-leases6.csv"))", "lfc-interval": 0},
              "preferred-lifetime": \(preferred), "valid-lifetime": \(valid), "renew-timer": \(renew), "rebind-timer": \(rebind),
              "subnet6": [{"id": 1, "subnet": "\(subnet.cidr)", \(unicastAddress == nil ? "\"interface\": \"\(interface)\"," : "")
                "rapid-commit": \(rapidCommit),
                "pools": [{"pool": "\(subnet.host(0x100))-\(subnet.host(0x1ff))"}],
                "pd-pools": [{"prefix": "\(subnet.delegationPool)", "prefix-len": 48, "delegated-len": 56}],
                "option-data": [{"name": "dns-servers", "data": "\(subnet.host(0x53))"}]}],
              "loggers": [{"name": "kea-dhcp6", "output_options": [{"output": "stdout"}], "severity": "INFO"}]
            }}

            """)
        let process = try start("kea-dhcp6", in: namespace, ["/usr/sbin/kea-dhcp6", "-c", path("kea-dhcp6.json")],
                                environment: ["KEA_PIDFILE_DIR": folder.path, "KEA_LOCKFILE_DIR": folder.path])
        try await wait(for: process, toPrint: "DHCP6_STARTED")
        return process
    }

    /// Kea's memfile rows: address (a prefix's first address), DUID, valid lifetime (0: released), lease type (0 IA_NA,
    /// 2 IA_PD), IAID, prefix length; oldest first.
    func keaLeases6() -> [(address: String, duid: String, validLifetime: Int, type: Int, iaid: Int, prefixLength: Int)] {
        read("kea-leases6.csv").split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > 8, let valid = Int(fields[2]), let type = Int(fields[6]), let iaid = Int(fields[7]),
                  let length = Int(fields[8]) else { return nil }
            return (fields[0], fields[1], valid, type, iaid, length)
        }
    }

    /// dnsmasq as DHCPv6 server only (no DNS, no router advertisements), leases of 2 minutes from host 0x100–0x1ff.
    func startDnsmasq6(in namespace: String, interface: String, rapidCommit: Bool = false) async throws -> LabProcess {
        let subnet = subnet6
        let process = try start("dnsmasq", in: namespace, [
            "/usr/sbin/dnsmasq", "-k", "-C", "/dev/null", "--port=0", "--bind-interfaces", "--interface=\(interface)",
            "--user=root", "--log-dhcp", "--log-facility=-", "--dhcp-range=\(subnet.host(0x100)),\(subnet.host(0x1ff)),64,2m",
            "--dhcp-leasefile=\(path("dnsmasq.leases"))", "--pid-file=\(path("dnsmasq.pid"))",
        ] + (rapidCommit ? ["--dhcp-rapid-commit"] : []))
        try await wait(for: process, toPrint: "DHCPv6, IP range")
        return process
    }

    /// dnsmasq's DHCPv6 leases: (address, client DUID).
    func dnsmasqLeases6() -> [(address: String, duid: String)] {
        read("dnsmasq.leases").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 5, fields[0] != "duid", fields[2].contains(":") else { return nil }
            return (fields[2], fields[4])
        }
    }

    /// ISC dhcpd -6 with the given lifetimes and T1/T2, addresses from host 0x100–0x1ff.
    func startDhcpd6(in namespace: String, interface: String, preferred: Int, valid: Int, t1: Int, t2: Int) async throws -> LabProcess {
        let subnet = subnet6
        try write("dhcpd6.conf", """
            default-lease-time \(valid);
            max-lease-time \(valid);
            preferred-lifetime \(preferred);
            option dhcp-renewal-time \(t1);
            option dhcp-rebinding-time \(t2);
            subnet6 \(subnet.cidr) { range6 \(subnet.host(0x100)) \(subnet.host(0x1ff)); }

            """)
        try write("dhcpd6.leases", "")
        let process = try start("dhcpd6", in: namespace, [
            "/usr/sbin/dhcpd", "-f", "-6", "-d", "-cf", path("dhcpd6.conf"), "-lf", path("dhcpd6.leases"),
            "-pf", path("dhcpd6.pid"), interface,
        ])
        try await wait(for: process, toPrint: "Server starting service")
        return process
    }

    /// The `iaaddr` entries of dhcpd6.leases, in file order: (address, binding state).
    func dhcpd6Leases() -> [(address: String, state: String)] {
        var result = [(address: String, state: String)]()
        var current: String?
        for line in read("dhcpd6.leases").split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("iaaddr ") { current = String(line.dropFirst(7).split(separator: " ")[0]) }
            if line.hasPrefix("binding state "), let address = current {
                result.append((address, String(line.dropFirst(14).dropLast())))
                current = nil
            }
        }
        return result
    }

    /// ISC dhcrelay -6 in the foreground between a lower (clients) and an upper interface, to `server`.
    func startDhcrelay6(in namespace: String, lower: String, upper: String, server: String) async throws -> LabProcess {
        let process = try start("dhcrelay6", in: namespace, [
            "/usr/sbin/dhcrelay", "-6", "-d", "-pf", path("dhcrelay6.pid"), "-l", lower, "-u", "\(server)%\(upper)",
        ])
        try await wait(for: process, toPrint: "Sending on   Socket/\(lower)")
        return process
    }

    // MARK: Clients

    /// dhclient -6's script: logs the reason, the address or prefix and the DNS servers; configures nothing.
    func dhclient6Script() throws -> String {
        try write("dhclient6-script.sh", """
            #!/bin/sh
            # Lab client script: logs only (DHCPv6 works over link-local addresses; nothing needs configuring).
            echo "$reason ${new_ip6_address:-}${new_ip6_prefix:-} ${new_dhcp6_name_servers:-}" >> '\(path("client-script.log"))'
            exit 0

            """, executable: true)
    }

    private func dhclient6Arguments(interface: String, rapidCommit: Bool) throws -> [String] {
        try write("dhclient6.conf", rapidCommit ? "send dhcp6.rapid-commit;\n" : "\n")
        return ["-cf", path("dhclient6.conf"), "-sf", try dhclient6Script(), "-lf", path("dhclient6.leases"),
                "-pf", path("dhclient6.pid"), interface]
    }

    /// dhclient -6 in the foreground; `modes` are its -N (addresses), -P (prefixes), -S (stateless) flags.
    func startDhclient6(in namespace: String, interface: String, modes: [String], rapidCommit: Bool = false) throws -> LabProcess {
        try start("dhclient6", in: namespace, ["/usr/sbin/dhclient", "-6", "-d", "-v"] + modes
                  + dhclient6Arguments(interface: interface, rapidCommit: rapidCommit))
    }

    /// `dhclient -6 -r`: stops the running dhclient (pid file) and sends RELEASE for its leases.
    func releaseDhclient6(in namespace: String, interface: String, modes: [String]) throws {
        try run("dhclient6-release", in: namespace, ["/usr/sbin/dhclient", "-6", "-r", "-v"] + modes
                + dhclient6Arguments(interface: interface, rapidCommit: false))
    }

    /// The addresses and prefixes of the last `lease6` of dhclient's lease file.
    var dhclient6Leases: (addresses: [String], prefixes: [String]) {
        guard let last = read("dhclient6.leases").components(separatedBy: "lease6 {").last else { return ([], []) }
        var addresses = [String](), prefixes = [String]()
        for line in last.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let words = line.split(separator: " ").map(String.init)
            if words.first == "iaaddr", words.count > 1 { addresses.append(words[1]) }
            if words.first == "iaprefix", words.count > 1 { prefixes.append(words[1]) }
        }
        return (addresses, prefixes)
    }

    /// dhcpcd, DHCPv6 only (IA_NA 1, no router solicitation, rapid commit asked), with its own folders and a script that
    /// logs.
    func startDhcpcd6(in namespace: String, interface: String) throws -> LabProcess {
        try write("dhcpcd6.conf", """
            # Lab client: DHCPv6 on the lab interface only, without waiting for a router advertisement.
            ipv6only
            noipv6rs
            ia_na 1
            option rapid_commit
            noconfigure
            nohook resolv.conf, hostname, ntp.conf, timesyncd.conf, wpa_supplicant
            allowinterfaces \(interface)

            """)
        try write("dhcpcd6-script.sh", """
            #!/bin/sh
            echo "$reason ${new_dhcp6_ia_na1_ia_addr1:-}" >> '\(path("client-script.log"))'
            exit 0

            """, executable: true)
        return try start("dhcpcd6", in: namespace, try withDhcpcdFolders([
            "/usr/sbin/dhcpcd", "-B", "-6", "-d", "-f", path("dhcpcd6.conf"), "--script", path("dhcpcd6-script.sh"), interface,
        ]))
    }

    /// Whether dhcpcd's DHCPv6 lease file (the REPLY as it received it) holds `address`: its bytes are searched (reading
    /// it with dhcpscope's own codec would not be the peer's view).
    func dhcpcd6LeaseHolds(interface: String, address text: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path("dhcpcd-db/\(interface).lease6")) else { return false }
        var raw = in6_addr()
        guard inet_pton(AF_INET6, text, &raw) == 1 else { return false }
        let address = withUnsafeBytes(of: raw) { Array($0) }
        let bytes = [UInt8](data)
        return bytes.count >= address.count && (0...(bytes.count - address.count)).contains { Array(bytes[$0..<($0 + address.count)]) == address }
    }

    /// A lab bridge `name` in `namespace` without an address (a layer-2 segment for several hosts), multicast snooping
    /// off so that DHCPv6's multicast reaches every port.
    func bridge6(_ name: String, in namespace: String, mac: String) throws {
        try ip(namespace, "link", "add", name, "address", mac, "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
        try ip(namespace, "link", "set", name, "up")
    }
}
