import ArgumentParser
import DHCPAnalysis

/// --txn-timeout, --max-transactions, --max-clients: how long and how much the analysis remembers; the thresholds of
/// starvation and pool exhaustion. Shared by analyse and sniff.
struct AnalysisLimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Seconds without a message after which a transaction ends (an unanswered DISCOVER is reported then).",
                               valueName: "seconds"))
    var txnTimeout: Double = 60

    @Option(help: ArgumentHelp("Transactions tracked at once; past it the oldest is evicted.", valueName: "N"))
    var maxTransactions = 100_000

    @Option(help: ArgumentHelp("Clients remembered; past it the least recently seen are forgotten.", valueName: "N"))
    var maxClients = 200_000

    @Option(help: ArgumentHelp("Leases remembered; past it those ended longest ago are forgotten.", valueName: "N"))
    var maxLeases = 500_000

    @Option(help: ArgumentHelp("Previously unseen clients sending DISCOVER within --starvation-window seconds that make a starvation problem (default 100).",
                               valueName: "N"))
    var starvationClients = 100

    @Option(help: ArgumentHelp("The window of --starvation-clients and --nak-burst, seconds (default 10).", valueName: "seconds"))
    var starvationWindow = 10.0

    @Option(help: ArgumentHelp("Clients whose DISCOVER a server that offered before leaves unanswered (2 s or more after its last OFFER) that make a pool-exhausted problem (default 3).",
                               valueName: "N"))
    var exhaustionClients = 3

    @Option(help: ArgumentHelp("NAKs from one server within --starvation-window seconds that make a pool-exhausted problem (default 20).",
                               valueName: "N"))
    var nakBurst = 20

    func validate() throws {
        guard txnTimeout > 0 else { throw ValidationError("--txn-timeout must be positive") }
        guard maxTransactions >= 1 else { throw ValidationError("--max-transactions must be at least 1") }
        guard maxClients >= 1 else { throw ValidationError("--max-clients must be at least 1") }
        guard maxLeases >= 1 else { throw ValidationError("--max-leases must be at least 1") }
        guard starvationClients >= 1, exhaustionClients >= 1, nakBurst >= 1 else {
            throw ValidationError("--starvation-clients, --exhaustion-clients and --nak-burst must be at least 1")
        }
        guard starvationWindow > 0 else { throw ValidationError("--starvation-window must be positive") }
    }

    func apply(to options: inout AnalysisOptions) {
        options.transactionTimeout = txnTimeout
        options.maximumTransactions = maxTransactions
        options.maximumClients = maxClients
        options.maximumLeases = maxLeases
        options.floods.starvationClients = starvationClients
        options.floods.window = starvationWindow
        options.floods.exhaustionClients = exhaustionClients
        options.floods.nakBurst = nakBurst
    }
}
