import Foundation
import Testing

@Suite("relay command")
struct RelayCommandTests {
    @Test func helpListsEveryOption() throws {
        let result = try CLI.run(["relay", "--help"])
        #expect(result.status == 0)
        for option in ["-i <iface,…>", "--server <ip,…>", "--upstream <iface>", "--circuit-id <text>", "--remote-id <text>",
                       "--link-selection", "--server-id-override", "--agent-info <append|replace|keep|drop>", "--max-hops <n>",
                       "-w <file>", "-c <n>", "--metrics <addr:port>", "--json", "-v, --verbose", "--duration <seconds>", "Exit status"] {
            #expect(result.stdout.contains(option), "help lacks \(option)")
        }
    }

    @Test(arguments: [
        (["--server", "198.18.50.2"], "-i"),                                                   // no -i
        (["-i", "lo"], "--server"),                                                            // no --server
        (["-i", "lo", "--server", "banana"], "--server"),
        (["-i", "lo", "--server", "198.18.50.2,0.0.0.0"], "--server"),
        (["-i", "lo,lo", "--server", "198.18.50.2"], "-i"),
        (["-i", "lo", "--server", "198.18.50.2", "--upstream", "lo"], "--upstream"),
        (["-i", "lo", "--server", "198.18.50.2", "--agent-info", "shred"], "--agent-info"),
        (["-i", "lo", "--server", "198.18.50.2", "--max-hops", "0"], "--max-hops"),
        (["-i", "lo", "--server", "198.18.50.2", "--max-hops", "256"], "--max-hops"),
        (["-i", "lo", "--server", "198.18.50.2", "--circuit-id", ""], "--circuit-id"),
        (["-i", "lo", "--server", "198.18.50.2", "--duration", "-1"], "--duration"),
    ])
    func usageErrorsExit64(arguments: [String], mention: String) throws {
        let result = try CLI.run(["relay"] + arguments)
        #expect(result.status == 64, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(mention), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func unknownInterfaceExits2WithOneLine() throws {
        let result = try CLI.run(["relay", "-i", "nosuchif0", "--server", "198.18.50.2"])
        #expect(result.status == 2)
        #expect(result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("nosuchif0"))
        #expect(result.stdout.isEmpty)
    }

