import EventLog
import Foundation
import Models
import NN
import Training

/// A run as TensorBoard shows it, written into the run folder while it trains: training loss,
/// accuracy, learning rate and samples/s every `stepsPerPoint` steps; per epoch the validation
/// and test accuracy, the epoch means, the dead-unit fractions, and histograms of every
/// threshold tensor θ and of each activation's input values over the validation pass.
///
/// Logging must never cost a run: a write that fails (a full disk) is reported once and ends
/// the logging, not the training. `CONVRELU_TENSORBOARD=0` turns it off.
final class TensorBoardLog {
    /// Steps averaged into one point of the per-step curves: one `write` per 10 steps.
    static let stepsPerPoint = 10
    static var isEnabled: Bool { ProcessInfo.processInfo.environment["CONVRELU_TENSORBOARD"] != "0" }

    private var writer: EventFileWriter?
    private let thresholds: [NamedParameter]
    private let monitor: ActivationMonitor
    private let warn: (String) -> Void
    /// The steps since the last point: loss and accuracy sums weighted by samples, and the time
    /// they took (evaluation and checkpoints between epochs left out).
    private var pending = (samples: 0, loss: 0.0, correct: 0.0, seconds: 0.0)
    /// The end of the last step, or of the last epoch's evaluation and checkpoints.
    private var lastStepEnd = Date()
    /// Time spent in this logger and in the training steps it saw: its share of a step is what
    /// logging costs training (reported at the end of a run, and by bench/tensorboard_overhead.sh).
    private(set) var loggingSeconds = 0.0
    private(set) var trainingSeconds = 0.0

    init(folder: String, model: Classifier, monitor: ActivationMonitor, warn: @escaping (String) -> Void) throws {
        writer = try EventFileWriter(folder: folder)
        thresholds = model.parameters.filter { $0.parameter.group == .threshold }
        self.monitor = monitor
        self.warn = warn
    }

    /// Points fall on the multiples of `stepsPerPoint`, so a resumed run's curve continues the first's.
    func step(_ r: StepRecord) {
        let now = Date()
        defer { loggingSeconds += Date().timeIntervalSince(now) }
        trainingSeconds += now.timeIntervalSince(lastStepEnd)
        pending.samples += r.samples
        pending.loss += r.loss * Double(r.samples)
        pending.correct += r.accuracy * Double(r.samples)
        pending.seconds += now.timeIntervalSince(lastStepEnd)
        defer { lastStepEnd = Date() }
        guard r.step % TensorBoardLog.stepsPerPoint == 0 else { return }
        let n = Double(pending.samples)
        write { try $0.add(scalars: [("train/loss", pending.loss / n), ("train/accuracy", pending.correct / n),
                                     ("train/learning_rate", r.learningRate),
                                     ("train/samples_per_second", n / max(pending.seconds, 1e-9))],
                           step: r.step, at: now) }
        pending = (0, 0, 0, 0)
    }

    func epoch(_ r: EpochRecord) {
        let start = Date()
        defer {
            lastStepEnd = Date()
            loggingSeconds += lastStepEnd.timeIntervalSince(start)
        }
        var scalars: [(tag: String, value: Double)] = [("epoch/train_loss", r.trainLoss), ("epoch/train_accuracy", r.trainAccuracy),
                                                       ("epoch/samples_per_second", r.samplesPerSecond)]
        if let v = r.validationAccuracy { scalars.append(("validation/accuracy", v)) }
        if let t = r.testAccuracy { scalars.append(("test/accuracy", t)) }
        scalars += monitor.deadFractions.map { ("dead_units/\($0.name)", $0.fraction) }
        var histograms = thresholds.compactMap { p in Histogram(p.parameter.value.array).map { ("theta/\(p.name)", $0) } }
        histograms += monitor.probes.compactMap { name, probe in Histogram(probe.samples).map { ("activation_input/\(name)", $0) } }
        write {
            try $0.add(scalars: scalars, step: r.step)
            try $0.add(histograms: histograms, step: r.step)
        }
    }

    /// One line on what the logging cost: its time against the training steps' time.
    var costSummary: String {
        String(format: "TensorBoard log: %.1f ms in all, %.3f%% of the %.0f s of training steps", loggingSeconds * 1000,
               100 * loggingSeconds / max(trainingSeconds, 1e-9), trainingSeconds)
    }

    private func write(_ body: (EventFileWriter) throws -> Void) {
        guard let writer else { return }
        do { try body(writer) } catch {
            warn("warning: \(error); TensorBoard logging stopped, training goes on")
            self.writer = nil
        }
    }
}
