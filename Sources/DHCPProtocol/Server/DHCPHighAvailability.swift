import DHCPCore

/// A redundant pair of servers sharing one lease database: who answers which client, and when a partner is
/// down. Each server checks its partner by unicasting DHCPINFORM to it every `heartbeat` seconds (the partner
/// answers it like any INFORM); after `maxMissed` unanswered in a row it declares the partner down.
public struct DHCPHAConfiguration: Hashable, Sendable {
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        /// The primary serves every client; the standby answers nothing until the primary is down.
        case hotStandby = "hot-standby"
        /// Each server answers its half of the clients by the RFC 3074 hash; the survivor answers all.
        case loadBalancing = "load-balancing"
    }

    public enum Role: String, Hashable, Sendable, CaseIterable {
        /// Hot-standby: serves everyone. Load-balancing: the even hash buckets.
        case primary
        /// Load-balancing: the odd hash buckets.
        case secondary
        /// Hot-standby: serves only while the primary is down.
        case standby
    }

    public var mode: Mode
    public var role: Role
    public var partner: IPv4Address
    /// Seconds between heartbeats.
    public var heartbeat: Double
    /// Heartbeats unanswered in a row that make the partner down.
    public var maxMissed: Int
    /// Load-balancing: a partner's client whose `secs` has reached this is answered too (RFC 3074 §3: the partner
    /// may be failing to answer it).
    public var secondsThreshold: UInt16

    public init(mode: Mode, role: Role, partner: IPv4Address, heartbeat: Double = 1, maxMissed: Int = 3,
                secondsThreshold: UInt16 = 10) {
        self.mode = mode; self.role = role; self.partner = partner; self.heartbeat = heartbeat
        self.maxMissed = maxMissed; self.secondsThreshold = secondsThreshold
    }

    /// Why the mode and role do not go together, or nil.
    public var problem: String? {
        switch (mode, role) {
        case (.hotStandby, .secondary): "hot-standby pairs a primary with a standby, not a secondary"
        case (.loadBalancing, .standby): "load-balancing pairs a primary with a secondary, not a standby"
        default: heartbeat > 0 && maxMissed > 0 ? nil : "the heartbeat and the missed count must be positive"
        }
    }
}

/// One server's side of the pair, as a pure machine: the I/O layer calls `tick` (at least every `heartbeat`
/// seconds) and sends the heartbeat it asks for, calls `answered` for each INFORM reply from the partner, and
/// asks `serves` before handing a client's message to the server.
public struct DHCPHAPeer: Sendable {
    public enum State: String, Hashable, Sendable {
        /// Answering its own clients (hot-standby primary, load-balancing with the partner up).
        case serving
        /// Hot-standby standby with the primary up: answering no client.
        case standingBy = "standing-by"
        /// The partner missed `maxMissed` heartbeats (a primary whose standby is down stays here, serving).
        case partnerDown = "partner-down"
        /// Serving the partner's clients as well as its own.
        case takingOver = "taking-over"
        /// The partner answered again (then `serving` or `standing-by`).
        case partnerBack = "partner-back"
    }

    public let configuration: DHCPHAConfiguration
    public private(set) var state: State
    /// Whether the partner is taken to be up.
    public private(set) var partnerUp = true
    public private(set) var missed = 0
    private var outstanding: UInt32?
    private var nextHeartbeat = -Double.infinity

    public init(_ configuration: DHCPHAConfiguration) {
        self.configuration = configuration
        state = configuration.role == .standby ? .standingBy : .serving
    }

    /// At `now`: whether a heartbeat is due (then send one with `xid`), and the states entered, in order.
    public mutating func tick(now: Double, xid: UInt32) -> (heartbeat: Bool, states: [State]) {
        guard now >= nextHeartbeat else { return (false, []) }
        nextHeartbeat = now + configuration.heartbeat
        var states = [State]()
        if outstanding != nil {
            missed += 1
            if partnerUp, missed >= configuration.maxMissed {
                partnerUp = false
                states = configuration.mode == .hotStandby && configuration.role == .primary
                    ? [.partnerDown] : [.partnerDown, .takingOver]
            }
        }
        outstanding = xid
        state = states.last ?? state
        return (true, states)
    }

