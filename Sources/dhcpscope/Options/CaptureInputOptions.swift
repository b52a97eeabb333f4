import ArgumentParser

/// Capture files to read, shared by decode and analyse.
struct CaptureInputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("pcap or pcapng files, merged by timestamp; '-' reads standard input.", valueName: "file"))
    var files: [String]

    @Option(help: ArgumentHelp("BPF filter applied to every file, as tcpdump's expression.", valueName: "expr"))
    var filter: String?

    @Option(help: ArgumentHelp("Also treat these UDP ports as DHCP (comma-separated).", valueName: "port,…"))
    var port: [String] = []

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one capture file, or '-' for standard input") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input ('-') can be read only once") }
        _ = try ports()
    }

    func ports() throws -> Set<UInt16> { try Self.ports(port) }

    /// 67, 68 and the --port values (comma-separated or repeated); shared with sniff.
    static func ports(_ values: [String]) throws -> Set<UInt16> {
        var ports: Set<UInt16> = [67, 68]
        for item in values.flatMap({ $0.split(separator: ",") }) {
            guard let number = UInt16(String(item.filter { $0 != " " })), number > 0 else {
                throw ValidationError("--port: '\(item)' is not a UDP port number")
            }
            ports.insert(number)
        }
        return ports
    }
}
