import DHCPCore

/// What a client sends and how it behaves: the identity and options of RFC 2131 §4.4 and RFC 2132, and the
/// knobs of a test client (time scale, offer window, decline).
public struct DHCPClientSettings: Hashable, Sendable {
    /// chaddr, and the Ethernet source of the client's frames.
    public var hardwareAddress: MACAddress
    /// Option 61, when the client sends one.
    public var clientIdentifier: [UInt8]?
    /// Option 12.
    public var hostName: String?
    /// Option 60.
    public var vendorClass: String?
    /// Option 81 (RFC 4702): the name, sent with flags S=1 (the server updates the A record), encoded as a
    /// DNS wire name.
    public var fqdn: String?
    /// Option 55: the options asked for, in order.
    public var parameterRequestList: [UInt8]
    /// Option 57; nil sends none.
    public var maximumMessageSize: UInt16?
    /// Sets the broadcast bit (RFC 2131 §4.1) in DISCOVER and REQUEST.
    public var broadcastFlag: Bool
    /// Real seconds to collect OFFERs after the first one before choosing; 0 takes the first at once (or the
    /// preferred server's, as soon as it comes).
    public var offerWindow: Double
    /// The server whose OFFER is taken when it comes within the window.
    public var preferredServer: IPv4Address?
    /// Every timer of the client — lease times, T1, T2, retransmission — runs this many times faster.
    public var timeScale: Double
    /// Declines the first address it is given (DECLINE instead of BOUND), then starts again.
    public var declineFirstLease: Bool
    /// Probes the address given before using it (RFC 2131 §2.2, RFC 5227): the I/O layer answers
    /// `.checkAddress` with `addressChecked(inUse:)`; an address in use is declined.
    public var checkAddress: Bool
    /// Sent in DISCOVER as option 50: the address the client would like.
    public var requestedAddress: IPv4Address?
    /// giaddr: set by a client that acts as its own relay agent (perf's relay mode); replies come to port 67.
    public var relayAddress: IPv4Address?
    /// For a relay-mode client: the server its relay agent sends everything to (nil: the server it talks to).
    public var relayServer: IPv4Address?
    /// Appended to every message the client sends (for example option 82 from a relay-mode client).
    public var extraOptions: [DHCPOption]
    /// REQUEST retransmissions in REQUESTING or REBOOTING before the client starts again from INIT.
    public var requestAttempts: Int

    public static let defaultParameterRequestList: [UInt8] = [1, 3, 6, 12, 15, 28, 42, 51, 54, 58, 59, 119, 121]

    public init(hardwareAddress: MACAddress, clientIdentifier: [UInt8]? = nil, hostName: String? = nil,
                vendorClass: String? = nil, fqdn: String? = nil,
                parameterRequestList: [UInt8] = DHCPClientSettings.defaultParameterRequestList,
                maximumMessageSize: UInt16? = 1500, broadcastFlag: Bool = false, offerWindow: Double = 0,
                preferredServer: IPv4Address? = nil, timeScale: Double = 1, declineFirstLease: Bool = false,
                checkAddress: Bool = false, requestedAddress: IPv4Address? = nil, relayAddress: IPv4Address? = nil,
                extraOptions: [DHCPOption] = [], requestAttempts: Int = 4) {
        self.hardwareAddress = hardwareAddress
        self.clientIdentifier = clientIdentifier
        self.hostName = hostName
        self.vendorClass = vendorClass
        self.fqdn = fqdn
        self.parameterRequestList = parameterRequestList
        self.maximumMessageSize = maximumMessageSize
        self.broadcastFlag = broadcastFlag
        self.offerWindow = offerWindow
        self.preferredServer = preferredServer
        self.timeScale = timeScale
        self.declineFirstLease = declineFirstLease
        self.checkAddress = checkAddress
        self.requestedAddress = requestedAddress
        self.relayAddress = relayAddress
        self.extraOptions = extraOptions
        self.requestAttempts = requestAttempts
    }
}

