import DHCPCore
import Framing

/// Counts over a decode: frames, DHCP messages by type, what was not DHCP, and problems by severity.
public struct DecodeSummary: Sendable {
    public var files = 0
    public var frames = 0
    public var messages = 0
    public var shown = 0
    public var malformed = 0
    public var dhcpv6 = 0
    public var fragmentsHeld = 0
    public var framingErrors = 0
    public var captureErrors = 0
    public var messagesByType: [String: Int] = [:]
    public var problemsBySeverity: [String: Int] = ["info": 0, "warning": 0, "error": 0]

    public init() {}

    public mutating func count(_ frame: DecodedFrame) {
        frames += 1
        switch frame.content {
        case .dhcp(let record):
            messages += 1
            if let message = record.message { messagesByType[message.typeName, default: 0] += 1 }
            if record.diagnostics.contains(where: { $0.severity == .error }) || record.message == nil { malformed += 1 }
            for diagnostic in record.diagnostics { problemsBySeverity[diagnostic.severity.rawValue, default: 0] += 1 }
            if record.framingWarning != nil { problemsBySeverity["warning", default: 0] += 1 }
        case .dhcpv6: dhcpv6 += 1
        case .fragment: fragmentsHeld += 1
        case .malformed: framingErrors += 1
        case .other: break
        }
    }

    public mutating func countCaptureError() {
        captureErrors += 1
        problemsBySeverity["error", default: 0] += 1
    }
}
