import ArgumentParser
import DHCPAnalysis
import DHCPCore

/// -c, --xid, --mac: which messages (clients, transactions) to look at.
struct MessageFilterOptions: ParsableArguments {
    @Option(name: .customShort("c"), help: ArgumentHelp("Stop after N messages shown.", valueName: "N"))
    var count: Int?

    @Option(help: ArgumentHelp("Only these transaction IDs (hex 0x… or decimal; comma-separated).", valueName: "xid,…"))
    var xid: [String] = []

    @Option(help: ArgumentHelp("Only messages whose chaddr is one of these MACs (comma-separated).", valueName: "mac,…"))
    var mac: [String] = []

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
            guard let value else { throw ValidationError("--xid: '\(item)' is not a 32-bit transaction ID") }
            filter.xids.insert(value)
        }
        for item in mac.flatMap({ $0.split(separator: ",") }) {
            guard let address = MACAddress(item) else { throw ValidationError("--mac: '\(item)' is not a MAC address") }
            filter.macs.insert(address)
        }
        for item in types.flatMap({ $0.split(separator: ",") }) {
            let upper = item.uppercased()
            if upper == "BOOTREQUEST" || upper == "BOOTREPLY" { filter.types.insert(upper); continue }
            guard let messageType = DHCPMessageType(name: String(item)) else {
                throw ValidationError("--type: '\(item)' is not a DHCP message type")
            }
            filter.types.insert(messageType.description)
        }
        return filter
    }
}
