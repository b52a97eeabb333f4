import CNetShim
import Glibc
import NetworkPrimitives

/// One network interface as the kernel reports it in the calling thread's network namespace (getifaddrs(3)):
/// name, index, MAC, IPv4 addresses with their prefix length, and the flags.
public struct NetworkInterface: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address of the interface with its prefix length (198.18.0.1/24).
    public struct Address: Hashable, Sendable, CustomStringConvertible {
        public var address: IPv4Address
        public var prefixLength: Int
        /// The directed broadcast address the kernel has for it, if any.
        public var broadcast: IPv4Address?

        public init(address: IPv4Address, prefixLength: Int, broadcast: IPv4Address? = nil) {
            self.address = address
            self.prefixLength = prefixLength
            self.broadcast = broadcast
        }

        public var netmask: IPv4Address {
            IPv4Address(rawValue: prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - min(32, prefixLength)))
        }

        public var network: IPv4Address { IPv4Address(rawValue: address.rawValue & netmask.rawValue) }

        /// True when `other` is in this address's subnet.
        public func contains(_ other: IPv4Address) -> Bool { other.rawValue & netmask.rawValue == network.rawValue }

        public var description: String {
            "\(address)/\(prefixLength)" + (broadcast.map { " brd \($0)" } ?? "")
        }
    }

    public var name: String
    /// The interface index (if_nametoindex), unique within the namespace.
    public var index: Int32
    /// The hardware address; nil for interfaces without a 6-byte one (loopback has 00:00:00:00:00:00).
    public var mac: MACAddress?
    /// The ARPHRD_ hardware type (1 Ethernet, 772 loopback), nil when unknown.
    public var hardwareType: UInt16?
    public var ipv4: [Address]
    /// The IFF_ flags.
    public var flags: UInt32

    public init(name: String, index: Int32, mac: MACAddress?, hardwareType: UInt16?, ipv4: [Address], flags: UInt32) {
        self.name = name
        self.index = index
        self.mac = mac
        self.hardwareType = hardwareType
        self.ipv4 = ipv4
        self.flags = flags
    }

    /// IFF_UP: administratively up.
    public var isUp: Bool { flags & UInt32(IFF_UP) != 0 }
    /// IFF_RUNNING: up with the link (carrier) present.
    public var isRunning: Bool { flags & UInt32(IFF_RUNNING) != 0 }
    public var isLoopback: Bool { flags & UInt32(IFF_LOOPBACK) != 0 }
    public var supportsBroadcast: Bool { flags & UInt32(IFF_BROADCAST) != 0 }

    /// The interface's first IPv4 address, if any.
    public var primaryIPv4: IPv4Address? { ipv4.first?.address }

    public var description: String {
        var state = [String]()
        if isUp { state.append("UP") }
        if isRunning { state.append("RUNNING") }
        let addresses = ipv4.map(\.description).joined(separator: " ")
        return "\(index): \(name) \(mac.map(String.init(describing:)) ?? "-") <\(state.joined(separator: ","))>"
            + (addresses.isEmpty ? "" : " \(addresses)")
    }

    /// Every interface of the calling thread's network namespace, by index.
    public static func all() throws(DHCPNetworkError) -> [NetworkInterface] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0 else { throw .lastError("list the interfaces (getifaddrs)") }
        defer { freeifaddrs(first) }
        var byName: [String: NetworkInterface] = [:]
        var order: [String] = []
        var entry = first
        while let current = entry {
            entry = current.pointee.ifa_next
            guard let namePointer = current.pointee.ifa_name else { continue }
            let name = String(cString: namePointer)
            if byName[name] == nil {
                byName[name] = NetworkInterface(name: name, index: Int32(bitPattern: if_nametoindex(namePointer)),
                                                mac: nil, hardwareType: nil, ipv4: [],
                                                flags: current.pointee.ifa_flags)
                order.append(name)
            }
            guard let address = current.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_PACKET:
                var bytes = [UInt8](repeating: 0, count: 8)
                var length: Int32 = 0
                var hardwareType: UInt16 = 0
                var packetType: UInt8 = 0
                let index = cns_read_sockaddr_ll(address, &bytes, &length, &hardwareType, &packetType)
                if index > 0 { byName[name]!.index = index }
                byName[name]!.hardwareType = hardwareType
                if length == 6 { byName[name]!.mac = MACAddress(bytes: bytes.prefix(6)) }
                byName[name]!.flags = current.pointee.ifa_flags
            case AF_INET:
                let value = Self.ipv4(address)
                let mask = current.pointee.ifa_netmask.map(Self.ipv4) ?? .broadcast
                var broadcast: IPv4Address? = current.pointee.ifa_flags & UInt32(IFF_BROADCAST) != 0
                    ? current.pointee.ifa_ifu.ifu_broadaddr.map(Self.ipv4) : nil
                // `ip addr add` without `brd`: glibc reports 0.0.0.0 or the address itself, neither a broadcast address.
                if broadcast == .any || broadcast == value { broadcast = nil }
                byName[name]!.ipv4.append(Address(address: value, prefixLength: mask.rawValue.nonzeroBitCount,
                                                  broadcast: broadcast))
            default:
                break
            }
        }
        return order.compactMap { byName[$0] }.sorted { $0.index < $1.index }
    }

    /// The interface called `name` in the calling thread's namespace; `noSuchDevice` naming the ones there are.
    public static func named(_ name: String) throws(DHCPNetworkError) -> NetworkInterface {
        let interfaces = try all()
        if let found = interfaces.first(where: { $0.name == name }) { return found }
        let known = interfaces.map(\.name).joined(separator: ", ")
        throw DHCPNetworkError(kind: .noSuchDevice, operation: "interface '\(name)'",
                               detail: "there is no such interface here (there are: \(known.isEmpty ? "none" : known))")
    }

    private static func ipv4(_ address: UnsafeMutablePointer<sockaddr>) -> IPv4Address {
        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
            IPv4Address(rawValue: UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
        }
    }
}
