import CLibpcap
import Glibc
import NetworkPrimitives

/// Live capture on one interface through libpcap: pcap_create, snapshot length 65535, a 4 MiB buffer in libpcap's
/// block mode (TPACKET_V3: packets packed as long as they are, handed over when a block fills or the read timeout,
/// 100 ms, passes), and a kernel BPF filter. Not immediate mode: there libpcap gives every packet a slot as long as
/// the largest frame the interface may hand over (64 KiB with offloads, on veths and most NICs), 31 slots in its
/// 2 MiB ring, and a burst of a flood overflowed it (bench/sniff-long-run: half of 20,000 messages a second lost).
///
/// Read it from one thread with `next()`. `breakLoop()` is the one call that may come from another thread (or a
/// signal handler): it makes the `next()` in progress, or the next one, return `.stopped`. That is why the class
/// is `@unchecked Sendable`.
public final class PCAPLiveCapture: @unchecked Sendable {
    /// What `next()` found.
    public enum Read {
        /// A packet; its bytes point into libpcap's buffer and are valid until the next call.
        case packet(CapturedPacket)
        /// The read timeout passed without a packet.
        case timeout
        /// `breakLoop()` was called.
        case stopped
    }

    /// Counts from pcap_stats: packets the filter passed, dropped by the kernel for lack of buffer space,
    /// dropped by the interface or its driver.
    public struct Statistics: Sendable {
        public var received: Int
        public var kernelDrops: Int
        public var interfaceDrops: Int
    }

    public let interface: String
    /// The BPF expression in force.
    public let filter: String
    /// The DLT_ link type of the interface.
    public let linkType: Int32
    public let snapshotLength: Int32
    /// True when the timestamps are in nanoseconds (else microseconds, scaled on reading).
    public let nanosecondTimestamps: Bool
    private let handle: OpaquePointer
    private var frameCount = 0

    /// Opens and activates the interface and installs `filter`. Every failure says what went wrong the way a user
    /// needs it: no such interface, no permission (root or CAP_NET_RAW), interface down, a bad filter.
    public init(interface: String, filter: String, promiscuous: Bool = false, snapshotLength: Int32 = 65_535,
                timeoutMilliseconds: Int32 = 100) throws(CaptureError) {
        self.interface = interface
        self.filter = filter
        self.snapshotLength = snapshotLength
        // A bad expression is reported before the interface is touched, so that it is said the same with or
        // without permission (the real compile below uses the interface's link type).
        try Self.checkSyntax(filter, source: interface)
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let created = pcap_create(interface, &errorBuffer) else {
            throw CaptureError(source: interface, Self.text(errorBuffer))
        }
        pcap_set_snaplen(created, snapshotLength)
        pcap_set_promisc(created, promiscuous ? 1 : 0)
        pcap_set_timeout(created, timeoutMilliseconds)
        pcap_set_immediate_mode(created, 0)
        pcap_set_buffer_size(created, 4 << 20)
        nanosecondTimestamps = pcap_set_tstamp_precision(created, Int32(PCAP_TSTAMP_PRECISION_NANO)) == 0
        let status = pcap_activate(created)
        if status < 0 {
            let detail = String(cString: pcap_geterr(created))
            pcap_close(created)
            throw CaptureError(source: interface, Self.explainActivation(status, detail))
        }
        var warning: String?
        if status > 0 {
            // A warning (promiscuous mode not supported, …): capture goes on.
            let detail = String(cString: pcap_geterr(created))
            warning = String(cString: pcap_statustostr(status)) + (detail.isEmpty ? "" : " (\(detail))")
        }
        var program = bpf_program()
        guard pcap_compile(created, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let message = String(cString: pcap_geterr(created))
            pcap_close(created)
            throw CaptureError(source: interface, "bad filter '\(filter)': \(message)")
        }
        let installed = pcap_setfilter(created, &program)
        pcap_freecode(&program)
        guard installed == 0 else {
            let message = String(cString: pcap_geterr(created))
            pcap_close(created)
            throw CaptureError(source: interface, "cannot install the filter '\(filter)': \(message)")
        }
        // libpcap 1.10 on Linux does not return from a blocking read when its timeout passes without a packet:
        // read without blocking and wait in poll(2) here, on the capture and on the stop pipe together.
        descriptor = pcap_get_selectable_fd(created)
        var pipeEnds: [Int32] = [-1, -1]
        guard descriptor >= 0, pcap_setnonblock(created, 1, &errorBuffer) == 0, pipe(&pipeEnds) == 0 else {
            pcap_close(created)
            throw CaptureError(source: interface, "cannot wait for packets: \(Self.text(errorBuffer))")
        }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        stopReader = pipeEnds[0]
        stopWriter = pipeEnds[1]
        self.timeoutMilliseconds = timeoutMilliseconds
        self.warning = warning
        linkType = pcap_datalink(created)
        handle = created
    }

    deinit {
        pcap_close(handle)
        Glibc.close(stopReader)
        Glibc.close(stopWriter)
    }

    private let descriptor: Int32
    private let timeoutMilliseconds: Int32
    /// breakLoop() writes a byte here; once written it stays readable, so every later next() stops too.
    private let stopReader: Int32
    private let stopWriter: Int32

    /// A warning pcap_activate gave (the capture runs anyway), or nil.
    public let warning: String?

    /// The link type's libpcap name ("EN10MB") and description ("Ethernet"), as tcpdump prints them.
    public var linkTypeName: String {
        pcap_datalink_val_to_name(linkType).map { String(cString: $0) } ?? "DLT_\(linkType)"
    }

