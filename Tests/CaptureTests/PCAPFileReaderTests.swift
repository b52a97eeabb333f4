import Capture
import CLibpcap
import Foundation
import NetworkPrimitives
import Testing

/// The reader hands out the ordinary records of classic files itself (in blocks) and leaves the rest to libpcap:
/// whatever a file holds, it must give exactly what libpcap's own loop gives — the same frames, stamps, lengths and
/// bytes, and the same error at the same frame.
@Suite("PCAPFileReader")
struct PCAPFileReaderTests {
    struct Frame: Equatable {
        var number: Int
        var seconds: Int64
        var nanoseconds: UInt32
        var wireLength: Int
        var bytes: [UInt8]
    }

    /// What libpcap's loop reads, with the nanosecond precision the reader asks for.
    func libpcapFrames(_ path: String, filter: String?) -> (frames: [Frame], error: String?) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline_with_tstamp_precision(path, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer) else {
            return ([], String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { pcap_close(handle) }
        var program = bpf_program()
        if let filter { _ = pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) }
        defer { if filter != nil { pcap_freecode(&program) } }
        var frames = [Frame]()
        var number = 0
        while true {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            if status == -2 { return (frames, nil) }
            guard status == 1, let header, let data else { return (frames, String(cString: pcap_geterr(handle))) }
            number += 1
            if filter != nil, pcap_offline_filter(&program, header, data) == 0 { continue }
            frames.append(Frame(number: number, seconds: Int64(header.pointee.ts.tv_sec),
                                nanoseconds: UInt32(clamping: header.pointee.ts.tv_usec), wireLength: Int(header.pointee.len),
                                bytes: Array(UnsafeBufferPointer(start: data, count: Int(header.pointee.caplen)))))
        }
    }

    func readerFrames(_ path: String, filter: String?) throws -> (frames: [Frame], error: String?) {
        let reader = try PCAPFileReader(path: path)
        if let filter { try reader.setFilter(filter) }
        var frames = [Frame]()
        do {
            while let packet = try reader.next() {
                frames.append(Frame(number: packet.frameNumber, seconds: packet.timestamp.seconds,
                                    nanoseconds: packet.timestamp.nanoseconds, wireLength: packet.wireLength,
                                    bytes: Array(packet.bytes)))
            }
            return (frames, nil)
        } catch {
            return (frames, error.message)
        }
    }

    /// A classic file: the header in `swapped` byte order, then records, each possibly odd.
    static func classicFile(magic: UInt32, swapped: Bool, snaplen: UInt32, records: [(caplen: UInt32, wire: UInt32, fill: UInt8)],
                            seconds: UInt32, fraction: UInt32) -> [UInt8] {
        func word(_ value: UInt32) -> [UInt8] {
            let ordered = swapped ? value.byteSwapped : value
            return withUnsafeBytes(of: ordered) { Array($0) }
        }
        func half(_ value: UInt16) -> [UInt8] {
            let ordered = swapped ? value.byteSwapped : value
            return withUnsafeBytes(of: ordered) { Array($0) }
        }
        var bytes = word(magic) + half(2) + half(4) + word(0) + word(0) + word(snaplen) + word(1)
        for (index, record) in records.enumerated() {
            bytes += word(seconds &+ UInt32(index)) + word(fraction) + word(record.caplen) + word(record.wire)
            // A UDP frame to port 67 or an ARP, so that a filter has something to choose.
            var frame: [UInt8] = Array(repeating: 0xFF, count: 6) + [6, 0, 0, 0, 0, 1]
            frame += record.fill & 1 == 0 ? [0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1,
                                             198, 18, 0, 2, 0, 68, 0, 67, 0, 8, 0, 0]
                                          : [0x08, 0x06]
            while frame.count < Int(min(record.caplen, 4096)) { frame.append(record.fill) }
            bytes += frame.prefix(Int(min(record.caplen, 4096)))
        }
        return bytes
    }

    @Test("Same frames and the same end as libpcap, for every kind of classic file and odd record",
          arguments: 0..<48)
    func sameAsLibpcap(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed) &+ 0x9E37_79B9)
        let magics: [UInt32] = [0xA1B2_C3D4, 0xA1B2_3C4D]
        let snaplens: [UInt32] = [0, 64, 200, 262_144, 300_000]
        var records = [(caplen: UInt32, wire: UInt32, fill: UInt8)]()
        for _ in 0..<Int.random(in: 1...40, using: &random) {
            let odd = Int.random(in: 0..<20, using: &random)
            let caplen: UInt32 = odd == 0 ? 300 : odd == 1 ? 270_000 : UInt32.random(in: 14...180, using: &random)
            records.append((caplen, UInt32.random(in: 0...2000, using: &random), UInt8.random(in: 0...255, using: &random)))
        }
        var file = Self.classicFile(magic: magics[seed % 2], swapped: seed / 2 % 2 == 1,
                                    snaplen: snaplens[seed / 4 % snaplens.count], records: records,
                                    seconds: UInt32.random(in: 0...UInt32.max, using: &random),
                                    fraction: seed % 3 == 0 ? UInt32.random(in: 0...UInt32.max, using: &random)
                                                            : UInt32.random(in: 0..<1_000_000, using: &random))
        // Cut the file short in a third of the cases, anywhere after its header.
        if seed % 3 == 1 { file.removeLast(Int.random(in: 1...min(200, file.count - 24), using: &random)) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dhcpscope-reader-\(UUID().uuidString).pcap")
        try Data(file).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        for filter in [nil, "udp"] {
            let expected = libpcapFrames(url.path, filter: filter)
            let read = try readerFrames(url.path, filter: filter)
            let differing = zip(read.frames, expected.frames).first { $0 != $1 }
            #expect(read.frames.count == expected.frames.count && differing == nil,
                    "seed \(seed), filter \(filter ?? "none"): \(read.frames.count) frames, libpcap \(expected.frames.count); first difference: \(differing.map { "\($0.0.number) \($0.0.seconds) \($0.0.nanoseconds) \($0.0.wireLength) \($0.0.bytes.count) / \($0.1.number) \($0.1.seconds) \($0.1.nanoseconds) \($0.1.wireLength) \($0.1.bytes.count)" } ?? "none")")
            #expect((read.error == nil) == (expected.error == nil), "seed \(seed): \(read.error ?? "-") / \(expected.error ?? "-")")
            if let error = expected.error { #expect(read.error?.contains(error) == true, "\(read.error ?? "no error") / \(error)") }
        }
    }
}
