import ArgumentParser
import DHCPRuntime

/// --threads: how many threads render output while one reads the capture (decode, analyse).
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Threads that render output besides the one that reads (default: one per CPU this process may use; 1: all on one thread). The output is the same either way.",
        valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be 1 or more") }
    }

    /// The rendering threads to use: more than 1 when output may go to other cores.
    var width: Int { threads ?? Processors.available }
}
