import DHCPCore
import DHCPProtocol

// A tiny DHCP client that builds its messages with the codec, the way a real client would, and helpers to read
// the server's actions. Addresses are from 198.18.0.0/15, MACs locally administered (06:…).

let serverID = IPv4Address(198, 18, 0, 1)
let lanNetwork = IPv4Address(198, 18, 0, 0)
let remoteNetwork = IPv4Address(198, 18, 1, 0)
let remoteRelay = IPv4Address(198, 18, 1, 1)

func address(_ last: UInt8, net: UInt8 = 0) -> IPv4Address { IPv4Address(198, 18, net, last) }

func lanSubnet(pool: ClosedRange<UInt8> = 100...199) -> DHCPSubnet {
    var subnet = DHCPSubnet(network: lanNetwork, prefixLength: 24,
                            pools: [DHCPAddressRange(address(pool.lowerBound), address(pool.upperBound))], leaseTime: 3600)
    subnet.routers = [serverID]
    subnet.domainNameServers = [address(53)]
    subnet.domainName = "lab.test"
    subnet.ntpServers = [address(123)]
    subnet.tftpServerName = "tftp.lab.test"
    return subnet
}

func remoteSubnet() -> DHCPSubnet {
    var subnet = DHCPSubnet(network: remoteNetwork, prefixLength: 24,
                            pools: [DHCPAddressRange(address(100, net: 1), address(199, net: 1))], leaseTime: 7200)
    subnet.routers = [remoteRelay]
    return subnet
}

func makeConfiguration(pool: ClosedRange<UInt8> = 100...199,
                       _ adjust: (inout DHCPServerConfiguration) -> Void = { _ in }) -> DHCPServerConfiguration {
    var configuration = DHCPServerConfiguration(serverIdentifier: serverID, subnets: [lanSubnet(pool: pool), remoteSubnet()])
    adjust(&configuration)
    return configuration
}

func makeServer(pool: ClosedRange<UInt8> = 100...199, _ adjust: (inout DHCPServerConfiguration) -> Void = { _ in })
    -> DHCPServer<DHCPMemoryLeaseStore> {
    DHCPServer(configuration: makeConfiguration(pool: pool, adjust))
}

/// A broadcast received on the LAN interface.
let onLAN = DHCPReceipt(interfaceAddress: serverID, broadcast: true)

/// A unicast received on the LAN interface from `source`.
func unicast(from source: IPv4Address) -> DHCPReceipt {
    DHCPReceipt(interfaceAddress: serverID, sourceAddress: source, sourcePort: 68, broadcast: false)
}

/// A message relayed by `relay` (unicast from port 67).
func relayed(by relay: IPv4Address = remoteRelay) -> DHCPReceipt {
    DHCPReceipt(interfaceAddress: serverID, sourceAddress: relay, sourcePort: 67, broadcast: false)
}

struct TestClient {
    var mac: MACAddress
    var xid: UInt32
    var clientID: [UInt8]?
    var parameterRequestList: [UInt8]? = [1, 3, 6, 15]
    var maximumMessageSize: UInt16?
    var relay: IPv4Address = .any
    var relayInformation: [UInt8]?
    var htype: UInt8 = 1
    var broadcastBit = true
    var extra: [DHCPOption] = []

    init(_ number: Int, clientID: [UInt8]? = nil) {
        mac = MACAddress(rawValue: 0x0600_0000_0000 | UInt64(number))
        xid = 0x1000_0000 | UInt32(truncatingIfNeeded: number)
        self.clientID = clientID
    }

    var key: DHCPClientKey {
        if let clientID { return DHCPClientKey(kind: .clientIdentifier, bytes: clientID) }
        return .mac(mac)
    }

