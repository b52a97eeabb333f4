import DHCPClients
import DHCPCore
import DHCPNetwork
import DHCPProtocol

/// What `run` reports once a second.
/// What perf times: DISCOVER to OFFER, REQUEST to ACK, and the whole exchange.
public enum PerfStep: String, CaseIterable, Sendable {
    case discoverOffer = "discover-offer"
    case requestAck = "request-ack"
    case exchange
}

public struct PerfProgress: Sendable, Equatable {
    public var elapsed: Double
    public var sent: UInt64
    public var completed: UInt64
    public var drops: UInt64
    public var naks: UInt64
    public var inFlight: Int
    /// Exchanges started and completed per second over the last interval.
    public var sendRate: Double
    public var achievedRate: Double
}

/// perf's load generator: synthetic clients — each one `DHCPClient` machine in a `DHCPClientFleet`, the same
/// machine mock-client runs — started on exchanges by the clock at `plan.rate` (open loop: a late or missing reply
/// never delays the next start, so slow answers show as latency and drops instead of being hidden by coordinated
/// omission), measured at the replies, and given up on after `plan.dropTime`.
///
/// A client is either free without a lease, free with one, or in an exchange. A DORA or 2-way exchange takes a
/// free client without a lease (else the longest-free client with one, whose lease is forgotten); renew, release
/// and init-reboot take a client with a lease (else they run as DORA). The clock is the fleet's, so that tests
/// run the whole thing on a fake one.
///
/// Memory: each client costs its `DHCPClient` machine (settings, lease, the message kept for retransmission), the
/// fleet's bookkeeping and 40 bytes here; `perf --help` and the man page state the measured total.
public final class PerfRunner {
    /// perf's bookkeeping of one client's exchange. Where the exchange stands (waiting for an OFFER or an ACK) is
    /// the client machine's state, not kept here.
    struct Client {
        /// An exchange is in flight: started, neither completed nor dropped yet.
        var inFlight = false
        var kind = PerfExchangeKind.dora
        var measured = false
        /// Reply types seen for `xid` (1 OFFER, 2 ACK, 4 NAK, 8 other): a second one is a duplicate.
        var seen: UInt8 = 0
        var xid: UInt32 = 0
        /// The xid of the last exchange given up on: a reply to it is late.
        var lateXid: UInt32 = 0
        /// Counts the client's exchanges, so that the timeout of a finished one is recognised as stale.
        var token: UInt32 = 0
        var started = 0.0
        var stepStarted = 0.0
    }

    public let fleet: DHCPClientFleet
    public let plan: PerfPlan
    private var mix: PerfMix
    private var clients: [Client]
    private var withoutLease = PerfQueue<Int32>()
    private var withLease = PerfQueue<Int32>()
    /// Exchanges waiting for a reply, in the order their deadlines come (the drop time is the same for all).
    private var deadlines = PerfQueue<(deadline: Double, index: Int32, token: UInt32)>()
    /// Clients to put back in INIT once the fleet has finished with the reply that ended their exchange.
    private var resets: [Int32] = []
    private var inFlight = 0
    private var measuring = false
    public private(set) var summary = PerfSummary()
    /// Every ACK of a measured exchange, for the failover drill's longest gap.
    private var outage = DHCPOutageTracker()
    /// Sees each client's every step along RFC 2131 Figure 5 (perf -v), with the time.
    public var onTransition: ((_ index: Int, _ step: DHCPClientTransition, _ now: Double) -> Void)?
    /// Sees every latency measured, as the summary's histograms record it (perf --metrics).
    public var onLatency: ((_ step: PerfStep, _ seconds: Double) -> Void)?

    /// - Parameters:
    ///   - clock: seconds, monotonic; the fleet's clock is set to it.
    public init(link: any DHCPClientLink, clients settings: [DHCPClientSettings], plan: PerfPlan, seed: UInt64,
                clock: @escaping () -> Double) {
        fleet = DHCPClientFleet(socket: link, clients: settings, seed: seed)
        fleet.clock = clock
        self.plan = plan
        mix = plan.mix
        clients = Array(repeating: Client(), count: settings.count)
        for index in settings.indices { withoutLease.push(Int32(index)) }
        summary.clients = settings.count
        summary.offeredRate = plan.rate
        fleet.replyGate = { [unowned self] index, reply, now in self.gate(index, reply, now: now) }
    }