/// A lease as the client holds it: what the ACK said and when its timers fire. Times are the caller's clock
/// (seconds); `renewAt`, `rebindAt` and `expiresAt` are already compressed by the time scale.
public struct DHCPClientLease: Hashable, Sendable {
    public var address: IPv4Address
    public var serverIdentifier: IPv4Address
    /// Options 51, 58, 59 as the server sent them (58 and 59 defaulted to 50 % and 87.5 % when absent).
    public var leaseTime: UInt32
    public var renewalTime: UInt32
    public var rebindingTime: UInt32
    public var subnetMask: IPv4Address?
    public var routers: [IPv4Address]
    public var domainNameServers: [IPv4Address]
    public var domainName: String?
    /// When the REQUEST that obtained it was sent: RFC 2131 §4.4.1 counts the lease from there.
    public var obtained: Double
    public var renewAt: Double
    public var rebindAt: Double
    public var expiresAt: Double

    public init(address: IPv4Address, serverIdentifier: IPv4Address, leaseTime: UInt32, renewalTime: UInt32,
                rebindingTime: UInt32, subnetMask: IPv4Address? = nil, routers: [IPv4Address] = [],
                domainNameServers: [IPv4Address] = [], domainName: String? = nil, obtained: Double, timeScale: Double) {
        self.address = address
        self.serverIdentifier = serverIdentifier
        self.leaseTime = leaseTime
        self.renewalTime = renewalTime
        self.rebindingTime = rebindingTime
        self.subnetMask = subnetMask
        self.routers = routers
        self.domainNameServers = domainNameServers
        self.domainName = domainName
        self.obtained = obtained
        let scale = timeScale > 0 ? timeScale : 1
        renewAt = obtained + Double(renewalTime) / scale
        rebindAt = obtained + Double(rebindingTime) / scale
        expiresAt = obtained + Double(leaseTime) / scale
    }
}

/// Why a client stopped holding a lease.
public enum DHCPClientLeaseEnd: String, Hashable, Sendable {
    case released
    case expired
    case nak
    case declined
}

/// Where a client message goes.
public enum DHCPClientDestination: Hashable, Sendable {
    /// 0.0.0.0:68 → 255.255.255.255:67 on the client's link (ciaddr as source when it holds one).
    case broadcast
    /// Unicast from the leased address to the server's port 67 (RENEWING, RELEASE, DECLINE is broadcast).
    case server(IPv4Address, source: IPv4Address)
    /// A relay-mode client (giaddr set) sends to its server's port 67 from port 67.
    case relay(server: IPv4Address, giaddr: IPv4Address)
}

/// Something the client saw that is wrong, or that it gave up on. Codes are kebab-case, as every `problem` event has them.
public struct DHCPClientProblem: Hashable, Sendable {
    public enum Severity: String, Hashable, Sendable { case info, warning, error }

    public var code: String
    public var severity: Severity
    public var rfc: String
    public var xid: UInt32?
    public var text: String

    public init(_ code: String, _ severity: Severity, rfc: String, xid: UInt32?, _ text: String) {
        self.code = code; self.severity = severity; self.rfc = rfc; self.xid = xid; self.text = text
    }
}

/// What the I/O layer does for a client, in order.
public enum DHCPClientAction: Hashable, Sendable {
    case send(DHCPMessage, to: DHCPClientDestination)
    /// A step along RFC 2131 Figure 5 (self-loops, such as a retransmission, are not reported).
    case transition(DHCPClientTransition)
    /// The client is BOUND to a lease: new (`renewed` false) or extended by RENEWING / REBINDING.
    case leaseBound(DHCPClientLease, renewed: Bool)
    case leaseEnded(DHCPClientLease, DHCPClientLeaseEnd)
    /// An INFORM was answered: the ACK.
    case informed(DHCPMessage)
    /// Probe `address` (ARP) and call `addressChecked(inUse:now:)` with the answer.
    case checkAddress(IPv4Address)
    case problem(DHCPClientProblem)
}

/// The messages a probe sends to find servers (dhcp_probe's set): some servers answer only some of them.
public enum DHCPProbe: Hashable, Sendable {
    /// DISCOVER, as a client in INIT.
    case discover
    /// DISCOVER asking for `address` (option 50), as a client in INIT that remembers it; then on as DORA.
    case discoverRequesting(IPv4Address)
    /// A BOOTP request: a DISCOVER without option 53, which only BOOTP servers answer.
    case bootp
    /// REQUEST as in SELECTING: naming `server` (option 54) and `address` (option 50).
    case selecting(server: IPv4Address, address: IPv4Address)
    /// REQUEST as in INIT-REBOOT for `address` (option 50, no option 54).
    case initReboot(IPv4Address)
    /// REQUEST as in REBINDING: ciaddr `address`, broadcast.
    case rebinding(IPv4Address)
}
