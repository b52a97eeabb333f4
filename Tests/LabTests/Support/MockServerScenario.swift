import Foundation
import Glibc
import Testing

/// What the mock-server scenarios share: topologies (client/server pairs, bridges), the mock itself (start, stop, its
/// JSON events), the clients as the mock scenarios run them, and reading captures. A suite conforms to use them as
/// `Self.…`.
protocol MockServerScenario {}

extension MockServerScenario {
    // MARK: Helpers

    static func range(_ subnet: LabSubnet, _ first: Int, _ last: Int) -> String { "\(subnet.host(first))-\(subnet.host(last))" }

    /// A client namespace and a server namespace joined by a veth: cli0 (no address) — srv0 (`serverAddress`/24).
    static func pair(_ lab: Lab, _ tag: String = "", link: Int, serverAddress: String) throws
        -> (client: String, server: String, mac: String) {
        let suffix = tag.isEmpty ? "" : "-\(tag)"
        let client = try lab.namespace("cli\(suffix)"), server = try lab.namespace("srv\(suffix)")
        let mac = lab.mac(link: link, side: 2)
        try lab.link((client, "cli0", mac, nil), (server, "srv0", lab.mac(link: link, side: 1), "\(serverAddress)/24"))
        return (client, server, mac)
    }

    /// A bridge (`srv0` unless named) with `address`/24 inside `namespace` (a lab namespace): the mock, or a relay,
    /// serves on it, veths join it.
    static func bridge(_ lab: Lab, _ name: String = "srv0", in namespace: String, mac: String, address: String) throws {
        precondition(address.hasPrefix("198.18.") || address.hasPrefix("198.19."), "lab addresses are 198.18.0.0/15")
        try lab.ip(namespace, "link", "add", name, "address", mac, "type", "bridge", "stp_state", "0")
        try lab.ip(namespace, "addr", "add", "\(address)/24", "dev", name)
        try lab.ip(namespace, "link", "set", name, "up")
    }

    /// A bridge in its own namespace `net` joining a namespace per tag: each of `servers` with srv0 at hosts 1, 2, …
    /// of the lab's subnet, each of `clients` with cli0 and no address. The namespaces by tag.
    static func bridgedSegment(_ lab: Lab, servers: [String], clients: [String]) async throws -> [String: String] {
        let net = try lab.namespace("net")
        try lab.ip(net, "link", "add", "br0", "type", "bridge", "stp_state", "0")
        try lab.ip(net, "link", "set", "br0", "up")
        var namespaces: [String: String] = [:]
        for (link, tag) in (servers + clients).enumerated() {
            let namespace = try lab.namespace(tag)
            namespaces[tag] = namespace
            let server = link < servers.count
            try await attach(lab, (namespace, server ? "srv0" : "cli0", lab.mac(link: link, side: 2), server ? "\(lab.subnet.host(link + 1))/24" : nil),
                             to: net, bridge: "br0", port: "p-\(tag)", portMAC: lab.mac(link: link, side: 1))
        }
        return namespaces
    }

    /// A veth from `end` to a port of the bridge `bridge` in `bridgeNamespace`, waiting for the port to forward.
    static func attach(_ lab: Lab, _ end: (namespace: String, interface: String, mac: String, address: String?),
                       to bridgeNamespace: String, bridge: String = "srv0", port: String, portMAC: String) async throws {
        try lab.link(end, (bridgeNamespace, port, portMAC, nil))
        try lab.ip(bridgeNamespace, "link", "set", port, "master", bridge)
        try await lab.wait(for: "bridge port \(port) to forward", seconds: 5) {
            try lab.ip(bridgeNamespace, "-d", "link", "show", "dev", port).contains("state forwarding")
                && lab.ip(bridgeNamespace, "link", "show", "dev", bridge).contains("LOWER_UP")
        }
    }

    /// The network changes under a client: `mock` (serving the lab's subnet) stops cleanly, srv0 of `namespace` moves
    /// to host 1 of the second subnet, and an authoritative mock-server-2 serves .100–.110 there; returns it.
    static func restartOnSecondSubnet(_ lab: Lab, in namespace: String, stopping mock: LabProcess) async throws -> LabProcess {
        try stopMock(lab, mock)
        try lab.ip(namespace, "addr", "del", "\(lab.subnet.host(1))/24", "dev", "srv0")
        try lab.ip(namespace, "addr", "add", "\(lab.secondSubnet.host(1))/24", "dev", "srv0")
        return try await startMock(lab, "mock-server-2", in: namespace,
                                   ["--range", range(lab.secondSubnet, 100, 110), "--lease-time", "120", "--authoritative"])
    }

