import CNetShim
import Glibc
import NetworkPrimitives

/// One UDP datagram as `UDPSocket.receive` got it.
public struct UDPDatagram: Sendable, Equatable {
    public var bytes: [UInt8]
    public var source: IPv4Address
    public var sourcePort: UInt16
    /// The IPv4 header's destination address (IP_PKTINFO ipi_addr): 255.255.255.255 for a limited broadcast,
    /// the interface's address for a unicast. Nil when no IP_PKTINFO came.
    public var destination: IPv4Address?
    /// The local address the kernel would answer from (ipi_spec_dst), nil when unknown.
    public var localAddress: IPv4Address?
    /// The index of the interface the datagram arrived on (ipi_ifindex), nil when unknown.
    public var interfaceIndex: Int32?
    /// True when the datagram was longer than the receive buffer and was cut.
    public var truncated: Bool
    /// Seconds the datagram waited in the socket before it was read (the kernel's arrival time, on a socket opened
    /// with `arrivalTimes`); nil when unknown.
    public var waited: Double?

    public init(bytes: [UInt8], source: IPv4Address, sourcePort: UInt16, destination: IPv4Address?,
                localAddress: IPv4Address?, interfaceIndex: Int32?, truncated: Bool = false, waited: Double? = nil) {
        self.bytes = bytes
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.localAddress = localAddress
        self.interfaceIndex = interfaceIndex
        self.truncated = truncated
        self.waited = waited
    }

    /// Sent to 255.255.255.255.
    public var isLimitedBroadcast: Bool { destination == .broadcast }
}

/// A UDP socket for the DHCP server, relay and client sides: bound to ADDRESS:PORT (0.0.0.0:67 by default), with
/// SO_REUSEADDR, SO_BROADCAST, IP_PKTINFO and optionally SO_BINDTODEVICE, non-blocking, read with poll(2).
///
/// With SO_BINDTODEVICE it receives broadcasts from clients that have no address yet and can send to
/// 255.255.255.255 even without a default route. Unicast to a client that has no
/// address yet needs `RawFrameSocket`.
///
/// Use it from one reading thread at a time (`receive` reuses one buffer); `send` may come from any thread, and
/// `stop()` from any thread or a signal handler. Hence `@unchecked Sendable`.
public final class UDPSocket: @unchecked Sendable {
    /// What `receive` found.
    public enum Receive: Sendable, Equatable {
        case datagram(UDPDatagram)
        /// The timeout passed without a datagram.
        case timeout
        /// `stop()` was called (now or before).
        case stopped
    }

    /// The socket's descriptor (for diagnostics; do not close it).
    public let descriptor: Int32
    /// The bound address and port (the port the kernel chose when 0 was asked).
    public let localAddress: IPv4Address
    public let localPort: UInt16
    /// The interface of SO_BINDTODEVICE, if any.
    public let interface: String?
    let stopPipe: StopPipe
    private var buffer: [UInt8]

