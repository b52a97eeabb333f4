import DHCPAnalysis
import DHCPCore
import DHCPProtocol
import Testing

/// starvation and pool-exhausted: each with the script that triggers it and the same script without its fault.
@Suite("Diagnostics: starvation and pool exhaustion")
struct FloodTests {
    /// `count` new clients (numbers from `first`) each sending one DISCOVER, evenly over `seconds` from `start`.
    static func newClients(_ s: inout Scenario, count: Int, first: Int = 1, over seconds: Double, start: Double = 0) {
        for index in 0..<count {
            let client = Client(UInt8(truncatingIfNeeded: first + index))
            s.discover(client, xid: 0x5000_0000 | UInt32(first + index), at: start + seconds * Double(index) / Double(count))
        }
    }

    @Test("starvation: 120 previously unseen clients DISCOVER within 2 s")
    func starvation() throws {
        var s = Scenario()
        Self.newClients(&s, count: 120, over: 2)
        let problem = try #require(expectOne(s, .starvation, .error, rfc: nil))
        #expect(problem.text.hasPrefix("100 previously unseen clients sent DISCOVER within 1.6"))
    }

    @Test("no starvation: 60 new clients within 2 s, or 200 over 100 s")
    func noStarvation() {
        var few = Scenario()
        Self.newClients(&few, count: 60, over: 2)
        #expect(few.problems(.starvation).isEmpty)
        var slow = Scenario()
        Self.newClients(&slow, count: 200, over: 100)
        #expect(slow.problems(.starvation).isEmpty)
        // The same clients again at once are not new.
        var again = Scenario()
        Self.newClients(&again, count: 60, over: 2)
        Self.newClients(&again, count: 60, over: 2, start: 3)
        #expect(again.problems(.starvation).isEmpty)
    }

    @Test("starvation is reported once a burst, and again after a lull")
    func starvationReArms() {
        var s = Scenario { $0.floods.starvationClients = 20 }
        Self.newClients(&s, count: 40, over: 2)
        Self.newClients(&s, count: 40, first: 100, over: 2, start: 30)
        #expect(s.problems(.starvation).count == 2)
    }

    /// The server offers to three clients; three more DISCOVER at 1 s and again at 5 s (`fault`), or get OFFERs.
    static func silentServer(fault: Bool) -> Scenario {
        var s = Scenario()
        for number in 1...3 {
            let client = Client(UInt8(number))
            s.discover(client, xid: UInt32(number), at: Double(number) * 0.1)
            s.offer(client, xid: UInt32(number), at: Double(number) * 0.1 + 0.01, yiaddr: Net.address(UInt8(99 + number)))
        }
        for attempt in [1.0, 5.0] {
            for number in 4...6 {
                let client = Client(UInt8(number))
                s.discover(client, xid: UInt32(number), at: attempt + Double(number) * 0.01)
                if !fault { s.offer(client, xid: UInt32(number), at: attempt + Double(number) * 0.01 + 0.005, yiaddr: Net.address(UInt8(99 + number))) }
            }
        }
        return s
    }

    @Test("pool-exhausted: a server that offered falls silent while three clients DISCOVER")
    func silentServer() throws {
        let s = Self.silentServer(fault: true)
        let problem = try #require(expectOne(s, .poolExhausted, .error, rfc: nil))
        #expect(problem.ip == Net.server.ip && problem.text.contains("3 clients"))
        #expect(Self.silentServer(fault: false).problems(.poolExhausted).isEmpty)
    }

    /// `count` clients each REQUEST an address and get a NAK, 0.2 s apart.
    static func naks(_ count: Int) -> Scenario {
        var s = Scenario()
        for number in 1...count {
            let client = Client(UInt8(number))
            s.request(client, xid: UInt32(number), at: Double(number) * 0.2, address: Net.address(UInt8(number)))
            s.nak(client, xid: UInt32(number), at: Double(number) * 0.2 + 0.01)
        }
        return s
    }

    @Test("pool-exhausted: 20 NAKs within 10 s; 10 are not a burst")
    func nakBurst() throws {
        let problem = try #require(expectOne(Self.naks(25), .poolExhausted, .error, rfc: nil))
        #expect(problem.text.contains("20 NAKs"))
        #expect(Self.naks(10).problems(.poolExhausted).isEmpty)
    }
}
