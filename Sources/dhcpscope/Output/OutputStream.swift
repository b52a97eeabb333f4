import ArgumentParser
import Glibc

/// Buffered writing to a file descriptor. Line-flushed for live commands, block-flushed for
/// file work where a million lines must not cost a million system calls.
final class OutputStream {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let flushEachLine: Bool
    private(set) var failed = false

    init(descriptor: Int32, flushEachLine: Bool) {
        self.descriptor = descriptor
        self.flushEachLine = flushEachLine
        buffer.reserveCapacity(1 << 17)
    }

    static func standardOutput(flushEachLine: Bool) -> OutputStream { OutputStream(descriptor: 1, flushEachLine: flushEachLine) }

    var isTerminal: Bool { isatty(descriptor) == 1 }

    /// Bytes written but not flushed yet.
    var hasPendingBytes: Bool { !buffer.isEmpty }

    func write(line: String, terminated: Bool = true) {
        buffer.append(contentsOf: line.utf8)
        if terminated { endLine() } else if flushEachLine || buffer.count >= 1 << 16 { flush() }
    }

    /// A line built in place: `body` appends its UTF-8 bytes to the buffer (no String in between), then the newline.
    func writeLine(_ body: (inout [UInt8]) -> Void) {
        body(&buffer)
        endLine()
    }

    /// Whole lines, each with its newline: written in large blocks.
    func write(bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if flushEachLine || buffer.count >= 1 << 16 { flush() }
    }

    /// Appends raw bytes of a line being built; finish with `endLine()`.
    func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    /// One JSON Lines event, as the `Events` and `JSONLine` writers build it.
    func event(_ bytes: [UInt8]) {
        append(bytes)
        endLine()
    }

    func event(_ line: JSONLine) {
        var line = line
        line.finish { buffer.append(contentsOf: $0) }
        endLine()
    }

    func endLine() {
        buffer.append(10)
        if flushEachLine || buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        var written = 0
        while written < buffer.count, !failed {
            let result = buffer.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result > 0 { written += result }
            else if result < 0, errno == EINTR { continue }
            else { failed = true }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}

/// One-line messages on standard error: "dhcpscope: …".
enum Diagnostics {
    static func error(_ text: String) {
        let line = "dhcpscope: \(text)\n"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }

    /// One line on standard error, and the exit status to throw: 2, the work could not run; probe
    /// passes 3, a Nagios plugin's UNKNOWN.
    static func failure(_ text: String, status: Int32 = 2) -> ExitCode {
        error(text)
        return ExitCode(status)
    }

    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }
    static var standardOutputIsTerminal: Bool { isatty(1) == 1 }

    /// A progress line that rewrites itself on a terminal.
    static func progress(_ text: String) {
        let line = "\r\(text)\u{1B}[K"
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }

    static func endProgress() {
        _ = "\r\u{1B}[K".withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
