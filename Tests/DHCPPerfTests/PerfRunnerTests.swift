import DHCPClients
import DHCPCore
import DHCPPerf
import DHCPProtocol
import Foundation
import Testing

/// A run on the fake clock against the pure server: the runner, the fleet and the client machines as perf runs
/// them, with no socket and no real time.
func run(_ plan: PerfPlan, clients: PerfClients = PerfClients(total: 50, firstMAC: PerfClients.defaultFirstMAC),
         link adjust: (ServerLink) -> Void = { _ in }) throws -> (PerfSummary, ServerLink, [PerfProgress]) {
    let clock = FakeClock()
    let link = ServerLink(clock: clock)
    adjust(link)
    let runner = PerfRunner(link: link, clients: clients.settings(), plan: plan, seed: 1, clock: { clock.now })
    var progress: [PerfProgress] = []
    let summary = try runner.run(progress: { progress.append($0) }, seen: { _, _, _ in })
    return (summary, link, progress)
}

@Suite("perf against the server machine on a fake clock")
struct PerfRunnerTests {
    @Test("4-way at 100/s for 2 s: 200 DORAs, latency per step as the server answers")
    func fourWay() throws {
        let (summary, link, progress) = try run(PerfPlan(rate: 100, duration: 2))
        #expect(summary.sent == 200)
        #expect(summary.completed == 200)
        #expect(summary.drops == 0 && summary.naks == 0 && summary.duplicates == 0)
        #expect(link.received["DISCOVER"] == 200 && link.received["REQUEST"] == 200)
        #expect(summary.discoverOffer.milliseconds(atPercentile: 50) == 2)
        #expect(summary.requestAck.milliseconds(atPercentile: 99.9) == 2)
        #expect(summary.exchange.maxMilliseconds.map { abs($0 - 4) < 0.01 } == true)
        #expect(summary.achievedRate == 100)
        #expect(!summary.generatorLimited)
        // At 1 s exchanges 0…100 have come due (the 101st exactly then).
        #expect(progress.first?.sent == 101)
    }

    @Test("At 2,000/s perf wakes only to send and reads the replies queued since: each is timed at its arrival")
    func wakesForSendsOnly() throws {
        let (summary, link, _) = try run(PerfPlan(rate: 2000, duration: 0.5),
                                         clients: PerfClients(total: 200, firstMAC: PerfClients.defaultFirstMAC)) { $0.latency = 0.0023 }
        #expect(summary.sent == 1000 && summary.completed == 1000 && summary.drops == 0)
        #expect(link.received["DISCOVER"] == 1000 && link.received["REQUEST"] == 1000)
        // Read at the next send (sends every 0.5 ms), but timed when they came: exactly the server's 2.3 ms a step.
        #expect(summary.discoverOffer.maxMilliseconds.map { abs($0 - 2.3) < 0.01 } == true)
        #expect(summary.requestAck.maxMilliseconds.map { abs($0 - 2.3) < 0.01 } == true)
        // The REQUEST leaves when the OFFER is read, 0.2 ms after it came: the whole exchange takes 4.8 ms.
        #expect(summary.exchange.maxMilliseconds.map { abs($0 - 4.8) < 0.01 } == true)
        #expect(!summary.generatorLimited)
    }

    @Test("Open loop: a server that takes 300 ms does not slow the sends; its slowness shows as latency")
    func openLoop() throws {
        let clients = PerfClients(total: 100, firstMAC: PerfClients.defaultFirstMAC)
        let (summary, _, _) = try run(PerfPlan(rate: 100, duration: 1), clients: clients) { $0.latency = 0.3 }
        #expect(summary.sent == 100)
        #expect(summary.completed == 100)
        #expect(summary.exchange.milliseconds(atPercentile: 50).map { abs($0 - 600) < 1 } == true)
    }

    @Test("A lost DISCOVER is a drop after the drop time, and is never retransmitted")
    func drops() throws {
        var discovers = 0
        let (summary, link, _) = try run(PerfPlan(rate: 100, duration: 1, dropTime: 0.5)) { link in
            link.hears = { message in
                guard message.messageType == .discover else { return true }
                discovers += 1
                return discovers % 4 != 0
            }
        }
        #expect(summary.sent == 100)
        #expect(summary.drops == 25 && summary.dropsDiscoverOffer == 25 && summary.dropsRequestAck == 0)
        #expect(summary.completed == 75)
        #expect(discovers == 100)
        #expect(link.received["REQUEST"] == 75)
        #expect(PerfDropLimit.count(24).isExceeded(failed: summary.failed, of: summary.sent))
        #expect(!PerfDropLimit.percent(25).isExceeded(failed: summary.failed, of: summary.sent))
    }