    /// `timeout`: seconds the mock may run in all (the lab's outer timeout), long enough for the whole scenario
    /// however slowly a loaded machine runs it (a scenario of 5 s took 60 s beside 47 others on 2 cores).
    static func startMock(_ lab: Lab, _ name: String = "mock-server", in namespace: String, _ arguments: [String],
                          timeout: Int = 150) async throws -> LabProcess {
        let mock = try lab.start(name, in: namespace, [DHCPScope.binary.path, "mock-server", "--json", "-i", "srv0"] + arguments,
                                 timeout: timeout)
        try await lab.wait(for: "\(name)'s ready event") {
            if !mock.isRunning { throw LabError.check("\(name) ended before it was ready: \(mock.output)") }
            return mock.standardOutput.contains(#""event":"ready""#)
        }
        return mock
    }

    /// SIGTERM; the mock must end with status 0 and a summary as its last line.
    static func stopMock(_ lab: Lab, _ mock: LabProcess) throws {
        mock.signal(SIGTERM)
        try lab.check(mock.waitForExit(seconds: 5) && mock.exitStatus == 0, "\(mock.name) did not stop cleanly: \(mock.output)")
        try lab.check(events(mock).last?.name == "summary", "\(mock.name)'s last line is not its summary")
    }

    /// The mock's JSON events so far (a line still being written is left out).
    static func events(_ mock: LabProcess) -> [Event] {
        mock.standardOutput.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).map(Event.init)
        }
    }

    static func leases(_ mock: LabProcess) -> [Event] { events(mock).filter { $0.name == "lease" } }
    static func replies(_ mock: LabProcess) -> [Event] { events(mock).filter { $0.name == "reply" } }
    static func problems(_ mock: LabProcess) -> [Event] { events(mock).filter { $0.name == "problem" } }

    /// The mock's latest lease event for `address` is for `mac` in `state`; returns it.
    @discardableResult
    static func checkMockLease(_ lab: Lab, _ mock: LabProcess, address: String, mac: String, state: String) throws -> Event {
        let lease = try #require(leases(mock).last { $0.string("ip") == address }, "the mock has no lease event for \(address)")
        try lab.check(lease.string("mac") == mac && lease.string("state") == state,
                      "the mock's lease of \(address): \(lease.string("mac") ?? "nil") \(lease.string("state") ?? "nil"), expected \(mac) \(state)")
        return lease
    }

    /// `dhcpscope analyse --json`: exit status 1 when `errors` (error-severity problems expected), else 0.
    static func analyse(_ lab: Lab, _ files: [String], _ options: [String] = [], errors: Bool) throws -> [Event] {
        let result = try DHCPScope.run(["analyse", "--json"] + options + files.map(lab.path))
        try lab.check(result.status == (errors ? 1 : 0),
                      "dhcpscope analyse exited \(result.status), expected \(errors ? 1 : 0): \(result.stdout)\(result.stderr)")
        return try result.events()
    }

    static func transactions(_ events: [Event], _ kind: String) -> [Event] {
        events.filter { $0.name == "transaction" && $0.string("kind") == kind }
    }

    static func problemCodes(_ events: [Event]) -> Set<String> {
        Set(events.filter { $0.name == "problem" }.compactMap { $0.string("code") })
    }

    /// The decoded value of option `code` of a message event.
    static func option(_ message: Event, _ code: Int) -> Any? {
        (message.dhcp["options"] as? [[String: Any]])?.first { $0["code"] as? Int == code }?["value"]
    }

    /// A REQUEST that extends a lease (RFC 2131 §4.3.2 RENEWING or REBINDING): ciaddr set, no option 50 or 54.
    static func checkExtending(_ lab: Lab, _ request: Event, address: String, destination: String) throws {
        try lab.check(request.messageType == "REQUEST" && request.dhcp["ciaddr"] as? String == address
                      && request.string("dst") == destination && !request.optionCodes.contains(54) && !request.optionCodes.contains(50),
                      "expected a REQUEST with ciaddr \(address) to \(destination), without options 50 and 54: \(request.object)")
    }

    /// An INIT-REBOOT REQUEST: option 50, no option 54, ciaddr 0.
    static func isInitReboot(_ message: Event) -> Bool {
        message.messageType == "REQUEST" && message.optionCodes.contains(50) && !message.optionCodes.contains(54)
            && message.dhcp["ciaddr"] as? String == "0.0.0.0"
    }

    // MARK: Clients

    /// udhcpc on cli0 with its own script, logging to `script-TAG.log`: "EVENT ip subnet lease serverid". A restart
    /// gets another process `name` (each run keeps its output) and the same log.
    static func startUdhcpc(_ lab: Lab, _ tag: String, name: String? = nil, in namespace: String,
                            _ options: [String] = ["-t", "5", "-T", "1", "-A", "1"]) throws -> LabProcess {
        let script = try lab.write("udhcpc-\(tag).sh", """
            #!/bin/sh
            # Lab client script: touches only the leased address on the lab interface (never resolv.conf or routes).
            echo "$1 ${ip:-} ${subnet:-} ${lease:-} ${serverid:-}" >> '\(lab.path("script-\(tag).log"))'
            case "$1" in
            bound|renew) /usr/sbin/ip addr replace "$ip/$subnet" dev "$interface" ;;
            deconfig) /usr/sbin/ip -4 addr flush dev "$interface" ;;
            esac
            exit 0

            """, executable: true)
        return try lab.start(name ?? "udhcpc-\(tag)", in: namespace, ["/usr/sbin/udhcpc", "-f", "-i", "cli0", "-s", script] + options)
    }

    static func scriptLog(_ lab: Lab, _ tag: String) -> [String] {
        lab.read("script-\(tag).log").split(separator: "\n").map(String.init)
    }

    /// The address of udhcpc TAG's first `bound` script call.
    static func bound(_ lab: Lab, _ tag: String) -> String? {
        scriptLog(lab, tag).first { $0.hasPrefix("bound ") }.map { String($0.split(separator: " ")[1]) }
    }

    /// dhclient on cli0 under its own process name (restarts keep each run's output), the lab's shared files.
    static func startDhclient(_ lab: Lab, _ name: String, in namespace: String) throws -> LabProcess {
        try lab.write("dhclient.conf", "request subnet-mask, dhcp-lease-time, dhcp-renewal-time, dhcp-rebinding-time, dhcp-server-identifier;\n")
        return try lab.start(name, in: namespace, [
            "/usr/sbin/dhclient", "-4", "-d", "-v", "-cf", lab.path("dhclient.conf"), "-sf", try lab.dhclientScript(),
            "-lf", lab.path("dhclient.leases"), "-pf", lab.path("dhclient.pid"), "cli0",
        ])
    }

    /// A dhclient lease file holding one unexpired lease of `address` on cli0 (valid for an hour).
    static func writeDhclientLease(_ lab: Lab, address: String, server: String) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func date(_ offset: TimeInterval) -> String {
            let parts = calendar.dateComponents([.weekday, .year, .month, .day, .hour, .minute, .second], from: Date().addingTimeInterval(offset))
            return String(format: "%d %04d/%02d/%02d %02d:%02d:%02d", parts.weekday! - 1, parts.year!, parts.month!, parts.day!,
                          parts.hour!, parts.minute!, parts.second!)
        }
        try lab.write("dhclient.leases", """
            lease {
              interface "cli0";
              fixed-address \(address);
              option subnet-mask 255.255.255.0;
              option dhcp-lease-time 3600;
              option dhcp-message-type 5;
              option dhcp-server-identifier \(server);
              renew \(date(1800));
              rebind \(date(3000));
              expire \(date(3600));
            }

            """)
    }

    /// `dhcpcd --inform ADDRESS/CIDR` on cli0 (DHCPv4 only, nothing configured), in the lab's dhcpcd folders.
    static func startDhcpcdInform(_ lab: Lab, _ name: String = "dhcpcd", in namespace: String, address: String) throws -> LabProcess {
        try lab.writeDhcpcdConfig(interface: "cli0")
        return try lab.start(name, in: namespace, try lab.withDhcpcdFolders([
            "/usr/sbin/dhcpcd", "-B", "-4", "-d", "-f", lab.path("dhcpcd.conf"), "--script", try lab.dhcpcdScript(),
            "--inform=\(address)", "cli0",
        ]))
    }
}
