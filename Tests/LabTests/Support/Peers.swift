import Foundation
import Glibc

/// Configurations, scripts and command lines of the real peers, all inside the lab folder.
/// Facts behind the flags were learned running the peers in namespaces.
extension Lab {
    // MARK: Servers

    /// dnsmasq as DHCP server only (no config file, no DNS), leases of 120 s (its minimum); no ping check unless `ping`
    /// (dnsmasq's default: it pings an address and waits up to 3 s before offering it).
    func startDnsmasq(in namespace: String, interface: String, subnet: LabSubnet, ping: Bool = false,
                      extra: [String] = []) async throws -> LabProcess {
        let process = try start("dnsmasq", in: namespace, [
            "/usr/sbin/dnsmasq", "-k", "-C", "/dev/null", "--port=0", "--bind-interfaces", "--interface=\(interface)",
            "--user=root", "--dhcp-authoritative", "--log-dhcp", "--log-facility=-",
            "--dhcp-range=\(subnet.host(100)),\(subnet.host(150)),255.255.255.0,2m",
            "--dhcp-leasefile=\(path("dnsmasq.leases"))", "--pid-file=\(path("dnsmasq.pid"))",
        ] + (ping ? [] : ["--no-ping"]) + extra)
        try await wait(for: process, toPrint: "DHCP, IP range")
        return process
    }

    /// kea-dhcp4 with a raw socket (layer-2 clients), memfile CSV leases, no lease file cleanup.
    func startKea(in namespace: String, interface: String, subnets: [LabSubnet], validLifetime: Int = 60,
                  renewTimer: Int = 10, rebindTimer: Int = 15) async throws -> LabProcess {
        let subnetList = subnets.enumerated().map { position, subnet in
            #"{"id": \#(position + 1), "subnet": "\#(subnet.cidr)", "pools": [{"pool": "\#(subnet.host(100)) - \#(subnet.host(150))"}]}"#
        }.joined(separator: ",\n    ")
        let config = """
            {"Dhcp4": {
              "interfaces-config": {"interfaces": ["\(interface)"], "dhcp-socket-type": "raw"},
              "lease-database": {"type": "memfile", "persist": true, "name": "\(path("kea-leases4.csv"))", "lfc-interval": 0},
              "valid-lifetime": \(validLifetime), "renew-timer": \(renewTimer), "rebind-timer": \(rebindTimer),
              "subnet4": [
                \(subnetList)
              ],
              "loggers": [{"name": "kea-dhcp4", "output_options": [{"output": "stdout"}], "severity": "INFO"}]
            }}

            """
        try write("kea-dhcp4.json", config)
        let process = try start("kea-dhcp4", in: namespace, ["/usr/sbin/kea-dhcp4", "-c", path("kea-dhcp4.json")],
                                environment: ["KEA_PIDFILE_DIR": folder.path, "KEA_LOCKFILE_DIR": folder.path])
        try await wait(for: process, toPrint: "DHCP4_STARTED")
        return process
    }

    /// ISC dhcpd, authoritative, no ping check, with the given lease time and T1/T2 (options 58/59).
    func startDhcpd(in namespace: String, interface: String, subnet: LabSubnet, leaseTime: Int = 60,
                    t1: Int, t2: Int) async throws -> LabProcess {
        try write("dhcpd.conf", """
            authoritative;
            ddns-update-style none;
            ping-check false;
            default-lease-time \(leaseTime);
            max-lease-time \(leaseTime);
            subnet \(subnet.network) netmask 255.255.255.0 {
              range \(subnet.host(100)) \(subnet.host(150));
              option subnet-mask 255.255.255.0;
              option dhcp-renewal-time \(t1);
              option dhcp-rebinding-time \(t2);
            }

            """)
        try write("dhcpd.leases", "")
        let process = try start("dhcpd", in: namespace, [
            "/usr/sbin/dhcpd", "-f", "-4", "-d", "-cf", path("dhcpd.conf"), "-lf", path("dhcpd.leases"),
            "-pf", path("dhcpd.pid"), interface,
        ])
        try await wait(for: process, toPrint: "Server starting service")
        return process
    }

