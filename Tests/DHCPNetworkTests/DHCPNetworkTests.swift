import DHCPNetwork
import Foundation
import Framing
import Glibc
import NetworkPrimitives
import Testing

/// A BOOTP-shaped payload (op, htype, hlen, xid, chaddr, magic cookie, option 53) so captures look sane.
private func bootp(op: UInt8, xid: UInt32, mac: MACAddress, messageType: UInt8) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 240)
    bytes[0] = op; bytes[1] = 1; bytes[2] = 6
    for index in 0..<4 { bytes[4 + index] = UInt8(truncatingIfNeeded: xid >> UInt32(24 - 8 * index)) }
    bytes[10] = 0x80 // broadcast flag
    bytes.replaceSubrange(28..<34, with: mac.bytes)
    bytes.replaceSubrange(236..<240, with: [99, 130, 83, 99])
    return bytes + [53, 1, messageType, 255]
}

// MARK: - Without privileges: nothing here sends a packet.

@Suite struct DHCPNetworkUnitTests {
    @Test func errorsAreClassifiedAndSaidPlainly() {
        let permission = DHCPNetworkError(operation: "bind 0.0.0.0:67 on eth9", errorNumber: EACCES)
        #expect(permission.kind == .permissionDenied)
        #expect(permission.description.contains("bind 0.0.0.0:67 on eth9: permission denied"))
        #expect(permission.description.contains("root"))
        #expect(permission.description.contains("errno \(EACCES)"))
        #expect(DHCPNetworkError(operation: "x", errorNumber: EPERM).kind == .permissionDenied)
        #expect(DHCPNetworkError(operation: "x", errorNumber: EADDRINUSE).kind == .addressInUse)
        #expect(DHCPNetworkError(operation: "x", errorNumber: ENODEV).kind == .noSuchDevice)
        #expect(DHCPNetworkError(operation: "x", errorNumber: ENETUNREACH).kind == .networkUnreachable)
        #expect(DHCPNetworkError(operation: "x", errorNumber: EMSGSIZE).kind == .messageTooLong)
        #expect(DHCPNetworkError(operation: "x", errorNumber: EBADF).kind == .system)
        let inUse = DHCPNetworkError(operation: "bind 0.0.0.0:67", errorNumber: EADDRINUSE)
        #expect(inUse.description.hasPrefix("bind 0.0.0.0:67: address in use (Address already in use, errno"))
    }

    @Test func monotonicClockAdvancesAndDoesArithmetic() {
        let first = MonotonicClock.now()
        usleep(2_000)
        let second = MonotonicClock.now()
        #expect(second > first)
        #expect(second - first >= .milliseconds(2))
        #expect(first - second < .zero)
        #expect(first + .milliseconds(5) - first == .milliseconds(5))
        #expect(MonotonicInstant(nanoseconds: 10) + .nanoseconds(-20) == MonotonicInstant(nanoseconds: 0))
        #expect(MonotonicInstant(nanoseconds: 1_000_000_123).description == "1.000000123s")
    }

    @Test func udpPortTestMatchesTheKernelFilter() {
        let mac = MACAddress("02:00:00:00:00:01")!
        let frame = FrameBuilder.udp(sourceMAC: mac, destinationMAC: .broadcast, sourceIP: .any,
                                     destinationIP: .broadcast, sourcePort: 68, destinationPort: 67, payload: [1, 2, 3])
        #expect(RawFrameSocket.udpPorts(of: frame)! == (68, 67))
        let tagged = FrameBuilder.udp(sourceMAC: mac, destinationMAC: .broadcast, vlan: 5, sourceIP: .any,
                                      destinationIP: .broadcast, sourcePort: 68, destinationPort: 67, payload: [])
        #expect(RawFrameSocket.udpPorts(of: tagged) == nil)
        var fragment = frame
        fragment[21] = 1 // a non-zero fragment offset: no UDP header in it
        #expect(RawFrameSocket.udpPorts(of: fragment) == nil)
        let tcp = FrameBuilder.ethernet(source: mac, destination: .broadcast, etherType: 0x0800,
                                        payload: FrameBuilder.ipv4(sourceIP: .any, destinationIP: .broadcast,
                                                                   protocolNumber: 6, payload: [0, 68, 0, 67]))
        #expect(RawFrameSocket.udpPorts(of: tcp) == nil)
        #expect(RawFrameSocket.udpPorts(of: Array(frame.prefix(30))) == nil)
    }

