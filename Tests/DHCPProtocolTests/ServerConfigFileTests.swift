import DHCPCore
import DHCPProtocol
import Testing

// The mock server's configuration file: a full example, and one test per kind of mistake checking file:line:key.

private let fullExample = """
    # dhcpscope mock-server configuration
    server-id 198.18.0.1
    authoritative yes
    lease-time 7200                      # global: every subnet that does not set its own
    option domain-name-servers 198.18.0.53, 198.18.0.54
    option ntp-servers 198.18.0.123

    subnet 198.18.0.0/24 {
      pool 198.18.0.100-198.18.0.150
      pool 198.18.0.200 - 198.18.0.209
      lease-time 600
      t1 300
      t2 525
      next-server 198.18.0.69
      option subnet-mask 255.255.255.0
      option routers 198.18.0.1
      option domain-name "lab.example"
      option broadcast-address 198.18.0.255
      option tftp-server-name tftp.lab.example
      option bootfile-name pxelinux.0
      option domain-search lab.example, example
      option classless-static-routes 198.19.0.0/16 198.18.0.1, 10.0.0.0/8 198.18.0.2
      option tftp-server-address 198.18.0.69 198.18.0.70
      option interface-mtu 1400
      option 252 = 68:74:74:70      # any code, hex
      always-send wpad, 42
      reserve 06:00:00:00:00:42 198.18.0.42
      reserve client-id 01:06:00:00:00:00:43 198.18.0.43
    }

    subnet 198.18.1.0/24 {
      pool 198.18.1.100-198.18.1.199
      option routers 198.18.1.1
      option domain-name-servers 198.18.1.53   # replaces the global one
      reserve mac 06:00:00:00:01:42 198.18.1.42
    }
    """

private func parse(_ text: String) throws(DHCPConfigError) -> DHCPServerConfiguration {
    try DHCPServerConfigFile.parse(text, file: "lab.conf")
}

private func ip(_ text: String) -> IPv4Address { IPv4Address(text)! }

@Suite("mock-server configuration file")
struct ServerConfigFileTests {
    @Test("The full example parses to the expected configuration")
    func fullConfiguration() throws {
        let configuration = try parse(fullExample)

        var lan = DHCPSubnet(network: ip("198.18.0.0"), prefixLength: 24,
                             pools: [DHCPAddressRange(ip("198.18.0.100"), ip("198.18.0.150")),
                                     DHCPAddressRange(ip("198.18.0.200"), ip("198.18.0.209"))],
                             leaseTime: 600,
                             reservations: [
                                DHCPReservation(.hardwareAddress(MACAddress("06:00:00:00:00:42")!), address: ip("198.18.0.42")),
                                DHCPReservation(.clientIdentifier([1, 6, 0, 0, 0, 0, 0x43]), address: ip("198.18.0.43")),
                             ],
                             nextServer: ip("198.18.0.69"))
        lan.renewalTime = 300
        lan.rebindingTime = 525
        lan.domainNameServers = [ip("198.18.0.53"), ip("198.18.0.54")]
        lan.ntpServers = [ip("198.18.0.123")]
        lan.routers = [ip("198.18.0.1")]
        lan.domainName = "lab.example"
        lan.broadcastAddress = ip("198.18.0.255")
        lan.tftpServerName = "tftp.lab.example"
        lan.bootfileName = "pxelinux.0"
        lan.domainSearch = ["lab.example", "example"]
        lan.classlessRoutes = [
            DHCPClasslessRoute(destination: ip("198.19.0.0"), prefixLength: 16, router: ip("198.18.0.1")),
            DHCPClasslessRoute(destination: ip("10.0.0.0"), prefixLength: 8, router: ip("198.18.0.2")),
        ]
        lan.tftpServerAddresses = [ip("198.18.0.69"), ip("198.18.0.70")]
        lan.extraOptions = [DHCPOption(.subnetMask, [255, 255, 255, 0]), DHCPOption(DHCPOptionCode(26), [0x05, 0x78]),
                            DHCPOption(.wpad, Array("http".utf8))]
        lan.alwaysSend.formUnion([.wpad, .ntpServers])

        var remote = DHCPSubnet(network: ip("198.18.1.0"), prefixLength: 24,
                                pools: [DHCPAddressRange(ip("198.18.1.100"), ip("198.18.1.199"))], leaseTime: 7200,
                                reservations: [DHCPReservation(.hardwareAddress(MACAddress("06:00:00:00:01:42")!),
                                                               address: ip("198.18.1.42"))])
        remote.domainNameServers = [ip("198.18.1.53")]
        remote.ntpServers = [ip("198.18.0.123")]
        remote.routers = [ip("198.18.1.1")]

        var expected = DHCPServerConfiguration(serverIdentifier: ip("198.18.0.1"), subnets: [lan, remote])
        expected.authoritative = true
        #expect(configuration.subnets[0] == lan)
        #expect(configuration.subnets[1] == remote)
        #expect(configuration == expected)
        #expect(configuration.validate().isEmpty)
    }

