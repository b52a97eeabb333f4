import DHCPClients
import DHCPCore
import DHCPPerf
import DHCPProtocol
import ServerProbe
import Testing

/// The client machine is the only way a client changes state: mock-client's session, probe and perf, driven against
/// the pure server on a fake clock, emit only transitions that are arrows of RFC 2131 Figure 5, and never report an
/// event without one.
@Suite("Every transition the client roles emit is an arrow of Figure 5")
struct FigureFiveTests {
    /// Each transition checked against the figure; problems of the machine gathered.
    final class Steps {
        var transitions: [DHCPClientTransition] = []
        var unexpected: [DHCPClientProblem] = []

        func see(_ event: DHCPClientFleet.Event) {
            switch event {
            case .action(_, .transition(let step)): transitions.append(step)
            case .action(_, .problem(let problem)) where problem.code == "unexpected-transition": unexpected.append(problem)
            default: break
            }
        }

        func check(_ name: String, atLeast arrows: Set<String>) {
            for step in transitions {
                #expect(DHCPClientStateMachine.transition(from: step.from, on: step.event)?.to == step.to,
                        "\(name): \(step.from.rawValue) → \(step.to.rawValue) on \(step.event) is not an arrow of Figure 5")
            }
            #expect(unexpected.isEmpty, "\(name): \(unexpected.map(\.text))")
            let seen = Set(transitions.map { "\($0.from.rawValue)→\($0.to.rawValue)" })
            #expect(seen.isSuperset(of: arrows), "\(name): \(seen.sorted())")
        }
    }

    @Test("mock-client: DORA, a DECLINE, renewal at T1, rebinding when the server ignores renewals, release")
    func mockClient() throws {
        let clock = FakeClock()
        let link = ServerLink(clock: clock)
        var settings = PerfClients(total: 4, firstMAC: PerfClients.defaultFirstMAC).settings()
        settings[0].declineFirstLease = true
        let fleet = DHCPClientFleet(socket: link, clients: settings, seed: 7)
        fleet.clock = { clock.now }
        let steps = Steps()
        let start = clock.now
        let session = DHCPClientSession(fleet: fleet, plan: .init(deadline: start + 6500, givesUp: false, leaseEventLimit: nil,
                                                                  release: true, inform: nil, remembered: [:]))
        // The first renewals (T1, 1800 s) are answered; past 2000 s the server stops answering renewals (unicast,
        // ciaddr set), so the next ones give way to rebinding at T2.
        link.hearsSentTo = { message, destination in
            !(clock.now > start + 2000 && message.messageType == .request && message.clientAddress != .any
              && destination != .broadcast)
        }
        try session.run(steps.see, save: { _ in })
        steps.check("mock-client", atLeast: ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND", "REQUESTING→INIT",
                                             "BOUND→RENEWING", "RENEWING→BOUND", "RENEWING→REBINDING", "REBINDING→BOUND",
                                             "BOUND→RELEASED"])
    }

    @Test("probe: every probe kind, its answers taken along the figure")
    func probe() throws {
        let clock = FakeClock()
        let link = ServerLink(clock: clock) { $0.authoritative = true }
        var settings = ServerProbe.Settings(client: DHCPClientSettings(hardwareAddress: PerfClients.defaultFirstMAC))
        settings.kinds = ServerProbe.Kind.allCases
        settings.timeout = 2
        settings.full = true
        settings.probeAddress = IPv4Address(198, 18, 1, 7)
        settings.probeServer = serverID
        let steps = Steps()
        let result = try ServerProbe(settings: settings).rounds(on: link, vlan: nil, seed: 3, pause: nil, limit: 1,
                                                               clock: { clock.now }, { event in
            if case .fleet(let event) = event { steps.see(event) }
        }, round: { _, _ in })
        #expect(result.servers.count == 1)
        steps.check("probe", atLeast: ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND", "INIT-REBOOT→REBOOTING",
                                       "RENEWING→REBINDING"])
    }

    @Test("perf: a mix of DORAs, renewals, INIT-REBOOTs and releases")
    func perf() throws {
        let clock = FakeClock()
        let link = ServerLink(clock: clock)
        let mix = try PerfMix.parse("dora:40,renew:30,init-reboot:20,release:10").get()
        let runner = PerfRunner(link: link, clients: PerfClients(total: 30, firstMAC: PerfClients.defaultFirstMAC).settings(),
                                plan: PerfPlan(rate: 50, duration: 4, mix: mix), seed: 5, clock: { clock.now })
        let steps = Steps()
        runner.onTransition = { _, step, _ in steps.transitions.append(step) }
        let summary = try runner.run(progress: { _ in }, seen: { _, _, _ in })
        #expect(summary.completed == summary.sent && summary.problemCodes["unexpected-transition"] == nil)
        steps.check("perf", atLeast: ["INIT→SELECTING", "SELECTING→REQUESTING", "REQUESTING→BOUND", "BOUND→RENEWING",
                                      "RENEWING→BOUND", "INIT-REBOOT→REBOOTING", "REBOOTING→BOUND", "BOUND→RELEASED"])
    }
}
