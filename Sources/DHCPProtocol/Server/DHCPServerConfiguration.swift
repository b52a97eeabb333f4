import DHCPCore

/// An inclusive range of addresses a server may hand out (a pool).
public struct DHCPAddressRange: Hashable, Sendable, CustomStringConvertible {
    public var first: IPv4Address
    public var last: IPv4Address

    public init(_ first: IPv4Address, _ last: IPv4Address) { self.first = first; self.last = last }

    public func contains(_ address: IPv4Address) -> Bool { address >= first && address <= last }

    /// How many addresses the range holds (0 when `last` is before `first`).
    public var count: Int { last < first ? 0 : Int(last.rawValue - first.rawValue) + 1 }

    public var description: String { "\(first)-\(last)" }
}

/// A fixed address for one client, by its MAC address or its client identifier (option 61).
public struct DHCPReservation: Hashable, Sendable {
    public enum Key: Hashable, Sendable {
        case hardwareAddress(MACAddress)
        /// The whole of option 61, type byte included.
        case clientIdentifier([UInt8])
    }

    public var key: Key
    public var address: IPv4Address
    /// Options for this client alone, in place of the subnet's of the same code (a directory's dhcpOption).
    public var options: [DHCPOption]

    public init(_ key: Key, address: IPv4Address, options: [DHCPOption] = []) {
        self.key = key; self.address = address; self.options = options
    }

    /// Whether the reservation names the client that sent `message`.
    public func matches(_ message: DHCPMessage) -> Bool {
        switch key {
        case .hardwareAddress(let mac): message.clientMAC == mac
        case .clientIdentifier(let id): message.clientIdentifier == id
        }
    }
}

/// One route of option 121 (RFC 3442).
public struct DHCPClasslessRoute: Hashable, Sendable {
    public var destination: IPv4Address
    public var prefixLength: Int
    public var router: IPv4Address

    public init(destination: IPv4Address, prefixLength: Int, router: IPv4Address) {
        self.destination = destination; self.prefixLength = prefixLength; self.router = router
    }
}

/// One subnet the server serves: its pools, what it hands out, for how long, and its fixed addresses.
public struct DHCPSubnet: Hashable, Sendable {
    /// The network address; bits beyond the prefix are ignored.
    public var network: IPv4Address
    public var prefixLength: Int
    /// Dynamic pools, inclusive ranges inside the subnet.
    public var pools: [DHCPAddressRange]
    /// Option 51, seconds.
    public var leaseTime: UInt32
    /// Option 58 (T1); nil for 50 % of the lease time (RFC 2131 §4.4.5).
    public var renewalTime: UInt32?
    /// Option 59 (T2); nil for 87.5 % of the lease time (RFC 2131 §4.4.5).
    public var rebindingTime: UInt32?
    public var reservations: [DHCPReservation]
    /// `siaddr` of replies (next bootstrap server); 0 unless configured.
    public var nextServer: IPv4Address

    /// Option 3.
    public var routers: [IPv4Address] = []
    /// Option 6.
    public var domainNameServers: [IPv4Address] = []
    /// Option 15.
    public var domainName: String?
    /// Option 28; nil sends none.
    public var broadcastAddress: IPv4Address?
    /// Option 42.
    public var ntpServers: [IPv4Address] = []
    /// Option 66.
    public var tftpServerName: String?
    /// Option 67.
    public var bootfileName: String?
    /// Option 119 (RFC 3397).
    public var domainSearch: [String] = []
    /// Option 121 (RFC 3442).
    public var classlessRoutes: [DHCPClasslessRoute] = []
    /// Option 150 (RFC 5859).
    public var tftpServerAddresses: [IPv4Address] = []
    /// Any other option, as raw bytes; one with the code of a typed option above replaces it.
    public var extraOptions: [DHCPOption] = []
    /// Options sent even when the client's parameter request list (55) omits them, when configured
    /// (RFC 2131 §4.3.1: "parameters with non-default values on the client's subnet"). Option 1 is always sent.
    public var alwaysSend: Set<DHCPOptionCode> = [.subnetMask, .routers, .domainNameServers, .domainName]

