import Foundation
import Testing

/// Checks on what dhcpscope reads from the lab's captures. Each throws `LabError.check` with the output on failure.
extension Lab {
    /// `dhcpscope decode --json FILES`: the message events.
    func decodedMessages(_ files: [String]) throws -> [Event] {
        let result = try DHCPScope.run(["decode", "--json"] + files.map(path))
        try check(result.status == 0, "dhcpscope decode exited \(result.status): \(result.stderr)")
        return try result.events().filter { $0.name == "message" }
    }

    /// `dhcpscope analyse --json FILES`: every event, after checking the exit status is 0.
    func analysed(_ files: [String]) throws -> [Event] {
        let result = try DHCPScope.run(["analyse", "--json"] + files.map(path))
        try check(result.status == 0, "dhcpscope analyse exited \(result.status): \(result.stdout)\(result.stderr)")
        return try result.events()
    }

    /// Message types in order, with retransmissions (the same type again at once) folded.
    func typeSequence(_ messages: [Event]) -> [String] {
        var types: [String] = []
        for message in messages {
            let type = message.messageType ?? "?"
            if types.last != type { types.append(type) }
        }
        return types
    }

    /// The whole story of a client that took a lease and released it, as `decode` and `analyse` tell it from the
    /// capture: DORA on one xid then RELEASE; one dora/ack transaction; BOUND then RELEASED; the lease released.
    func checkDORAThenRelease(capture: String, mac: String, address: String) throws {
        let messages = try decodedMessages([capture])
        let xid = try checkDORA(messages, mac: mac, address: address, then: ["RELEASE"])
        let events = try analysed([capture])
        try checkOneDORA(events, mac: mac, address: address, xid: xid)
        try checkStates(events, mac: mac, ["BOUND", "RELEASED"])
        try checkLease(events, address: address, mac: mac, state: "released")
    }

    /// The capture shows DISCOVER, OFFER, REQUEST, ACK with one xid for `mac`, then `after` (repeated `repeats` times
    /// at most: dhclient renews again at each T1); returns the DORA xid.
    @discardableResult
    func checkDORA(_ messages: [Event], mac: String, address: String, then after: [String] = [],
                   repeats: ClosedRange<Int> = 1...1) throws -> String {
        let summary = messages.map { "\($0.messageType ?? "?") \($0.xid ?? "?") \($0.chaddr ?? "?")" }.joined(separator: "; ")
        let types = typeSequence(messages)
        let expected = ["DISCOVER", "OFFER", "REQUEST", "ACK"]
        let rest = Array(types.dropFirst(4))
        let repeated = after.isEmpty ? (rest.isEmpty ? 0 : -1) : (rest.count % after.count == 0 ? rest.count / after.count : -1)
        let restMatches = after.isEmpty ? rest.isEmpty
            : repeats.contains(repeated) && rest.enumerated().allSatisfy { $1 == after[$0 % after.count] }
        try check(Array(types.prefix(4)) == expected && restMatches,
                  "capture has \(summary), expected DISCOVER, OFFER, REQUEST, ACK\(after.map { ", " + $0 }.joined()) (\(repeats))")
        let firstACK = try #require(messages.firstIndex { $0.messageType == "ACK" })
        let dora = messages[...firstACK]
        let xids = Set(dora.compactMap(\.xid))
        try check(xids.count == 1, "DORA uses xids \(xids.sorted()), expected one: \(summary)")
        try check(messages.allSatisfy { $0.chaddr == mac }, "chaddr is not always \(mac): \(summary)")
        try check(messages[firstACK].dhcp["yiaddr"] as? String == address,
                  "ACK yiaddr \(messages[firstACK].dhcp["yiaddr"] ?? "none"), the client has \(address)")
        return xids.first!
    }

    /// The renewals (REQUEST, ACK) that a client renewing every `period` seconds (or a little sooner: dhclient takes
    /// between 3/4 and all of T1) can have made in `messages`: one at least, and at most one per period from the first
    /// ACK to the last message. The lab's waits, not the client, set how long it ran, so the count is not fixed.
    func renewals(_ messages: [Event], every period: Double) -> ClosedRange<Int> {
        guard let acked = messages.first(where: { $0.messageType == "ACK" })?.date, let last = messages.last?.date else { return 1...1 }
        return 1...max(1, Int(last.timeIntervalSince(acked) / (period * 0.75)) + 1)
    }

    /// analyse: exactly one `dora` transaction, outcome ack, for `mac` and `address`; returns it.
    @discardableResult
    func checkOneDORA(_ events: [Event], mac: String, address: String, xid: String? = nil, relayed: Bool = false) throws -> Event {
        let text = events.map { String(describing: $0.object) }.joined(separator: "\n")
        let doras = events.filter { $0.name == "transaction" && $0.string("kind") == "dora" }
        try check(doras.count == 1, "analyse gives \(doras.count) dora transactions, expected one:\n\(text)")
        let dora = doras[0]
        try check(dora.string("outcome") == "ack", "dora outcome \(dora.string("outcome") ?? "nil"), expected ack")
        try check(dora.string("mac") == mac, "dora mac \(dora.string("mac") ?? "nil"), expected \(mac)")
        try check(dora.string("ip") == address, "dora ip \(dora.string("ip") ?? "nil"), expected \(address)")
        if let xid { try check(dora.string("xid") == xid, "dora xid \(dora.string("xid") ?? "nil"), decode saw \(xid)") }
        try check(dora["relayed"] as? Bool == relayed, "dora relayed is \(dora["relayed"] ?? "nil"), expected \(relayed)")
        return dora
    }

    /// analyse's view of a client that renewed its lease at T1: one DORA, renew transactions all ACKed for
    /// `address`, BOUND → RENEWING → BOUND, the lease `renewed`. `who` names the client in failures.
    func checkRenewed(_ events: [Event], mac: String, address: String, who: String = "the client") throws {
        try checkOneDORA(events, mac: mac, address: address)
        let renews = events.filter { $0.name == "transaction" && $0.string("kind") == "renew" }
        try check(!renews.isEmpty && renews.allSatisfy { $0.string("outcome") == "ack" && $0.string("ip") == address },
                  "\(who) renew transactions: \(renews.map(\.object))")
        try checkStates(events, mac: mac, ["BOUND", "RENEWING", "BOUND"])
        try checkLease(events, address: address, mac: mac, state: "renewed")
    }

    /// The client's state transitions (`to` states) in order.
    func states(_ events: [Event], mac: String) -> [String] {
        events.filter { $0.name == "transition" && $0.string("mac") == mac }.compactMap { $0.string("to") }
    }

    /// The client reached every state of `expected`, in that order (others may come between).
    func checkStates(_ events: [Event], mac: String, _ expected: [String]) throws {
        let seen = states(events, mac: mac)
        var remaining = expected[...]
        for state in seen where state == remaining.first { remaining.removeFirst() }
        try check(remaining.isEmpty, "client \(mac) went through \(seen), expected \(expected) in order")
    }

    /// analyse's lease event for `address`, with the given state.
    func checkLease(_ events: [Event], address: String, mac: String, state: String) throws {
        let leases = events.filter { $0.name == "lease" && $0.string("ip") == address && $0.string("mac") == mac }
        try check(leases.count == 1, "analyse gives \(leases.count) lease events for \(address)/\(mac), expected one")
        try check(leases[0].string("state") == state, "lease state \(leases[0].string("state") ?? "nil"), expected \(state)")
    }
}
