import Capture
import DHCPAnalysis
import Framing

/// The capture files of a command, opened, filtered, merged by time and decoded frame by frame.
/// decode and analyse both read through it.
public final class CaptureFeed {
    public private(set) var names: [String] = []
    private var readers: [PCAPFileReader] = []
    private var linkTypes: [LinkType] = []
    // Touched for every frame by the one thread that runs the feed: no run-time exclusivity checks.
    @exclusivity(unchecked) private var decoders: [DHCPFrameDecoder] = []
    @exclusivity(unchecked) public private(set) var summary = DecodeSummary()

    /// Opens every file (`-` is standard input) with the BPF `filter`; one that cannot be opened is reported through
    /// `report` and left out. `ports`: the UDP ports taken for DHCP besides 67 and 68.
    public init(files: [String], filter: String?, ports: Set<UInt16>, report: (CaptureError) -> Void) {
        for path in files {
            do {
                let reader = try PCAPFileReader(path: path)
                if let filter { try reader.setFilter(filter) }
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

    public var isEmpty: Bool { readers.isEmpty }

    /// Every frame of every file in time order, decoded; `body` returns false to stop. `summary` counts them as they
    /// come.
    public func run(report: (CaptureError) -> Void, _ body: (_ file: Int, _ packet: CapturedPacket, _ frame: DecodedFrame) -> Bool) {
        let merger = CaptureMerger(readers: readers)
        while let item = merger.next() {
            switch item {
            case .failure(_, let error):
                report(error)
                summary.countCaptureError()
            case .packet(let index, let packet):
                let decoded = decoders[index].decode(packet.bytes, linkType: linkTypes[index], time: packet.timestamp)
                summary.count(decoded)
                if !body(index, packet, decoded) { return }
            }
        }
    }
}


