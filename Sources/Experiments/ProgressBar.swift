import Foundation

/// Progress on standard error: fraction, throughput and time left. On a terminal a one-line bar
/// redrawn at most ten times a second; otherwise (a log file, a pipe) one plain line per tenth,
/// so a long run in the background still shows how far it is.
package final class ProgressBar {
    private let label: String
    private let unit: String
    private var started = Date()
    private var lastDraw = Date.distantPast
    private var lastTenth = 0
    private let terminal: Bool

    package init(label: String, unit: String, terminal: Bool = isatty(2) == 1) {
        self.label = label
        self.unit = unit
        self.terminal = terminal
    }

    package func update(done: Int, total: Int, detail: String = "") {
        let now = Date()
        let tenth = total > 0 ? 10 * done / total : 10
        if terminal {
            guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        } else {
            guard tenth > lastTenth, tenth < 10 else { return }
        }
        lastDraw = now
        lastTenth = tenth
        let elapsed = now.timeIntervalSince(started)
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let stats = String(format: "%3.0f%% %@/s %@ ETA %@ %@", fraction * 100, ProgressBar.compact(rate), unit,
                           ProgressBar.clock(remaining), detail)
        let line: String
        if terminal {
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            line = "\r\(label) \(bar) \(stats)\u{1B}[K"
        } else {
            line = "\(label) \(stats)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Clears the line; the next update starts timing afresh.
    package func finish() {
        started = Date()
        lastTenth = 0
        guard terminal else { return }
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