    public init(
        network: IPv4Address, prefixLength: Int, pools: [DHCPAddressRange], leaseTime: UInt32 = 3600,
        reservations: [DHCPReservation] = [], nextServer: IPv4Address = .any
    ) {
        self.network = network; self.prefixLength = prefixLength; self.pools = pools; self.leaseTime = leaseTime
        self.reservations = reservations; self.nextServer = nextServer
    }

    /// Option 1: the mask of `prefixLength`.
    public var mask: IPv4Address {
        let length = max(0, min(32, prefixLength))
        return IPv4Address(rawValue: length == 0 ? 0 : UInt32.max << UInt32(32 - length))
    }

    /// The subnet's all-ones broadcast address.
    public var directedBroadcast: IPv4Address { IPv4Address(rawValue: network.rawValue | ~mask.rawValue) }

    public func contains(_ address: IPv4Address) -> Bool {
        address.rawValue & mask.rawValue == network.rawValue & mask.rawValue
    }

    /// Whether `address` is in one of the pools.
    public func inPool(_ address: IPv4Address) -> Bool { pools.contains { $0.contains(address) } }

    /// T1 as sent.
    public var effectiveRenewalTime: UInt32 { renewalTime ?? DHCPLeaseTimers.renewalTime(leaseTime: leaseTime) }
    /// T2 as sent.
    public var effectiveRebindingTime: UInt32 { rebindingTime ?? DHCPLeaseTimers.rebindingTime(leaseTime: leaseTime) }

    /// Every parameter option the subnet hands out, encoded, option 1 first, then in option-code order of the
    /// typed fields, then the extra options (an extra option replaces a typed one with its code).
    public func parameterOptions() -> [DHCPOption] {
        var options = [DHCPOption(.subnetMask, address: mask)]
        func addresses(_ code: DHCPOptionCode, _ list: [IPv4Address]) {
            if !list.isEmpty { options.append(DHCPOption(code, addresses: list)) }
        }
        func text(_ code: DHCPOptionCode, _ value: String?) {
            if let value, !value.isEmpty { options.append(DHCPOption(code, text: value)) }
        }
        addresses(.routers, routers)
        addresses(.domainNameServers, domainNameServers)
        text(.domainName, domainName)
        if let broadcastAddress { options.append(DHCPOption(.broadcastAddress, address: broadcastAddress)) }
        addresses(.ntpServers, ntpServers)
        text(.tftpServerName, tftpServerName)
        text(.bootfileName, bootfileName)
        if !domainSearch.isEmpty,
           let option = DHCPOption(.domainSearch, value: .list(domainSearch.map { .text($0) })) {
            options.append(option)
        }
        if !classlessRoutes.isEmpty, let option = DHCPOption(.classlessStaticRoutes, value: .list(classlessRoutes.map { route in
            .record([DHCPOptionField("destination", .prefix(route.destination, max(0, min(32, route.prefixLength)))),
                     DHCPOptionField("router", .ipv4(route.router))])
        })) {
            options.append(option)
        }
        addresses(.tftpServerAddresses, tftpServerAddresses)
        for extra in extraOptions {
            if let index = options.firstIndex(where: { $0.code == extra.code }) { options[index] = extra }
            else { options.append(extra) }
        }
        return options
    }
}

/// Limits on new allocations: a global token bucket and a per-MAC budget, so that a flood of
/// new MAC addresses (DHCPig) can exhaust neither the pool nor the server's memory. Clients the server already
/// knows (a current binding, a held offer, a reservation) are not limited.
public struct DHCPRateLimit: Hashable, Sendable {
    /// Tokens added per second to the global bucket; one token per new allocation.
    public var allocationsPerSecond: Double
    /// The bucket's size: how many new allocations may come at once.
    public var burst: Int
    /// New allocations one MAC address may get within `perClientWindow` seconds.
    public var perClientAllocations: Int
    public var perClientWindow: Double
    /// Most MAC addresses tracked for the per-MAC budget; past it new allocations are refused until
    /// `expire(now:)` forgets old windows.
    public var maximumTrackedClients: Int