    /// ISC dhcrelay in the foreground, adding option 82 (`-a`), between a downstream interface and upstream ones,
    /// forwarding to every server.
    func startDhcrelay(in namespace: String, downstream: String, upstreams: [String], servers: [String]) async throws -> LabProcess {
        let process = try start("dhcrelay", in: namespace, [
            "/usr/sbin/dhcrelay", "-4", "-d", "-a", "-pf", path("dhcrelay.pid"), "-id", downstream,
        ] + upstreams.flatMap { ["-iu", $0] } + servers)
        try await wait(for: process, toPrint: "Listening on LPF/\(downstream)")
        return process
    }

    /// busybox udhcpd in the foreground, no ARP ping before offering (`-a 0`), leases of `leaseTime` s. `auto_time 0`:
    /// it writes its lease file only on SIGUSR1 (see `udhcpdLeases`) and at exit.
    func startUdhcpd(in namespace: String, interface: String, subnet: LabSubnet, leaseTime: Int = 120) async throws -> LabProcess {
        try write("udhcpd.conf", """
            interface \(interface)
            start \(subnet.host(100))
            end \(subnet.host(150))
            max_leases 51
            auto_time 0
            lease_file \(path("udhcpd.leases"))
            pidfile \(path("udhcpd.pid"))
            option subnet 255.255.255.0
            option lease \(leaseTime)

            """)
        let process = try start("udhcpd", in: namespace, ["/usr/sbin/udhcpd", "-f", "-a", "0", path("udhcpd.conf")])
        try await wait(for: process, toPrint: "started")
        // It prints "started" before it opens its socket: wait for port 67 in its own namespace.
        try await wait(for: "udhcpd to listen on UDP port 67") { listens(process, udpPort: 67) }
        return process
    }

    // MARK: Clients

    /// dhclient's `-sf` script: logs the reason and only adds or removes the leased address on the test interface.
    func dhclientScript() throws -> String {
        try write("dhclient-script.sh", """
            #!/bin/sh
            # Lab client script: touches only the leased address on the lab interface (never resolv.conf or routes).
            echo "$reason ${new_ip_address:-} ${old_ip_address:-}" >> '\(path("client-script.log"))'
            case "$reason" in
            BOUND|RENEW|REBIND|REBOOT)
                /usr/sbin/ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
            EXPIRE|FAIL|RELEASE|STOP)
                [ -n "${old_ip_address:-}" ] && /usr/sbin/ip addr del "$old_ip_address/$old_subnet_mask" dev "$interface" ;;
            esac
            exit 0

            """, executable: true)
    }

    private func dhclientArguments(interface: String) throws -> [String] {
        try write("dhclient.conf", "request subnet-mask, dhcp-lease-time, dhcp-renewal-time, dhcp-rebinding-time, dhcp-server-identifier;\n")
        return ["-cf", path("dhclient.conf"), "-sf", try dhclientScript(), "-lf", path("dhclient.leases"),
                "-pf", path("dhclient.pid"), interface]
    }

    /// dhclient in the foreground with its own config, script, lease and pid files.
    func startDhclient(in namespace: String, interface: String) throws -> LabProcess {
        try start("dhclient", in: namespace, ["/usr/sbin/dhclient", "-4", "-d", "-v"] + dhclientArguments(interface: interface))
    }

    /// `dhclient -r`: stops the running dhclient (pid file) and sends RELEASE.
    func releaseDhclient(in namespace: String, interface: String) throws {
        try run("dhclient-release", in: namespace, ["/usr/sbin/dhclient", "-4", "-r", "-v"] + dhclientArguments(interface: interface))
    }

    /// The address of the last lease in dhclient's lease file. dhclient runs its script (BOUND) before it writes the
    /// file: a wait for BOUND waits for this too.
    var dhclientAddress: String? {
        read("dhclient.leases").split(separator: "\n").last { $0.contains("fixed-address") }
            .map { $0.replacingOccurrences(of: "fixed-address", with: "").trimmingCharacters(in: CharacterSet(charactersIn: " ;")) }
    }

    /// udhcpc's `-s` script: logs the event and only adds or removes the leased address on the test interface.
    func udhcpcScript() throws -> String {
        try write("udhcpc-script.sh", """
            #!/bin/sh
            # Lab client script: touches only the leased address on the lab interface (never resolv.conf or routes).
            echo "$1 ${ip:-} ${subnet:-} ${lease:-}" >> '\(path("client-script.log"))'
            case "$1" in
            bound|renew) /usr/sbin/ip addr replace "$ip/$subnet" dev "$interface" ;;
            deconfig) /usr/sbin/ip -4 addr flush dev "$interface" ;;
            esac
            exit 0

            """, executable: true)
    }