    /// Runs the plan: starts exchanges until `duration` or `count`, then waits for the last answers (at most the
    /// drop time). `seen` is told of every message sent and received, with its frame on a layer-2 link (for -w).
    public func run(progress: (PerfProgress) -> Void, seen: (_ frame: [UInt8]?, _ sent: Bool, _ now: Double) -> Void)
        throws(DHCPNetworkError) -> PerfSummary {
        // Sends are due every 1/rate seconds: a wait for the next one must not end up to 50 µs late.
        MonotonicClock.tightenTimerSlack()
        let clock = fleet.clock
        let start = clock()
        let countedFrom = start + plan.warmup
        let interval = 1 / plan.rate
        // A loop that fell behind catches up at most a millisecond's worth of sends at a time, reading replies in
        // between: with up to 256 at once, Kea's best rate with < 1 % drops was half of what it is now
        // (bench/perf-vs-perfdhcp: 6,000/s, now 12,000/s).
        let burstLimit = max(4, Int((plan.rate / 1000).rounded(.up)))
        // At 1,000/s and more the loop wakes for its sends only and then reads the replies queued meanwhile, each
        // timed at its arrival (the link says how long it waited). Woken by every reply instead, perf cost the
        // server: the kernel wakes the reader from the sending server's CPU (bench/perf-vs-perfdhcp: kea-dhcp4
        // spent 3 % of its time waking perf, and dropped 10 % at 6,000/s where perfdhcp's load lost none).
        let wakeForSendsOnly = interval <= 0.001
        let end = plan.duration.map { start + $0 } ?? .infinity
        let total = plan.count ?? .max
        var started = 0
        var sending = true
        var sendingStopped = start
        var stoppedBySignal = false
        var last = (time: start, sent: UInt64(0), completed: UInt64(0))
        var nextProgress = start + 1
        let handler: (DHCPClientFleet.Event) -> Void = { [unowned self] event in
            self.handle(event, seen: seen)
        }
        while true {
            let now = clock()
            // Every exchange whose time has come, late ones included (open loop); a burst is capped so that
            // replies are still read while catching up.
            var burst = 0
            while sending, burst < burstLimit {
                let due = start + Double(started) * interval
                if due >= end || started >= total { sending = false; sendingStopped = max(now, due); break }
                guard due <= now else { break }
                if now >= countedFrom, !measuring { measuring = true }
                let delay = now - due
                if measuring {
                    if delay > 0.010 { summary.lateStarts += 1 }
                    summary.maxStartDelayMs = max(summary.maxStartDelayMs, delay * 1000)
                }
                launch(mix.next(), now: now, measured: due >= countedFrom, handler)
                started += 1
                burst += 1
            }
            // Replies are read after the sends that were due, so that reading them never delays a send.
            if let first = deadlines.first, first.deadline <= now || (sending && wakeForSendsOnly) {
                guard try drainQueuedReplies(handler) else { stoppedBySignal = true; break }
            }
            expire(now: now)
            applyResets()
            if now >= nextProgress {
                progress(PerfProgress(elapsed: now - start, sent: summary.sent, completed: summary.completed,
                                      drops: summary.drops, naks: summary.naks, inFlight: inFlight,
                                      sendRate: Double(summary.sent - last.sent) / (now - last.time),
                                      achievedRate: Double(summary.completed - last.completed) / (now - last.time)))
                last = (now, summary.sent, summary.completed)
                while nextProgress <= now { nextProgress += 1 }
            }
            if !sending, inFlight == 0 { break }
            var wake = min(nextProgress, deadlines.first?.deadline ?? .infinity)
            if sending { wake = min(wake, start + Double(started) * interval) }
            if sending, wakeForSendsOnly {
                guard try fleet.pause(until: wake, handler) else { stoppedBySignal = true; break }
            } else {
                guard try fleet.step(until: wake, handler) else { stoppedBySignal = true; break }
            }
            applyResets()
        }
        if stoppedBySignal {
            summary.unfinished = UInt64(inFlight)
            sendingStopped = sending ? clock() : sendingStopped
        }
        let window = max(sendingStopped - countedFrom, interval)
        summary.duration = window
        summary.sendRate = Double(summary.sent) / window
        summary.achievedRate = Double(summary.completed) / window
        summary.generatorLimited = summary.sendRate < plan.rate * 0.97 || summary.lateStarts * 100 > summary.sent
        if let report = outage.report {
            summary.longestGap = report.seconds
            summary.gapClients = report.crossed
            summary.gapKept = report.kept
        }
        return summary
    }

