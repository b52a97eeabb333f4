// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "dhcpscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dhcpscope", targets: ["dhcpscope"]),
        .library(name: "DHCPCore", targets: ["DHCPCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // libpcap, through pkg-config (Debian's libpcap-dev ships libpcap.pc).
        .systemLibrary(name: "CLibpcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // zlib, to read gzip-compressed capture files.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libpq, PostgreSQL's C client (Debian's libpq-dev), for the postgresql:// lease journal.
        .systemLibrary(name: "CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // OpenLDAP's client library (Debian's libldap-dev), for reservations from a directory.
        .systemLibrary(name: "CLdap", pkgConfig: "ldap", providers: [.apt(["libldap-dev"])]),
        // Addresses and byte helpers shared by every layer. Pure.
        .target(name: "NetworkPrimitives"),
        // The DHCPv4 message: header, options, the option table, parse and serialize. Pure.
        .target(name: "DHCPCore", dependencies: ["NetworkPrimitives"]),
        // The DHCPv6 message (RFC 8415): client/server and relay headers, options in wire order with their nesting,
        // parse and serialize. Pure; beside DHCPCore, sharing only NetworkPrimitives.
        .target(name: "DHCPv6Core", dependencies: ["NetworkPrimitives"]),
        // RFC 8415's rules and the DHCPv6 client machine, shared by analysis and the DHCPv6 roles. Pure.
        .target(name: "DHCPv6Protocol", dependencies: ["DHCPv6Core"]),
        // Link layers, IPv4 and UDP: parse (and later build). Pure.
        .target(name: "Framing", dependencies: ["NetworkPrimitives"]),
        // libpcap: capture files, stdin, BPF filters. The only target that touches libpcap.
        .target(name: "Capture", dependencies: ["CLibpcap", "CZlib", "NetworkPrimitives"]),
        // The RFC 2131 roles as pure state machines ("sans I/O"): the client machine first.
        .target(name: "DHCPProtocol", dependencies: ["DHCPCore"]),
        // Durable lease stores for DHCPServer: one store (memory copy, group commit) over journals in SQLite
        // (GRDB), ISC dhcpd.leases files and PostgreSQL (libpq); reservations from LDAP (libldap). Keeps
        // DHCPProtocol pure.
        .target(name: "DHCPLeaseDatabase", dependencies: [
            "DHCPProtocol", "DHCPCore", "CLibpq", "CLdap", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // C declarations Swift's Glibc lacks: sockaddr_ll, ETH_P_*, CMSG_*.
        .target(name: "CNetShim"),
        // The only socket I/O: UDP sockets bound to an interface, raw Ethernet frames, interface addresses.
        .target(name: "DHCPNetwork", dependencies: ["CNetShim", "Framing", "NetworkPrimitives"]),
        // The server and relay roles' runtimes: their event loops over client links (UDP on port 67 and raw
        // frames), and the recorder of what a role sees and sends (-w, message events).
        .target(name: "DHCPRuntime", dependencies: [
            "DHCPProtocol", "DHCPLeaseDatabase", "DHCPNetwork", "Capture", "DHCPAnalysis", "DHCPCore", "Framing", "NetworkPrimitives",
            "CNetShim",
        ]),
        // --metrics: the Prometheus registry (swift-prometheus) behind GET /metrics (FlyingFox's HTTP server), and what
        // each role exposes.
        .target(name: "DHCPMetrics", dependencies: [
            "DHCPAnalysis", "DHCPProtocol", "DHCPCore",
            .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "FlyingFox", package: "FlyingFox"),
        ]),
        // The client roles' I/O: many DHCPClient machines over one raw socket (mock-client, probe, perf).
        .target(name: "DHCPClients", dependencies: ["DHCPProtocol", "DHCPNetwork", "DHCPCore", "Framing"]),
        // probe: client machines that ask, every answer per server, judged against the expected servers.
        .target(name: "ServerProbe", dependencies: ["DHCPClients", "DHCPAnalysis", "DHCPProtocol", "DHCPNetwork", "DHCPCore", "Framing"]),
        // The conformance battery's checks and the rules that judge a reply by itself (RFC 2131 and kin). Pure.
        .target(name: "DHCPConformance", dependencies: ["DHCPCore", "Framing", "NetworkPrimitives"]),
        // conformance: the battery's scenarios, fresh client machines over one link, judged as the replies come.
        .target(name: "ServerConformance", dependencies: ["DHCPConformance", "DHCPClients", "DHCPProtocol", "DHCPNetwork", "DHCPCore", "Framing"]),
        // perf: the open-loop load generator over the client fleet, its statistics (HDR histograms) and plans.
        .target(name: "DHCPPerf", dependencies: [
            "DHCPClients", "DHCPProtocol", "DHCPNetwork", "DHCPCore",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // Frames to DHCP records, transactions, client state, leases, findings. Pure, streaming.
        .target(name: "DHCPAnalysis", dependencies: [
            "DHCPCore", "DHCPv6Core", "DHCPProtocol", "DHCPv6Protocol", "DHCPConformance", "Framing", "NetworkPrimitives",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // The CLI: argument parsing and rendering only.
        .executableTarget(
            name: "dhcpscope",
            dependencies: [
                "DHCPCore", "DHCPv6Core", "DHCPProtocol", "DHCPv6Protocol", "DHCPNetwork", "Framing", "Capture", "DHCPAnalysis", "NetworkPrimitives",
                "DHCPLeaseDatabase", "DHCPClients", "DHCPPerf", "ServerProbe", "DHCPRuntime", "DHCPMetrics",
                "DHCPConformance", "ServerConformance",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DHCPCoreTests", dependencies: ["DHCPCore"]),
        .testTarget(name: "DHCPv6CoreTests", dependencies: ["DHCPv6Core", "DHCPv6Protocol", "NetworkPrimitives"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "CLibpcap", "NetworkPrimitives"]),
        .testTarget(name: "FramingTests", dependencies: ["Framing"]),
        .testTarget(name: "DHCPProtocolTests", dependencies: ["DHCPProtocol", "DHCPCore"]),
        .testTarget(name: "DHCPLeaseDatabaseTests", dependencies: [
            "DHCPLeaseDatabase", "DHCPProtocol", "DHCPCore", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "DHCPNetworkTests", dependencies: ["DHCPNetwork", "Framing", "NetworkPrimitives"]),
        .testTarget(name: "ServerProbeTests", dependencies: ["ServerProbe", "DHCPAnalysis", "DHCPCore"]),
        // The client roles (perf, mock-client's session, probe) against the pure server on a fake clock.
        .testTarget(name: "DHCPPerfTests", dependencies: [
            "DHCPPerf", "DHCPClients", "ServerProbe", "DHCPProtocol", "DHCPNetwork", "DHCPCore", "Framing",
        ]),
        .testTarget(name: "DHCPConformanceTests", dependencies: ["DHCPConformance", "DHCPCore", "Framing"]),
        // The permanent monitor's parts: metrics as scraped, the alert command's gate and runner (real /bin/sh).
        .testTarget(name: "MonitorTests", dependencies: [
            "DHCPMetrics", "DHCPRuntime", "DHCPProtocol", .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .testTarget(name: "DHCPAnalysisTests", dependencies: ["DHCPAnalysis", "DHCPCore", "DHCPv6Core", "DHCPv6Protocol", "Framing"]),
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["DHCPCore", "DHCPv6Core", "Framing", "Capture", "DHCPAnalysis", "DHCPProtocol"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "CLITests", dependencies: ["dhcpscope", "DHCPv6Core", "DHCPAnalysis"], resources: [.copy("Fixtures"), .copy("Snapshots")]),
        // Real DHCP software in network namespaces (needs root; a skip under CI=true is a failure).
        .testTarget(name: "LabTests", dependencies: ["dhcpscope"]),
    ]
)