    /// busybox udhcpc in the foreground (SIGUSR2 releases, SIGTERM ends).
    func startUdhcpc(in namespace: String, interface: String) throws -> LabProcess {
        try start("udhcpc", in: namespace, ["/usr/sbin/udhcpc", "-f", "-i", interface, "-s", try udhcpcScript(),
                                            "-t", "5", "-T", "1", "-A", "1"])
    }

    /// dhcpcd's `--script`: logs the reason and only adds or removes the leased address on the test interface
    /// (dhcpcd itself configures nothing: `noconfigure`).
    func dhcpcdScript() throws -> String {
        try write("dhcpcd-script.sh", """
            #!/bin/sh
            # Lab client script: touches only the leased address on the lab interface (never resolv.conf or routes).
            echo "$reason ${new_ip_address:-} ${old_ip_address:-}" >> '\(path("client-script.log"))'
            case "$reason" in
            BOUND|RENEW|REBIND|REBOOT)
                /usr/sbin/ip addr replace "$new_ip_address/$new_subnet_cidr" dev "$interface" ;;
            EXPIRE|NAK|RELEASE|STOP)
                [ -n "${old_ip_address:-}" ] && /usr/sbin/ip addr del "$old_ip_address/$old_subnet_cidr" dev "$interface" ;;
            esac
            exit 0

            """, executable: true)
    }

