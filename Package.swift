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
    ],
    targets: [
        // libpcap, through pkg-config (Debian's libpcap-dev ships libpcap.pc).
        .systemLibrary(name: "CLibpcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // Addresses and byte helpers shared by every layer. Pure.
        .target(name: "NetworkPrimitives"),
        // The DHCPv4 message: header, options, the option table, parse and serialize. Pure.
        .target(name: "DHCPCore", dependencies: ["NetworkPrimitives"]),
        // Link layers, IPv4 and UDP: parse (and later build). Pure.
        .target(name: "Framing", dependencies: ["NetworkPrimitives"]),
        // libpcap: capture files, stdin, BPF filters. The only target that touches libpcap.
        .target(name: "Capture", dependencies: ["CLibpcap", "NetworkPrimitives"]),
        // Frames to DHCP records; later transactions, client state and leases. Pure, streaming.
        .target(name: "DHCPAnalysis", dependencies: ["DHCPCore", "Framing", "NetworkPrimitives"]),
        // The CLI: argument parsing and rendering only.
        .executableTarget(
            name: "dhcpscope",
            dependencies: [
                "DHCPCore", "Framing", "Capture", "DHCPAnalysis", "NetworkPrimitives",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DHCPCoreTests", dependencies: ["DHCPCore"]),
        .testTarget(name: "FramingTests", dependencies: ["Framing"]),
        .testTarget(
            name: "ConformanceTests",
            dependencies: ["DHCPCore", "Framing", "Capture", "DHCPAnalysis"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "CLITests", dependencies: [], resources: [.copy("Fixtures")]),
    ]
)
