import DHCPCore
import DHCPLeaseDatabase
import DHCPNetwork
import DHCPProtocol
import Synchronization

/// What mock-server's runtime tells whoever runs it: every message received and reply sent, every lease change and
/// problem. The observer renders them; it also owns the output, which the runtime flushes through it.
public protocol ServerObserver: AnyObject {
    func received(_ datagram: UDPDatagram)
    func sent(_ message: DHCPMessage, to destination: DHCPServerDestination)
    /// `ack`: the ACK that granted the lease, when the same batch sends one.
    func lease(_ lease: DHCPLease, ack: DHCPMessage?)
    /// `kind`: a `DHCPServerProblem.Kind` raw value, or the runtime's own: `socket` (receiving failed; the server
    /// stops), `send` (a reply could not be sent), `capture` (the `-w` file or the tap failed), `lease-db`.
    func problem(_ kind: String, _ text: String, xid: UInt32?)
    /// Reservations were read from `source` (at start, and again on SIGHUP): how many are in use.
    func reservations(_ count: Int, source: String)
    /// Every 5 s: the server's state, for gauges (`--metrics`).
    func periodic(_ engine: ServerEngine, ha: DHCPHAPeer?, now: Double)
    /// The high-availability state changed (`--ha-mode`).
    func ha(_ state: DHCPHAPeer.State, peer: DHCPHAPeer)
    /// Whether lines wait to be written: the server then wakes within 50 ms to write them.
    var hasPendingOutput: Bool { get }
    func flush()
}

/// The server mock-server runs: leases in memory, or in a durable store committed before each batch's replies.
/// A class, so that the servers are changed in place (an enum's payload would be copied, store and all).
public final class ServerEngine {
    private var memory: DHCPServer<DHCPMemoryLeaseStore>?
    private var durable: DHCPDurableServer?

    public init(_ server: DHCPServer<DHCPMemoryLeaseStore>) { memory = server }
    public init(_ server: DHCPDurableServer) { durable = server }

    public var store: DurableLeaseStore? { durable?.store }

    /// See `DHCPServer.replaceReservations(_:)`.
    func replaceReservations(_ reservations: [DHCPReservation]) -> [(DHCPReservation, String)] {
        if durable != nil { return durable!.replaceReservations(reservations) }
        return memory!.replaceReservations(reservations)
    }

    /// See `DHCPServer.startSearch(atFraction:)`.
    public func startSearch(atFraction fraction: Double) {
        if durable != nil { durable!.startSearch(atFraction: fraction) } else { memory!.startSearch(atFraction: fraction) }
    }

    public var configuration: DHCPServerConfiguration { durable?.server.configuration ?? memory!.configuration }
    public var heldOfferCount: Int { durable?.server.heldOfferCount ?? memory!.heldOfferCount }
    public var refusedAllocations: Int { durable?.server.refusedAllocations ?? memory!.refusedAllocations }

    public var leases: [DHCPLease] { durable?.store.allLeases() ?? memory?.store.allLeases() ?? [] }

    func expire(now: Double) -> [DHCPServerAction] {
        if durable != nil { return durable!.expire(now: now) }
        return memory!.expire(now: now)
    }

    /// What other servers wrote to a shared lease database, taken in.
    func refresh() -> [DHCPServerAction] { durable?.refresh() ?? [] }

    /// The actions of each message, in order; with a database, committed once for the whole batch first.
    func handle(_ batch: [(bytes: [UInt8], receipt: DHCPReceipt)], now: Double) -> [[DHCPServerAction]] {
        if durable != nil { return durable!.handleBatch(batch, now: now) }
        return batch.map { memory!.handle(bytes: $0.bytes, from: $0.receipt, now: now) }
    }
}

/// mock-server's event loop: a `ServerEngine` on a `ClientLink`. It receives in batches (the first datagram waited
/// for, then up to 63 already queued: a lease database commits each batch once), runs lease expiry four times a
/// second, sends each reply as `DHCPServerAction.send` says — a reply the `replyDelay` fault holds back waits on
/// its own timer while the others go on — and records every frame through the recorder. Time is the role clock's.
public final class ServerRuntime {
    public let link: ClientLink
    public let engine: ServerEngine
    private let recorder: MessageRecorder
    private let clock: RoleClock
    /// One side of a high-availability pair: heartbeats to the partner, and which clients this server answers.
    public private(set) var ha: DHCPHAPeer?
    /// Client messages left to the partner (high availability).
    public private(set) var leftToPartner = 0
    private var random = SystemRandomNumberGenerator()
    /// Where reservations besides the configuration's come from (a directory), read by `loadReservations`.
    public let reservationSource: ReservationSource?
    /// Set from any thread (SIGHUP): the loop reads the reservations again.
    public let reloadRequest = ReloadRequest()
    /// Replies held back by the `replyDelay` fault, by the time they are due (ties in the order they were made).
    private var delayed: [(due: Double, message: DHCPMessage, destination: DHCPServerDestination)] = []