    @Test("Replies after the drop time are late, not completions")
    func late() throws {
        let (summary, _, _) = try run(PerfPlan(rate: 20, duration: 1, dropTime: 0.5)) { $0.latency = 0.8 }
        #expect(summary.sent == 20)
        #expect(summary.completed == 0)
        #expect(summary.drops == 20)
        // The run ends when the last exchange is dropped (0.95 s + 0.5 s): the OFFERs of exchanges started by
        // 0.65 s came before that.
        #expect(summary.lateReplies == 14)
    }

    @Test("Every reply twice: one duplicate per OFFER and per ACK, and every exchange still completes once")
    func duplicates() throws {
        let (summary, _, _) = try run(PerfPlan(rate: 50, duration: 1)) { $0.duplicateReplies = true }
        #expect(summary.completed == 50)
        // The copy of the last ACK comes after the run has ended.
        #expect(summary.duplicates == 2 * summary.completed - 1)
    }

    @Test("2-way: DISCOVER → OFFER only, no REQUEST reaches the server")
    func twoWay() throws {
        let (summary, link, _) = try run(PerfPlan(rate: 100, count: 150, mix: PerfMix(only: .discoverOffer)))
        #expect(summary.sent == 150 && summary.completed == 150)
        #expect(link.received["REQUEST"] == nil)
        #expect(summary.requestAck.count == 0)
        #expect(summary.discoverOffer.count == 150)
    }

    @Test("A mix: renewals unicast with ciaddr, releases, INIT-REBOOTs — all by clients that hold leases")
    func mix() throws {
        let mix = try PerfMix.parse("dora:50,renew:20,release:10,init-reboot:20").get()
        let (summary, link, _) = try run(PerfPlan(rate: 100, duration: 3, mix: mix))
        #expect(summary.sent == 300)
        #expect(summary.drops == 0 && summary.naks == 0)
        #expect(summary.completed == 300)
        let renew = summary.kinds["renew"]?.sent ?? 0
        let release = summary.kinds["release"]?.sent ?? 0
        let reboot = summary.kinds["init-reboot"]?.sent ?? 0
        #expect(renew > 40 && release > 20 && reboot > 40)
        #expect(link.received["RENEW"] == Int(renew))
        #expect(link.received["RELEASE"] == Int(release))
        #expect(link.received["REQUEST"] == Int(summary.sent - renew - release - (summary.kinds["2way"]?.sent ?? 0)))
    }

    @Test("NAKs count as failed exchanges, and the client goes back to INIT without a DISCOVER of its own")
    func naks() throws {
        let (summary, link, _) = try run(PerfPlan(rate: 50, duration: 1)) { $0.server = nakAll() }
        #expect(summary.naks == 50)
        #expect(summary.completed == 0)
        #expect(link.received["DISCOVER"] == 50)
    }

    @Test("Relay mode: giaddr and option 82 per client; each giaddr's subnet gives the addresses")
    func relay() throws {
        let first = IPv4Address(198, 18, 70, 1), second = IPv4Address(198, 18, 71, 1)
        let clients = PerfClients(total: 20, firstMAC: PerfClients.defaultFirstMAC, relays: [first, second], server: serverID)
        let clock = FakeClock()
        let link = ServerLink(clock: clock, subnets: [subnet(70), subnet(71)])
        let runner = PerfRunner(link: link, clients: clients.settings(), plan: PerfPlan(rate: 20, duration: 1), seed: 1,
                                clock: { clock.now })
        let summary = try runner.run(progress: { _ in }, seen: { _, _, _ in })
        #expect(summary.completed == 20)
        #expect(link.receivedMessages.allSatisfy { [first, second].contains($0.relayAddress) })
        let circuits = Set(link.receivedMessages.compactMap { $0.option(.relayAgentInformation) }.compactMap {
            RelayAgentInformation.split($0.data)?.first { $0.code == 1 }.map { String(decoding: $0.data, as: UTF8.self) }
        })
        #expect(circuits == Set((0..<20).map { "perf-\($0)" }))
        let leased = link.server.store.allLeases().map { $0.address.octets[2] }
        #expect(Set(leased) == [70, 71])
    }

    @Test("Too few clients for the rate: the exchanges that find none free are the generator's shortfall")
    func noFreeClient() throws {
        let clients = PerfClients(total: 5, firstMAC: PerfClients.defaultFirstMAC)
        let (summary, _, _) = try run(PerfPlan(rate: 100, duration: 1), clients: clients) { $0.latency = 0.2 }
        #expect(summary.noFreeClient > 0)
        #expect(summary.sent + summary.noFreeClient == 100)
        #expect(summary.generatorLimited)
    }

