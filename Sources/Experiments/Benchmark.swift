import Foundation
import Kernels
import Models
import NN
import Tensor
import Training

/// Throughput of the paper's workloads, measured the way ../shared/bench/torch_reference.py
/// measures PyTorch: a full SGD training step (forward, backward, momentum update), inference
/// at the same batch, and batch-1 latency; medians of several steps after warm-up.
package struct BenchmarkResult: Codable, Sendable {
    package var workload: String
    package var activation: String
    package var batch: Int
    package var samplesPerSecond: Double
    var medianMilliseconds: Double
    /// nil for a model without reference FLOP counts.
    var gflopsPerSecond: Double?
    var peakMemoryMB: Double
    /// How much the peak grew over the timed steps, after warm-up: 0 for a run whose memory is flat.
    var peakGrowthMB: Double
}

/// What `bench` times: a training step, inference at the training batch, batch-1 latency, or
/// inference with the activation probes attached, as a run's validation pass (dead units).
package enum BenchmarkKind: String, CaseIterable, Sendable {
    case train, infer, latency
    case monitoredInfer = "monitored_infer"
}

package enum Benchmark {
    /// Multiply-adds × 2 per sample (forward; training step), from the PyTorch reference's
    /// counts of the conv and FC layers at the paper's input sizes.
    static let referenceGFLOP: [ModelName: (forward: Double, step: Double)] = [
        .charCNN: (0.741, 1.969), .denseNet40: (0.566, 1.696),
    ]

    /// One model under test, with its inputs and a training step that reuses its buffers.
    final class Subject {
        let workload: String
        let activation: String
        let model: Classifier
        let x: Tensor, single: Tensor
        let batch: Int
        let gflop: (forward: Double, step: Double)?
        private let optimizer = SGD(momentum: 0.9)
        private let parameters: [NamedParameter]
        private let labels: [Int32]
        private let probabilities = Tensor(), dLogits = Tensor()
        private var step = 0
        private lazy var monitor = ActivationMonitor(model.activations)

        init(workload: String, activation: String, model: Classifier, x: Tensor, single: Tensor,
             gflop: (forward: Double, step: Double)?) {
            (self.workload, self.activation, self.model, self.x, self.single) = (workload, activation, model, x, single)
            (batch, self.gflop) = (x.shape[0], gflop)
            InitializationScheme(weights: .heNormal, thresholds: .gaussian(std: 0.05)).apply(to: model.parameters, seed: 1)
            parameters = model.parameters
            labels = (0..<batch).map { Int32($0 % model.classes) }
        }

        func trainStep() {
            let logits = model.forward(x, RunContext(training: true, seed: 1, step: step))
            probabilities.resize(to: logits.shape)
            dLogits.resize(to: logits.shape)
            _ = softmaxCrossEntropy(logits: logits.pointer, targets: labels, batch: batch, classes: model.classes,
                                    probabilities: probabilities.pointer, dLogits: dLogits.pointer)
            _ = model.backward(dLogits)
            optimizer.step(parameters, learningRate: 1e-4)
            step += 1
        }

        func run(_ kind: BenchmarkKind) {
            switch kind {
            case .train: trainStep()
            case .infer: _ = model.forward(x, .inference)
            case .latency: _ = model.forward(single, .inference)
            case .monitoredInfer: monitor.watch { _ = model.forward(x, .inference) }
            }
        }
    }

    /// Measures each model with each of `activations` (placed as the paper does) for each of
    /// `kinds`. The models of a workload are timed step by step in turn, as the PyTorch
    /// reference does, so that the machine's noise hits them alike and their ratio holds; the
    /// peak memory is then that of all of them (time one activation for one model's peak).
    package static func run(workloads: [ModelName], activations: [Activation], kinds: [BenchmarkKind] = BenchmarkKind.allCases,
                           steps: Int, warmup: Int, log: (String) -> Void) -> [BenchmarkResult] {
        var results: [BenchmarkResult] = []
        for workload in workloads {
            let subjects = activations.map { subject(workload, $0) }
            for kind in kinds {
                // A batch-1 pass takes milliseconds, so its median needs more of them: 3× the
                // warm-up and 4× the steps, as the PyTorch reference times its latency.
                let repeats = kind == .latency ? (warmup: 3, steps: 4) : (warmup: 1, steps: 1)
                resetPeakMemory()
                for _ in 0..<(warmup * repeats.warmup) { for s in subjects { s.run(kind) } }
                let peakAfterWarmup = peakMemoryMB()
                var times = [[Double]](repeating: [], count: subjects.count)
                for _ in 0..<max(1, steps * repeats.steps) {
                    for (i, s) in subjects.enumerated() {
                        let start = DispatchTime.now().uptimeNanoseconds
                        s.run(kind)
                        times[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                }
                let peak = peakMemoryMB()
                for (i, s) in subjects.enumerated() {
                    let seconds = times[i].sorted()[times[i].count / 2]
                    let samples = kind == .latency ? 1 : s.batch
                    let gflop = s.gflop.map { kind == .train ? $0.step : $0.forward }
                    let r = BenchmarkResult(workload: "\(s.workload) \(kind.rawValue)", activation: s.activation, batch: samples,
                                            samplesPerSecond: Double(samples) / seconds, medianMilliseconds: seconds * 1000,
                                            gflopsPerSecond: gflop.map { $0 * Double(samples) / seconds }, peakMemoryMB: peak,
                                            peakGrowthMB: peak - peakAfterWarmup)
                    log(format(r))
                    results.append(r)
                }
            }
        }
        return results
    }

    /// `workload` at the paper's input size with `activation` where the paper places it, and
    /// random inputs: a batch of 128 texts or 64 images, and one sample.
    static func subject(_ workload: ModelName, _ activation: Activation) -> Subject {
        var rng = RNG(seed: 1, stream: "bench")
        let batch = workload.task == .text ? 128 : 64
        let model = workload.paperSettings(activation: ActivationPlan(activation)).build()
        let input = { (n: Int) -> Tensor in
            switch workload.task {
            case .text:
                let t = Tensor(shape: [n, ModelName.paperTextLength])
                for i in 0..<t.count { t[i] = Float(rng.int(below: ModelName.paperAlphabetSize + 1) - 1) }
                return t
            case .image:
                let t = Tensor(shape: [n, 3, 32, 32])
                for i in 0..<t.count { t[i] = Float(rng.normal()) }
                return t
            }
        }
        return Subject(workload: workload.rawValue, activation: activation.rawValue, model: model, x: input(batch), single: input(1),
                       gflop: referenceGFLOP[workload])
    }

    package static func format(_ r: BenchmarkResult) -> String {
        String(format: "%-24@ %-10@ batch %4d  %9.1f samples/s  %9.2f ms  %@ GFLOP/s  peak %6.0f MB (+%.0f)",
               r.workload, r.activation, r.batch, r.samplesPerSecond, r.medianMilliseconds,
               r.gflopsPerSecond.map { String(format: "%6.1f", $0) } ?? "     -", r.peakMemoryMB, r.peakGrowthMB)
    }

    /// Resident-set high-water mark of this process (VmHWM).
    static func peakMemoryMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    /// Writing 5 to clear_refs resets VmHWM to the current RSS, so each workload gets its own peak.
    static func resetPeakMemory() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }
}