    // MARK: starting exchanges

    private func launch(_ wanted: PerfExchangeKind, now: Double, measured: Bool, _ handler: (DHCPClientFleet.Event) -> Void) {
        var kind = wanted
        let picked: Int32?
        if kind.needsLease, let index = withLease.pop() {
            picked = index
        } else {
            if kind.needsLease { kind = .dora }
            picked = withoutLease.pop() ?? withLease.pop()
        }
        guard let picked else {
            if measured { summary.noFreeClient += 1 }
            return
        }
        let index = Int(picked)
        var client = clients[index]
        client.kind = kind
        client.measured = measured
        client.seen = 0
        client.token &+= 1
        client.started = now
        client.stepStarted = now
        if measured { summary.sent += 1; summary.kinds[kind.rawValue, default: PerfKindCounts()].sent += 1 }
        switch kind {
        case .dora, .discoverOffer:
            if fleet.clients[index].state != .initial { fleet.reset(index) }
            client.inFlight = true
            clients[index] = client
            fleet.start(index, remembering: nil, now: now, handler)
        case .renew:
            client.inFlight = true
            clients[index] = client
            fleet.renew(index, now: now, handler)
        case .initReboot:
            let lease = fleet.clients[index].lease
            fleet.reset(index)
            client.inFlight = true
            clients[index] = client
            fleet.start(index, remembering: lease, now: now, handler)
        case .release:
            clients[index] = client
            fleet.release(index, now: now, handler)
            clients[index].xid = fleet.clients[index].xid
            if measured { summary.completed += 1; summary.kinds[kind.rawValue, default: PerfKindCounts()].completed += 1 }
            withoutLease.push(picked)
            return
        }
        clients[index].xid = fleet.clients[index].xid
        inFlight += 1
        deadlines.push((now + plan.dropTime, picked, client.token))
    }

    // MARK: replies

    /// Every reply for a client, before its machine sees it. Returns whether the machine should.
    private func gate(_ index: Int, _ reply: DHCPMessage, now: Double) -> Bool {
        var client = clients[index]
        defer { clients[index] = client }
        guard reply.xid == client.xid, client.xid != 0 else {
            if client.measured {
                if reply.xid == client.lateXid, client.lateXid != 0 { summary.lateReplies += 1 } else { summary.unexpectedReplies += 1 }
            }
            return false
        }
        let type = reply.messageType
        let bit: UInt8 = switch type { case .offer?: 1; case .ack?: 2; case .nak?: 4; default: 8 }
        if client.seen & bit != 0 {
            if client.measured { summary.duplicates += 1 }
            return false
        }
        client.seen |= bit
        // The step the reply answers, from the client machine's state (it has not seen the reply yet).
        let state = fleet.clients[index].state
        let awaitingAck = state == .requesting || state == .rebooting || state == .renewing || state == .rebinding
        switch (client.inFlight, type) {
        case (true, .offer?) where state == .selecting:
            let arrival = fleet.arrival
            if client.measured { measured(.discoverOffer, arrival - client.stepStarted) }
            if client.kind == .discoverOffer {
                finish(&client, now: arrival, completed: true)
                resets.append(Int32(index))
                return false
            }
            client.stepStarted = now
            return true
        case (true, .ack?) where awaitingAck:
            return true  // counted when the machine binds the lease (`leaseBound`)
        case (true, .nak?) where awaitingAck:
            if client.measured { summary.naks += 1; summary.kinds[client.kind.rawValue, default: PerfKindCounts()].naks += 1 }
            finish(&client, now: now, completed: false)
            resets.append(Int32(index))
            return false
        default:
            return false
        }
    }

