import DHCPCore
import DHCPv6Core

/// The message filters shared by decode, analyse and sniff: xid, client MAC, message type.
public struct MessageFilter: Sendable {
    public var xids: Set<UInt32> = []
    public var macs: Set<MACAddress> = []
    public var types: Set<String> = []
    /// DHCPv6 client DUIDs (option 1's bytes); a DHCPv4 message matches none.
    public var duids: Set<[UInt8]> = []

    public init(xids: Set<UInt32> = [], macs: Set<MACAddress> = [], types: Set<String> = [], duids: Set<[UInt8]> = []) {
        self.xids = xids; self.macs = macs; self.types = types; self.duids = duids
    }

    public var isEmpty: Bool { xids.isEmpty && macs.isEmpty && types.isEmpty && duids.isEmpty }

    public func matches(_ message: DHCPMessageView?) -> Bool {
        if isEmpty { return true }
        guard let message, duids.isEmpty else { return false }
        if !xids.isEmpty, !xids.contains(message.xid) { return false }
        if !macs.isEmpty {
            guard let mac = MACAddress(bytes: message.bytes[28..<34]), macs.contains(mac) else { return false }
        }
        if !types.isEmpty, !types.contains(message.typeName) { return false }
        return true
    }
}

extension MessageFilter {
    /// A DHCPv6 message: xid, MAC (from the client DUID or option 79) and DUID are the innermost message's (through
    /// any relays); a type matches at any level (RELAY-FORW, or the SOLICIT it carries).
    public func matches(_ message: DHCPv6Message?) -> Bool {
        if isEmpty { return true }
        guard let message else { return false }
        let chain = message.relayChain
        guard let inner = chain.last else { return false }
        if !xids.isEmpty {
            guard let id = inner.transactionID, xids.contains(id) else { return false }
        }
        if !duids.isEmpty {
            guard let client = inner.option(1), duids.contains(client.data) else { return false }
        }
        if !macs.isEmpty {
            let mac = inner.option(1).flatMap(DHCPv6OptionValue.init)?.mac ?? inner.option(79).flatMap(DHCPv6OptionValue.init)?.mac
            guard let mac, macs.contains(mac) else { return false }
        }
        if !types.isEmpty, !chain.contains(where: { types.contains($0.type.description) }) { return false }
        return true
    }
}
