import DHCPCore
import DHCPNetwork
import DHCPProtocol

/// What the relay agent's runtime tells whoever runs it.
public protocol RelayObserver: AnyObject {
    func received(_ datagram: UDPDatagram)
    /// A request forwarded to a server (`toServer`), or a reply delivered to a client.
    func passed(_ message: DHCPMessage, link: DHCPRelayLink, to destination: String, toServer: Bool)
    func problem(_ problem: DHCPRelayProblem)
    /// A socket, or the `-w` file, that failed: not the relay agent's protocol.
    func failure(_ text: String)
}

/// relay's event loop: a `DHCPRelayAgent` on the client links' sockets and the upstream socket, taking at most 64
/// datagrams from a socket a round (so that the others get their turn and a flood cannot hide a stop), recording
/// every frame through the recorder.
public final class RelayRuntime {
    public let links: [ClientLink]
    private let upstream: UDPSocket
    /// The upstream interface when it is one (`--upstream`); nil: requests leave by routing.
    private let upstreamInterface: NetworkInterface?
    private let agent: DHCPRelayAgent
    private let recorder: MessageRecorder
    private let clock: RoleClock
    private var sockets: [UDPSocket] { links.map(\.socket) + [upstream] }

    public init(links: [ClientLink], upstream: UDPSocket, upstreamInterface: NetworkInterface?, agent: DHCPRelayAgent,
                recorder: MessageRecorder, clock: RoleClock = .process) {
        self.links = links; self.upstream = upstream; self.upstreamInterface = upstreamInterface; self.agent = agent
        self.recorder = recorder; self.clock = clock
    }

    /// What ends `run`, to call from any thread or a signal handler.
    public var stop: @Sendable () -> Void {
        let sockets = self.sockets
        return { for socket in sockets { socket.stop() } }
    }

    /// Relays until `stop()`, `deadline` (the clock's seconds), `limit` messages passed on, or a socket error
    /// (then false).
    public func run(until deadline: Double?, limit: Int?, observer: RelayObserver) -> Bool {
        let sockets = self.sockets
        let clientIndexes = Set(links.map(\.interface.index))
        var passed = 0
        defer {
            record(observer)
            recorder.close()
        }
        while true {
            var wait: Duration?
            if let deadline {
                let left = deadline - clock.now()
                if left <= 0 { return true }
                wait = .nanoseconds(Int64(left * 1e9))
            }
            do {
                if try UDPSocket.waitForAny(sockets, timeout: wait) == .stopped { return true }
                for (position, socket) in sockets.enumerated() {
                    var drained = 0
                    while drained < 64, let datagram = try socket.receiveQueued() {
                        drained += 1
                        // The unbound upstream socket also hears the clients' broadcasts: their link's socket has them.
                        if position == links.count, upstreamInterface == nil, let index = datagram.interfaceIndex,
                           clientIndexes.contains(index) { continue }
                        observer.received(datagram)
                        record(observer)
                        passed += perform(agent.handle(bytes: datagram.bytes, from: DHCPRelayReceipt(
                            interfaceIndex: datagram.interfaceIndex, sourceAddress: datagram.source,
                            sourcePort: datagram.sourcePort)), observer)
                        record(observer)
                        if let limit, passed >= limit { return true }
                    }
                }
            } catch {
                observer.failure(error.description)
                return false
            }
        }
    }

    /// Carries out the agent's actions; the number of messages passed on.
    private func perform(_ actions: [DHCPRelayAction], _ observer: RelayObserver) -> Int {
        var passed = 0
        for action in actions {
            switch action {
            case .forward(let message, let server, let link):
                do {
                    try upstream.send(message.serialize(), to: server, port: 67)
                    observer.passed(message, link: link, to: "\(server):67", toServer: true)
                    passed += 1
                } catch {
                    observer.failure("\(message.typeName) to \(server): \(error.description)")
                }
            case .deliver(let message, let link, let destination):
                guard let sender = links.first(where: { $0.interface.index == link.index }) else { continue }
                do {
                    try sender.send(message.serialize(), to: destination)
                    observer.passed(message, link: link, to: destination.description, toServer: false)
                    passed += 1
                } catch {
                    observer.failure("\(message.typeName) to \(destination) on \(link.name): \(error.description)")
                }
            case .problem(let problem):
                observer.problem(problem)
            }
        }
        return passed
    }

    private func record(_ observer: RelayObserver) {
        do { try recorder.collect(at: clock.now()) } catch { observer.failure("\(error)") }
    }
}
