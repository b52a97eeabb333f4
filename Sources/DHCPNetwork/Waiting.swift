import CNetShim
import Glibc
import Synchronization

/// The stop pipe of a socket: `signal()` sets a flag and writes one byte; the byte stays, so every later wait
/// stops too. Both are async-signal-safe, so `signal()` may come from another thread or a signal handler; the flag
/// lets a reader draining a burst look for a stop without a system call per datagram.
final class StopPipe: @unchecked Sendable {
    let reader: Int32
    let writer: Int32
    private let flag = Atomic<Bool>(false)

    init() throws(DHCPNetworkError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .lastError("create the stop pipe") }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        reader = ends[0]
        writer = ends[1]
    }

    deinit {
        close(reader)
        close(writer)
    }

    func signal() {
        flag.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(writer, &byte, 1)
    }

    var isSignalled: Bool { flag.load(ordering: .acquiring) }

    /// Waits `duration`, or until signalled; false when signalled.
    func sleep(for duration: Duration) throws(DHCPNetworkError) -> Bool {
        try waitForAny([], events: 0, stops: [self], timeout: duration) != .stopped
    }
}

enum WaitResult { case ready, timeout, stopped }

/// poll(2) on `descriptor` for `events` and on the stop pipe together, until one is ready or `timeout` passes
/// (nil: no limit). An interrupted poll (EINTR) resumes with the time left.
func waitFor(_ descriptor: Int32, events: Int16, stop: StopPipe, timeout: Duration?) throws(DHCPNetworkError) -> WaitResult {
    try waitForAny([descriptor], events: events, stops: [stop], timeout: timeout)
}

/// ppoll(2) on every descriptor for `events` and on every stop pipe together, until one is ready or `timeout`
/// passes (nil: no limit); `.stopped` when any stop pipe is signalled. An interrupted poll resumes with the time
/// left. The timeout is kept to the nanosecond (poll(2)'s milliseconds made perf's sends at 10,000/s come in bursts).
func waitForAny(_ descriptors: [Int32], events: Int16, stops: [StopPipe], timeout: Duration?) throws(DHCPNetworkError) -> WaitResult {
    let deadline = timeout.map { MonotonicClock.now() + $0 }
    var watched = descriptors.map { pollfd(fd: $0, events: events, revents: 0) }
        + stops.map { pollfd(fd: $0.reader, events: Int16(POLLIN), revents: 0) }
    while true {
        let left = deadline.map { max(0, ($0 - MonotonicClock.now()).nanosecondsClamped) } ?? -1
        for index in watched.indices { watched[index].revents = 0 }
        let ready = cns_ppoll(&watched, UInt(watched.count), left)
        if ready < 0 {
            if errno == EINTR { continue }
            throw .lastError("poll")
        }
        if watched[descriptors.count...].contains(where: { $0.revents != 0 }) { return .stopped }
        if ready == 0 { return .timeout }
        return .ready
    }
}

/// Copies `name` into ifreq-style fixed storage, for SO_BINDTODEVICE: the name's bytes and a NUL.
func interfaceNameBytes(_ name: String) throws(DHCPNetworkError) -> [UInt8] {
    let bytes = Array(name.utf8)
    guard !bytes.isEmpty, bytes.count < Int(IF_NAMESIZE), !bytes.contains(0) else {
        throw DHCPNetworkError(kind: .noSuchDevice, operation: "interface '\(name)'",
                               detail: "not a valid interface name (1 to \(IF_NAMESIZE - 1) bytes)")
    }
    return bytes + [0]
}
