import Foundation
import Glibc
import Testing

/// Whether the lab can run here: it needs root (network namespaces, raw sockets) and the real peers installed.
/// Outside CI a missing requirement skips the lab with the reason; under CI (`CI=true`) a skip is a failure,
/// so the suite is enabled there and `require()` fails each scenario instead.
enum LabGate {
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let isRoot = geteuid() == 0

    /// The executables the scenarios start (`scripts/install-deps --lab` installs them).
    static let peers = [
        "/usr/sbin/ip", "/usr/bin/timeout", "/usr/sbin/dnsmasq", "/usr/sbin/kea-dhcp4", "/usr/sbin/dhcpd",
        "/usr/sbin/dhclient", "/usr/sbin/udhcpc", "/usr/sbin/dhcrelay", "/usr/bin/tcpdump", "/usr/bin/tshark",
        "/usr/sbin/udhcpd", "/usr/sbin/dhcpcd", "/usr/bin/unshare", "/usr/bin/mount", "/usr/sbin/nft", "/usr/bin/dhcpig",
        "/usr/lib/postgresql/15/bin/postgres", "/usr/bin/setpriv", "/usr/sbin/slapd", "/usr/bin/ldapadd", "/usr/bin/promtool", "/usr/bin/curl",
    ]

    /// Why the lab cannot run, or nil when it can.
    static let missing: String? = {
        if !isRoot { return "the lab tests need root (network namespaces); run swift test as root" }
        let absent = peers.filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if !absent.isEmpty { return "peers missing: \(absent.joined(separator: ", ")); run scripts/install-deps --lab" }
        return nil
    }()

    /// The suite runs when everything is there, and always under CI (where a missing requirement fails).
    static let enabled: Bool = {
        if missing == nil || isCI { return true }
        FileHandle.standardOutput.write(Data("LAB SKIP: \(missing!)\n".utf8))
        return false
    }()

    static var skipReason: Comment { Comment(rawValue: "lab skipped: \(missing ?? "")") }

    /// Fails the scenario when the lab cannot run (only reached under CI or when everything is there).
    static func require() throws {
        if let missing { throw LabError.cannotRun("\(missing) (under CI=true a skipped lab test is a failure)") }
    }
}
