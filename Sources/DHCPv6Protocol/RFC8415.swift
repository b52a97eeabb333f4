import DHCPv6Core

// The RFC 8415 rules that more than one role applies: the analyzer replaying a capture, and the client and server
// machines to come (mock-server, mock-client, probe and perf for DHCPv6). Each rule is written here once.

/// RFC 8415 §7.6 and §15: how a client retransmits a message of one type — the largest random delay before the
/// first transmission, the initial and maximum retransmission times, the most transmissions and the longest
/// duration (0: no limit).
public struct DHCPv6Retransmission: Hashable, Sendable {
    public var maximumDelay: Double
    public var initial: Double
    public var maximum: Double
    public var count: Int
    public var duration: Double

    /// RAND of §15: uniform in [-0.1, 0.1].
    public static let randomFactor = 0.1

    /// The parameters of a client message type (§7.6); nil for a type a client does not retransmit by them.
    public static func of(_ type: DHCPv6MessageType) -> DHCPv6Retransmission? {
        switch type {
        case .solicit: Self(maximumDelay: 1, initial: 1, maximum: 3600, count: 0, duration: 0)      // SOL_*
        case .request: Self(maximumDelay: 0, initial: 1, maximum: 30, count: 10, duration: 0)       // REQ_*
        case .confirm: Self(maximumDelay: 1, initial: 1, maximum: 4, count: 0, duration: 10)        // CNF_*
        // REN_* and REB_*: their duration is the time left until T2, or until the valid lifetimes end.
        case .renew: Self(maximumDelay: 0, initial: 10, maximum: 600, count: 0, duration: 0)
        case .rebind: Self(maximumDelay: 0, initial: 10, maximum: 600, count: 0, duration: 0)
        case .informationRequest: Self(maximumDelay: 1, initial: 1, maximum: 3600, count: 0, duration: 0) // INF_*
        case .release: Self(maximumDelay: 0, initial: 1, maximum: 0, count: 4, duration: 0)         // REL_*
        case .decline: Self(maximumDelay: 0, initial: 1, maximum: 0, count: 4, duration: 0)         // DEC_*
        default: nil
        }
    }

    /// §15: the range the retransmission time RT may take — the first from IRT (for SOLICIT strictly above it: "RAND
    /// … MUST be strictly greater than 0"), each next from the one before (2·RTprev ± RAND·RTprev), and past MRT
    /// MRT ± RAND·MRT. `previous`: the RT before, nil for the first.
    public func range(after previous: Double?, solicit: Bool = false) -> ClosedRange<Double> {
        let factor = Self.randomFactor
        guard let previous else {
            return (solicit ? initial : initial * (1 - factor))...(initial * (1 + factor))
        }
        var low = previous * (2 - factor), high = previous * (2 + factor)
        if maximum > 0, high > maximum {
            high = maximum * (1 + factor)
            low = min(low, maximum * (1 - factor))
        }
        return low...high
    }
}

/// RFC 8415 §7.6: a relay agent discards a RELAY-FORW whose hop count has reached this (§19.1.1).
public let dhcpv6HopCountLimit: UInt8 = 8

/// RFC 8415 §21.13 status codes, named as the contract's outcomes are (kebab case: `no-addrs-avail`).
public enum DHCPv6Status {
    public static let success: UInt16 = 0
    public static let unspecFail: UInt16 = 1
    public static let noAddrsAvail: UInt16 = 2
    public static let noBinding: UInt16 = 3
    public static let notOnLink: UInt16 = 4
    public static let useMulticast: UInt16 = 5
    public static let noPrefixAvail: UInt16 = 6

    /// "NoAddrsAvail" → "no-addrs-avail"; a number for codes without a name.
    public static func kebabName(_ code: UInt16) -> String {
        var out = ""
        for character in DHCPv6OptionValue.statusName(code) {
            if character.isUppercase, !out.isEmpty { out.append("-") }
            out.append(character.lowercased())
        }
        return out
    }
}

/// RFC 8415 §21.4, §21.6, §21.21, §21.22: what is wrong with the times a server gives an IA and its leases.
public enum DHCPv6Lifetimes {
    /// A finding about an IA's times, with its clause.
    public struct Finding: Hashable, Sendable {
        public var rfc: String
        public var text: String
        /// True when the RFC has the client discard what was given (a MUST broken); false for advice not followed.
        public var discarded: Bool
    }

    /// T1 and T2 of an IA_NA or IA_PD against the preferred lifetimes of what it holds: T1 > T2 when both are set
    /// (the client discards the IA, §21.4 and §21.21), and T2 beyond the shortest preferred lifetime (the client
    /// would renew after its addresses are deprecated: §21.4's T1 and T2 are fractions of it).
    /// `shortestPreferred`: the shortest non-zero preferred lifetime of the IA's addresses or prefixes, if any.
    public static func check(t1: UInt32, t2: UInt32, shortestPreferred: UInt32?, prefixes: Bool) -> [Finding] {
        let rfc = prefixes ? "8415 21.21" : "8415 21.4"
        var findings = [Finding]()
        if t1 > 0, t2 > 0, t1 > t2 { findings.append(Finding(rfc: rfc, text: "T1 \(t1) s is greater than T2 \(t2) s", discarded: true)) }
        if t2 > 0, t2 != .max, let shortest = shortestPreferred, t2 > shortest {
            findings.append(Finding(rfc: rfc, text: "T2 \(t2) s is beyond the shortest preferred lifetime \(shortest) s",
                                    discarded: false))
        }
        return findings
    }

    /// An IAADDR's or IAPREFIX's preferred lifetime beyond its valid lifetime: the client discards it (§21.6, §21.22).
    public static func check(preferred: UInt32, valid: UInt32, prefix: Bool) -> Finding? {
        guard preferred > valid else { return nil }
        return Finding(rfc: prefix ? "8415 21.22" : "8415 21.6",
                       text: "preferred lifetime \(preferred) s is greater than the valid lifetime \(valid) s", discarded: true)
    }
}

/// What a client message opens (dhcpscope(1)'s v6 transaction kinds): one per RFC 8415 §18.2 exchange.
public enum DHCPv6TransactionKind: String, Hashable, Sendable {
    case solicit, request, renew, rebind, confirm, release, decline
    case informationRequest = "information_request"
    case leasequery

    /// The kind a client message of `type` opens; nil for server and relay messages.
    public init?(opening type: DHCPv6MessageType) {
        switch type {
        case .solicit: self = .solicit
        case .request: self = .request
        case .renew: self = .renew
        case .rebind: self = .rebind
        case .confirm: self = .confirm
        case .release: self = .release
        case .decline: self = .decline
        case .informationRequest: self = .informationRequest
        case DHCPv6MessageType(rawValue: 14): self = .leasequery
        default: return nil
        }
    }
}

extension DHCPv6MessageType {
    /// Messages a server sends to a client (ADVERTISE, REPLY, RECONFIGURE, LEASEQUERY-REPLY …).
    public var isFromServer: Bool {
        [2, 7, 10, 15, 16, 17, 21].contains(rawValue)
    }
}