    @Test("Warm-up: exchanges started in the first second are run but not counted")
    func warmup() throws {
        let (summary, link, _) = try run(PerfPlan(rate: 100, duration: 2, warmup: 1))
        #expect(summary.sent == 100)
        #expect(link.received["DISCOVER"] == 200)
    }

    @Test("Two shards merged: counts add up and the histograms are merged, not averaged")
    func merge() throws {
        let total = 40
        let fast = PerfClients(total: total, firstMAC: PerfClients.defaultFirstMAC, shard: PerfShard(index: 0, count: 2))
        let slow = PerfClients(total: total, firstMAC: PerfClients.defaultFirstMAC, shard: PerfShard(index: 1, count: 2))
        let (a, _, _) = try run(PerfPlan(rate: 30, duration: 1), clients: fast)
        let (b, _, _) = try run(PerfPlan(rate: 10, duration: 1), clients: slow) { $0.latency = 0.010 }
        // Through JSON, as `perf --merge` reads the summary lines back.
        let decoded = try [a, b].map { try JSONDecoder().decode(PerfSummary.self, from: JSONEncoder().encode($0)) }
        let merged = PerfSummary.merged(decoded)
        #expect(merged.runs == 2 && merged.clients == 40)
        #expect(merged.sent == 40 && merged.completed == 40)
        #expect(merged.offeredRate == 40)
        #expect(merged.discoverOffer.count == 40)
        #expect(merged.discoverOffer.milliseconds(atPercentile: 50) == 2)
        #expect(merged.discoverOffer.milliseconds(atPercentile: 90).map { abs($0 - 10) < 0.01 } == true)
        #expect(Set(fast.settings().map(\.hardwareAddress)).isDisjoint(with: slow.settings().map(\.hardwareAddress)))
    }
}

func nakAll() -> DHCPServer<DHCPMemoryLeaseStore> {
    var configuration = DHCPServerConfiguration(serverIdentifier: serverID, subnets: [ServerLink.lan()])
    configuration.faults.nakAll = true
    return DHCPServer(configuration: configuration, store: DHCPMemoryLeaseStore())
}

func subnet(_ third: UInt8) -> DHCPSubnet {
    DHCPSubnet(network: IPv4Address(198, 18, third, 0), prefixLength: 24,
               pools: [DHCPAddressRange(IPv4Address(198, 18, third, 100), IPv4Address(198, 18, third, 199))], leaseTime: 3600)
}

@Suite("perf's plans: --mix, --shard, --max-drops")
struct PerfPlanTests {
    @Test("--mix picks every kind in proportion, spread through the run")
    func mixProportions() throws {
        var mix = try PerfMix.parse("dora:70,renew:20,release:10").get()
        let picks = (0..<100).map { _ in mix.next() }
        #expect(picks.filter { $0 == .dora }.count == 70)
        #expect(picks.filter { $0 == .renew }.count == 20)
        #expect(picks.filter { $0 == .release }.count == 10)
        #expect(picks.prefix(10).filter { $0 == .dora }.count == 7)
    }

    @Test("--mix refuses unknown kinds, bad weights, repeats, and leases with nothing to obtain them")
    func mixErrors() {
        for text in ["dora", "dora:x", "foo:1", "dora:1,dora:2", "renew:10", "dora:0"] {
            #expect(throws: PerfPlanError.self) { try PerfMix.parse(text).get() }
        }
        #expect((try? PerfMix.parse("4way:1,2way:1").get())?.description == "dora:1,2way:1")
    }

    @Test("--shard i/N splits the client numbers and the count")
    func shard() throws {
        let shards = try (1...3).map { try PerfShard.parse("\($0)/3").get() }
        let numbers = shards.flatMap { Array($0.clientNumbers(of: 10)) }
        #expect(numbers.sorted() == Array(0..<10))
        #expect(shards.map { $0.share(of: 10) } == [4, 3, 3])
        for text in ["0/3", "4/3", "1", "a/b", "1/0"] {
            #expect(throws: PerfPlanError.self) { try PerfShard.parse(text).get() }
        }
    }

    @Test("--max-drops N or P%")
    func dropLimit() throws {
        #expect(try PerfDropLimit.parse("3").get() == .count(3))
        #expect(try PerfDropLimit.parse("0.5%").get() == .percent(0.5))
        #expect(PerfDropLimit.percent(1).isExceeded(failed: 2, of: 100))
        #expect(!PerfDropLimit.percent(1).isExceeded(failed: 1, of: 100))
        #expect(throws: PerfPlanError.self) { try PerfDropLimit.parse("-1").get() }
        #expect(throws: PerfPlanError.self) { try PerfDropLimit.parse("120%").get() }
    }
}
