import DHCPCore
import DHCPProtocol
import DHCPv6Protocol
import NetworkPrimitives

/// Where a message was seen: which input file, which frame in it, when.
public struct FrameReference: Hashable, Sendable {
    public var file: Int
    public var frame: Int
    public var time: Timestamp
    public init(file: Int, frame: Int, time: Timestamp) { self.file = file; self.frame = frame; self.time = time }
}

/// A finding: a stable kebab-case code (listed in the man page), its severity and RFC clause, and who it is about.
public struct Problem: Sendable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let discoverUnanswered = Self(rawValue: "discover-unanswered")
        public static let offerNotAcked = Self(rawValue: "offer-not-acked")
        public static let requestUnanswered = Self(rawValue: "request-unanswered")
        public static let nak = Self(rawValue: "nak")
        public static let multipleServers = Self(rawValue: "multiple-servers")
        public static let unexpectedServer = Self(rawValue: "unexpected-server")
        public static let ackAddressMismatch = Self(rawValue: "ack-address-mismatch")
        public static let serverIDMissing = Self(rawValue: "server-id-missing")
        public static let serverIDChanged = Self(rawValue: "server-id-changed")
        public static let leaseTimeMissing = Self(rawValue: "lease-time-missing")
        public static let badTimers = Self(rawValue: "bad-timers")
        public static let renewTiming = Self(rawValue: "renew-timing")
        public static let retransmissionTiming = Self(rawValue: "retransmission-timing")
        public static let xidReused = Self(rawValue: "xid-reused")
        public static let broadcastIgnored = Self(rawValue: "broadcast-ignored")
        public static let parametersNotSupplied = Self(rawValue: "parameters-not-supplied")
        public static let addressConflict = Self(rawValue: "address-conflict")
        public static let decline = Self(rawValue: "decline")
        public static let missingAddress = Self(rawValue: "missing-address")
        public static let declineRestartTooSoon = Self(rawValue: "decline-restart-too-soon")
        public static let relayHops = Self(rawValue: "relay-hops")
        public static let giaddrMismatch = Self(rawValue: "giaddr-mismatch")
        public static let malformed = Self(rawValue: "malformed")
        public static let unexpectedTransition = Self(rawValue: "unexpected-transition")
        public static let transactionCap = Self(rawValue: "transaction-cap")
        public static let clientCap = Self(rawValue: "client-cap")
        public static let leaseCap = Self(rawValue: "lease-cap")
        public static let captureFile = Self(rawValue: "capture-file")
        public static let starvation = Self(rawValue: "starvation")
        public static let poolExhausted = Self(rawValue: "pool-exhausted")
        /// Conformance rules judged on traffic alone, named as the battery's checks (`dhcpscope conformance`).
        public static let nakForm = Self(rawValue: "nak-form")
        public static let informNoLease = Self(rawValue: "inform-no-lease")
        // DHCPv6 (RFC 8415); the codes above that mean the same serve both families.
        public static let solicitUnanswered = Self(rawValue: "solicit-unanswered")
        public static let advertiseNotRequested = Self(rawValue: "advertise-not-requested")
        public static let clientIDMismatch = Self(rawValue: "client-id-mismatch")
        public static let elapsedTimeNotGrowing = Self(rawValue: "elapsed-time-not-growing")
        public static let rapidCommitMissing = Self(rawValue: "rapid-commit-missing")
        public static let badLifetimes = Self(rawValue: "bad-lifetimes")
        /// A status code a server sent (kebab case: no-addrs-avail, no-binding, not-on-link, use-multicast,
        /// no-prefix-avail, unspec-fail).
        public static func status(_ code: UInt16) -> Self { Self(rawValue: DHCPv6Status.kebabName(code)) }
    }

    public enum Severity: String, Sendable, Comparable, CaseIterable {
        case info, warning, error
        /// 0, 1, 2 from info to error.
        var rank: Int { self == .info ? 0 : self == .warning ? 1 : 2 }
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
    }

    public var code: Code
    public var severity: Severity
    /// "2131 4.4.5": RFC number and section; nil when no RFC clause applies.
    public var rfc: String?
    public var client: ClientKey?
    public var ip: IPv4Address?
    public var xid: UInt32?
    public var frames: [FrameReference]
    public var text: String
    /// A DHCPv6 problem's subject: its client (DUID and MAC) and address; nil for DHCPv4.
    public var v6: V6Subject?
    /// The conformance check (`dhcpscope conformance --list`) this problem is a failure of, when it is one.
    public var check: String?

    /// Who and what a DHCPv6 problem is about.
    public struct V6Subject: Sendable {
        public var client: DHCPv6ClientName?
        public var address: IPv6Address?
        public init(client: DHCPv6ClientName?, address: IPv6Address? = nil) { self.client = client; self.address = address }
    }

    public init(_ code: Code, _ severity: Severity, rfc: String?, client: ClientKey? = nil, ip: IPv4Address? = nil,
                xid: UInt32? = nil, frames: [FrameReference] = [], v6: V6Subject? = nil, _ text: String) {
        self.code = code; self.severity = severity; self.rfc = rfc; self.client = client; self.ip = ip
        self.xid = xid; self.frames = frames; self.v6 = v6; self.text = text
    }
}