    private func count(_ problem: DHCPClientProblem) {
        summary.problemCodes[problem.code, default: 0] += 1
        summary.problems[problem.severity.rawValue, default: 0] += 1
    }

    private func handle(_ event: DHCPClientFleet.Event, seen: ([UInt8]?, Bool, Double) -> Void) {
        switch event {
        case .frame(let bytes, let sent):
            if sent { summary.messagesSent += 1 } else { summary.messagesReceived += 1 }
            seen(bytes, sent, fleet.clock())
        case .datagram(_, _, let sent):
            if sent { summary.messagesSent += 1 } else { summary.messagesReceived += 1 }
            seen(nil, sent, fleet.clock())
        case .problem(_, let problem):
            count(problem)
            if problem.code == "send-failed" {
                summary.sendErrors += 1
                summary.firstSendError = summary.firstSendError ?? problem.text
            }
        case .action(let index, .leaseBound):
            guard clients[index].inFlight else { return }
            let now = fleet.arrival
            if clients[index].measured {
                measured(.requestAck, now - clients[index].stepStarted)
                if let address = fleet.clients[index].lease?.address { outage.completed(client: index, address: address, at: now) }
            }
            finish(&clients[index], now: now, completed: true)
            withLease.push(Int32(index))
        case .action(_, .problem(let problem)):
            count(problem)
        case .action(let index, .transition(let step)):
            onTransition?(index, step, fleet.clock())
        case .action:
            break
        }
    }

    /// Ends the client's exchange: completed (its whole time recorded) or failed.
    private func finish(_ client: inout Client, now: Double, completed: Bool) {
        client.inFlight = false
        inFlight -= 1
        guard completed, client.measured else { return }
        summary.completed += 1
        summary.kinds[client.kind.rawValue, default: PerfKindCounts()].completed += 1
        measured(.exchange, now - client.started)
    }

    /// A latency of a measured exchange: into the summary's histogram of its step, and to `onLatency`.
    private func measured(_ step: PerfStep, _ seconds: Double) {
        switch step {
        case .discoverOffer: summary.discoverOffer.record(seconds: seconds)
        case .requestAck: summary.requestAck.record(seconds: seconds)
        case .exchange: summary.exchange.record(seconds: seconds)
        }
        onLatency?(step, seconds)
    }

    /// Reads every reply already waiting in the socket (up to a bound) before any exchange is judged dropped: under
    /// load a reply that came in time may still be queued, and is the server's success, not its drop. False once
    /// the link was stopped.
    private func drainQueuedReplies(_ handler: (DHCPClientFleet.Event) -> Void) throws(DHCPNetworkError) -> Bool {
        for _ in 0..<4096 {
            let received = summary.messagesReceived
            guard try fleet.step(until: -.infinity, handler) else { return false }
            applyResets()
            if summary.messagesReceived == received { break }
        }
        return true
    }

    /// Exchanges whose step went unanswered for the drop time: dropped, and the client back in INIT.
    private func expire(now: Double) {
        while let first = deadlines.first, first.deadline <= now {
            _ = deadlines.pop()
            let index = Int(first.index)
            var client = clients[index]
            guard client.token == first.token, client.inFlight else { continue }
            if client.measured {
                summary.drops += 1
                summary.kinds[client.kind.rawValue, default: PerfKindCounts()].drops += 1
                if fleet.clients[index].state == .selecting { summary.dropsDiscoverOffer += 1 } else { summary.dropsRequestAck += 1 }
            }
            client.lateXid = client.xid
            client.xid = 0
            finish(&client, now: now, completed: false)
            clients[index] = client
            fleet.reset(index)
            withoutLease.push(first.index)
        }
    }

    private func applyResets() {
        for index in resets {
            fleet.reset(Int(index))
            withoutLease.push(index)
        }
        resets.removeAll(keepingCapacity: true)
    }
}

/// A FIFO queue over an array: pushes at the end, pops from a moving head, compacted when half is dead.
struct PerfQueue<Element> {
    private var items: [Element] = []
    private var head = 0

    var first: Element? { head < items.count ? items[head] : nil }

    mutating func push(_ element: Element) { items.append(element) }

    mutating func pop() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head >= 1024, head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }
}
