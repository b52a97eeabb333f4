import ArgumentParser
import DHCPAnalysis

/// --txn-timeout, --max-transactions, --max-clients: how long and how much the analysis remembers; shared by
/// analyse and sniff.
struct AnalysisLimitOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Seconds without a message after which a transaction ends (an unanswered DISCOVER is reported then).",
                               valueName: "seconds"))
    var txnTimeout: Double = 60

    @Option(help: ArgumentHelp("Transactions tracked at once; past it the oldest is evicted.", valueName: "N"))
    var maxTransactions = 100_000

    @Option(help: ArgumentHelp("Clients remembered; past it the least recently seen are forgotten.", valueName: "N"))
    var maxClients = 200_000

    func validate() throws {
        guard txnTimeout > 0 else { throw ValidationError("--txn-timeout must be positive") }
        guard maxTransactions >= 1 else { throw ValidationError("--max-transactions must be at least 1") }
        guard maxClients >= 1 else { throw ValidationError("--max-clients must be at least 1") }
    }

    func apply(to options: inout AnalysisOptions) {
        options.transactionTimeout = txnTimeout
        options.maximumTransactions = maxTransactions
        options.maximumClients = maxClients
    }
}
