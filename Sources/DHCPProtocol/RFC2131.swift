import DHCPCore

// The RFC 2131 rules that more than one role applies: the analyzer replaying a capture, the server answering, the
// client machines of mock-client, probe and perf. Each rule is written here once.

extension DHCPRequestKind {
    /// RFC 2131 §4.3.2: which state a REQUEST comes from. A server identifier (option 54) makes it SELECTING; else
    /// no ciaddr makes it INIT-REBOOT; else a REQUEST that was broadcast — to 255.255.255.255 or a subnet's
    /// broadcast address, or relayed, since a relay agent only forwards what the client broadcast — is REBINDING;
    /// else (unicast to a server) RENEWING. `broadcast`: whether the IP destination was a broadcast address.
    @inlinable
    public init(_ message: some DHCPMessageFields, broadcast: Bool) {
        if message.hasOption(.serverIdentifier) {
            self = .selecting
        } else if message.clientAddress == .any {
            self = .initReboot
        } else if message.relayAddress != .any || broadcast {
            self = .rebinding
        } else {
            self = .renewing
        }
    }
}

/// RFC 2131 §4.4.5: T1 and T2 when the server sends none — 50 % and 87.5 % of the lease.
public enum DHCPLeaseTimers {
    public static func renewalTime(leaseTime: Double) -> Double { leaseTime * 0.5 }
    public static func rebindingTime(leaseTime: Double) -> Double { leaseTime * 0.875 }

    /// In whole seconds, as a server sends them and a client schedules them: rounded down; an infinite lease
    /// (0xffffffff, RFC 2132 §9.2) has infinite T1 and T2.
    public static func renewalTime(leaseTime: UInt32) -> UInt32 {
        leaseTime == .max ? .max : UInt32(renewalTime(leaseTime: Double(leaseTime)).rounded(.down))
    }

    public static func rebindingTime(leaseTime: UInt32) -> UInt32 {
        leaseTime == .max ? .max : UInt32(rebindingTime(leaseTime: Double(leaseTime)).rounded(.down))
    }
}

/// When a client sends a message again that got no answer.
public enum DHCPRetransmission {
    /// RFC 2131 §4.1: the wait after the `attempt`-th transmission (1-based) while the client has no lease —
    /// 4, 8, 16, 32, then 64 seconds — before the ±1 s of random jitter the RFC adds.
    public static func delay(afterAttempt attempt: Int) -> Double {
        Double(min(64, 4 << min(max(attempt, 1) - 1, 4)))
    }

    /// How far a retransmission may stray from `delay(afterAttempt:)`: RFC 2131 §4.1's uniform ±1 s.
    public static let jitter: Double = 1

    /// RFC 2131 §4.4.5: in RENEWING and REBINDING, half the time left until T2 (RENEWING) or the lease's end
    /// (REBINDING), at least 60 seconds.
    public static func delay(timeLeft: Double) -> Double { max(timeLeft / 2, minimumExtendingDelay) }

    /// RFC 2131 §4.4.5's floor of 60 seconds between REQUESTs that extend a lease.
    public static let minimumExtendingDelay: Double = 60
}

/// RFC 2131 §4.2: "the combination of 'client identifier' or 'chaddr' and assigned network address constitute a
/// unique identifier for the client's lease" — the client identifier (option 61) when the client sends one, else
/// the hardware type and address.
public struct DHCPClientKey: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: UInt8, Hashable, Sendable {
        case hardwareAddress
        case clientIdentifier
    }

    public var kind: Kind
    /// For `.hardwareAddress`: htype, then the first hlen bytes of chaddr; for `.clientIdentifier`: option 61.
    public var bytes: [UInt8]

    public init(kind: Kind, bytes: [UInt8]) { self.kind = kind; self.bytes = bytes }

    /// The key of an Ethernet client without a client identifier.
    public static func mac(_ mac: MACAddress) -> DHCPClientKey { DHCPClientKey(kind: .hardwareAddress, bytes: [1] + mac.bytes) }

    /// The client identifier that names the client of `message`: option 61 when present and not empty; nil when
    /// the hardware type and address name it.
    public static func identifier(of message: DHCPMessage) -> [UInt8]? {
        identifierData(of: message) { Array($0) }
    }

    /// The same, in place: `body` applied to the identifier's bytes, nil when the hardware address names the client.
    @inlinable
    public static func identifierData<M: DHCPMessageFields, R>(of message: M, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        message.withOptionData(.clientIdentifier) { $0.isEmpty ? nil : body($0) } ?? nil
    }

    /// The key of the client that sent `message`; nil when it has neither a client identifier nor a hardware address.
    public init?(_ message: DHCPMessage) {
        if let id = Self.identifier(of: message) {
            self.init(kind: .clientIdentifier, bytes: id)
            return
        }
        let hardware = message.hardwareAddress
        guard !hardware.isEmpty, message.hlen <= 16 else { return nil }
        self.init(kind: .hardwareAddress, bytes: [message.htype] + hardware)
    }

    /// The hardware-address key of `message` whatever its option 61 says (the per-MAC rate limit uses it).
    public static func hardware(of message: DHCPMessage) -> DHCPClientKey {
        DHCPClientKey(kind: .hardwareAddress, bytes: [message.htype] + message.hardwareAddress)
    }

    public var description: String {
        switch kind {
        case .hardwareAddress: "hw " + Hex.colonSeparated(bytes.dropFirst())
        case .clientIdentifier: "id " + Hex.colonSeparated(bytes)
        }
    }
}