    @Test("Every option of the full example goes out as the right bytes")
    func optionBytes() throws {
        let options = try parse(fullExample).subnets[0].parameterOptions()
        let bytes = Dictionary(options.map { ($0.code.rawValue, $0.data) }, uniquingKeysWith: { first, _ in first })
        #expect(options.map(\.code.rawValue) == [1, 3, 6, 15, 28, 42, 66, 67, 119, 121, 150, 26, 252])
        #expect(bytes[1] == [255, 255, 255, 0])
        #expect(bytes[3] == [198, 18, 0, 1])
        #expect(bytes[6] == [198, 18, 0, 53, 198, 18, 0, 54])
        #expect(bytes[15] == Array("lab.example".utf8))
        #expect(bytes[28] == [198, 18, 0, 255])
        #expect(bytes[42] == [198, 18, 0, 123])
        #expect(bytes[66] == Array("tftp.lab.example".utf8))
        #expect(bytes[67] == Array("pxelinux.0".utf8))
        // RFC 3397 with compression: "example" of the second name points at offset 4 of the first.
        #expect(bytes[119] == [3] + Array("lab".utf8) + [7] + Array("example".utf8) + [0, 0xC0, 4])
        // RFC 3442: width, significant octets, router.
        #expect(bytes[121] == [16, 198, 19, 198, 18, 0, 1, 8, 10, 198, 18, 0, 2])
        #expect(bytes[150] == [198, 18, 0, 69, 198, 18, 0, 70])
        #expect(bytes[26] == [0x05, 0x78])
        #expect(bytes[252] == [0x68, 0x74, 0x74, 0x70])
    }

    @Test("Values by shape: hex for a typed option, numbers, flags, named values, pairs; no server-id leaves 0.0.0.0")
    func shapes() throws {
        let configuration = try parse("""
            subnet 10.0.0.0/8 {
              pool 10.0.0.10-10.0.0.20
              lease-time infinite
              option routers = 0a:00:00:01
              option time-offset -3600
              option ip-forwarding no
              option rapid-commit
              option netbios-node-type H-node
              option static-routes 10.1.0.0 10.0.0.1
              option path-mtu-plateau-table 68, 296
              option 224 = 0x0102
            }
            """)
        #expect(configuration.serverIdentifier == .any)
        #expect(configuration.authoritative == false)
        let subnet = configuration.subnets[0]
        #expect(subnet.leaseTime == .max)
        #expect(subnet.routers.isEmpty)
        let bytes = Dictionary(subnet.parameterOptions().map { ($0.code.rawValue, $0.data) }, uniquingKeysWith: { a, _ in a })
        #expect(bytes[3] == [10, 0, 0, 1])
        #expect(bytes[2] == [0xFF, 0xFF, 0xF1, 0xF0])
        #expect(bytes[19] == [0])
        #expect(bytes[80] == [])
        #expect(bytes[46] == [8])
        #expect(bytes[33] == [10, 1, 0, 0, 10, 0, 0, 1])
        #expect(bytes[25] == [0, 68, 1, 0x28])
        #expect(bytes[224] == [1, 2])
    }

    struct Mistake: CustomTestStringConvertible, Sendable {
        let kind: String
        let text: String
        let line: Int
        let key: String
        /// Words the reason must hold.
        let reason: String
        var testDescription: String { kind }
    }