    public var linkTypeDescription: String {
        pcap_datalink_val_to_description(linkType).map { String(cString: $0) } ?? linkTypeName
    }

    /// The next packet, a timeout (none within the read timeout), or the stop `breakLoop()` asked for. Throws
    /// when the capture fails (the interface disappeared).
    public func next() throws(CaptureError) -> Read {
        if isStopRequested(waitingMilliseconds: 0) { return .stopped }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var status = pcap_next_ex(handle, &header, &data)
        if status == 0 {
            var watched = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: stopReader, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&watched, 2, timeoutMilliseconds)
            if watched[1].revents != 0 { return .stopped }
            if ready <= 0 {
                // libpcap 1.10 waits quietly on an interface set down (it may come back): say it instead.
                if interface != "any", !interfaceIsUp() {
                    throw CaptureError(source: interface, "capture failed after \(frameCount) frame\(frameCount == 1 ? "" : "s"): the interface went down")
                }
                return .timeout
            }
            status = pcap_next_ex(handle, &header, &data)
        }
        switch status {
        case 1:
            guard let header, let data else { return .timeout }
            frameCount += 1
            let fraction = header.pointee.ts.tv_usec
            let nanoseconds = nanosecondTimestamps ? UInt32(clamping: fraction) : UInt32(clamping: fraction * 1000)
            return .packet(CapturedPacket(
                frameNumber: frameCount,
                timestamp: Timestamp(seconds: Int64(header.pointee.ts.tv_sec), nanoseconds: nanoseconds),
                wireLength: Int(header.pointee.len),
                bytes: UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen))))
        case 0:
            return .timeout
        case PCAP_ERROR_BREAK:
            return .stopped
        default:
            let message = String(cString: pcap_geterr(handle))
            throw CaptureError(source: interface, "capture failed after \(frameCount) frame\(frameCount == 1 ? "" : "s"): \(message.isEmpty ? "read error" : message)")
        }
    }

    /// SIOCGIFFLAGS on the capture's socket: false when the interface is down or gone.
    private func interfaceIsUp() -> Bool {
        var request = ifreq()
        let name = Array(interface.utf8.prefix(Int(IFNAMSIZ) - 1))
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { buffer in
            for (index, byte) in name.enumerated() { buffer[index] = byte }
        }
        let status = withUnsafeMutablePointer(to: &request) { ioctl(descriptor, UInt(SIOCGIFFLAGS), $0) }
        guard status == 0 else { return errno != ENODEV && errno != ENXIO }
        return Int32(request.ifr_ifru.ifru_flags) & Int32(IFF_UP) != 0
    }

    private func isStopRequested(waitingMilliseconds: Int32) -> Bool {
        var watched = pollfd(fd: stopReader, events: Int16(POLLIN), revents: 0)
        return poll(&watched, 1, waitingMilliseconds) > 0
    }

    /// Frames read so far.
    public var framesRead: Int { frameCount }

    /// Makes `next()` return `.stopped`, now or at its next call: from any thread, or a signal handler
    /// (pcap_breakloop and a write(2) to a pipe are both safe there).
    public func breakLoop() {
        pcap_breakloop(handle)
        var byte: UInt8 = 1
        _ = Glibc.write(stopWriter, &byte, 1)
    }

    /// pcap_stats, or nil when the platform cannot say.
    public func statistics() -> Statistics? {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return Statistics(received: Int(stats.ps_recv), kernelDrops: Int(stats.ps_drop), interfaceDrops: Int(stats.ps_ifdrop))
    }

    /// The filter sniff installs: UDP on the DHCP ports and `ports` besides, narrowed by `expression`.
    public static func dhcpFilter(ports: some Sequence<UInt16>, narrowedBy expression: String? = nil) -> String {
        let list = Set(ports).union([67, 68, 546, 547]).sorted().map { "port \($0)" }.joined(separator: " or ")
        let base = "udp and (\(list))"
        guard let expression, !expression.allSatisfy({ $0 == " " }) else { return base }
        return "(\(base)) and (\(expression))"
    }

    /// Compiles `expression` for Ethernet without opening anything: a syntax error is found before privileges
    /// matter.
    public static func checkSyntax(_ expression: String, source: String = "filter") throws(CaptureError) {
        guard let dead = pcap_open_dead(DLT_EN10MB, 65_535) else { return }
        defer { pcap_close(dead) }
        var program = bpf_program()
        guard pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(source: source, "bad filter '\(expression)': \(String(cString: pcap_geterr(dead)))")
        }
        pcap_freecode(&program)
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// pcap_activate's failures, said plainly, with libpcap's own words in parentheses.
    private static func explainActivation(_ status: Int32, _ detail: String) -> String {
        let suffix = detail.isEmpty ? "" : " (\(detail))"
        switch status {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            return "no such interface" + suffix
        case PCAP_ERROR_PERM_DENIED:
            return "permission denied: capturing needs root or the CAP_NET_RAW capability" + suffix
        case PCAP_ERROR_IFACE_NOT_UP:
            return "the interface is down" + suffix
        case PCAP_ERROR_PROMISC_PERM_DENIED:
            return "permission denied for promiscuous mode" + suffix
        case PCAP_ERROR_RFMON_NOTSUP:
            return "monitor mode is not supported" + suffix
        default:
            if detail.contains("Operation not permitted") || detail.contains("Permission denied") {
                return "permission denied: capturing needs root or the CAP_NET_RAW capability" + suffix
            }
            let name = String(cString: pcap_statustostr(status))
            return detail.isEmpty ? name : detail
        }
    }
}