    public init(allocationsPerSecond: Double, burst: Int, perClientAllocations: Int = 4, perClientWindow: Double = 60,
                maximumTrackedClients: Int = 4096) {
        self.allocationsPerSecond = allocationsPerSecond; self.burst = burst
        self.perClientAllocations = perClientAllocations; self.perClientWindow = perClientWindow
        self.maximumTrackedClients = maximumTrackedClients
    }
}

/// The other identity a `rogue` server answers with.
public struct DHCPRogueProfile: Hashable, Sendable {
    public var serverIdentifier: IPv4Address
    public var routers: [IPv4Address]
    public var domainNameServers: [IPv4Address]

    public init(serverIdentifier: IPv4Address, routers: [IPv4Address], domainNameServers: [IPv4Address]) {
        self.serverIdentifier = serverIdentifier; self.routers = routers; self.domainNameServers = domainNameServers
    }
}

/// Faults on demand: ways for the server to misbehave so that clients can be tested.
public struct DHCPServerFaults: Hashable, Sendable {
    /// Percentage (0…100) of received messages dropped without an answer, drawn from the server's `random`.
    public var dropPercentage: Double = 0
    /// Drop only messages of this type; nil drops any type.
    public var dropOnly: DHCPMessageType?
    /// NAK every REQUEST.
    public var nakAll = false
    /// OFFER, but never ACK (REQUEST and INFORM go unanswered).
    public var offerOnly = false
    /// Silence on RENEWING requests (the client must rebind).
    public var ignoreRenew = false
    /// OFFER and ACK carry this option 54 instead of the configured one; REQUESTs naming either are ours.
    public var wrongServerIdentifier: IPv4Address?
    /// Behave as if no address were free: no OFFER, and a NAK for every REQUEST.
    public var exhaust = false
    /// Answer as another server: its server identifier, routers and DNS servers.
    public var rogue: DHCPRogueProfile?
    /// Offer and ACK, to new clients, an address already bound to another client (when there is one).
    public var duplicateAddress = false
    /// Answer only these kinds of message; nil answers all.
    public var answerOnly: Set<DHCPServerMessageKind>?
    /// Seconds the I/O layer waits before sending each reply (carried by `.send`).
    public var replyDelay: Double = 0

    public init() {}

    public var isEmpty: Bool { self == DHCPServerFaults() }
}

/// An address prefix, NET/LENGTH.
public struct DHCPAddressPrefix: Hashable, Sendable, CustomStringConvertible {
    public var network: IPv4Address
    public var length: Int

    public init(_ network: IPv4Address, _ length: Int) { self.network = network; self.length = min(max(length, 0), 32) }

    public func contains(_ address: IPv4Address) -> Bool {
        let mask: UInt32 = length == 0 ? 0 : UInt32.max << UInt32(32 - length)
        return address.rawValue & mask == network.rawValue & mask
    }

    public var description: String { "\(network)/\(length)" }
}

/// Who gets a DHCPINFORM answered, how often, and with what: the operations guide's INFORM policy. The default
/// answers everyone, without a rate limit, with every configured option but the router (a host with a fixed
/// address has its own).
public struct DHCPInformPolicy: Hashable, Sendable {
    /// Client addresses (ciaddr, else the source) whose INFORMs are answered; empty: all.
    public var allowedSubnets: [DHCPAddressPrefix] = []
    /// Client hardware addresses whose INFORMs are answered; nil: all.
    public var allowedMACs: Set<MACAddress>?
    /// INFORMs answered per second per client address (bursts of as many); nil: no limit.
    public var ratePerSecond: Double?
    /// Option codes an INFORM ACK may carry besides 53, 54, 61 and 82; nil: every configured option but routers (3).
    public var options: Set<UInt8>?
    /// Addresses answered whatever the policy says: a high-availability partner's heartbeats.
    public var trusted: Set<IPv4Address> = []

