import DHCPCore
import DHCPProtocol
import Glibc

/// The leases mock-client remembers between runs (`--lease-file`), so that a restarted client does INIT-REBOOT
/// (RFC 2131 §4.4.2) as a rebooted host would. One line per client, `key=value` fields, `#` comments:
///
///     mac=06:00:00:00:00:01 ip=198.18.30.100 server=198.18.30.1 lease_time=3600 t1=1800 t2=3150 obtained=1795000000.25 time_scale=1
///
/// Times are wall-clock seconds since the epoch; the lease ends at obtained + lease_time / time_scale.
public enum DHCPClientLeaseFile {
    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    public static func format(_ leases: [(MACAddress, DHCPClientLease)], timeScale: Double) -> String {
        var text = "# dhcpscope mock-client leases\n"
        for (mac, lease) in leases.sorted(by: { $0.0 < $1.0 }) {
            text += "mac=\(mac) ip=\(lease.address) server=\(lease.serverIdentifier) lease_time=\(lease.leaseTime)"
                + " t1=\(lease.renewalTime) t2=\(lease.rebindingTime) obtained=\(lease.obtained) time_scale=\(timeScale)\n"
        }
        return text
    }

    /// The leases of `text` by MAC. A line that cannot be read is an error naming the file and line.
    public static func parse(_ text: String, file: String) throws(Error) -> [MACAddress: DHCPClientLease] {
        var leases = [MACAddress: DHCPClientLease]()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var fields = [Substring: Substring]()
            for field in trimmed.split(separator: " ") {
                guard let equals = field.firstIndex(of: "=") else {
                    throw Error(description: "\(file):\(number + 1): '\(field)' is not key=value")
                }
                fields[field[..<equals]] = field[field.index(after: equals)...]
            }
            func value<T>(_ key: Substring, _ convert: (Substring) -> T?) throws(Error) -> T {
                guard let text = fields[key], let value = convert(text) else {
                    throw Error(description: "\(file):\(number + 1): \(key) is missing or not valid")
                }
                return value
            }
            let mac = try value("mac") { MACAddress($0) }
            let scale = try value("time_scale") { Double($0) }
            guard scale > 0 else { throw Error(description: "\(file):\(number + 1): time_scale must be positive") }
            leases[mac] = try DHCPClientLease(
                address: value("ip") { IPv4Address($0) }, serverIdentifier: value("server") { IPv4Address($0) },
                leaseTime: value("lease_time") { UInt32($0) }, renewalTime: value("t1") { UInt32($0) },
                rebindingTime: value("t2") { UInt32($0) }, obtained: value("obtained") { Double($0) }, timeScale: scale)
        }
        return leases
    }

    /// Reads `path`; a missing file is no leases.
    public static func read(_ path: String) throws(Error) -> [MACAddress: DHCPClientLease] {
        guard let file = fopen(path, "r") else {
            if errno == ENOENT { return [:] }
            throw Error(description: "\(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count { break }
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: path)
    }

    /// Writes `text` to `path` through a temporary file and rename(2), so that a crash leaves the old file or
    /// the new one, never half of one.
    public static func write(_ text: String, to path: String) throws(Error) {
        let temporary = path + ".tmp"
        guard let file = fopen(temporary, "w") else {
            throw Error(description: "\(temporary): \(String(cString: strerror(errno)))")
        }
        let written = fputs(text, file) >= 0
        let closed = fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        guard written, closed, rename(temporary, path) == 0 else {
            throw Error(description: "\(path): \(String(cString: strerror(errno)))")
        }
    }
}
