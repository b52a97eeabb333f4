import ArgumentParser

/// --json and -v, the same for every subcommand.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON Lines events (see dhcpscope(1)) instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print every field and option.")
    var verbose = false
}
