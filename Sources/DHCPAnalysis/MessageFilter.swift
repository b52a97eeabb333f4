import DHCPCore

/// The message filters shared by decode, analyse and sniff: xid, client MAC, message type.
public struct MessageFilter: Sendable {
    public var xids: Set<UInt32> = []
    public var macs: Set<MACAddress> = []
    public var types: Set<String> = []

    public init(xids: Set<UInt32> = [], macs: Set<MACAddress> = [], types: Set<String> = []) {
        self.xids = xids; self.macs = macs; self.types = types
    }

    public var isEmpty: Bool { xids.isEmpty && macs.isEmpty && types.isEmpty }

    public func matches(_ message: DHCPMessageView?) -> Bool {
        if isEmpty { return true }
        guard let message else { return false }
        if !xids.isEmpty, !xids.contains(message.xid) { return false }
        if !macs.isEmpty {
            guard let mac = MACAddress(bytes: message.bytes[28..<34]), macs.contains(mac) else { return false }
        }
        if !types.isEmpty, !types.contains(message.typeName) { return false }
        return true
    }
}
