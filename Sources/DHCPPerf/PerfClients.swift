import DHCPCore
import DHCPProtocol

/// The synthetic clients of a run: client number n (0-based, over all shards) has MAC `firstMAC + n`, optionally
/// client identifier type 1 + that MAC, and in relay mode giaddr `relays[n % relays.count]` with option 82
/// (RFC 3046, unless `agentInformation` is false): circuit-id "perf-n", remote-id the MAC.
public struct PerfClients: Hashable, Sendable {
    public var total: Int
    public var firstMAC: MACAddress
    public var clientIdentifier: Bool
    /// Relay mode: the giaddrs, and the server every message goes to.
    public var relays: [IPv4Address]
    public var server: IPv4Address?
    /// Relay mode: option 82 in every message (a server may do more for messages that carry it).
    public var agentInformation: Bool
    public var shard: PerfShard

    public init(total: Int, firstMAC: MACAddress, clientIdentifier: Bool = false, relays: [IPv4Address] = [],
                server: IPv4Address? = nil, agentInformation: Bool = true, shard: PerfShard = .whole) {
        self.total = total; self.firstMAC = firstMAC; self.clientIdentifier = clientIdentifier
        self.relays = relays; self.server = server; self.agentInformation = agentInformation; self.shard = shard
    }

    /// The default first MAC: locally administered, 06:00:00:00:00:01 up.
    public static let defaultFirstMAC = MACAddress(rawValue: 0x0600_0000_0001)

    /// Asking only for what a lease needs keeps messages (and the server's work) small, as perfdhcp does.
    public static let parameterRequestList: [UInt8] = [1, 3, 6, 15, 51, 54]

    /// This shard's clients' settings.
    public func settings() -> [DHCPClientSettings] {
        shard.clientNumbers(of: total).map { number in
            let mac = MACAddress(rawValue: firstMAC.rawValue &+ UInt64(number))
            var settings = DHCPClientSettings(hardwareAddress: mac, parameterRequestList: Self.parameterRequestList)
            if clientIdentifier { settings.clientIdentifier = [1] + mac.bytes }
            if !relays.isEmpty {
                settings.relayAddress = relays[number % relays.count]
                settings.relayServer = server
                guard agentInformation else { return settings }
                // Option 82 through the table: circuit-id "perf-N", remote-id the client's MAC.
                settings.extraOptions = DHCPOption(.relayAgentInformation, value: .record([
                    DHCPOptionField("circuit_id", .text("perf-\(number)")), DHCPOptionField("remote_id", .bytes(mac.bytes)),
                ])).map { [$0] } ?? []
            }
            return settings
        }
    }
}
