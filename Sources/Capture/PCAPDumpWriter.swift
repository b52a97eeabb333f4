import CLibpcap
import Glibc
import NetworkPrimitives

/// Writes frames to pcap files through libpcap (pcap_dump_open, pcap_dump, pcap_dump_flush), rotating them as
/// tcpdump's -C and -G do. Every frame is flushed as it is written, so that the file can be read while the
/// capture runs and nothing is lost when the process is stopped.
///
/// File names, from the path given (`FILE`):
/// - without rotation, or with -C alone: `FILE`, then `FILE1`, `FILE2` … (as tcpdump -C names them);
/// - with -G and `%` patterns in `FILE`: `FILE` expanded by strftime(3) in local time at the start of each
///   period, and `1`, `2` … appended when -C starts more files within one period;
/// - with -G and no `%` pattern: `FILE`, `FILE1`, `FILE2` …, one number per new file whatever the reason.
public final class PCAPDumpWriter {
    public struct Rotation: Sendable {
        /// Start a new file before a frame when the current one is larger than this many bytes (-C, in millions).
        public var bytes: Int64?
        /// Start a new file before a frame when the current one was opened this many seconds earlier (-G).
        public var seconds: Int?

        public init(bytes: Int64? = nil, seconds: Int? = nil) { self.bytes = bytes; self.seconds = seconds }
    }

    public let pattern: String
    public let rotation: Rotation
    /// Every file opened so far, in order; the last one is being written.
    public private(set) var paths: [String] = []
    /// Frames written, over all files.
    public private(set) var framesWritten = 0
    private let nanosecond: Bool
    private let dead: OpaquePointer
    private var dumper: OpaquePointer?
    private var periodStart: Int64
    /// Files opened in this -G period (with a time pattern), or in all (without one).
    private var indexInSeries = 0

    /// Opens the first file at once, so that a path that cannot be written is found before capture starts.
    /// `start` names the first period (seconds since 1970); the current time by default.
    public init(path: String, linkType: Int32, snapshotLength: Int32 = 65_535, nanosecond: Bool = true,
                rotation: Rotation = Rotation(), start: Int64? = nil) throws(CaptureError) {
        pattern = path
        self.rotation = rotation
        self.nanosecond = nanosecond
        let precision = UInt32(nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO)
        guard let dead = pcap_open_dead_with_tstamp_precision(linkType, snapshotLength, precision) else {
            throw CaptureError(source: path, "cannot set up a pcap writer for link type \(linkType)")
        }
        self.dead = dead
        periodStart = start ?? Int64(time(nil))
        // On failure deinit runs (every property is set) and closes `dead`.
        try open()
    }

    deinit {
        close()
        pcap_close(dead)
    }

    /// The file being written.
    public var currentPath: String? { dumper == nil ? nil : paths.last }

    /// Writes one frame, after starting a new file when a rotation limit is passed.
    public func write(_ packet: CapturedPacket) throws(CaptureError) {
        try write(timestamp: packet.timestamp, wireLength: packet.wireLength, bytes: packet.bytes)
    }

    public func write(timestamp: Timestamp, wireLength: Int, bytes: UnsafeRawBufferPointer) throws(CaptureError) {
        guard let current = dumper else { throw CaptureError(source: pattern, "the capture file is closed") }
        if let seconds = rotation.seconds, timestamp.seconds - periodStart >= Int64(seconds) {
            // tcpdump starts the new period at the time of the frame that passed the limit.
            periodStart = timestamp.seconds
            if pattern.contains("%") { indexInSeries = 0 } else { indexInSeries += 1 }
            try reopen()
        } else if let limit = rotation.bytes, pcap_dump_ftell64(current) > limit {
            indexInSeries += 1
            try reopen()
        }
        guard let dumper else { throw CaptureError(source: pattern, "the capture file is closed") }
        var header = pcap_pkthdr()
        header.ts.tv_sec = Int(timestamp.seconds)
        header.ts.tv_usec = nanosecond ? Int(timestamp.nanoseconds) : Int(timestamp.nanoseconds / 1000)
        header.caplen = UInt32(clamping: bytes.count)
        header.len = UInt32(clamping: max(wireLength, bytes.count))
        pcap_dump(UnsafeMutablePointer<UInt8>(dumper), &header, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        guard pcap_dump_flush(dumper) == 0 else {
            throw CaptureError(source: paths.last ?? pattern, "cannot write: \(String(cString: strerror(errno)))")
        }
        framesWritten += 1
    }

    /// Flushes and closes the current file; later writes fail.
    public func close() {
        guard let dumper else { return }
        pcap_dump_flush(dumper)
        pcap_dump_close(dumper)
        self.dumper = nil
    }

    /// The name of the file for the current period and index.
    func currentName() -> String {
        var base = pattern
        if rotation.seconds != nil, pattern.contains("%") { base = Self.strftime(pattern, periodStart) }
        return indexInSeries == 0 ? base : base + String(indexInSeries)
    }

    private func reopen() throws(CaptureError) {
        close()
        try open()
    }

    private func open() throws(CaptureError) {
        let name = currentName()
        guard let opened = pcap_dump_open(dead, name) else {
            var reason = String(cString: pcap_geterr(dead))
            if reason.hasPrefix(name + ": ") { reason.removeFirst(name.count + 2) }
            throw CaptureError(source: name, "cannot write: \(reason)")
        }
        dumper = opened
        paths.append(name)
    }

    static func strftime(_ format: String, _ seconds: Int64) -> String {
        var clock = time_t(seconds)
        var parts = tm()
        localtime_r(&clock, &parts)
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = Glibc.strftime(&buffer, buffer.count, format, &parts)
        guard length > 0 else { return format }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
