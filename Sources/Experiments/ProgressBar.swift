import Foundation

/// A one-line progress bar on standard error: fraction, throughput and time left. Drawn only
/// when standard error is a terminal, at most ten times a second, so logs stay clean in a pipe.
public final class ProgressBar {
    private let label: String
    private let unit: String
    private var started = Date()
    private var lastDraw = Date.distantPast
    private let enabled: Bool

    public init(label: String, unit: String, enabled: Bool = isatty(2) == 1) {
        self.label = label
        self.unit = unit
        self.enabled = enabled
    }

    public func update(done: Int, total: Int, detail: String = "") {
        guard enabled else { return }
        let now = Date()
        guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started)
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let width = 24, filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ %@ %3.0f%% %@/s %@ ETA %@ %@", label, bar, fraction * 100,
                          ProgressBar.compact(rate), unit, ProgressBar.clock(remaining), detail)
        FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
    }

    /// Clears the line; the next update starts timing afresh.
    public func finish() {
        started = Date()
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    static func compact(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.1fM", x / 1e6) : x >= 1e4 ? String(format: "%.1fk", x / 1e3) : String(format: "%.0f", x)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
