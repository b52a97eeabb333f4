import Capture
import DHCPAnalysis
import DHCPCore
import Foundation
import Framing
import Testing

/// A tcpdump expected-output file and the capture it was made from (SOURCES.md lists the pairs).
struct TcpdumpCase: Sendable, Hashable, CustomTestStringConvertible {
    var capture: String
    var output: String
    var testDescription: String { output }

    /// Rows of the SOURCES.md tcpdump table: `| name | tcpdump/x.pcap | tcpdump/x.out | flags |`, kept when the
    /// output shows at least one BOOTP/DHCP packet.
    static let all: [TcpdumpCase] = {
        guard let sources = Fixtures.text("corpus/SOURCES.md") else { return [] }
        var cases = [TcpdumpCase]()
        for line in sources.split(separator: "\n") where line.hasPrefix("|") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let capture = cells.first(where: { $0.hasPrefix("tcpdump/") && ($0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng")) }),
                  let output = cells.first(where: { $0.hasPrefix("tcpdump/") && $0.hasSuffix(".out") }),
                  let text = Fixtures.text("corpus/" + output), text.contains("BOOTP/DHCP") else { continue }
            let item = TcpdumpCase(capture: "corpus/" + capture, output: "corpus/" + output)
            if !cases.contains(item) { cases.append(item) }
        }
        return cases
    }()
}

/// What a tcpdump `-v` block says about one BOOTP/DHCP packet.
struct TcpdumpBlock {
    var frame: Int
    var lines: [String]

    /// Splits an output into per-packet blocks at the `-#` packet number that starts each packet.
    static func parse(_ text: String) -> [TcpdumpBlock] {
        var blocks = [TcpdumpBlock]()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let trimmed = line.drop(while: { $0 == " " })
            let digits = trimmed.prefix(while: \.isNumber)
            if !digits.isEmpty, line.hasPrefix(" "), trimmed.dropFirst(digits.count).hasPrefix("  "), let number = Int(digits) {
                blocks.append(TcpdumpBlock(frame: number, lines: [line]))
            } else if !blocks.isEmpty {
                blocks[blocks.count - 1].lines.append(line)
            }
        }
        return blocks
    }

    var text: String { lines.joined(separator: "\n") }

    /// The words after `label` up to the next comma or end of line, on the first line that has it.
    func value(after label: String) -> String? {
        for line in lines {
            guard let range = line.range(of: label) else { continue }
            let rest = line[range.upperBound...]
            return String(rest.prefix(while: { $0 != "," && $0 != " " && $0 != "\t" }))
        }
        return nil
    }

    /// "Server-ID (54), length 4: 1.2.3.4" → "1.2.3.4".
    func option(_ label: String) -> String? {
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(label + " ("), let colon = trimmed.range(of: ": ") else { continue }
            return String(trimmed[colon.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}

@Suite("tcpdump expected output")
struct TcpdumpOutputTests {
    /// tcpdump's names for option 53 values (print-bootp.c), where they differ from ours.
    static let tcpdumpTypeNames = ["NACK": "NAK"]

    @Test("our decode agrees with tcpdump -v on type, xid and addresses", arguments: TcpdumpCase.all)
    func output(_ item: TcpdumpCase) throws {
        let text = try #require(Fixtures.text(item.output))
        let blocks = TcpdumpBlock.parse(text).filter { $0.text.contains("BOOTP/DHCP") }
        #expect(!blocks.isEmpty)

        // Our messages by frame number.
        let messages = try FrameMessages.all(at: Fixtures.root.appendingPathComponent(item.capture).path)

        var differences = [Difference]()
        var checks = 0
        func check(_ frame: Int, _ field: String, _ theirs: String?, _ ours: String?) {
            guard let theirs else { return }
            checks += 1
            if theirs != ours { differences.append(Difference(frame: frame, field: "tcpdump.\(field)", detail: "ours \(ours ?? "none"), tcpdump \(theirs)")) }
        }
        for block in blocks {
            guard let message = messages[block.frame] else {
                differences.append(Difference(frame: block.frame, field: "tcpdump.frame", detail: "tcpdump prints BOOTP/DHCP; we decode no DHCP message"))
                continue
            }
            let header = block.lines.first(where: { $0.contains("BOOTP/DHCP") }) ?? ""
            let kind = header.components(separatedBy: "BOOTP/DHCP, ").last.map { String($0.prefix(while: { $0 != "," && $0 != " " })) }
            check(block.frame, "op", kind == "Request" || kind == "Reply" ? kind : nil, message.op == 1 ? "Request" : message.op == 2 ? "Reply" : "\(message.op)")
            check(block.frame, "from", block.value(after: "Request from "), message.clientMAC?.description)
            check(block.frame, "xid", block.value(after: "xid 0x"), String(message.xid, radix: 16))
            check(block.frame, "Client-IP", block.value(after: "Client-IP "), message.clientAddress.description)
            check(block.frame, "Your-IP", block.value(after: "Your-IP "), message.yourAddress.description)
            check(block.frame, "Server-IP", block.value(after: "Server-IP "), message.serverAddress.description)
            check(block.frame, "Gateway-IP", block.value(after: "Gateway-IP "), message.relayAddress.description)
            check(block.frame, "Client-Ethernet-Address", block.value(after: "Client-Ethernet-Address "), message.clientMAC?.description)
            let type = block.option("DHCP-Message").map { Self.tcpdumpTypeNames[$0.uppercased()] ?? $0.uppercased() }
            check(block.frame, "DHCP-Message", type, message.messageType?.description)
            check(block.frame, "Server-ID", block.option("Server-ID"), message.serverIdentifier?.description)
            check(block.frame, "Requested-IP", block.option("Requested-IP"), message.requestedAddress?.description)
            check(block.frame, "Lease-Time", block.option("Lease-Time"), message.leaseTime.map { "\($0)" })
        }

        let known = KnownDifference.forFile(item.output)
        var used = Set<KnownDifference>()
        for difference in differences {
            if let entry = known.first(where: { $0.matches(frame: difference.frame, field: difference.field) }) {
                used.insert(entry)
            } else {
                Issue.record("\(item.output): \(difference)")
            }
        }
        for entry in known where !used.contains(entry) {
            Issue.record("\(item.output): listed difference no longer occurs: \(entry) (\(entry.reason))")
        }
        print("conformance tcpdump \(item.output): \(blocks.count) BOOTP/DHCP packets, \(checks) fields checked")
    }
}
