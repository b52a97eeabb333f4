/// The knobs of an analysis; the defaults are the man page's.
public struct AnalysisOptions: Sendable {
    /// A transaction ends this many seconds after its last message (--txn-timeout).
    public var transactionTimeout: Double = 60
    /// At most this many transactions are tracked; the oldest is evicted past it (--max-transactions).
    public var maximumTransactions = 100_000
    /// At most this many clients are remembered; past it the least recently seen eighth is forgotten (--max-clients).
    public var maximumClients = 200_000
    /// At most this many leases (an address or prefix and its client) are remembered; past it an eighth is forgotten,
    /// the longest ended first, then the oldest held (--max-leases). A sniff of days among ever-new clients (randomised
    /// MACs) stays the same size.
    public var maximumLeases = 500_000
    /// Servers expected to answer (--expect, --expect-mac).
    public var expectation = ServerExpectation()
    /// How far a renewal may stray from T1 (or a rebinding from T2), in seconds; nil: max(2 s, 10 % of the lease).
    public var timerTolerance: Double?
    /// Relay hops above this are reported (RFC 1542 §4.1.1 suggests 16 as the discard limit).
    public var maximumHops = 16
    /// When new clients and silent or NAKing servers are `starvation` and `pool-exhausted` findings.
    public var floods = FloodThresholds()
    /// Two legs of one relayed message (client side and server side) arrive within this many seconds.
    public var relayLegWindow = 1.0
    /// Whether each change of a client's state is handed over as a `transition` event. Without them the changes are
    /// still counted per client: a caller that prints neither the events nor the steps (analyse's report) saves making
    /// three of them for every exchange.
    public var transitionEvents = true
    /// Whether each finished transaction is handed over as a `transaction` event; they are counted by outcome either
    /// way (`DHCPAnalyzer.transactionsByOutcome`).
    public var transactionEvents = true
    /// At most this many problems are handed over as events; the rest are only counted (`problemsLeftOut`), and
    /// their texts never written.
    public var problemEvents = Int.max

    public init() {}
}
