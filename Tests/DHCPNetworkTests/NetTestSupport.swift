import DHCPNetwork
import Foundation
import Glibc
import NetworkPrimitives
import Testing

/// Whether the live socket tests can run: they need root (network namespaces, packet sockets), `ip` and
/// `timeout`. Outside CI a missing requirement skips them with the reason; under CI=true they are enabled and
/// `require()` fails each one instead (a skip is a failure there).
enum NetGate {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let tools = ["/usr/sbin/ip", "/usr/bin/timeout"]

    static let missing: String? = {
        if geteuid() != 0 { return "the live socket tests need root (network namespaces); run swift test as root" }
        let absent = tools.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        return absent.isEmpty ? nil : "missing: \(absent.joined(separator: ", ")) (iproute2, coreutils)"
    }()

    static let enabled: Bool = {
        if missing == nil || isCI { return true }
        FileHandle.standardOutput.write(Data("DHCPNetwork live tests SKIP: \(missing!)\n".utf8))
        return false
    }()

    static var skipReason: Comment { Comment(rawValue: "live socket tests skipped: \(missing ?? "")") }

    static func require() throws {
        if let missing { throw NetTestError("\(missing) (under CI=true a skipped live test is a failure)") }
    }
}

struct NetTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Two network namespaces `dhcpscope-net-<pid>x<hex>-a` and `-b` joined by one veth pair (net-a, net-b), both
/// ends up, IPv6 and forwarding off, addresses only from 198.18.250.0/24 (RFC 2544 benchmarking space), no
/// routes beyond the link. Nothing is created in, or routed to, the root namespace. Sockets are opened inside with
/// `NetworkNamespace.run` (setns(2) on a fresh thread; the test process itself never moves), so every packet the
/// tests send leaves from a namespace. `remove()` deletes both namespaces; call it in a `defer`.
final class VethPair {
    static let prefix = "dhcpscope-net-"
    static let subnet = "198.18.250"
    let a: String
    let b: String
    let interfaceA = "net-a"
    let interfaceB = "net-b"
    let macA = MACAddress("06:00:00:fa:00:01")!
    let macB = MACAddress("06:00:00:fa:00:02")!
    let addressA = IPv4Address(198, 18, 250, 1)
    let addressB: IPv4Address?
    private var created: [String] = []

    /// - Parameter withAddressB: false leaves net-b without an address (a client before DHCP).
    init(withAddressB: Bool = true) throws {
        _ = Self.leftoversRemoved
        let tag = "\(getpid())x" + String(UInt32.random(in: 0..<0xFFFF_FF), radix: 16)
        a = "\(Self.prefix)\(tag)-a"
        b = "\(Self.prefix)\(tag)-b"
        self.addressB = withAddressB ? IPv4Address(198, 18, 250, 2) : nil
        do {
            for namespace in [a, b] {
                try Self.ip(["netns", "add", namespace])
                created.append(namespace)
                try Self.ip(["-n", namespace, "link", "set", "lo", "up"])
                for setting in ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1",
                                "net.ipv4.ip_forward=0"] {
                    try Self.run(["/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/sysctl", "-qw", setting])
                }
            }
            try Self.ip(["link", "add", interfaceA, "netns", a, "address", macA.description, "type", "veth",
                         "peer", "name", interfaceB, "netns", b, "address", macB.description])
            try Self.ip(["-n", a, "addr", "add", "\(addressA)/24", "brd", "+", "dev", interfaceA])
            if let addressB = self.addressB { try Self.ip(["-n", b, "addr", "add", "\(addressB)/24", "dev", interfaceB]) }
            for (namespace, interface) in [(a, interfaceA), (b, interfaceB)] {
                try Self.ip(["-n", namespace, "link", "set", interface, "up"])
            }
            for (namespace, interface) in [(a, interfaceA), (b, interfaceB)] {
                let deadline = Date().addingTimeInterval(5)
                while try !Self.ip(["-n", namespace, "link", "show", "dev", interface]).contains("LOWER_UP") {
                    if Date() > deadline { throw NetTestError("\(interface) in \(namespace) not running after 5 s") }
                    usleep(20_000)
                }
            }
        } catch {
            remove()
            throw error
        }
    }

    /// Deletes the namespaces (and with them the veth pair); safe to call twice.
    func remove() {
        for namespace in created.reversed() { Self.removeNamespace(namespace) }
        created.removeAll()
    }

    func inA<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T { try NetworkNamespace.run(a, body) }
    func inB<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T { try NetworkNamespace.run(b, body) }

    static func removeNamespace(_ namespace: String) {
        if let pids = try? run(["/usr/sbin/ip", "netns", "pids", namespace]) {
            for pid in pids.split(whereSeparator: \.isWhitespace).compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        _ = try? run(["/usr/sbin/ip", "netns", "del", namespace])
    }

    /// Once per process: deletes `dhcpscope-net-*` namespaces whose owner (the pid in the name) is gone.
    static let leftoversRemoved: Void = {
        guard let list = try? run(["/usr/sbin/ip", "netns", "list"]) else { return }
        for line in list.split(separator: "\n") {
            guard let name = line.split(separator: " ").first.map(String.init), name.hasPrefix(prefix) else { continue }
            let tag = name.dropFirst(prefix.count).split(separator: "-").first ?? ""
            if let owner = tag.split(separator: "x").first.flatMap({ Int32($0) }), owner != getpid(),
               kill(owner, 0) == 0 { continue }
            removeNamespace(name)
        }
    }()

    @discardableResult
    static func ip(_ arguments: [String]) throws -> String { try run(["/usr/sbin/ip"] + arguments) }

    /// Runs a command under `timeout` (15 s, then SIGKILL); its output, or an error with status and output.
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-k", "2", "15"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw NetTestError("`\(arguments.joined(separator: " "))` exited \(process.terminationStatus): \(output)")
        }
        return output
    }
}

extension UDPSocket.Receive {
    var datagram: UDPDatagram? {
        if case .datagram(let datagram) = self { return datagram }
        return nil
    }
}

extension RawFrameSocket.Receive {
    var frame: ReceivedFrame? {
        if case .frame(let frame) = self { return frame }
        return nil
    }
}
