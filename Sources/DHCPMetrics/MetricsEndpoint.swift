import Dispatch
import FlyingFox
import FlyingSocks
import Foundation
import Prometheus
import Synchronization

/// `--metrics ADDR:PORT`: a Prometheus text exposition endpoint, `GET /metrics`, serving a registry from
/// swift-prometheus through FlyingFox's HTTP server on tasks of its own; the role's loop only updates the registry
/// (which locks), so a scrape never waits for the loop.
public final class MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Where it listens, as given.
    public let address: String
    private let server: HTTPServer

    /// `ADDR:PORT` (`198.18.0.1:9100`, `[2001:db8::1]:9100`, `:9100` for every IPv4 address); nil when malformed.
    public static func parse(_ text: String) -> (host: String?, port: UInt16, ipv6: Bool)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0 else { return nil }
        var host = String(text[..<colon])
        var ipv6 = false
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            ipv6 = true
        }
        if host.isEmpty { return (nil, port, false) }
        return (host, port, ipv6)
    }

    /// Binds `text` (`ADDR:PORT`) and starts serving; throws, saying why, when it cannot listen there within 5 s.
    public init(listeningOn text: String, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) throws(MetricsError) {
        guard let (host, port, ipv6) = Self.parse(text) else {
            throw MetricsError("\(text): not ADDR:PORT (198.18.0.1:9100, [2001:db8::1]:9100 or :9100)")
        }
        func makeServer(on address: some SocketAddress) -> HTTPServer { HTTPServer(address: address, timeout: 10, logger: .disabled) }
        let server: HTTPServer
        do {
            if ipv6, let host { server = makeServer(on: try sockaddr_in6.inet6(ip6: host, port: port)) }
            else if let host { server = makeServer(on: try sockaddr_in.inet(ip4: host, port: port)) }
            else { server = makeServer(on: sockaddr_in.inet(port: port)) }
        } catch {
            throw MetricsError("\(text): not an address of this host's form: \(error)")
        }
        self.registry = registry
        address = text
        self.server = server
        let outcome = StartOutcome()
        let settled = DispatchSemaphore(value: 0)
        Task.detached {
            await server.appendRoute("GET /metrics") { _ in
                HTTPResponse(statusCode: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                             body: Data(registry.emitToBuffer()))
            }
            do {
                try await server.run()
            } catch {
                outcome.settle(.failure(error))
                settled.signal()
            }
        }
        Task.detached {
            guard (try? await server.waitUntilListening(timeout: 5)) != nil else { return }
            outcome.settle(.success(()))
            settled.signal()
        }
        _ = settled.wait(timeout: .now() + 6)
        switch outcome.result {
        case .success?: return
        case .failure(let error)?: throw MetricsError("\(text): cannot listen: \(error)")
        case nil: throw MetricsError("\(text): not listening after 5 s")
        }
    }

    /// Closes the listening socket.
    public func stop() {
        let server = self.server
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await server.stop(timeout: 1)
            done.signal()
        }
        _ = done.wait(timeout: .now() + 3)
    }
}

/// How starting ended, first come first kept: listening, or the error of `run()`.
private final class StartOutcome: Sendable {
    private let value = Mutex<Result<Void, any Error>?>(nil)

    func settle(_ result: Result<Void, any Error>) { value.withLock { if $0 == nil { $0 = result } } }
    var result: Result<Void, any Error>? { value.withLock { $0 } }
}

/// The endpoint could not start: one line.
public struct MetricsError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