    public init(link: ClientLink, engine: ServerEngine, recorder: MessageRecorder, clock: RoleClock = .process,
                ha: DHCPHAConfiguration? = nil, reservations: ReservationSource? = nil) {
        self.link = link; self.engine = engine; self.recorder = recorder; self.clock = clock
        reservationSource = reservations
        self.ha = ha.map(DHCPHAPeer.init)
        if ha?.mode == .loadBalancing, ha?.role == .secondary { engine.startSearch(atFraction: 0.5) }
    }

    /// What ends `run`, to call from any thread or a signal handler.
    public var stop: @Sendable () -> Void {
        let socket = link.socket
        return { socket.stop() }
    }

    /// Serves until `stop()`, `deadline` (the clock's seconds) or a receive error; replies still held back by
    /// the delay fault when it ends are sent first. Then brings the database up to date. Four times a second it
    /// takes in what other servers wrote to a shared lease database and expires what is due.
    public func run(until deadline: Double?, observer: ServerObserver) {
        var lastExpire = -Double.infinity
        var lastFlush = clock.now()
        var lastPeriodic = -Double.infinity
        serving: while true {
            var now = clock.now()
            if let deadline, now >= deadline { break }
            sendDue(now: now, observer)
            heartbeat(now: now, observer)
            if reloadRequest.take() {
                do { try loadReservations(observer) } catch { observer.problem("ldap", error.description, xid: nil) }
            }
            // Expiry runs at most four times a second: it scans the lease table. Lines not yet written wait at
            // most 50 ms; a held-back reply is sent on time.
            var wait = min(observer.hasPendingOutput ? 0.05 : 0.25, deadline.map { $0 - now } ?? 0.25)
            if let due = delayed.first?.due { wait = min(wait, max(0, due - now)) }
            if let ha { wait = min(wait, ha.configuration.heartbeat / 4) }
            var received: [UDPDatagram] = []
            var stopping = false
            do {
                switch try link.socket.receive(timeout: .nanoseconds(Int64(wait * 1e9))) {
                case .stopped: stopping = true
                case .timeout: break
                case .datagram(let datagram):
                    received.append(datagram)
                    while received.count < 64, let datagram = try link.socket.receiveQueued() { received.append(datagram) }
                }
            } catch {
                observer.problem("socket", error.description, xid: nil)
                break serving
            }
            now = clock.now()
            record(now, observer)
            if now - lastPeriodic >= 5 {
                lastPeriodic = now
                observer.periodic(engine, ha: ha, now: now)
            }
            if now - lastExpire >= 0.25 {
                lastExpire = now
                perform(engine.refresh(), now: now, observer)
                perform(engine.expire(now: now), now: now, observer)
            }
            if !received.isEmpty {
                var batch: [(bytes: [UInt8], receipt: DHCPReceipt)] = []
                for datagram in received {
                    guard admits(datagram, observer) else { continue }
                    let broadcast = datagram.isLimitedBroadcast || datagram.destination == link.broadcast
                    observer.received(datagram)
                    batch.append((datagram.bytes, DHCPReceipt(interfaceAddress: link.address, sourceAddress: datagram.source,
                                                              sourcePort: datagram.sourcePort, broadcast: broadcast)))
                }
                for actions in engine.handle(batch, now: now) { perform(actions, now: now, observer) }
                record(clock.now(), observer)
            }
            // One write(2) for every 50 ms of lines under load, at once when the server goes idle.
            if received.isEmpty || stopping || now - lastFlush >= 0.05 {
                observer.flush()
                lastFlush = now
            }
            if stopping { break serving }
        }
        sendDue(now: .infinity, observer)
        record(clock.now(), observer)
        if let store = engine.store {
            do { try store.close() } catch { observer.problem("lease-db", error.description, xid: nil) }
        }
        recorder.close()
    }