    static let mistakes: [Mistake] = [
        Mistake(kind: "unknown key", text: "server-id 198.18.0.1\nleasetime 60\n", line: 2, key: "leasetime", reason: "unknown key"),
        Mistake(kind: "unknown key inside a subnet", text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\n  range 1\n}",
                line: 3, key: "range", reason: "unknown key"),
        Mistake(kind: "bad server address", text: "server-id 198.18.0.300\n", line: 1, key: "server-id",
                reason: "'198.18.0.300' is not an IPv4 address"),
        Mistake(kind: "bad pool address", text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0\n}", line: 2,
                key: "pool", reason: "not an IPv4 address"),
        Mistake(kind: "pool not START-END", text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10\n}", line: 2, key: "pool",
                reason: "not START-END"),
        Mistake(kind: "pool backwards", text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.20-198.18.0.10\n}", line: 2, key: "pool",
                reason: "starts after it ends"),
        Mistake(kind: "pool outside the subnet", text: "subnet 198.18.0.0/24 {\n\n  pool 198.18.1.10-198.18.1.20\n}", line: 3,
                key: "pool", reason: "outside subnet 198.18.0.0/24"),
        Mistake(kind: "overlapping pools",
                text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\n  pool 198.18.0.20-198.18.0.30\n}", line: 3,
                key: "pool", reason: "overlaps pool 198.18.0.10-198.18.0.20 (line 2)"),
        Mistake(kind: "pool outside a subnet block", text: "pool 198.18.0.10-198.18.0.20\n", line: 1, key: "pool",
                reason: "inside a subnet block"),
        Mistake(kind: "reservation outside its subnet",
                text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\n  reserve 06:00:00:00:00:01 198.18.5.1\n}", line: 3,
                key: "reserve", reason: "outside subnet 198.18.0.0/24"),
        Mistake(kind: "reservation of the broadcast address",
                text: "subnet 198.18.0.0/24 {\n  reserve 06:00:00:00:00:01 198.18.0.255\n}", line: 2, key: "reserve",
                reason: "broadcast address"),
        Mistake(kind: "bad MAC address", text: "subnet 198.18.0.0/24 {\n  reserve 06:00:00:00:01 198.18.0.5\n}", line: 2,
                key: "reserve", reason: "not a MAC address"),
        Mistake(kind: "bad client identifier", text: "subnet 198.18.0.0/24 {\n  reserve client-id 01:zz 198.18.0.5\n}", line: 2,
                key: "reserve", reason: "not a client identifier in hex"),
        Mistake(kind: "address reserved twice",
                text: "subnet 198.18.0.0/24 {\n  reserve 06:00:00:00:00:01 198.18.0.5\n  reserve 06:00:00:00:00:02 198.18.0.5\n}",
                line: 3, key: "reserve", reason: "already reserved (line 2)"),
        Mistake(kind: "client reserved twice",
                text: "subnet 198.18.0.0/24 {\n  reserve 06:00:00:00:00:01 198.18.0.5\n  reserve 06:00:00:00:00:01 198.18.0.6\n}",
                line: 3, key: "reserve", reason: "already has a reservation"),
        Mistake(kind: "reservation of the server identifier",
                text: "server-id 198.18.0.1\nsubnet 198.18.0.0/24 {\n  reserve 06:00:00:00:00:01 198.18.0.1\n}", line: 3,
                key: "reserve", reason: "is the server identifier (line 1)"),
        Mistake(kind: "missing }", text: "server-id 198.18.0.1\nsubnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\n",
                line: 2, key: "subnet", reason: "no closing }"),
        Mistake(kind: "subnet inside a subnet",
                text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\nsubnet 198.18.1.0/24 {\n}\n}", line: 3,
                key: "subnet", reason: "close that one with } first"),
        Mistake(kind: "stray }", text: "server-id 198.18.0.1\n}\n", line: 2, key: "}", reason: "no subnet block to close"),
        Mistake(kind: "subnet without {", text: "subnet 198.18.0.0/24\n  pool 198.18.0.10-198.18.0.20\n}", line: 1,
                key: "subnet", reason: "expected `subnet NET/PREFIX {`"),
        Mistake(kind: "bad subnet prefix", text: "subnet 198.18.0.0/33 {\n}", line: 1, key: "subnet", reason: "not NET/PREFIX"),
        Mistake(kind: "host bits in the subnet", text: "subnet 198.18.0.7/24 {\n}", line: 1, key: "subnet",
                reason: "the network is 198.18.0.0/24"),
        Mistake(kind: "overlapping subnets",
                text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\n}\nsubnet 198.18.0.0/16 {\n}", line: 4,
                key: "subnet", reason: "overlaps subnet 198.18.0.0/24 (line 1)"),
        Mistake(kind: "empty subnet", text: "server-id 198.18.0.1\nsubnet 198.18.0.0/24 {\n  lease-time 60\n}", line: 2,
                key: "subnet", reason: "no pool and no reservation"),
        Mistake(kind: "no subnet", text: "server-id 198.18.0.1\nauthoritative no\n", line: 2, key: "subnet",
                reason: "no subnet block"),
        Mistake(kind: "global key inside a subnet", text: "subnet 198.18.0.0/24 {\n  server-id 198.18.0.1\n}", line: 2,
                key: "server-id", reason: "is global"),
        Mistake(kind: "key given twice", text: "subnet 198.18.0.0/24 {\n  lease-time 60\n  lease-time 70\n}", line: 3,
                key: "lease-time", reason: "given twice (first on line 2)"),
        Mistake(kind: "bad yes/no", text: "authoritative maybe\n", line: 1, key: "authoritative", reason: "neither yes nor no"),
        Mistake(kind: "bad number of seconds", text: "lease-time 10m\n", line: 1, key: "lease-time",
                reason: "not a number of seconds"),
        Mistake(kind: "zero lease time", text: "lease-time 0\n", line: 1, key: "lease-time", reason: "at least 1 second"),
        Mistake(kind: "two values for one", text: "lease-time 60 70\n", line: 1, key: "lease-time", reason: "expected one value"),
        Mistake(kind: "T2 longer than the lease",
                text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\n  lease-time 600\n  t2 700\n}", line: 4, key: "t2",
                reason: "T2 700 is longer than the lease time 600 (line 3)"),
        Mistake(kind: "T1 later than T2",
                text: "t1 500\nsubnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\n  lease-time 600\n  t2 400\n}", line: 1,
                key: "t1", reason: "T1 500 is later than T2 400 (line 5) (in subnet 198.18.0.0/24, line 2)"),
        Mistake(kind: "unknown option name", text: "option domain-servers 198.18.0.53\n", line: 1, key: "option domain-servers",
                reason: "unknown option name 'domain-servers'"),
        Mistake(kind: "option code out of range", text: "option 256 = 01\n", line: 1, key: "option 256", reason: "not within 1…254"),
        Mistake(kind: "option the server sets", text: "option dhcp-lease-time 60\n", line: 1, key: "option dhcp-lease-time",
                reason: "from lease-time"),
        Mistake(kind: "bad hex", text: "subnet 198.18.0.0/24 {\n  pool 198.18.0.10-198.18.0.20\n  option 252 = 68:7\n}", line: 3,
                key: "option 252", reason: "not bytes in hex"),
        Mistake(kind: "bad address in an option list", text: "option domain-name-servers 198.18.0.53, dns.lab\n", line: 1,
                key: "option domain-name-servers", reason: "'dns.lab' is not an IPv4 address"),
        Mistake(kind: "number out of range", text: "option default-ip-ttl 300\n", line: 1, key: "option default-ip-ttl",
                reason: "not a number within 0…255"),
        Mistake(kind: "option without a value", text: "option routers\n", line: 1, key: "option routers", reason: "no value"),
        Mistake(kind: "unterminated quote", text: "option domain-name \"lab.example\n", line: 1, key: "option domain-name",
                reason: "unterminated quoted text"),
        Mistake(kind: "bad DNS name", text: "option domain-search lab..example\n", line: 1, key: "option domain-search",
                reason: "'lab..example' is not a DNS name"),
        Mistake(kind: "bad classless route", text: "option classless-static-routes 198.19.0.0 198.18.0.1\n", line: 1,
                key: "option classless-static-routes", reason: "not NET/PREFIX"),
        Mistake(kind: "option with no text form", text: "option vivso 1\n", line: 1, key: "option vivso",
                reason: "`option vivso = HEX`"),
        Mistake(kind: "unknown code without hex", text: "option 224 01\n", line: 1, key: "option 224",
                reason: "`option 224 = HEX`"),
        Mistake(kind: "option given twice", text: "option routers 198.18.0.1\noption 3 = c6:12:00:02\n", line: 2, key: "option 3",
                reason: "given twice in this block (first on line 1)"),
        Mistake(kind: "unknown option in always-send", text: "always-send wpad, nope\n", line: 1, key: "always-send",
                reason: "unknown option name 'nope'"),
    ]

    @Test("A mistake names file, line and key", arguments: mistakes)
    func mistake(_ mistake: Mistake) {
        do {
            let configuration = try parse(mistake.text)
            Issue.record("parsed: \(configuration)")
        } catch {
            #expect(error.file == "lab.conf")
            #expect(error.line == mistake.line, "\(error)")
            #expect(error.key == mistake.key, "\(error)")
            #expect(error.reason.contains(mistake.reason), "\(error)")
            #expect(error.description == "lab.conf:\(mistake.line): \(mistake.key): \(error.reason)")
        }
    }
}