/// A client as RFC 2131 §4.2 names it (`DHCPClientKey`'s rule): by its client identifier (option 61) when it sends
/// one, else by its hardware type and address (chaddr, hlen bytes, at most 16). The hardware address is kept either
/// way, for display (`description`, the `mac` of events). Five words, so that the tables keyed by client (one entry
/// per client, transaction and lease) stay small and hash fast: an identifier of up to 16 bytes is kept whole, a
/// longer one (RFC 4361's, with a DUID) as a 128-bit digest — two clients would have to collide on it to be taken
/// for one.
public struct ClientKey: Hashable, Sendable, CustomStringConvertible {
    public let htype: UInt8
    public let length: UInt8
    /// 0 when the hardware address names the client; else the identifier's length (at most 255).
    private let identifierLength: UInt8
    private let high: UInt64
    private let low: UInt64
    private let identifierHigh: UInt64
    private let identifierLow: UInt64

    public init(htype: UInt8, address: some Collection<UInt8>, identifier: (some Collection<UInt8>)? = [UInt8]?.none) {
        self = Array(address.prefix(16)).withUnsafeBytes { address in
            guard let identifier else { return ClientKey(htype: htype, raw: address, identifier: nil) }
            return Array(identifier).withUnsafeBytes { ClientKey(htype: htype, raw: address, identifier: $0) }
        }
    }

    /// The key of the client a message speaks of: `DHCPClientKey`'s rule, read from the message.
    public init(_ message: some DHCPMessageFields) {
        let htype = message.htype
        self = message.withHardwareAddress { address in
            DHCPClientKey.identifierData(of: message) { ClientKey(htype: htype, raw: address, identifier: $0) }
                ?? ClientKey(htype: htype, raw: address, identifier: nil)
        }
    }

    /// A DHCPv6 client or server, named by its DUID (an identifier, as option 61 names a DHCPv4 client; kept whole up
    /// to 16 bytes, as a digest beyond). An empty DUID gives the one key of clients without one.
    init(duid: UnsafeRawBufferPointer) {
        self.init(htype: 0, raw: UnsafeRawBufferPointer(start: nil, count: 0), identifier: duid)
    }

    /// From the bytes in place: the hardware address (its first 16 bytes) and option 61's data.
    private init(htype: UInt8, raw address: UnsafeRawBufferPointer, identifier: UnsafeRawBufferPointer?) {
        self.htype = htype
        (length, high, low) = Self.pack(UnsafeRawBufferPointer(rebasing: address.prefix(16)))
        if let identifier, !identifier.isEmpty {
            identifierLength = UInt8(clamping: identifier.count)
            if identifier.count <= 16 {
                (_, identifierHigh, identifierLow) = Self.pack(identifier)
            } else {
                (identifierHigh, identifierLow) = Self.digest(identifier)
            }
        } else {
            identifierLength = 0; identifierHigh = 0; identifierLow = 0
        }
    }

    /// Up to 16 bytes, big-endian into two words (whole words loaded at once: this runs for every message).
    private static func pack(_ bytes: UnsafeRawBufferPointer) -> (UInt8, UInt64, UInt64) {
        let count = min(bytes.count, 16)
        guard let base = bytes.baseAddress, count > 0 else { return (0, 0, 0) }
        /// `length` (1...8) bytes from `start`, the first in the top byte.
        @inline(__always) func word(_ start: Int, _ length: Int) -> UInt64 {
            if length == 8 { return UInt64(bigEndian: (base + start).loadUnaligned(as: UInt64.self)) }
            var word: UInt64 = 0
            for index in 0..<length { word = word << 8 | UInt64((base + start + index).load(as: UInt8.self)) }
            return word << (8 * UInt64(8 - length))
        }
        return count > 8 ? (UInt8(count), word(0, 8), word(8, count - 8)) : (UInt8(count), word(0, count), 0)
    }

