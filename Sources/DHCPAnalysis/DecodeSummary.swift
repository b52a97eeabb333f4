import DHCPCore
import DHCPv6Core
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
    /// Messages by option 53's value; 0 counts BOOTREQUESTs and 256 BOOTREPLYs without one.
    private var typeCounts = [Int](repeating: 0, count: 257)
    /// DHCPv6 messages by msg-type.
    private var typeCountsV6 = [Int](repeating: 0, count: 256)
    public var problemsBySeverity: [String: Int] = ["info": 0, "warning": 0, "error": 0]

    public init() {}

    /// Messages by type name (the option 53 name, BOOTREQUEST or BOOTREPLY).
    public var messagesByType: [String: Int] {
        var named = [String: Int]()
        for (index, count) in typeCounts.enumerated() where count > 0 {
            let name = index == 0 ? "BOOTREQUEST" : index == 256 ? "BOOTREPLY" : DHCPMessageType(rawValue: UInt8(index)).description
            named[name, default: 0] += count
        }
        return named
    }

    /// DHCPv6 messages by type name.
    public var messagesByTypeV6: [String: Int] {
        var named = [String: Int]()
        for (type, count) in typeCountsV6.enumerated() where count > 0 {
            named[DHCPv6MessageType(rawValue: UInt8(type)).description] = count
        }
        return named
    }

    public mutating func count(_ frame: DecodedFrame) {
        frames += 1
        switch frame.content {
        case .dhcp(let record):
            messages += 1
            if let view = record.view {
                if let type = view.messageType { typeCounts[Int(type.rawValue)] += 1 }
                else { typeCounts[view.op == DHCPMessage.bootReply ? 256 : 0] += 1 }
            } else {
                malformed += 1
            }
            if !record.issues.isEmpty {
                if record.view != nil, record.issues.hasError { malformed += 1 }
                for issue in record.issues.list { problemsBySeverity[issue.severity.rawValue, default: 0] += 1 }
            }
            if record.framingWarning != nil { problemsBySeverity["warning", default: 0] += 1 }
        case .dhcpv6(let record):
            messages += 1
            dhcpv6 += 1
            if let type = record.payload.first { typeCountsV6[Int(type)] += 1 }
            if record.view == nil {
                malformed += 1
                problemsBySeverity["error", default: 0] += 1
            }
            if record.framingWarning != nil { problemsBySeverity["warning", default: 0] += 1 }
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
