import Capture
import DHCPNetwork
import NetworkPrimitives

/// What a role keeps of the traffic it sees and sends: every frame, in a pcap file (`-w`) and handed to `onFrame`
/// (the CLI's `message` events under `-v --json`). The client roles record the frames they build and receive
/// (`record`); the server and the relay agent, which talk through UDP sockets, tap their interfaces (`collect`), so
/// that the file holds the frames as the wire carried them, with the real addresses of both ends.
public final class MessageRecorder {
    /// A frame recorded: its bytes (Ethernet), when, and its number in the recording (1-based).
    public typealias FrameHandler = (_ frame: [UInt8], _ time: Timestamp, _ number: Int) -> Void

    private let writer: PCAPDumpWriter?
    private let tap: PacketTap?
    private let onFrame: FrameHandler?
    public private(set) var frames = 0

    /// - Parameters:
    ///   - path: the pcap file to write (Ethernet link type), or nil.
    ///   - tapping: the interfaces to tap for `collect`, or nil for a role that records its own frames; empty taps
    ///     every interface. The tap is opened only when something is recorded.
    ///   - onFrame: called for every frame recorded, or nil.
    public init(path: String?, tapping interfaces: [NetworkInterface]? = nil, onFrame: FrameHandler? = nil) throws {
        writer = try path.map { path throws(CaptureError) in try PCAPDumpWriter(path: path, linkType: 1) }
        let active = path != nil || onFrame != nil
        tap = try interfaces.flatMap { interfaces throws(DHCPNetworkError) in
            active ? try PacketTap(interfaces: interfaces) : nil
        }
        self.onFrame = onFrame
    }

    public var isActive: Bool { writer != nil || onFrame != nil }

    /// Records a frame the role sent or received, at `time` (seconds since 1970).
    public func record(_ frame: [UInt8], at time: Double) throws(CaptureError) {
        guard isActive else { return }
        frames += 1
        let stamp = Timestamp(secondsSince1970: time)
        if let writer {
            var failure: CaptureError?
            frame.withUnsafeBytes { bytes in
                do throws(CaptureError) { try writer.write(timestamp: stamp, wireLength: bytes.count, bytes: bytes) } catch { failure = error }
            }
            if let failure { throw failure }
        }
        onFrame?(frame, stamp, frames)
    }

    /// Records what the tap has seen since the last call: call it after each receive and send.
    public func collect(at time: Double) throws {
        guard let tap else { return }
        for frame in try tap.drain() { try record(frame.bytes, at: time) }
    }

    public func close() { writer?.close() }
}