    /// Reads the interface list of the test's own namespace (getifaddrs; nothing is sent).
    @Test func loopbackIsListed() throws {
        let loopback = try NetworkInterface.named("lo")
        #expect(loopback.isLoopback && loopback.isUp)
        #expect(loopback.index >= 1)
        #expect(loopback.ipv4.contains(NetworkInterface.Address(address: IPv4Address(127, 0, 0, 1), prefixLength: 8)))
        #expect(try NetworkInterface.all().contains(loopback))
        #expect(NetworkInterface.Address(address: IPv4Address(198, 18, 250, 9), prefixLength: 24).network
            == IPv4Address(198, 18, 250, 0))
        #expect(throws: DHCPNetworkError.self) { try NetworkInterface.named("no-such-if0") }
        do {
            _ = try NetworkInterface.named("no-such-if0")
        } catch {
            #expect(error.kind == .noSuchDevice)
            #expect(error.description.contains("lo"))
        }
    }

    /// A socket bound to 127.0.0.1 on a kernel-chosen port; it only waits, nothing is sent.
    @Test func receiveTimesOutAndStopWakesItFromAnotherThread() throws {
        let socket = try UDPSocket(port: 0, address: IPv4Address(127, 0, 0, 1))
        #expect(socket.localPort != 0)
        #expect(socket.localAddress == IPv4Address(127, 0, 0, 1))
        let start = MonotonicClock.now()
        #expect(try socket.receive(timeout: .milliseconds(150)) == .timeout)
        #expect(MonotonicClock.now() - start >= .milliseconds(150))

        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<UDPSocket.Receive?>(nil)
        Thread.detachNewThread {
            let result = try? socket.receive(timeout: .seconds(30))
            outcome.withLock { $0 = result }
            done.signal()
        }
        usleep(100_000)
        let stopped = MonotonicClock.now()
        socket.stop()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(MonotonicClock.now() - stopped < .seconds(2))
        #expect(outcome.withLock { $0 } == .stopped)
        // The stop stays: later receives return at once.
        #expect(try socket.receive(timeout: nil) == .stopped)
        #expect(socket.isStopped)
    }

    @Test func badInterfaceNameIsRefusedBeforeAnySystemCall() {
        #expect(throws: DHCPNetworkError.self) { try UDPSocket(port: 0, address: IPv4Address(127, 0, 0, 1),
                                                               interface: "a-name-much-too-long-for-linux") }
    }
}

/// A tiny lock for the test's cross-thread hand-over.
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

// MARK: - Live, in network namespaces (root)

