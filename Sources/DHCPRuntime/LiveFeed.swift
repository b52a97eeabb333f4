import Capture
import DHCPAnalysis
import DHCPNetwork
import Framing
import NetworkPrimitives

/// sniff's loop: the frames of a live capture, each written to the `-w` file first and decoded, until `breakLoop()`,
/// a deadline, the body says stop, or the capture fails. Time passes without frames too: `tick` is called about once
/// a second with the time now, so that transactions time out while nothing arrives. Time is the role clock's, on the
/// wall-clock scale of the capture's timestamps.
public final class LiveFeed {
    public let capture: PCAPLiveCapture
    private let writer: PCAPDumpWriter?
    private var decoder: DHCPFrameDecoder
    private let linkType: LinkType
    private let clock: RoleClock
    public private(set) var summary = DecodeSummary()

    public init(capture: PCAPLiveCapture, ports: Set<UInt16>, writer: PCAPDumpWriter?, clock: RoleClock = .process) {
        self.capture = capture; self.writer = writer; self.clock = clock
        decoder = DHCPFrameDecoder(ports: ports)
        linkType = LinkType(rawValue: capture.linkType)
    }

    /// Reads until stopped; the capture or `-w` failure that ended it, if one did.
    /// - Parameters:
    ///   - duration: seconds to capture for, nil for no limit.
    ///   - body: each frame and its decoding; false stops the capture.
    ///   - tick: the time now, about once a second; false stops the capture.
    public func run(for duration: Double?, _ body: (CapturedPacket, DecodedFrame) -> Bool,
                    tick: (Timestamp) -> Bool) -> CaptureError? {
        let start = clock.now()
        let deadline = duration.map { start + $0 }
        var lastTick = start
        while true {
            let read: PCAPLiveCapture.Read
            do { read = try capture.next() } catch { return error }
            switch read {
            case .stopped:
                return nil
            case .timeout:
                break
            case .packet(let packet):
                if let writer {
                    do { try writer.write(packet) } catch { return error }
                }
                let decoded = decoder.decode(packet.bytes, linkType: linkType, time: packet.timestamp)
                summary.count(decoded)
                if !body(packet, decoded) { return nil }
            }
            let now = clock.now()
            if let deadline, now >= deadline { return nil }
            if now - lastTick >= 1 {
                lastTick = now
                if !tick(Timestamp(secondsSince1970: now)) { return nil }
            }
        }
    }

    /// Counts a failure that ended the capture in the summary.
    public func countFailure() { summary.countCaptureError() }
}
