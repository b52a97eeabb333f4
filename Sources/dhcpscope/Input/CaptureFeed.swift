import Glibc
import Capture
import DHCPAnalysis
import Framing

/// The capture files of a command, opened, filtered, merged by time and decoded frame by frame.
/// decode and analyse both read through it.
final class CaptureFeed {
    private(set) var names: [String] = []
    private var readers: [PCAPFileReader] = []
    private var linkTypes: [LinkType] = []
    private var decoders: [DHCPFrameDecoder] = []
    var summary = DecodeSummary()

    /// Opens every file; one that cannot be opened is reported through `report` and left out.
    init(_ input: CaptureInputOptions, report: (CaptureError) -> Void) throws {
        let ports = try input.ports()
        for path in input.files {
            do {
                let reader = try PCAPFileReader(path: path)
                if let expression = input.filter { try reader.setFilter(expression) }
                let linkType = LinkType(rawValue: reader.linkType)
                readers.append(reader)
                names.append(reader.sourceName)
                linkTypes.append(linkType)
                decoders.append(DHCPFrameDecoder(ports: ports))
                if !linkType.isSupported {
                    report(CaptureError(source: reader.sourceName, "link type \(linkType.rawValue) is not supported; its frames are skipped"))
                    summary.countCaptureError()
                }
            } catch {
                report(error)
                summary.countCaptureError()
            }
        }
        summary.files = readers.count
    }

    var isEmpty: Bool { readers.isEmpty }

    /// Every frame of every file in time order, decoded; `body` returns false to stop.
    func run(report: (CaptureError) -> Void, _ body: (_ file: Int, _ packet: CapturedPacket, _ frame: DecodedFrame) -> Bool) {
        let merger = CaptureMerger(readers: readers)
        let progress = ProgressMeter(enabled: Diagnostics.standardErrorIsTerminal && isatty(1) == 0)
        defer { progress.clear() }
        while let item = merger.next() {
            switch item {
            case .failure(_, let error):
                report(error)
                summary.countCaptureError()
            case .packet(let index, let packet):
                let decoded = decoders[index].decode(packet.bytes, linkType: linkTypes[index], time: packet.timestamp)
                summary.count(decoded)
                progress.tick(summary)
                if !body(index, packet, decoded) { return }
            }
        }
    }
}