    func message(_ type: DHCPMessageType, ciaddr: IPv4Address = .any, options: [DHCPOption] = [],
                 broadcast: Bool? = nil) -> DHCPMessage {
        var all = [DHCPOption(.messageType, [type.rawValue])]
        if let clientID { all.append(DHCPOption(.clientIdentifier, clientID)) }
        all += options
        if let maximumMessageSize {
            all.append(DHCPOption(.maximumMessageSize, [UInt8(maximumMessageSize >> 8), UInt8(maximumMessageSize & 0xFF)]))
        }
        if let parameterRequestList, type != .release, type != .decline {
            all.append(DHCPOption(.parameterRequestList, parameterRequestList))
        }
        all += extra
        if let relayInformation { all.append(DHCPOption(.relayAgentInformation, relayInformation)) }
        return DHCPMessage(
            op: DHCPMessage.bootRequest, htype: htype, hlen: 6, hops: relay == .any ? 0 : 1, xid: xid, secs: 3,
            flags: (broadcast ?? broadcastBit) ? 0x8000 : 0, clientAddress: ciaddr, relayAddress: relay,
            chaddr: mac.bytes, options: all)
    }

    func discover(requested: IPv4Address? = nil) -> DHCPMessage {
        message(.discover, options: requested.map { [DHCPOption(.requestedAddress, $0.octets)] } ?? [])
    }

    /// SELECTING: option 54 and 50, ciaddr 0.
    func request(server: IPv4Address = serverID, address: IPv4Address) -> DHCPMessage {
        message(.request, options: [DHCPOption(.requestedAddress, address.octets), DHCPOption(.serverIdentifier, server.octets)])
    }

    func select(_ offer: DHCPMessage) -> DHCPMessage {
        request(server: offer.serverIdentifier ?? serverID, address: offer.yourAddress)
    }

    /// INIT-REBOOT: option 50, no option 54, ciaddr 0.
    func initReboot(_ address: IPv4Address) -> DHCPMessage {
        message(.request, options: [DHCPOption(.requestedAddress, address.octets)])
    }

    /// RENEWING and REBINDING: ciaddr, no 50, no 54; unicast or broadcast (the receipt says which).
    func extend(_ address: IPv4Address) -> DHCPMessage { message(.request, ciaddr: address, broadcast: false) }

    func release(_ address: IPv4Address, server: IPv4Address = serverID) -> DHCPMessage {
        message(.release, ciaddr: address, options: [DHCPOption(.serverIdentifier, server.octets)], broadcast: false)
    }

    func decline(_ address: IPv4Address, server: IPv4Address = serverID) -> DHCPMessage {
        message(.decline, options: [DHCPOption(.requestedAddress, address.octets), DHCPOption(.serverIdentifier, server.octets)])
    }

    func inform(_ address: IPv4Address) -> DHCPMessage { message(.inform, ciaddr: address, broadcast: false) }
}

extension Array where Element == DHCPServerAction {
    var sent: [(message: DHCPMessage, destination: DHCPServerDestination, delay: Double)] {
        compactMap { if case .send(let message, let destination, let delay) = $0 { (message, destination, delay) } else { nil } }
    }
    var replies: [DHCPMessage] { sent.map(\.message) }
    var reply: DHCPMessage? { replies.first }
    var leases: [DHCPLease] { compactMap { if case .leaseChanged(let lease) = $0 { lease } else { nil } } }
    var problems: [DHCPServerProblem] { compactMap { if case .problem(let problem) = $0 { problem } else { nil } } }
    func problems(_ kind: DHCPServerProblem.Kind) -> [DHCPServerProblem] { problems.filter { $0.kind == kind } }
}

extension DHCPServer {
    /// DISCOVER, OFFER, REQUEST, ACK: the bound address, or nil.
    mutating func bind(_ client: TestClient, requested: IPv4Address? = nil, receipt: DHCPReceipt = onLAN,
                       now: Double = 0) -> IPv4Address? {
        guard let offer = handle(client.discover(requested: requested), from: receipt, now: now).reply,
              offer.messageType == .offer else { return nil }
        guard let ack = handle(client.select(offer), from: receipt, now: now).reply, ack.messageType == .ack else {
            return nil
        }
        return ack.yourAddress
    }
}

extension DHCPMessage {
    /// The codes of the options in the options field, in order.
    var optionCodes: [UInt8] { options.map(\.code.rawValue) }
    func address(_ code: DHCPOptionCode) -> IPv4Address? {
        guard let data = option(code)?.data, data.count == 4 else { return nil }
        return IPv4Address(data[0], data[1], data[2], data[3])
    }
}
