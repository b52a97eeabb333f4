import Glibc

/// The stop pipe of a socket: `signal()` writes one byte; the byte stays, so every later wait stops too.
/// write(2) is async-signal-safe, so `signal()` may come from another thread or a signal handler.
final class StopPipe: @unchecked Sendable {
    let reader: Int32
    let writer: Int32

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
        var byte: UInt8 = 1
        _ = write(writer, &byte, 1)
    }

    var isSignalled: Bool {
        var watched = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
        return poll(&watched, 1, 0) > 0
    }
}

enum WaitResult { case ready, timeout, stopped }

/// poll(2) on `descriptor` for `events` and on the stop pipe together, until one is ready or `timeout` passes
/// (nil: no limit). An interrupted poll (EINTR) resumes with the time left.
func waitFor(_ descriptor: Int32, events: Int16, stop: StopPipe, timeout: Duration?) throws(DHCPNetworkError) -> WaitResult {
    try waitForAny([descriptor], events: events, stops: [stop], timeout: timeout)
}

/// poll(2) on every descriptor for `events` and on every stop pipe together, until one is ready or `timeout`
/// passes (nil: no limit); `.stopped` when any stop pipe is signalled. An interrupted poll resumes with the time left.
func waitForAny(_ descriptors: [Int32], events: Int16, stops: [StopPipe], timeout: Duration?) throws(DHCPNetworkError) -> WaitResult {
    let deadline = timeout.map { MonotonicClock.now() + $0 }
    var watched = descriptors.map { pollfd(fd: $0, events: events, revents: 0) }
        + stops.map { pollfd(fd: $0.reader, events: Int16(POLLIN), revents: 0) }
    while true {
        var milliseconds: Int32 = -1
        if let deadline {
            let left = (deadline - MonotonicClock.now()).nanosecondsClamped
            // Round up, so that a wait is never shorter than asked.
            milliseconds = left <= 0 ? 0 : Int32(clamping: (left + 999_999) / 1_000_000)
        }
        for index in watched.indices { watched[index].revents = 0 }
        let ready = poll(&watched, nfds_t(watched.count), milliseconds)
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
