import Capture
import DHCPAnalysis
import Foundation
import Framing
import Testing

/// Hand-written facts about each corpus capture (Fixtures/facts/*.json): which clients end in which RFC 2131 state,
/// which leases exist, which servers answered how often, how many transactions ended how, and which problems must
/// and must not be reported. They were worked out from the capture with tshark and the RFC, not recorded from the
/// analyzer; Fixtures/facts/README.md describes the format.
///
/// A fact the analyzer is known to get wrong is listed under `known_issues` by its check name: its mismatch is
/// reported through `withKnownIssue` (visible, not failing), and the test fails when the mismatch stops happening,
/// so the entry gets removed when the analyzer is fixed.
@Suite("expected facts")
struct ExpectedFactsTests {
    @Test("the analyzer agrees with the hand-written facts", arguments: FactsFile.all)
    func facts(_ file: FactsFile) throws {
        let facts = try file.load()
        let result = try AnalysisResult(capture: facts.capture)
        let checks = facts.checks(against: result)
        var mismatches = [String: [String]]()
        for check in checks where check.actual != check.expected {
            mismatches[check.name, default: []].append("expected \(check.expected), the analyzer has \(check.actual)")
        }
        let known = facts.knownIssues
        let names = Set(checks.map(\.name))
        for name in known.keys.sorted() where !names.contains(name) {
            Issue.record("\(file.name): known issue '\(name)' names no check")
        }
        for name in known.keys.sorted() where names.contains(name) {
            let reason = known[name] ?? ""
            withKnownIssue("\(facts.capture): \(name): \(reason)") {
                for message in mismatches[name] ?? [] {
                    Issue.record("\(facts.capture): \(name): \(message) (known analyzer bug)")
                }
            }
        }
        for name in mismatches.keys.sorted() where known[name] == nil {
            for message in mismatches[name] ?? [] {
                Issue.record("\(facts.capture): \(name): \(message)")
            }
        }
    }

    @Test("every DHCPv4 capture of the corpus has a facts file or is listed as skipped")
    func coverage() throws {
        let covered = Set(try FactsFile.all.map { try $0.load().capture })
        let readme = Fixtures.text("facts/README.md") ?? ""
        for capture in Fixtures.corpusCaptures {
            let path = String(capture.path.dropFirst("corpus/".count))
            if covered.contains(path) { continue }
            #expect(readme.contains("`\(path)`"), "\(path) has neither a facts file nor a line in facts/README.md")
        }
    }
}

/// One file in Fixtures/facts.
struct FactsFile: Sendable, Hashable, CustomTestStringConvertible {
    var name: String
    var testDescription: String { name }

    static let all: [FactsFile] = {
        let folder = Fixtures.root.appendingPathComponent("facts")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map(FactsFile.init(name:))
    }()

    func load() throws -> Facts {
        let data = try Data(contentsOf: Fixtures.root.appendingPathComponent("facts/" + name))
        do {
            return try JSONDecoder().decode(Facts.self, from: data)
        } catch {
            throw FactsError("\(name): \(error)")
        }
    }
}

struct FactsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The facts of one capture. Every field but `capture` and `notes` is optional; a field that is present is compared
/// exactly (a map or list names every client, lease, server, kind or outcome there is).
struct Facts: Decodable {
    struct Lease: Decodable, Hashable { var ip: String; var mac: String; var state: String }
    struct Server: Decodable, Hashable {
        var offers: Int; var acks: Int; var naks: Int
    }

    /// Relative to Fixtures/corpus.
    var capture: String
    /// MAC → final state, for every client.
    var clients: [String: String]?
    /// State → number of clients, when there are too many clients to list.
    var client_states: [String: Int]?
    var leases: [Lease]?
    /// Server identifier → replies counted.
    var servers: [String: Server]?
    /// Transaction kind → count.
    var transactions: [String: Int]?
    /// Transaction outcome → count.
    var outcomes: [String: Int]?
    var problems_present: [String]?
    var problems_absent: [String]?
    /// Problem code → exact number of reports.
    var problem_counts: [String: Int]?
    /// Check name → why the analyzer is believed wrong.
    var known_issues: [String: String]?
    var notes: String

    var knownIssues: [String: String] { known_issues ?? [:] }

    struct Check { var name: String; var expected: String; var actual: String }

