import ArgumentParser
import DHCPAnalysis
import DHCPCore
import DHCPv6Core
import NetworkPrimitives

/// -c, --xid, --mac: which messages (clients, transactions) to look at.
struct MessageFilterOptions: ParsableArguments {
    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after N messages shown.", valueName: "N"))
    var count: Int?

    @Option(help: ArgumentHelp("Only these transaction IDs (hex 0x… or decimal; comma-separated).", valueName: "xid,…"))
    var xid: [String] = []

    @Option(help: ArgumentHelp("Only messages whose chaddr is one of these MACs (comma-separated); DHCPv6: the MAC of the client DUID (LL, LLT) or of option 79.", valueName: "mac,…"))
    var mac: [String] = []

    @Option(help: ArgumentHelp("Only DHCPv6 messages whose client DUID (option 1) is one of these (hex, colons optional; comma-separated).", valueName: "duid,…"))
    var duid: [String] = []

    func validate() throws {
        if let count, count < 1 { throw ValidationError("-c must be at least 1") }
        _ = try messageFilter()
    }

    /// The filter, with message types (decode's --type) when given.
    func messageFilter(types: [String] = []) throws -> MessageFilter {
        var filter = MessageFilter()
        for item in xid.flatMap({ $0.split(separator: ",") }) {
            let text = item.lowercased()
            let value = text.hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
            guard let value else { throw ValidationError("--xid: '\(item)' is not a transaction ID (32 bits; DHCPv6: 24)") }
            filter.xids.insert(value)
        }
        for item in mac.flatMap({ $0.split(separator: ",") }) {
            guard let address = MACAddress(item) else { throw ValidationError("--mac: '\(item)' is not a MAC address") }
            filter.macs.insert(address)
        }
        for item in duid.flatMap({ $0.split(separator: ",") }) {
            guard let bytes = Hex.parse(item), bytes.count >= 2 else { throw ValidationError("--duid: '\(item)' is not a DUID in hex") }
            filter.duids.insert(bytes)
        }
        for item in types.flatMap({ $0.split(separator: ",") }) {
            let upper = item.uppercased()
            if upper == "BOOTREQUEST" || upper == "BOOTREPLY" { filter.types.insert(upper); continue }
            let v6 = DHCPv6MessageType.named(upper)
            if let messageType = DHCPMessageType(name: String(item)) { filter.types.insert(messageType.description) }
            if let v6 { filter.types.insert(v6.description) }
            guard DHCPMessageType(name: String(item)) != nil || v6 != nil else {
                throw ValidationError("--type: '\(item)' is not a DHCP or DHCPv6 message type")
            }
        }
        return filter
    }
}