    /// The partner answered the heartbeat `xid`: the states entered, in order (none when it was up already).
    public mutating func answered(xid: UInt32) -> [State] {
        guard xid == outstanding else { return [] }
        outstanding = nil
        missed = 0
        guard !partnerUp else { return [] }
        partnerUp = true
        let states: [State] = [.partnerBack, configuration.role == .standby ? .standingBy : .serving]
        state = states[1]
        return states
    }

    /// The heartbeat to send: a DHCPINFORM from `address` (ciaddr, and giaddr so that the ACK comes back to port
    /// 67 like a relay's) with `mac` as chaddr.
    public static func heartbeat(xid: UInt32, address: IPv4Address, mac: MACAddress) -> DHCPMessage {
        DHCPMessage(op: DHCPMessage.bootRequest, htype: 1, hlen: 6, hops: 0, xid: xid, secs: 0, flags: 0,
                    clientAddress: address, relayAddress: address, chaddr: mac.bytes,
                    options: [DHCPOption(.messageType, [DHCPMessageType.inform.rawValue]),
                              DHCPOption(.hostName, Array("dhcpscope-ha-heartbeat".utf8))])
    }

    /// Whether this server answers `message` now: the partner's heartbeats always; otherwise by mode, role and
    /// the partner's health.
    public func serves(_ message: DHCPMessage, from source: IPv4Address) -> Bool {
        if source == configuration.partner { return true }
        if !partnerUp { return true }
        switch configuration.mode {
        case .hotStandby:
            return configuration.role == .primary
        case .loadBalancing:
            if message.secs >= configuration.secondsThreshold { return true }
            let bucket = Self.loadBalancingHash(message) % 2
            return bucket == (configuration.role == .primary ? 0 : 1)
        }
    }

    /// RFC 3074 §6: the Pearson hash of the client identifier (option 61's data), else of chaddr's first hlen bytes.
    public static func loadBalancingHash(_ message: DHCPMessage) -> UInt8 {
        if let identifier = DHCPClientKey.identifier(of: message) { return hash(identifier) }
        return hash(Array(message.hardwareAddress))
    }

    /// The RFC's `loadb_p_hash`: the length mixed with the bytes from the last to the first.
    public static func hash(_ key: [UInt8]) -> UInt8 {
        var value = UInt8(truncatingIfNeeded: key.count)
        for byte in key.reversed() { value = mixingTable[Int(value ^ byte)] }
        return value
    }

    /// RFC 3074 §6's mixing table: 256 distinct values in pseudo-random order.
    static let mixingTable: [UInt8] = [
        251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232, 31, 32, 55, 60, 152, 58, 17, 237,
        174, 70, 160, 144, 220, 90, 57, 223, 59, 3, 18, 140, 111, 166, 203, 196, 134, 243, 124, 95, 222, 179, 197, 65,
        180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23, 97, 16, 40, 91, 219, 61, 100, 10, 210, 109,
        250, 127, 22, 138, 29, 108, 244, 67, 207, 9, 178, 204, 74, 98, 126, 249, 167, 116, 34, 77, 193, 200, 121, 5,
        20, 113, 71, 35, 128, 13, 182, 94, 25, 226, 227, 199, 75, 27, 41, 245, 230, 224, 43, 225, 177, 26, 155, 150,
        212, 142, 218, 115, 241, 73, 88, 105, 39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12,
        84, 82, 163, 44, 139, 228, 236, 205, 242, 217, 11, 187, 146, 159, 64, 86, 239, 195, 42, 106, 198, 118, 112,
        184, 172, 87, 2, 173, 117, 176, 229, 247, 253, 137, 185, 99, 164, 102, 147, 45, 66, 231, 52, 141, 211, 194,
        206, 246, 238, 56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171, 72, 50, 33, 104, 101, 69, 8,
        252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213, 96, 235, 136, 208, 162, 129, 190, 132, 156, 38, 47, 1, 7,
        254, 24, 4, 216, 131, 89, 21, 28, 133, 37, 153, 149, 80, 170, 68, 6, 169, 234, 151,
    ]
}