    /// FNV-1a 64 twice, from two offsets: 128 bits of an identifier too long to keep whole.
    private static func digest(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var first: UInt64 = 0xCBF2_9CE4_8422_2325, second: UInt64 = 0x6C62_272E_07BB_0142
        for byte in bytes {
            first = (first ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            second = (second ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return (first, second)
    }

    private init(htype: UInt8, length: UInt8, high: UInt64, low: UInt64) {
        self.htype = htype; self.length = length; self.high = high; self.low = low
        identifierLength = 0; identifierHigh = 0; identifierLow = 0
    }

    /// The same client's hardware key (what a reply without option 61 names).
    public var hardware: ClientKey { ClientKey(htype: htype, length: length, high: high, low: low) }

    public static func == (a: ClientKey, b: ClientKey) -> Bool {
        if a.identifierLength != 0 || b.identifierLength != 0 {
            return a.identifierLength == b.identifierLength && a.identifierHigh == b.identifierHigh
                && a.identifierLow == b.identifierLow
        }
        return a.htype == b.htype && a.length == b.length && a.high == b.high && a.low == b.low
    }

    /// The two words that tell keys apart as `==` does: the identifier when there is one, else the hardware address.
    var hashWords: (UInt64, UInt64) {
        identifierLength != 0 ? (identifierHigh ^ UInt64(identifierLength), identifierLow)
                              : (high ^ (UInt64(htype) << 8 | UInt64(length)) << 1 | 1, low)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hashWords.0); hasher.combine(hashWords.1)
    }

    /// A 64-bit digest of the hardware type and address, whatever names the client.
    var hardwareDigest: UInt64 {
        var digest = (high ^ UInt64(htype) << 8 ^ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15
        digest = (digest ^ digest >> 29 ^ low) &* 0xBF58_476D_1CE4_E5B9
        return digest ^ digest >> 32
    }

    /// The client identifier, when it names the client and is kept whole (at most 16 bytes); nil otherwise.
    var wholeIdentifier: [UInt8]? {
        guard identifierLength != 0, identifierLength <= 16 else { return nil }
        return (0..<Int(identifierLength)).map { index in
            UInt8(truncatingIfNeeded: (index < 8 ? identifierHigh : identifierLow) >> (56 - 8 * UInt64(index % 8)))
        }
    }

    /// Whether the client is named by an identifier longer than a key keeps (`wholeIdentifier` is nil).
    var hasLongIdentifier: Bool { identifierLength > 16 }

    /// Whether a client identifier names this client.
    public var isIdentifiedByClientIdentifier: Bool { identifierLength != 0 }

    /// The hardware address bytes.
    public var address: [UInt8] {
        (0..<Int(length)).map { index in
            let word = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64(index % 8)))
        }
    }

    /// The MAC, lower-case colon hex (any length).
    public var description: String {
        var text = [UInt8]()
        text.reserveCapacity(3 * Int(length))
        appendDescription(to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// `description` appended as UTF-8.
    public func appendDescription(to out: inout [UInt8]) {
        for index in 0..<Int(length) {
            let byte = UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (56 - 8 * UInt64(index % 8)))
            if index > 0 { out.append(UInt8(ascii: ":")) }
            out.append(Hex.digit(byte >> 4)); out.append(Hex.digit(byte & 0xF))
        }
    }
}

/// Which servers are expected; any other that answers is a rogue. Shared by analyse, sniff and probe.
public struct ServerExpectation: Sendable {
    public var addresses: Set<IPv4Address>
    public var macs: Set<MACAddress>
    /// DHCPv6 servers: by DUID (option 2) or source address.
    public var duids: Set<[UInt8]> = []
    public var addresses6: Set<IPv6Address> = []

    public init(addresses: Set<IPv4Address> = [], macs: Set<MACAddress> = []) { self.addresses = addresses; self.macs = macs }

    /// A DHCPv6 server is expected when its DUID, source address or MAC is listed. DHCPv6 servers are judged only
    /// when a DUID, an IPv6 address or a MAC is listed: IPv4 addresses alone say nothing of them.
    public func isExpected(duid: [UInt8]?, sourceIP: IPv6Address, sourceMAC: MACAddress?) -> Bool {
        if duids.isEmpty, addresses6.isEmpty, macs.isEmpty { return true }
        if let duid, duids.contains(duid) { return true }
        if addresses6.contains(sourceIP) { return true }
        if let sourceMAC, macs.contains(sourceMAC) { return true }
        return false
    }

    public var isEmpty: Bool { addresses.isEmpty && macs.isEmpty }

    /// A server is expected when its identifier (option 54) or source address is listed, or its MAC is;
    /// with nothing listed every server is.
    public func isExpected(serverID: IPv4Address?, sourceIP: IPv4Address, sourceMAC: MACAddress?) -> Bool {
        if isEmpty { return true }
        if let serverID, addresses.contains(serverID) { return true }
        if addresses.contains(sourceIP) { return true }
        if let sourceMAC, macs.contains(sourceMAC) { return true }
        return false
    }
}
