import Dispatch
import Glibc

/// SIGINT and SIGTERM turned into a call on a dispatch queue instead of the end of the process, so that a
/// long-running command can stop cleanly: flush its files and print its summary.
/// The signals are ignored first (`SIG_IGN`), then watched with `DispatchSource`; `cancel()` puts the default
/// actions back.
public final class StopSignals {
    private var sources: [any DispatchSourceSignal] = []
    private let numbers: [Int32]

    /// `action` runs on a global queue, once per signal received; `numbers` are SIGINT and SIGTERM unless given
    /// (mock-server watches SIGHUP too, to read its reservations again).
    public init(_ numbers: [Int32] = [SIGINT, SIGTERM], _ action: @escaping @Sendable (_ signal: Int32) -> Void) {
        self.numbers = numbers
        // A parent may have left them blocked (a mask is inherited through exec): they must get through.
        var mask = sigset_t()
        sigemptyset(&mask)
        for number in numbers { sigaddset(&mask, number) }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
        for number in numbers {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { action(number) }
            source.resume()
            sources.append(source)
        }
    }

    public func cancel() {
        for source in sources { source.cancel() }
        sources.removeAll()
        for number in numbers { signal(number, SIG_DFL) }
    }

    deinit { cancel() }
}
