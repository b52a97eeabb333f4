import CZlib
import Glibc

/// A gzip-compressed file seen through a C `FILE *` (glibc's fopencookie), so that libpcap reads it as it reads
/// any capture: pcap_fopen_offline on the decompressed stream, one buffer at a time.
enum GzipFile {
    /// True when `path` starts with the gzip magic 1f 8b.
    static func isCompressed(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var magic: (UInt8, UInt8) = (0, 0)
        let count = withUnsafeMutableBytes(of: &magic) { fread($0.baseAddress, 1, 2, file) }
        return count == 2 && magic == (0x1F, 0x8B)
    }

    /// A read-only stream of the decompressed bytes; nil when the file cannot be opened.
    static func open(_ path: String) -> UnsafeMutablePointer<FILE>? { dhcpscope_gzip_open(path) }
}
