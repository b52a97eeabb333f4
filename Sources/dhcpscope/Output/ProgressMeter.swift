import DHCPAnalysis
import Glibc

/// A progress line on standard error, at most twice a second, only when stderr is a terminal and stdout is not.
final class ProgressMeter {
    private let enabled: Bool
    private var last: Double = 0
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func tick(_ summary: DecodeSummary) {
        guard enabled, summary.frames & 0x3FFF == 0 else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let seconds = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        guard seconds - last >= 0.5 else { return }
        last = seconds
        shown = true
        Diagnostics.progress("\(summary.frames) frames, \(summary.messages) DHCP messages…")
    }

    func clear() { if shown { Diagnostics.endProgress() } }
}