    /// In one namespace (vA 198.18.59.1, vB 198.18.59.2): a client on vA broadcasts a DISCOVER, the relay on vB
    /// forwards it to a server socket on 198.18.59.1 with giaddr, hops and option 82; the server's OFFER, option 82
    /// echoed, comes back through the relay to the client without option 82. A reply for another giaddr is dropped
    /// with a problem. The -w file and the message events show all of it.
    @Test(.enabled(if: SniffGate.isRoot || SniffGate.isCI, "live relaying needs root (network namespaces)"),
          .timeLimit(.minutes(1)))
    func relaysADiscoverAndItsOfferInANamespace() throws {
        try SniffGate.require(needsNamespaces: true)
        let namespace = try TestNamespace(prefix: "198.18.59")
        defer { namespace.delete() }
        try namespace.acceptLocalTraffic()
        let folder = try SniffGate.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("relayed.pcap").path
        let relay = try BackgroundRun(["/usr/bin/timeout", "30", "/usr/sbin/ip", "netns", "exec", namespace.name,
                                       CLI.binary.path, "relay", "-i", "vB", "--server", "198.18.59.1", "--remote-id", "lab-59",
                                       "--json", "-v", "-w", file, "--duration", "4"], in: folder)
        try relay.waitForOutput(containing: "\"event\":\"ready\"")
        // Server socket on vA's address (more specific than the relay's 0.0.0.0:67), client socket on vA port 68.
        let script = """
            import socket, struct, sys
            mac = bytes([6, 0, 0, 0, 0x59, 1])
            def message(op, xid, giaddr, yiaddr, options):
                return struct.pack('!BBBBIHH4s4s4s4s16s64s128s', op, 1, 6, 0, xid, 0, 0x8000, bytes(4),
                                   socket.inet_aton(yiaddr), bytes(4), socket.inet_aton(giaddr), mac + bytes(10), bytes(64),
                                   bytes(128)) + b'\\x63\\x82\\x53\\x63' + options + b'\\xff'
            def option(data, code):
                i = 240
                while i < len(data) and data[i] != 255:
                    if data[i] == 0: i += 1; continue
                    if data[i] == code: return data[i + 2:i + 2 + data[i + 1]]
                    i += 2 + data[i + 1]
                return None
            server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(('198.18.59.1', 67))
            server.settimeout(5)
            client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'vA')
            client.bind(('0.0.0.0', 68))
            client.settimeout(5)
            client.sendto(message(1, 0x5959, '0.0.0.0', '0.0.0.0', b'\\x35\\x01\\x01'), ('255.255.255.255', 67))
            request, relay = server.recvfrom(2048)
            print('request', socket.inet_ntoa(request[24:28]), request[3], option(request, 82).hex(), relay[1])
            # To giaddr, as a server does.
            agent = option(request, 82)
            # A reply for a giaddr that is not the relay's, then the real OFFER echoing option 82.
            server.sendto(message(2, 0x5958, '198.18.59.77', '198.18.59.50', b'\\x35\\x01\\x02'), ('198.18.59.2', 67))
            server.sendto(message(2, 0x5959, '198.18.59.2', '198.18.59.50',
                                  b'\\x35\\x01\\x02\\x36\\x04\\xc6\\x12\\x3b\\x01' + bytes([82, len(agent)]) + agent), ('198.18.59.2', 67))
            while True:
                reply, source = client.recvfrom(2048)
                if reply[0] == 2:
                    print('reply', hex(struct.unpack('!I', reply[4:8])[0]), socket.inet_ntoa(reply[16:20]), source[0], source[1],
                          option(reply, 82))
                    sys.exit(0)
            """
        let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
        let peers = try SniffGate.run("/usr/bin/timeout", ["10", "/usr/sbin/ip", "netns", "exec", namespace.name, python, "-c", script])
        #expect(peers.status == 0, "peers: \(peers.stdout) \(peers.stderr)")
        // circuit-id "vB", remote-id "lab-59"; from the relay's port 67.
        #expect(peers.stdout.contains("request 198.18.59.2 1 010276420206\(Data("lab-59".utf8).map { String(format: "%02x", $0) }.joined()) 67"),
                "peers: \(peers.stdout)")
        #expect(peers.stdout.contains("reply 0x5959 198.18.59.50 198.18.59.2 67 None"), "peers: \(peers.stdout)")
        let result = try relay.finish()
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let events = try result.events()
        let relayed = events.filter { $0["event"] as? String == "relay" }
        #expect(relayed.map { $0["direction"] as? String } == ["to_server", "to_client"], "events: \(events)")
        #expect(relayed.map { $0["destination"] as? String } == ["198.18.59.1:67", "255.255.255.255:68"])
        #expect(relayed.first?["giaddr"] as? String == "198.18.59.2" && relayed.first?["hops"] as? Int == 1)
        let problems = events.filter { $0["event"] as? String == "problem" }
        #expect(problems.map { $0["code"] as? String } == ["relay-foreign-giaddr"], "problems: \(problems)")
        #expect(problems.first?["xid"] as? String == "0x00005958")
        let summary = try #require(events.last)
        #expect(summary["event"] as? String == "summary")
        // received: the DISCOVER, the two OFFERs, and the DISCOVER's copy looped back to the relay's server-side
        // socket from vA (a request on a non-client interface: ignored).
        #expect(summary["received"] as? Int == 4 && summary["to_servers"] as? Int == 1 && summary["to_clients"] as? Int == 1
                && summary["dropped"] as? Int == 1, "summary: \(summary)")

        // The -w file and the message events: the same frames, the way `decode` reads them — as the interfaces
        // carried them (without --upstream every interface is tapped: vA and vB, both ends of the client's
        // link, see each broadcast once; the server on this host is reached through loopback).
        let decoded = try CLI.run(["decode", "--json", file])
        #expect(decoded.status == 0, "stderr: \(decoded.stderr)")
        func legs(_ messages: [[String: Any]]) -> [String] {
            messages.map { message in
                let dhcp = message["dhcp"] as? [String: Any] ?? [:]
                let agent = (dhcp["options"] as? [[String: Any]] ?? []).contains { $0["code"] as? Int == 82 }
                return "\(dhcp["type"] ?? "?") \(message["dst"] ?? "?") giaddr \(dhcp["giaddr"] ?? "?")\(agent ? " 82" : "")"
            }.sorted()
        }
        let read = try decoded.events().filter { $0["event"] as? String == "message" }
        let expected = ["DISCOVER 198.18.59.1:67 giaddr 198.18.59.2 82", "DISCOVER 255.255.255.255:67 giaddr 0.0.0.0",
                        "DISCOVER 255.255.255.255:67 giaddr 0.0.0.0", "OFFER 198.18.59.2:67 giaddr 198.18.59.2 82",
                        "OFFER 198.18.59.2:67 giaddr 198.18.59.77", "OFFER 255.255.255.255:68 giaddr 198.18.59.2",
                        "OFFER 255.255.255.255:68 giaddr 198.18.59.2"]
        #expect(legs(read) == expected)
        #expect(legs(events.filter { $0["event"] as? String == "message" }) == expected)
        // Real addresses: the client's MAC on its broadcast, the relay's vB MAC on the OFFER it broadcasts.
        let macs = try namespace.macs()
        let discovers = read.filter { ($0["dhcp"] as? [String: Any])?["type"] as? String == "DISCOVER" && $0["dst"] as? String == "255.255.255.255:67" }
        #expect(discovers.allSatisfy { $0["eth_src"] as? String == macs["vA"] }, "\(discovers)")
        let offers = read.filter { ($0["dhcp"] as? [String: Any])?["type"] as? String == "OFFER" && $0["dst"] as? String == "255.255.255.255:68" }
        #expect(offers.allSatisfy { $0["eth_src"] as? String == macs["vB"] && $0["eth_dst"] as? String == "ff:ff:ff:ff:ff:ff" }, "\(offers)")
    }
}
