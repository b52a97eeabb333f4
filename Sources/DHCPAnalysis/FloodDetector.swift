import DHCPCore
import NetworkPrimitives

/// When many new clients and a failing pool are findings: the thresholds of `starvation` and `pool-exhausted`.
public struct FloodThresholds: Sendable, Equatable {
    /// Previously unseen clients sending DISCOVER within `window` seconds that make a `starvation` finding
    /// (DHCPig and yersinia send hundreds a second from random MACs).
    public var starvationClients = 100
    /// The sliding window of `starvationClients` and of `nakBurst`, seconds.
    public var window = 10.0
    /// Distinct clients whose DISCOVER a server that offered before leaves unanswered, since its last OFFER and
    /// at least `silence` seconds after it, that make a `pool-exhausted` finding.
    public var exhaustionClients = 3
    public var silence = 2.0
    /// NAKs from one server within `window` seconds that make a `pool-exhausted` finding.
    public var nakBurst = 20

    public init() {}
}

/// DHCP starvation and pool exhaustion seen from the wire, as a pure streaming detector: the analyzer tells it
/// about each new client's DISCOVER, every DISCOVER, and each server's OFFERs and NAKs, in time order; it answers
/// with a finding when a threshold is crossed, once per episode (it re-arms when the rate falls to half, or when the
/// server offers again). Its memory is bounded by the thresholds and the number of servers.
struct FloodDetector {
    enum Finding: Equatable {
        /// `count` previously unseen clients sent DISCOVER within `seconds`.
        case starvation(count: Int, seconds: Double)
        /// `server` left `clients` clients' DISCOVERs unanswered for `seconds` since its last OFFER.
        case silentServer(server: IPv4Address, clients: Int, seconds: Double)
        /// `server` sent `count` NAKs within `seconds`.
        case nakBurst(server: IPv4Address, count: Int, seconds: Double)
    }

    struct ServerState {
        var lastOffer: Double
        /// Clients that sent DISCOVER since the last OFFER (at most the threshold).
        var unanswered: Set<ClientKey> = []
        var silenceReported = false
        var naks = RingOfTimes()
        var nakReported = false
    }

    let thresholds: FloodThresholds
    private var newClients = RingOfTimes()
    private var starvationReported = false
    private(set) var servers: [IPv4Address: ServerState] = [:]

    init(_ thresholds: FloodThresholds) { self.thresholds = thresholds }

    /// A client never seen before sent DISCOVER at `time`.
    mutating func newClientDiscovered(at time: Double) -> Finding? {
        newClients.append(time, keeping: thresholds.window, limit: 4 * thresholds.starvationClients)
        let count = newClients.count
        if starvationReported {
            if count * 2 < thresholds.starvationClients { starvationReported = false }
            return nil
        }
        guard count >= thresholds.starvationClients else { return nil }
        starvationReported = true
        return .starvation(count: count, seconds: max(time - newClients.first, 0))
    }

    /// `client` sent DISCOVER at `time`: each server that offered before and has not since counts it.
    mutating func discovered(by client: ClientKey, at time: Double) -> [Finding] {
        var findings = [Finding]()
        for (server, var state) in servers where !state.silenceReported {
            if state.unanswered.count < thresholds.exhaustionClients { state.unanswered.insert(client) }
            let silent = time - state.lastOffer
            if state.unanswered.count >= thresholds.exhaustionClients, silent >= thresholds.silence {
                state.silenceReported = true
                findings.append(.silentServer(server: server, clients: state.unanswered.count, seconds: silent))
            }
            servers[server] = state
        }
        return findings
    }

    /// `server` sent an OFFER at `time`: it is offering, its count starts again.
    mutating func offered(by server: IPv4Address, at time: Double) {
        if var state = servers[server] {
            state.lastOffer = time
            state.unanswered.removeAll(keepingCapacity: true)
            state.silenceReported = false
            servers[server] = state
        } else {
            servers[server] = ServerState(lastOffer: time)
        }
    }

    /// `server` sent a NAK at `time`.
    mutating func naked(by server: IPv4Address, at time: Double) -> Finding? {
        var state = servers[server] ?? ServerState(lastOffer: -.infinity)
        defer { servers[server] = state }
        state.naks.append(time, keeping: thresholds.window, limit: 4 * thresholds.nakBurst)
        let count = state.naks.count
        if state.nakReported {
            if count * 2 < thresholds.nakBurst { state.nakReported = false }
            return nil
        }
        guard count >= thresholds.nakBurst else { return nil }
        state.nakReported = true
        return .nakBurst(server: server, count: count, seconds: max(time - state.naks.first, 0))
    }
}

/// Times within a sliding window, oldest first.
struct RingOfTimes {
    private var times: [Double] = []
    private var head = 0

    var count: Int { times.count - head }
    var first: Double { head < times.count ? times[head] : 0 }

    /// Adds `time` and drops those older than `window` seconds before it, and the oldest past `limit` (a count
    /// past a threshold needs no more: a flood of 50,000 a second is not kept whole).
    mutating func append(_ time: Double, keeping window: Double, limit: Int) {
        times.append(time)
        while head < times.count, time - times[head] > window || times.count - head > limit { head += 1 }
        if head > 1024, head * 2 > times.count {
            times.removeFirst(head)
            head = 0
        }
    }
}
