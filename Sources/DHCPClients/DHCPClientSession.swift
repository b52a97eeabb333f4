import DHCPCore
import DHCPNetwork
import DHCPProtocol

/// mock-client's run: every client of a fleet started at once — DORA, INIT-REBOOT from a remembered lease, or INFORM
/// — and the fleet stepped until the deadline, a signal, every client bound (`givesUp`) or `leaseEventLimit` lease
/// events; the leases held are handed to `save` when they changed (at most once a second, and at the end), and
/// released at the end when asked. It keeps what the clients hold; its caller renders the events.
public final class DHCPClientSession {
    public struct Plan {
        /// Where the run ends, on the fleet's clock; `.infinity` for a signal only.
        public var deadline: Double
        /// End as soon as every client is bound (or informed).
        public var givesUp: Bool
        /// End after this many lease events (bound, renewed, ended).
        public var leaseEventLimit: Int?
        /// Release every lease held at the end.
        public var release: Bool
        /// Ask INFORM for this address instead of a lease.
        public var inform: IPv4Address?
        /// Leases remembered from an earlier run, by MAC: their clients start in INIT-REBOOT.
        public var remembered: [MACAddress: DHCPClientLease]

        public init(deadline: Double, givesUp: Bool, leaseEventLimit: Int?, release: Bool, inform: IPv4Address?,
                    remembered: [MACAddress: DHCPClientLease]) {
            self.deadline = deadline; self.givesUp = givesUp; self.leaseEventLimit = leaseEventLimit
            self.release = release; self.inform = inform; self.remembered = remembered
        }
    }

    public let fleet: DHCPClientFleet
    public let plan: Plan
    /// Whether each client was ever bound (or informed); how many.
    public private(set) var everBound: [Bool]
    public private(set) var boundCount = 0
    /// The lease each client holds now.
    public private(set) var holding: [DHCPClientLease?]
    public private(set) var leaseEvents = 0
    private var leasesChanged = false

    public init(fleet: DHCPClientFleet, plan: Plan) {
        self.fleet = fleet
        self.plan = plan
        everBound = Array(repeating: false, count: fleet.clients.count)
        holding = Array(repeating: nil, count: fleet.clients.count)
    }

    /// How many clients start in INIT-REBOOT: those whose remembered lease has not ended by `now`.
    public func rebooting(at now: Double) -> Int {
        fleet.clients.filter { plan.remembered[$0.settings.hardwareAddress].map { $0.expiresAt > now } ?? false }.count
    }

    /// Runs the clients. `handle` sees every fleet event after the session has counted it; `save` gets the leases
    /// held, by MAC, when they changed. A socket that fails ends the run with its error, after the release and
    /// the last save.
    public func run(_ handle: (DHCPClientFleet.Event) -> Void,
                    save: ([(MACAddress, DHCPClientLease)]) -> Void) throws(DHCPNetworkError) {
        let clients = fleet.clients
        let observe = { (event: DHCPClientFleet.Event) in
            self.count(event)
            handle(event)
        }
        func saveIfChanged() {
            guard leasesChanged else { return }
            leasesChanged = false
            save(holding.enumerated().compactMap { index, lease in lease.map { (clients[index].settings.hardwareAddress, $0) } })
        }
        let started = fleet.clock()
        for index in clients.indices {
            if let address = plan.inform {
                fleet.inform(index, address: address, now: started, observe)
            } else {
                fleet.start(index, remembering: plan.remembered[clients[index].settings.hardwareAddress], now: started, observe)
            }
        }
        var lastSave = started
        var failure: DHCPNetworkError?
        do {
            while fleet.clock() < plan.deadline {
                guard try fleet.step(until: min(plan.deadline, fleet.clock() + 1), observe) else { break }
                if plan.givesUp, boundCount == clients.count { break }
                if let limit = plan.leaseEventLimit, leaseEvents >= limit { break }
                if fleet.clock() - lastSave >= 1 {
                    saveIfChanged()
                    lastSave = fleet.clock()
                }
            }
        } catch {
            failure = error
        }
        if plan.release {
            let now = fleet.clock()
            for index in clients.indices where holding[index] != nil { fleet.release(index, now: now, observe) }
        }
        saveIfChanged()
        if let failure { throw failure }
    }

    private func count(_ event: DHCPClientFleet.Event) {
        guard case .action(let index, let action) = event else { return }
        switch action {
        case .leaseBound(let lease, _):
            markBound(index)
            holding[index] = lease
            leaseEvents += 1
            leasesChanged = true
        case .leaseEnded:
            holding[index] = nil
            leasesChanged = true
        case .informed:
            markBound(index)
        default:
            break
        }
    }

    private func markBound(_ index: Int) {
        if !everBound[index] {
            everBound[index] = true
            boundCount += 1
        }
    }
}
