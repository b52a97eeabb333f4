import CLibpcap
import Glibc
import NetworkPrimitives

/// One packet as libpcap hands it over. `bytes` points into libpcap's buffer: valid until the reader's next read.
public struct CapturedPacket: BitwiseCopyable {
    /// 1-based index of the frame in its file, counting every frame (as tshark numbers them).
    public var frameNumber: Int
    public var timestamp: Timestamp
    public var wireLength: Int
    public var bytes: UnsafeRawBufferPointer
}

/// Streams a pcap or pcapng file (or standard input for "-") in nanosecond precision: libpcap opens it and reads
/// everything but the ordinary records of a classic file, which `PCAPRecordBlocks` reads in large blocks. Memory does
/// not grow with the file: one packet at a time.
public final class PCAPFileReader {
    public let path: String
    public let linkType: Int32
    private let handle: OpaquePointer
    private var filter: bpf_program?
    private var frameCount = 0
    /// Byte offset of the next record, for error messages (nil when reading a pipe).
    private var nextRecordOffset: Int64?
    private let file: UnsafeMutablePointer<FILE>?
    private var compressed = false
    /// A classic pcap file, whose records are a 16-byte header and the captured bytes: the next record's offset is
    /// counted instead of asked of the stream (ftell is a system call per packet). pcapng blocks are asked for.
    private var classicFormat = false
    /// The ordinary records of a classic file, read in blocks; nil once libpcap reads on (or for other files).
    private var blocks: PCAPRecordBlocks?

    public init(path: String) throws(CaptureError) {
        self.path = path
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        var compressed = false
        let opened: OpaquePointer?
        if path == "-" {
            opened = pcap_fopen_offline_with_tstamp_precision(fdopen(0, "rb"), UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        } else if GzipFile.isCompressed(path) {
            guard let stream = GzipFile.open(path) else { throw CaptureError(source: path, "cannot open the gzip stream") }
            compressed = true
            opened = pcap_fopen_offline_with_tstamp_precision(stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        } else {
            opened = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        }
        guard let opened else {
            let message = String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw CaptureError(source: path == "-" ? "stdin" : path, Self.explain(message, path: path))
        }
        handle = opened
        self.compressed = compressed
        linkType = pcap_datalink(opened)
        file = pcap_file(opened)
        // Offsets of a pipe or of a decompressed stream would mislead: only plain files report them.
        if path != "-", !compressed, let file {
            nextRecordOffset = Int64(ftell(file))
            var magic: UInt32 = 0
            classicFormat = pread(fileno(file), &magic, 4, 0) == 4 && magic != 0x0A0D_0D0A
            if classicFormat { blocks = PCAPRecordBlocks(path: path, snapshot: Int(pcap_snapshot(opened))) }
        }
    }

    deinit {
        if var program = filter { pcap_freecode(&program) }
        pcap_close(handle)
    }

    public var sourceName: String { path == "-" ? "stdin" : path }

    /// A BPF filter, applied with pcap_offline_filter so that frame numbers still count every frame.
    public func setFilter(_ expression: String) throws(CaptureError) {
        var program = bpf_program()
        guard pcap_compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(source: sourceName, "bad filter '\(expression)': \(String(cString: pcap_geterr(handle)))")
        }
        filter = program
    }

    /// The next packet that passes the filter; nil at the end of the file. Throws on a corrupt or truncated file,
    /// after every packet before the damage was returned.
    public func next() throws(CaptureError) -> CapturedPacket? {
        while let blocks {
            guard let record = blocks.next() else {
                // The end, or a record libpcap must judge: it reads on from that record.
                if let file { fseek(file, Int(blocks.offset), SEEK_SET) }
                nextRecordOffset = blocks.offset
                self.blocks = nil
                break
            }
            frameCount += 1
            nextRecordOffset = blocks.offset
            if var program = filter {
                var header = pcap_pkthdr()
                header.caplen = UInt32(record.bytes.count)
                header.len = record.wireLength
                let passes = pcap_offline_filter(&program, &header, record.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
                if passes == 0 { continue }
            }
            return CapturedPacket(frameNumber: frameCount, timestamp: Timestamp(seconds: record.seconds, nanoseconds: record.nanoseconds),
                                  wireLength: Int(record.wireLength), bytes: record.bytes)
        }
        while true {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                guard let header, let data else { continue }
                frameCount += 1
                if let offset = nextRecordOffset {
                    if classicFormat { nextRecordOffset = offset + 16 + Int64(header.pointee.caplen) }
                    else if let file { nextRecordOffset = Int64(ftell(file)) }
                }
                if var program = filter, pcap_offline_filter(&program, header, data) == 0 { continue }
                let length = Int(header.pointee.caplen)
                return CapturedPacket(
                    frameNumber: frameCount,
                    timestamp: Timestamp(seconds: Int64(header.pointee.ts.tv_sec), nanoseconds: UInt32(clamping: header.pointee.ts.tv_usec)),
                    wireLength: Int(header.pointee.len),
                    bytes: UnsafeRawBufferPointer(start: data, count: length))
            case -2:
                return nil
            default:
                var message = String(cString: pcap_geterr(handle))
                if compressed, message.hasPrefix("error reading dump file") {
                    message = "the gzip stream is cut short or corrupt"
                }
                throw CaptureError(source: sourceName, offset: nextRecordOffset,
                                   "after frame \(frameCount): \(message.isEmpty ? "read error" : message)")
            }
        }
    }

    /// libpcap's messages, said the way a user needs them.
    private static func explain(_ message: String, path: String) -> String {
        if message.hasPrefix(path + ": ") { return explain(String(message.dropFirst(path.count + 2)), path: path) }
        if message.contains("unknown file format") { return "not a pcap or pcapng capture file (\(message))" }
        if message.contains("truncated dump file") || message.contains("truncated pcapng") {
            return "truncated capture file header (\(message))"
        }
        return message
    }
}