    /// Opens, configures and binds the socket.
    /// - Parameters:
    ///   - port: 67 for a server or relay, 68 for a client, 0 for any.
    ///   - address: the local address to bind; 0.0.0.0 (any) is what receives broadcasts.
    ///   - interface: SO_BINDTODEVICE: only this interface's traffic, and broadcasts leave through it.
    ///   - reuseAddress: SO_REUSEADDR, so that a second socket (another interface's) can share the port.
    ///   - receiveBufferSize: SO_RCVBUF in bytes, nil for the system default.
    ///   - arrivalTimes: SO_TIMESTAMPNS, so that each datagram says how long it waited in the socket (`waited`).
    public init(port: UInt16, address: IPv4Address = .any, interface: String? = nil, reuseAddress: Bool = true,
                receiveBufferSize: Int? = nil, arrivalTimes: Bool = false) throws(DHCPNetworkError) {
        let what = "bind \(address):\(port)" + (interface.map { " on \($0)" } ?? "")
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                        Int32(IPPROTO_UDP))
        guard fd >= 0 else { throw .lastError("\(what): socket") }
        var ok = false
        defer { if !ok { close(fd) } }
        var one: Int32 = 1
        if reuseAddress {
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
            else { throw .lastError("\(what): SO_REUSEADDR") }
        }
        guard setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
        else { throw .lastError("\(what): SO_BROADCAST") }
        guard setsockopt(fd, Int32(IPPROTO_IP), IP_PKTINFO, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
        else { throw .lastError("\(what): IP_PKTINFO") }
        if var size = receiveBufferSize.map(Int32.init(clamping:)) {
            guard setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) == 0
            else { throw .lastError("\(what): SO_RCVBUF") }
        }
        if arrivalTimes {
            guard setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
            else { throw .lastError("\(what): SO_TIMESTAMPNS") }
        }
        if let interface {
            let name = try interfaceNameBytes(interface)
            guard setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, socklen_t(name.count)) == 0
            else { throw .lastError("\(what): SO_BINDTODEVICE") }
        }
        var bound = sockaddr_in()
        bound.sin_family = sa_family_t(AF_INET)
        bound.sin_port = port.bigEndian
        bound.sin_addr.s_addr = address.rawValue.bigEndian
        let status = withUnsafePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else { throw .lastError(what) }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        stopPipe = try StopPipe()
        descriptor = fd
        localAddress = IPv4Address(rawValue: UInt32(bigEndian: actual.sin_addr.s_addr))
        localPort = UInt16(bigEndian: actual.sin_port)
        self.interface = interface
        buffer = [UInt8](repeating: 0, count: 65_536)
        ok = true
    }

    deinit { close(descriptor) }

    /// The next datagram, waiting up to `timeout` (nil: until one comes or `stop()`); a datagram already queued
    /// is returned even with a zero timeout.
    public func receive(timeout: Duration?) throws(DHCPNetworkError) -> Receive {
        let deadline = timeout.map { MonotonicClock.now() + $0 }
        while true {
            if stopPipe.isSignalled { return .stopped }
            if let datagram = try receiveQueued() { return .datagram(datagram) }
            // Nothing queued and no wait asked for: the non-blocking read said so, poll(2) would only say it again.
            if timeout == .zero { return .timeout }
            // Readable but nothing to read (a datagram with a bad checksum was dropped) waits again, for the rest.
            switch try waitFor(descriptor, events: Int16(POLLIN), stop: stopPipe,
                               timeout: deadline.map { $0 - MonotonicClock.now() }) {
            case .stopped: return .stopped
            case .timeout: return .timeout
            case .ready: continue
            }
        }
    }

    /// A datagram already queued, nil when there is none: one non-blocking recvmsg, without looking at `stop()`
    /// (`receive` does, with a poll(2) that a server draining a burst would pay for every datagram). A caller that
    /// drains with it bounds the drain and then calls `receive`, so that a flood cannot hide a stop.
    public func receiveQueued() throws(DHCPNetworkError) -> UDPDatagram? {
        var source: UInt32 = 0
        var sourcePort: UInt16 = 0
        var truncated: Int32 = 0
        var hasInfo: Int32 = 0
        var index: Int32 = 0
        var destination: UInt32 = 0
        var local: UInt32 = 0
        var waited: Int64 = -1
        let capacity = buffer.count
        let count = buffer.withUnsafeMutableBytes {
            cns_recv_pktinfo(descriptor, $0.baseAddress, capacity, &source, &sourcePort, &truncated, &hasInfo,
                             &index, &destination, &local, &waited)
        }
        if count < 0 {
            let number = errno
            if number == EAGAIN || number == EWOULDBLOCK || number == EINTR { return nil }
            throw DHCPNetworkError(operation: "receive on \(localAddress):\(localPort)", errorNumber: number)
        }
        return UDPDatagram(bytes: Array(buffer[0..<count]), source: IPv4Address(rawValue: source),
                           sourcePort: sourcePort,
                           destination: hasInfo != 0 ? IPv4Address(rawValue: destination) : nil,
                           localAddress: hasInfo != 0 ? IPv4Address(rawValue: local) : nil,
                           interfaceIndex: hasInfo != 0 ? index : nil, truncated: truncated != 0,
                           waited: waited >= 0 ? Double(waited) / 1e9 : nil)
    }

    /// Sends one datagram to `address:port` (255.255.255.255 included; on a socket without SO_BINDTODEVICE a
    /// broadcast needs `interfaceIndex`). `interfaceIndex` and `sourceAddress` go in an IP_PKTINFO control
    /// message: the outgoing interface and the source address (nil: the kernel's choice). A full send buffer is
    /// waited for up to one second.
    public func send(_ bytes: [UInt8], to address: IPv4Address, port: UInt16, interfaceIndex: Int32? = nil,
                     sourceAddress: IPv4Address? = nil) throws(DHCPNetworkError) {
        // Described only when it fails: not formatted for every datagram on a server's hot path.
        var what: String { "send \(bytes.count) bytes to \(address):\(port)" + (interface.map { " on \($0)" } ?? "") }
        let deadline = MonotonicClock.now() + .seconds(1)
        while true {
            let sent: Int
            if interfaceIndex != nil || sourceAddress != nil {
                sent = bytes.withUnsafeBytes {
                    cns_send_pktinfo(descriptor, $0.baseAddress, $0.count, address.rawValue, port, interfaceIndex ?? 0,
                                     sourceAddress?.rawValue ?? 0)
                }
            } else {
                var target = sockaddr_in()
                target.sin_family = sa_family_t(AF_INET)
                target.sin_port = port.bigEndian
                target.sin_addr.s_addr = address.rawValue.bigEndian
                sent = bytes.withUnsafeBytes { payload in
                    withUnsafePointer(to: &target) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(descriptor, payload.baseAddress, payload.count, 0, $0,
                                   socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                }
            }
            if sent >= 0 { return }
            let number = errno
            guard number == EAGAIN || number == EWOULDBLOCK || number == EINTR, MonotonicClock.now() < deadline else {
                throw DHCPNetworkError(operation: what, errorNumber: number)
            }
            if case .stopped = try waitFor(descriptor, events: Int16(POLLOUT), stop: stopPipe,
                                           timeout: .milliseconds(100)) {
                throw DHCPNetworkError(kind: .system, operation: what, detail: "the socket was stopped")
            }
        }
    }

    /// What `waitForAny` found.
    public enum Readiness: Sendable, Equatable {
        /// At least one socket has something queued: read each with a zero `receive` timeout.
        case readable
        case timeout
        /// One of the sockets was stopped.
        case stopped
    }

    /// Waits until one of `sockets` has a datagram queued, `timeout` passes (nil: no limit), or one of them is
    /// stopped: for a role that listens on several interfaces from one thread.
    public static func waitForAny(_ sockets: [UDPSocket], timeout: Duration?) throws(DHCPNetworkError) -> Readiness {
        switch try DHCPNetwork.waitForAny(sockets.map(\.descriptor), events: Int16(POLLIN), stops: sockets.map(\.stopPipe),
                                          timeout: timeout) {
        case .stopped: .stopped
        case .timeout: .timeout
        case .ready: .readable
        }
    }

    /// Waits `duration` without reading (datagrams stay queued); false when `stop()` ended the wait or came before.
    public func sleep(for duration: Duration) throws(DHCPNetworkError) -> Bool {
        try stopPipe.sleep(for: duration)
    }

    /// Makes the `receive` in progress, and every later one, return `.stopped`: from any thread or a signal
    /// handler (it only writes a byte to a pipe).
    public func stop() { stopPipe.signal() }

    /// True once `stop()` was called.
    public var isStopped: Bool { stopPipe.isSignalled }
}