    /// Every comparison, by a stable name (`clients`, `client 90:b1:…`, `servers 10.0.0.1 offers`, `problem nak` …).
    func checks(against result: AnalysisResult) -> [Check] {
        var checks = [Check]()
        func add(_ name: String, _ expected: some CustomStringConvertible, _ actual: some CustomStringConvertible) {
            checks.append(Check(name: name, expected: expected.description, actual: actual.description))
        }
        func describe(_ counts: [String: Int]) -> String {
            counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        if let clients {
            add("clients", clients.keys.sorted().joined(separator: " "), result.clients.keys.sorted().joined(separator: " "))
            for (mac, state) in clients.sorted(by: { $0.key < $1.key }) {
                add("client \(mac)", state, result.clients[mac] ?? "absent")
            }
        }
        if let client_states {
            var actual = [String: Int]()
            for state in result.clients.values { actual[state, default: 0] += 1 }
            add("client_states", describe(client_states), describe(actual))
        }
        if let leases {
            let key = { (ip: String, mac: String) in "\(ip) \(mac)" }
            let expected = Dictionary(leases.map { (key($0.ip, $0.mac), $0.state) }, uniquingKeysWith: { first, _ in first })
            add("leases", expected.keys.sorted().joined(separator: ", "), result.leases.keys.sorted().joined(separator: ", "))
            for (name, state) in expected.sorted(by: { $0.key < $1.key }) {
                add("lease \(name)", state, result.leases[name] ?? "absent")
            }
        }
        if let servers {
            add("servers", servers.keys.sorted().joined(separator: " "), result.servers.keys.sorted().joined(separator: " "))
            for (id, counts) in servers.sorted(by: { $0.key < $1.key }) {
                let actual = result.servers[id]
                add("server \(id) offers", counts.offers, actual.map { String($0.offers) } ?? "absent")
                add("server \(id) acks", counts.acks, actual.map { String($0.acks) } ?? "absent")
                add("server \(id) naks", counts.naks, actual.map { String($0.naks) } ?? "absent")
            }
        }
        if let transactions { add("transactions", describe(transactions), describe(result.kinds)) }
        if let outcomes { add("outcomes", describe(outcomes), describe(result.outcomes)) }
        for code in problems_present ?? [] {
            add("problem \(code) present", "present", (result.problems[code] ?? 0) > 0 ? "present" : "absent")
        }
        for code in problems_absent ?? [] {
            let count = result.problems[code] ?? 0
            add("problem \(code) absent", "absent", count == 0 ? "absent" : "reported \(count) times")
        }
        for (code, count) in (problem_counts ?? [:]).sorted(by: { $0.key < $1.key }) {
            add("problem \(code) count", count, result.problems[code] ?? 0)
        }
        return checks
    }
}

/// What the analyzer says about a capture, read the way `dhcpscope analyse` reads it.
struct AnalysisResult {
    /// MAC → final state.
    var clients: [String: String] = [:]
    /// "ip mac" → state.
    var leases: [String: String] = [:]
    var servers: [String: Facts.Server] = [:]
    var kinds: [String: Int] = [:]
    var outcomes: [String: Int] = [:]
    var problems: [String: Int] = [:]

    init(capture: String) throws {
        let reader = try PCAPFileReader(path: Fixtures.root.appendingPathComponent("corpus/" + capture).path)
        let linkType = LinkType(rawValue: reader.linkType)
        var decoder = DHCPFrameDecoder()
        var analyzer = DHCPAnalyzer()
        var events = [AnalysisEvent]()
        while let packet = try reader.next() {
            let decoded = decoder.decode(packet.bytes, linkType: linkType, time: packet.timestamp)
            guard case .dhcp(let record) = decoded.content else { continue }
            let frame = FrameReference(file: 0, frame: packet.frameNumber, time: packet.timestamp)
            events += analyzer.observe(record, link: decoded.link, frame: frame)
        }
        analyzer.finish { events += $0 }
        for event in events {
            switch event {
            case .transaction(let transaction):
                kinds[transaction.kind.rawValue, default: 0] += 1
                outcomes[transaction.outcome.rawValue, default: 0] += 1
            case .problem(let problem):
                problems[problem.code.rawValue, default: 0] += 1
            case .transition, .transaction6, .transition6:
                break
            }
        }
        for client in analyzer.clientTable { clients[client.client.description] = client.state.rawValue }
        for lease in analyzer.leaseTable { leases["\(lease.ip) \(lease.client.description)"] = lease.state.rawValue }
        for server in analyzer.serverTable {
            servers[server.id.description] = Facts.Server(offers: server.offers, acks: server.acks, naks: server.naks)
        }
    }
}
