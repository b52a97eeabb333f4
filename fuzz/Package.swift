// swift-tools-version:6.1
// libFuzzer targets for dhcpscope's pure parsers. Kept apart from the main package so that `swift build` and
// `swift test` there stay as they are. NetworkPrimitives, DHCPCore and Framing are symbolic links to the main
// package's sources (SwiftPM only gives a path dependency's products, and Framing is not one); so is DHCPv6Core.
// Build and run with fuzz/run (swift build --sanitize=fuzzer --sanitize=address).
import PackageDescription

let package = Package(
    name: "dhcpscope-fuzz",
    targets: [
        .target(name: "NetworkPrimitives"),
        .target(name: "DHCPCore", dependencies: ["NetworkPrimitives"]),
        .target(name: "Framing", dependencies: ["NetworkPrimitives"]),
        .target(name: "DHCPv6Core", dependencies: ["NetworkPrimitives"]),
        .target(name: "FuzzSupport", dependencies: ["DHCPCore", "DHCPv6Core"]),
        // DHCPMessage.parse, every view of the result, and the round trip serialize(parse(b)).
        .executableTarget(name: "FuzzMessage", dependencies: ["DHCPCore", "FuzzSupport"]),
        // Option value decoders (82, 119, 121, 81 and the rest of the table), option 52 and RFC 3396.
        .executableTarget(name: "FuzzOptions", dependencies: ["DHCPCore", "FuzzSupport"]),
        // Whole frames of every link type: link layer, VLAN tags, IPv4 options and fragments, UDP, then DHCP.
        .executableTarget(name: "FuzzFrame", dependencies: ["Framing", "DHCPCore", "FuzzSupport"]),
        // DHCPv6Message parse, nested options, values, relays, and the round trip serialize(parse(b)).
        .executableTarget(name: "FuzzDHCPv6", dependencies: ["DHCPv6Core", "FuzzSupport"]),
    ]
)
