import DHCPCore
import DHCPProtocol

/// What the analyzer keeps per lease: about a hundred bytes, since there is one for every address and client seen.
/// `LeaseReport` is built from it on demand.
struct LeaseRecord {
    var start: Timestamp
    /// Option 61 when longer than the client's key holds (else the key gives it).
    var longClientID: [UInt8]?
    var hostname: String?
    var domain: String?
    var dns: [IPv4Address]
    var server: IPv4Address
    var router: IPv4Address?
    /// Option 51; nil when the ACK had none.
    var leaseTime: UInt32?
    /// Options 58 and 59 as the server sent them.
    var renewalTime: UInt32?
    var rebindingTime: UInt32?
    var frame: UInt32
    var file: UInt16
    var state: LeaseState

    var isInfinite: Bool { leaseTime == UInt32.max }

    /// When the lease ends; nil for an infinite lease or one without a lease time.
    var end: Timestamp? {
        guard let leaseTime, !isInfinite else { return nil }
        return Timestamp(seconds: start.seconds + Int64(leaseTime), nanoseconds: start.nanoseconds)
    }

    /// T1 and T2: the server's, else RFC 2131 §4.4.5's 50 % and 87.5 % of a finite lease.
    var t1: Double? { renewalTime.map(Double.init) ?? finiteLease.map(DHCPLeaseTimers.renewalTime(leaseTime:)) }
    var t2: Double? { rebindingTime.map(Double.init) ?? finiteLease.map(DHCPLeaseTimers.rebindingTime(leaseTime:)) }
    private var finiteLease: Double? { isInfinite ? nil : leaseTime.map(Double.init) }

    var isHeld: Bool { state == .active || state == .renewed }

    func report(ip: IPv4Address, client: ClientKey) -> LeaseReport {
        LeaseReport(ip: ip, client: client, clientID: client.wholeIdentifier ?? longClientID, hostname: hostname, server: server, start: start, end: end,
                    leaseTime: leaseTime, t1: t1, t2: t2, router: router, dns: dns, domain: domain, state: state,
                    frame: FrameReference(file: Int(file), frame: Int(frame), time: start))
    }
}