    /// Runs `arguments` with dhcpcd's database (/var/lib/dhcpcd: leases, DUID) and run folder (/run: pid file, control
    /// socket) replaced by folders of the lab, bind-mounted in a private mount namespace: dhcpcd reads no earlier
    /// lease and leaves no file on the machine, and `dhcpcd -k` finds the pid file of the running one.
    func withDhcpcdFolders(_ arguments: [String]) throws -> [String] {
        for name in ["dhcpcd-db", "dhcpcd-run"] {
            try FileManager.default.createDirectory(at: file(name), withIntermediateDirectories: true)
        }
        return ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                #"/usr/bin/mount --bind "$1" /var/lib/dhcpcd && /usr/bin/mount --bind "$2" /run && shift 2 && exec "$@""#,
                "dhcpcd-folders", path("dhcpcd-db"), path("dhcpcd-run")] + arguments
    }

    /// dhcpcd's config file for the lab: DHCPv4 on `interface` only; the script adds or removes the address (or logs,
    /// for --inform), dhcpcd configures nothing itself. No ARP probe of the leased address unless `arp` (then an
    /// address found in use is declined).
    func writeDhcpcdConfig(interface: String, arp: Bool = false) throws {
        try write("dhcpcd.conf", """
            # Lab client: DHCPv4 on the lab interface only; the script adds or removes the address, nothing else.
            ipv4only
            noipv6
            noipv6rs
            nodhcp6
            \(arp ? "" : "noarp")
            noipv4ll
            nodelay
            nogateway
            noconfigure
            clientid
            nohook resolv.conf, hostname, ntp.conf, timesyncd.conf, wpa_supplicant
            allowinterfaces \(interface)

            """)
    }

    /// dhcpcd (DHCPv4 only, no initial delay, no ARP probe unless `arp`, no IPv4LL, no routes) in the foreground on
    /// `interface` alone, with its own config file, script and folders; client id 01+MAC, so it writes no DUID. A
    /// restart (another `name`, the same folders) finds the lease file of the earlier run.
    func startDhcpcd(_ name: String = "dhcpcd", in namespace: String, interface: String, arp: Bool = false) throws -> LabProcess {
        try writeDhcpcdConfig(interface: interface, arp: arp)
        return try start(name, in: namespace, try withDhcpcdFolders([
            "/usr/sbin/dhcpcd", "-B", "-4", "-d", "-f", path("dhcpcd.conf"), "--script", try dhcpcdScript(), interface,
        ]))
    }

    /// Whether dhcpcd has finished binding `address`: its privilege-separated listener for the address is up. A SIGTERM
    /// before that can leave dhcpcd 9.4 hung on its helper processes until SIGKILL ("ps_ctl_listen: read").
    func dhcpcdSettled(_ dhcpcd: LabProcess, address: String) -> Bool {
        dhcpcd.output.contains("spawned listener \(address) ")
    }

    /// `dhcpcd -k IFACE`: signals the running dhcpcd (its pid file), which sends RELEASE, deletes its lease file, calls
    /// its script (STOP with the old address, then STOPPED) and ends; waits for that end.
    func releaseDhcpcd(in namespace: String, interface: String) throws {
        try run("dhcpcd-release", in: namespace, try withDhcpcdFolders([
            "/usr/sbin/dhcpcd", "-4", "-f", path("dhcpcd.conf"), "-k", interface,
        ]))
    }

    /// The address (yiaddr) in dhcpcd's lease file for `interface`, the last ACK as received; nil when there is none.
    func dhcpcdLeaseAddress(interface: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path("dhcpcd-db/\(interface).lease")), data.count >= 240 else { return nil }
        let bytes = [UInt8](data)
        return bytes[16..<20].map(String.init).joined(separator: ".")
    }

    // MARK: Peer lease files

    /// Kea's memfile rows for `mac`: (address, valid_lifetime, subnet_id), oldest first.
    func keaLeases(mac: String) -> [(address: String, validLifetime: Int, subnetID: Int)] {
        keaRows().filter { $0.mac == mac }.map { ($0.address, $0.validLifetime, $0.subnetID) }
    }

    /// Every row of Kea's memfile, oldest first: address, hwaddr (empty once declined), valid_lifetime (0: released),
    /// subnet_id, state (0 default, 1 declined, 2 expired-reclaimed).
    func keaRows() -> [(address: String, mac: String, validLifetime: Int, subnetID: Int, state: Int)] {
        read("kea-leases4.csv").split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > 9, let valid = Int(fields[3]), let subnetID = Int(fields[5]), let state = Int(fields[9]) else { return nil }
            return (fields[0], fields[1], valid, subnetID, state)
        }
    }

    /// dhcpd.leases as written, one entry per `lease ADDRESS { … }` block, oldest first: its binding state (active,
    /// free, abandoned …) and hardware ethernet.
    func dhcpdLeases() -> [(address: String, state: String, mac: String?)] {
        read("dhcpd.leases").components(separatedBy: "\nlease ").dropFirst().compactMap { block in
            guard let address = block.split(separator: " ").first.map(String.init) else { return nil }
            func value(_ key: String) -> String? {
                block.components(separatedBy: "\n").first { $0.hasPrefix("  \(key) ") }
                    .map { String($0.dropFirst(key.count + 3).dropLast()) }
            }
            return (address, value("binding state") ?? "", value("hardware ethernet"))
        }
    }

    /// dnsmasq's lease line for `mac` (expiry, mac, address, hostname, client id), if any.
    func dnsmasqLease(mac: String) -> (mac: String, address: String)? {
        for line in read("dnsmasq.leases").split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            if fields.count >= 3, fields[1] == mac { return (fields[1], fields[2]) }
        }
        return nil
    }

    /// udhcpd's lease file (after SIGUSR1): (mac, address, seconds left) per lease. Format: the time written (8 bytes),
    /// then `struct dyn_lease` records of 36 bytes: expires (seconds left, big-endian), address, MAC, hostname[20], pad.
    func udhcpdLeases() -> [(mac: String, address: String, secondsLeft: UInt32)] {
        guard let data = FileManager.default.contents(atPath: path("udhcpd.leases")), data.count >= 8 else { return [] }
        let bytes = [UInt8](data.dropFirst(8))
        return stride(from: 0, to: bytes.count - 35, by: 36).map { start in
            let record = bytes[start..<start + 36]
            let left = record.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let address = record.dropFirst(4).prefix(4).map(String.init).joined(separator: ".")
            let mac = record.dropFirst(8).prefix(6).map { String(format: "%02x", $0) }.joined(separator: ":")
            return (mac, address, left)
        }
    }

    var clientScriptLog: [String] { read("client-script.log").split(separator: "\n").map(String.init) }

    /// The IPv4 addresses on `interface` in `namespace`.
    func addresses(in namespace: String, interface: String) throws -> String {
        try ip(namespace, "-4", "-br", "addr", "show", "dev", interface)
    }
}
