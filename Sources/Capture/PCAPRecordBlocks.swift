import Glibc

/// The records of a classic pcap file (format 2.4, any byte order, micro- or nanosecond stamps) read in large blocks
/// with read(2) and handed out in place. libpcap reads each record with two freads and copies its bytes once more:
/// on bench/run's capture that was 450 of the 2,200 instructions `decode --count-only` spent on a message.
///
/// Only the ordinary record is read here: a whole 16-byte header and at most the file's snapshot length of bytes,
/// all present. At anything else (the end of the file, a record cut short, a length over the snapshot) the reader
/// stops at that record's offset, and `PCAPFileReader` lets libpcap go on from there: libpcap's rules and messages
/// for every odd case stay the only ones.
final class PCAPRecordBlocks {
    struct Record {
        var seconds: Int64
        var nanoseconds: UInt32
        var wireLength: UInt32
        var bytes: UnsafeRawBufferPointer
    }

    private let descriptor: Int32
    private let swapped: Bool
    private let microseconds: Bool
    private let snapshot: Int
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0, end = 0
    /// File offset of `buffer[start]`: the next record's.
    private(set) var offset: Int64
    private var endOfFile = false

    static let blockSize = 1 << 20

    /// Reads `path` after its file header when it is a classic pcap file of version 2.4 whose records libpcap reads
    /// with a 16-byte header; nil otherwise (pcapng, the modified formats, older versions: libpcap reads those).
    init?(path: String, snapshot: Int) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var header = (UInt32(0), UInt16(0), UInt16(0))
        guard withUnsafeMutableBytes(of: &header, { pread(descriptor, $0.baseAddress, 8, 0) }) == 8 else {
            close(descriptor)
            return nil
        }
        let (magic, major, minor) = header
        switch magic {
        case 0xA1B2_C3D4: swapped = false; microseconds = true
        case 0xD4C3_B2A1: swapped = true; microseconds = true
        case 0xA1B2_3C4D: swapped = false; microseconds = false
        case 0x4D3C_B2A1: swapped = true; microseconds = false
        default: close(descriptor); return nil
        }
        // Snapshots past libpcap's usual maximum (link types such as D-Bus allow 128 MiB) are left to libpcap: the
        // block must hold a whole record.
        guard (swapped ? major.byteSwapped : major) == 2, (swapped ? minor.byteSwapped : minor) == 4,
              snapshot > 0, snapshot <= 262_144, lseek(descriptor, 24, SEEK_SET) == 24 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
        self.snapshot = snapshot
        capacity = max(Self.blockSize, 2 * (16 + snapshot))
        buffer = .allocate(byteCount: capacity, alignment: 8)
        offset = 24
    }

    deinit {
        buffer.deallocate()
        close(descriptor)
    }

    /// The next ordinary record, valid until the next call; nil where libpcap must take over (at `offset`), and at
    /// the end of the file. A read error is left for libpcap to meet and report.
    func next() -> Record? {
        guard end - start >= 16 || fill(16) else { return nil }
        let captured = Int(field(8))
        guard captured <= snapshot, end - start >= 16 + captured || fill(16 + captured) else { return nil }
        // As libpcap 1.10 reads the stamp: its fields are signed in a file of this host's byte order and unsigned in a
        // byte-swapped one (its swap macro yields unsigned); the fraction is then scaled to nanoseconds (and clamped
        // where it makes no sense, as `PCAPFileReader` clamps what libpcap hands out).
        func stamp(_ value: UInt32) -> Int64 { swapped ? Int64(value) : Int64(Int32(bitPattern: value)) }
        let record = Record(seconds: stamp(field(0)),
                            nanoseconds: UInt32(clamping: stamp(field(4)) * (microseconds ? 1000 : 1)),
                            wireLength: field(12),
                            bytes: UnsafeRawBufferPointer(start: buffer + start + 16, count: captured))
        start += 16 + captured
        offset += Int64(16 + captured)
        return record
    }

    /// A 32-bit field of the record header at `start`, in the file's byte order.
    private func field(_ at: Int) -> UInt32 {
        let value = UnsafeRawPointer(buffer + start).loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return swapped ? value.byteSwapped : value
    }

    /// Makes `needed` bytes available from `start`, reading more of the file; false when the file ends (or fails)
    /// before.
    private func fill(_ needed: Int) -> Bool {
        if start > 0 {
            buffer.copyMemory(from: buffer + start, byteCount: end - start)
            end -= start
            start = 0
        }
        while end < needed, !endOfFile {
            let count = read(descriptor, buffer + end, capacity - end)
            if count > 0 { end += count }
            else if count < 0, errno == EINTR { continue }
            else { endOfFile = true }
        }
        return end >= needed
    }
}