    /// Reads the reservations of `reservationSource` and puts them in place of those read before; each entry
    /// that cannot be used is a problem. When reading fails it throws, and the reservations stay as they were.
    public func loadReservations(_ observer: ServerObserver) throws(DHCPLeaseDatabaseError) {
        guard let source = reservationSource else { return }
        let (reservations, problems) = try source.load()
        for problem in problems { observer.problem("ldap", problem, xid: nil) }
        let refused = engine.replaceReservations(reservations)
        for (reservation, reason) in refused {
            observer.problem("ldap", "reservation of \(reservation.address) left out: \(reason)", xid: nil)
        }
        observer.reservations(reservations.count - refused.count, source: source.name)
    }

    /// Sends the partner its heartbeat when one is due, and reports the states a missed one leads to.
    private func heartbeat(now: Double, _ observer: ServerObserver) {
        guard var peer = ha else { return }
        let xid = UInt32.random(in: 1...UInt32.max, using: &random)
        let (due, states) = peer.tick(now: now, xid: xid)
        ha = peer
        for state in states { observer.ha(state, peer: peer) }
        guard due else { return }
        let message = DHCPHAPeer.heartbeat(xid: xid, address: link.address, mac: link.mac)
        do { try link.send(message.serialize(), to: .relay(peer.configuration.partner)) }
        catch { observer.problem("send", "heartbeat to \(peer.configuration.partner): \(error.description)", xid: xid) }
    }

    /// Whether the server handles `datagram`: the partner's answer to a heartbeat is the pair's, and a client
    /// this side of the pair leaves to the partner is counted and dropped. Everything else goes to the server.
    private func admits(_ datagram: UDPDatagram, _ observer: ServerObserver) -> Bool {
        guard var peer = ha, let message = DHCPMessage.parse(datagram.bytes).message else { return true }
        if datagram.source == peer.configuration.partner, message.op == DHCPMessage.bootReply {
            observer.received(datagram)
            if message.messageType == .ack {
                let states = peer.answered(xid: message.xid)
                ha = peer
                for state in states { observer.ha(state, peer: peer) }
            }
            return false
        }
        guard peer.serves(message, from: datagram.source) else {
            leftToPartner += 1
            return false
        }
        return true
    }

    private func perform(_ actions: [DHCPServerAction], now: Double, _ observer: ServerObserver) {
        for action in actions {
            switch action {
            case .send(let message, let destination, let delay):
                if delay > 0 {
                    let due = now + min(delay, 60)
                    let index = delayed.firstIndex { $0.due > due } ?? delayed.endIndex
                    delayed.insert((due, message, destination), at: index)
                } else {
                    send(message, to: destination, observer)
                }
            case .leaseChanged(let lease):
                let ack = actions.lazy.compactMap { action -> DHCPMessage? in
                    guard case .send(let message, _, _) = action, message.messageType == .ack,
                          message.yourAddress == lease.address else { return nil }
                    return message
                }.first
                observer.lease(lease, ack: ack)
            case .problem(let problem):
                observer.problem(problem.kind.rawValue, problem.text, xid: problem.xid)
            }
        }
    }

    private func send(_ message: DHCPMessage, to destination: DHCPServerDestination, _ observer: ServerObserver) {
        do {
            try link.send(message.serialize(), to: destination)
            observer.sent(message, to: destination)
        } catch {
            observer.problem("send", "\(message.typeName) to \(destination): \(error.description)", xid: message.xid)
        }
    }

    /// Sends the held-back replies due by `now`.
    private func sendDue(now: Double, _ observer: ServerObserver) {
        while let first = delayed.first, first.due <= now {
            delayed.removeFirst()
            send(first.message, to: first.destination, observer)
        }
    }

    private func record(_ now: Double, _ observer: ServerObserver) {
        do { try recorder.collect(at: now) } catch { observer.problem("capture", "\(error)", xid: nil) }
    }
}

/// Where mock-server reads reservations besides its configuration's: a name for messages, and the reading.
public struct ReservationSource: Sendable {
    public let name: String
    public let load: @Sendable () throws(DHCPLeaseDatabaseError) -> (reservations: [DHCPReservation], problems: [String])

    public init(name: String,
                load: @escaping @Sendable () throws(DHCPLeaseDatabaseError) -> (reservations: [DHCPReservation], problems: [String])) {
        self.name = name; self.load = load
    }

    /// The `dhcpHost` entries of a directory.
    public static func directory(_ directory: LDAPDirectory) -> ReservationSource {
        ReservationSource(name: directory.url) { () throws(DHCPLeaseDatabaseError) in try directory.reservations() }
    }
}

/// A request set from any thread (a signal handler's queue) and taken by the loop.
public final class ReloadRequest: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func set() { flag.store(true, ordering: .releasing) }

    /// Whether it was set; clears it.
    func take() -> Bool { flag.exchange(false, ordering: .acquiringAndReleasing) }
}