    public init() {}

    /// Whether an INFORM ACK may carry `code`.
    public func allows(_ code: DHCPOptionCode) -> Bool {
        options.map { $0.contains(code.rawValue) } ?? (code != .routers)
    }
}

/// Everything a `DHCPServer` needs to know: a value, checked with `validate()`.
public struct DHCPServerConfiguration: Hashable, Sendable {
    /// Option 54 of every reply, and the identifier REQUEST / DECLINE / RELEASE must name.
    public var serverIdentifier: IPv4Address
    public var subnets: [DHCPSubnet]
    /// NAK a client whose notion of its address is wrong (RFC 2131 §4.3.2); a non-authoritative server keeps silent.
    public var authoritative: Bool = true
    /// Seconds an offered address stays reserved for the client it was offered to.
    public var offerHoldTime: Double = 30
    /// Most offers held at once; past it, new clients get no OFFER until holds expire.
    public var maximumHeldOffers: Int = 4096
    /// Seconds a declined address stays out of use (RFC 2131 §4.3.3).
    public var declineQuarantine: Double = 3600
    public var rateLimit: DHCPRateLimit?
    public var informPolicy = DHCPInformPolicy()
    public var faults = DHCPServerFaults()

    public init(serverIdentifier: IPv4Address, subnets: [DHCPSubnet]) {
        self.serverIdentifier = serverIdentifier; self.subnets = subnets
    }

    /// What is wrong with the configuration, one sentence each; empty when it can be served.
    public func validate() -> [String] {
        var errors = [String]()
        if serverIdentifier == .any { errors.append("the server identifier is 0.0.0.0") }
        if subnets.isEmpty { errors.append("no subnet is configured") }
        if offerHoldTime <= 0 { errors.append("the offer hold time must be positive") }
        if maximumHeldOffers < 1 { errors.append("at least one offer must be holdable") }
        if !(0...100).contains(faults.dropPercentage) { errors.append("the drop percentage must be within 0…100") }
        if let limit = rateLimit {
            if limit.allocationsPerSecond < 0 || limit.burst < 1 { errors.append("the rate limit needs a positive burst") }
            if limit.perClientAllocations < 1 || limit.perClientWindow <= 0 || limit.maximumTrackedClients < 1 {
                errors.append("the per-MAC limit needs a positive budget, window and table size")
            }
        }
        for (index, subnet) in subnets.enumerated() {
            let name = "subnet \(subnet.network)/\(subnet.prefixLength)"
            if !(0...32).contains(subnet.prefixLength) { errors.append("\(name): prefix length out of 0…32") }
            if subnet.pools.isEmpty && subnet.reservations.isEmpty { errors.append("\(name): no pool and no reservation") }
            if subnet.leaseTime == 0 { errors.append("\(name): the lease time is 0") }
            if subnet.effectiveRenewalTime > subnet.effectiveRebindingTime || subnet.effectiveRebindingTime > subnet.leaseTime {
                errors.append("\(name): T1 ≤ T2 ≤ lease time does not hold")
            }
            for pool in subnet.pools {
                if pool.count == 0 { errors.append("\(name): pool \(pool) is empty") }
                if !subnet.contains(pool.first) || !subnet.contains(pool.last) {
                    errors.append("\(name): pool \(pool) is outside the subnet")
                }
            }
            for reservation in subnet.reservations where !subnet.contains(reservation.address) {
                errors.append("\(name): reservation \(reservation.address) is outside the subnet")
            }
            if !subnet.domainSearch.isEmpty,
               DHCPOption(.domainSearch, value: .list(subnet.domainSearch.map { .text($0) })) == nil {
                errors.append("\(name): the domain search list cannot be encoded")
            }
            for other in subnets[(index + 1)...] where other.contains(subnet.network) || subnet.contains(other.network) {
                errors.append("\(name) overlaps subnet \(other.network)/\(other.prefixLength)")
            }
        }
        return errors
    }
}