/// Every test builds its own pair of namespaces joined by a veth pair (see `VethPair`) and deletes them in a
/// `defer`. The sockets are opened inside the namespaces on a setns(2) thread (`NetworkNamespace.run`) and used
/// from the test thread afterwards: a socket stays in the namespace it was created in.
@Suite(.serialized, .enabled(if: NetGate.enabled, NetGate.skipReason))
struct DHCPNetworkLiveTests {
    @Test func interfaceIsReadInsideTheNamespace() throws {
        try NetGate.require()
        let pair = try VethPair()
        defer { pair.remove() }
        let name = pair.interfaceA
        let found = try pair.inA { try NetworkInterface.named(name) }
        let link = try VethPair.ip(["-n", pair.a, "-o", "link", "show", "dev", pair.interfaceA])
        let index = Int32(link.split(separator: ":").first!.trimmingCharacters(in: .whitespaces))
        #expect(found.index == index)
        #expect(found.mac == pair.macA)
        #expect(found.hardwareType == 1)
        #expect(found.ipv4 == [NetworkInterface.Address(address: pair.addressA, prefixLength: 24,
                                                         broadcast: IPv4Address(198, 18, 250, 255))])
        #expect(found.ipv4.first?.description == "198.18.250.1/24 brd 198.18.250.255")
        #expect(found.isUp && found.isRunning && found.supportsBroadcast && !found.isLoopback)
        // The namespace has lo and the veth end only; the root namespace's interfaces are not seen.
        let all = try pair.inA { try NetworkInterface.all() }
        #expect(all.map(\.name) == ["lo", pair.interfaceA])
        // Down: neither UP nor RUNNING.
        try VethPair.ip(["-n", pair.a, "link", "set", pair.interfaceA, "down"])
        let down = try pair.inA { try NetworkInterface.named(name) }
        #expect(!down.isUp && !down.isRunning)
        // An address added without `brd` has no broadcast address (glibc then reports the address itself there).
        try VethPair.ip(["-n", pair.a, "addr", "add", "198.18.251.1/24", "dev", pair.interfaceA])
        let second = try pair.inA { try NetworkInterface.named(name) }.ipv4.first { $0.address == IPv4Address(198, 18, 251, 1) }
        #expect(second != nil && second?.broadcast == nil)
        // The peer has no address of ours.
        let interfaceB = pair.interfaceB
        #expect(try pair.inB { try NetworkInterface.named(interfaceB) }.ipv4.map(\.address) == [pair.addressB!])
        #expect(throws: DHCPNetworkError.self) { try pair.inA { try NetworkInterface.named(interfaceB) } }
    }

    /// Server socket on 67 in A, client socket on 68 in B (SO_BINDTODEVICE on both): B broadcasts a DISCOVER, A
    /// sees it with the broadcast destination and its interface; A broadcasts the reply, B gets it, and B's packet
    /// socket (UDP ports 67/68) sees that reply but not a unicast A sends between two other ports first.
    @Test func broadcastDiscoverAndBroadcastReply() throws {
        try NetGate.require()
        let pair = try VethPair()
        defer { pair.remove() }
        let (interfaceA, interfaceB) = (pair.interfaceA, pair.interfaceB)
        let (server, other, indexA) = try pair.inA {
            (try UDPSocket(port: 67, interface: interfaceA), try UDPSocket(port: 0, interface: interfaceA),
             try NetworkInterface.named(interfaceA).index)
        }
        let (client, raw, indexB) = try pair.inB {
            (try UDPSocket(port: 68, interface: interfaceB), try RawFrameSocket(interface: interfaceB, receiveUDPPorts: [67, 68]),
             try NetworkInterface.named(interfaceB).index)
        }
        #expect(server.localPort == 67 && client.localPort == 68)

        let discover = bootp(op: 1, xid: 0x1234_5678, mac: pair.macB, messageType: 1)
        try client.send(discover, to: .broadcast, port: 67)
        let received = try #require(try server.receive(timeout: .seconds(3)).datagram)
        #expect(received.bytes == discover)
        #expect(received.destination == .broadcast && received.isLimitedBroadcast)
        #expect(received.interfaceIndex == indexA)
        #expect(received.source == pair.addressB && received.sourcePort == 68)
        #expect(received.localAddress == pair.addressA)
        #expect(!received.truncated)

        // A unicast between two other ports first: the packet socket's filter must drop it.
        try other.send([0x55], to: pair.addressB!, port: 9999)
        let offer = bootp(op: 2, xid: 0x1234_5678, mac: pair.macB, messageType: 2)
        try server.send(offer, to: .broadcast, port: 68)
        let reply = try #require(try client.receive(timeout: .seconds(3)).datagram)
        #expect(reply.bytes == offer)
        #expect(reply.isLimitedBroadcast)
        #expect(reply.interfaceIndex == indexB)
        #expect(reply.source == pair.addressA && reply.sourcePort == 67)

        let frame = try #require(try raw.receive(timeout: .seconds(3)).frame)
        #expect(frame.packetType == .broadcast)
        #expect(frame.interfaceIndex == indexB)
        #expect(Array(frame.bytes[0..<6]) == MACAddress.broadcast.bytes)
        #expect(Array(frame.bytes[6..<12]) == pair.macA.bytes)
        #expect(RawFrameSocket.udpPorts(of: frame.bytes)! == (67, 68))
        #expect(Array(frame.bytes.suffix(offer.count)) == offer)
        // Nothing else: not the port-9999 datagram, not B's own DISCOVER (outgoing).
        #expect(try raw.receive(timeout: .milliseconds(300)) == .timeout)
        // The kernel filter itself drops other ports: nothing is even queued on the descriptor.
        try other.send([0x56], to: pair.addressB!, port: 9999)
        usleep(200_000)
        var scratch = [UInt8](repeating: 0, count: 2048)
        #expect(recv(raw.descriptor, &scratch, scratch.count, Int32(MSG_DONTWAIT)) == -1 && errno == EAGAIN)
    }

    /// A packet socket in A sends Ethernet frames built by FrameBuilder: only the one to B's MAC and B's address
    /// reaches B's UDP socket on 68; one to another MAC and one to an address B does not have are dropped.
    @Test func rawUnicastFrameReachesOnlyTheRightHost() throws {
        try NetGate.require()
        let pair = try VethPair()
        defer { pair.remove() }
        let (interfaceA, interfaceB) = (pair.interfaceA, pair.interfaceB)
        let raw = try pair.inA { try RawFrameSocket(interface: interfaceA) }
        let (client, indexB) = try pair.inB {
            (try UDPSocket(port: 68, interface: interfaceB), try NetworkInterface.named(interfaceB).index)
        }
        #expect(raw.interface.mac == pair.macA)
        func frame(to mac: MACAddress, _ ip: IPv4Address, _ text: String) -> [UInt8] {
            FrameBuilder.udp(sourceMAC: pair.macA, destinationMAC: mac, sourceIP: pair.addressA, destinationIP: ip,
                             sourcePort: 67, destinationPort: 68, payload: Array(text.utf8))
        }
        try raw.send(frame: frame(to: MACAddress("06:00:00:fa:00:99")!, pair.addressB!, "wrong MAC"))
        try raw.send(frame: frame(to: pair.macB, IPv4Address(198, 18, 250, 77), "wrong address"))
        try raw.send(frame: frame(to: pair.macB, pair.addressB!, "right"))
        let received = try #require(try client.receive(timeout: .seconds(3)).datagram)
        #expect(String(decoding: received.bytes, as: UTF8.self) == "right")
        #expect(received.destination == pair.addressB && !received.isLimitedBroadcast)
        #expect(received.interfaceIndex == indexB)
        #expect(received.source == pair.addressA && received.sourcePort == 67)
        #expect(try client.receive(timeout: .milliseconds(300)) == .timeout)
        // A frame shorter than its header is refused before the kernel sees it.
        #expect(throws: DHCPNetworkError.self) { try raw.send(frame: [1, 2, 3]) }
    }

    /// A client without an address: B's packet socket receives A's unicast to B's MAC, addressed to the IP
    /// being offered, which B's kernel would not deliver to a UDP socket.
    @Test func packetSocketReceivesForAClientWithoutAddress() throws {
        try NetGate.require()
        let pair = try VethPair(withAddressB: false)
        defer { pair.remove() }
        let (interfaceA, interfaceB) = (pair.interfaceA, pair.interfaceB)
        let sender = try pair.inA { try RawFrameSocket(interface: interfaceA) }
        let (listener, client) = try pair.inB {
            (try RawFrameSocket(interface: interfaceB, receiveUDPPorts: [68]), try UDPSocket(port: 68, interface: interfaceB))
        }
        let offered = IPv4Address(198, 18, 250, 50)
        let offer = bootp(op: 2, xid: 7, mac: pair.macB, messageType: 2)
        try sender.send(frame: FrameBuilder.udp(sourceMAC: pair.macA, destinationMAC: pair.macB, sourceIP: pair.addressA,
                                                destinationIP: offered, sourcePort: 67, destinationPort: 68,
                                                payload: offer))
        let frame = try #require(try listener.receive(timeout: .seconds(3)).frame)
        #expect(frame.packetType == .host)
        #expect(Array(frame.bytes.suffix(offer.count)) == offer)
        #expect(try client.receive(timeout: .milliseconds(300)) == .timeout)
    }

    /// Without SO_BINDTODEVICE and without a default route a broadcast fails with ENETUNREACH; naming the
    /// interface in IP_PKTINFO makes it leave through that interface.
    @Test func broadcastWithoutDeviceNeedsTheInterfaceIndex() throws {
        try NetGate.require()
        let pair = try VethPair()
        defer { pair.remove() }
        let (interfaceA, interfaceB) = (pair.interfaceA, pair.interfaceB)
        let (server, indexA) = try pair.inA { (try UDPSocket(port: 67), try NetworkInterface.named(interfaceA).index) }
        let client = try pair.inB { try UDPSocket(port: 68, interface: interfaceB) }
        do {
            try server.send([1], to: .broadcast, port: 68)
            Issue.record("a broadcast without a device or route was sent")
        } catch {
            #expect(error.kind == .networkUnreachable)
        }
        try server.send([2], to: .broadcast, port: 68, interfaceIndex: indexA, sourceAddress: pair.addressA)
        let received = try #require(try client.receive(timeout: .seconds(3)).datagram)
        #expect(received.bytes == [2] && received.isLimitedBroadcast && received.source == pair.addressA)
    }

    @Test func bindFailuresSayWhatIsWrong() throws {
        try NetGate.require()
        let pair = try VethPair()
        defer { pair.remove() }
        let errors = try pair.inA { () -> [DHCPNetworkError] in
            var errors: [DHCPNetworkError] = []
            do { _ = try UDPSocket(port: 67, interface: "nope0") } catch let error as DHCPNetworkError { errors.append(error) }
            do { _ = try RawFrameSocket(interface: "nope0") } catch let error as DHCPNetworkError { errors.append(error) }
            // A socket holding 6767 without SO_REUSEADDR: the next bind fails, with or without it.
            let holder = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(holder) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(6767).bigEndian
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            do { _ = try UDPSocket(port: 6767) } catch let error as DHCPNetworkError { errors.append(error) }
            do { _ = try UDPSocket(port: 6767, address: IPv4Address(192, 0, 2, 1)) } catch let error as DHCPNetworkError { errors.append(error) }
            return errors
        }
        try #require(errors.count == 4)
        #expect(errors[0].kind == .noSuchDevice)
        #expect(errors[0].description.hasPrefix("bind 0.0.0.0:67 on nope0: SO_BINDTODEVICE: no such interface"))
        #expect(errors[1].kind == .noSuchDevice)
        #expect(errors[2].kind == .addressInUse)
        #expect(errors[2].description.hasPrefix("bind 0.0.0.0:6767: address in use"))
        #expect(errors[3].kind == .addressNotAvailable)
    }
}
