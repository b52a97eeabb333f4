import DHCPNetwork

/// A progress line on standard error, at most twice a second, when enabled (the caller knows where its output goes).
final class ProgressMeter {
    private let enabled: Bool
    private var last: Double = 0
    private var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    /// Called for every frame (`frame`: its number in its file); `counts` is read only when a line is due.
    func tick(frame: Int, counts: () -> (frames: Int, messages: Int)) {
        guard enabled, frame & 0x3FFF == 0 else { return }
        let seconds = Double(MonotonicClock.now().nanoseconds) / 1e9
        guard seconds - last >= 0.5 else { return }
        last = seconds
        shown = true
        let (frames, messages) = counts()
        Diagnostics.progress("\(frames) frames, \(messages) DHCP messages…")
    }

    func clear() { if shown { Diagnostics.endProgress() } }
}
