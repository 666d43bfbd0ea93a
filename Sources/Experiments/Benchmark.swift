import Foundation
import Kernels
import Models
import NN
import Tensor
import Training

/// Throughput of the paper's workloads, measured the way ../shared/bench/torch_reference.py
/// measures PyTorch: a full SGD training step (forward, backward, momentum update), inference
/// at the same batch, and batch-1 latency; medians of several steps after warm-up.
public struct BenchmarkResult: Codable, Sendable {
    public var workload: String
    public var activation: String
    public var batch: Int
    public var samplesPerSecond: Double
    public var medianMilliseconds: Double
    public var gflopsPerSecond: Double
    public var peakMemoryMB: Double
    /// How much the peak grew over the timed steps, after warm-up: 0 for a run whose memory is flat.
    public var peakGrowthMB: Double
}

public enum Benchmark {
    /// Multiply-adds × 2 per sample, from the PyTorch reference's counts (conv and FC layers).
    static let charCNNForwardGFLOP = 0.741, charCNNStepGFLOP = 1.969
    static let denseNetForwardGFLOP = 0.566, denseNetStepGFLOP = 1.696

    /// One model under test, with its inputs and a training step that reuses its buffers.
    final class Subject {
        let workload: String
        let activation: String
        let model: Classifier
        let x: Tensor, single: Tensor
        let batch: Int
        let forwardGFLOP: Double, stepGFLOP: Double
        private let optimizer = SGD(momentum: 0.9)
        private let parameters: [NamedParameter]
        private let labels: [Int32]
        private let probabilities = Tensor(), dLogits = Tensor()
        private var step = 0

        init(workload: String, activation: String, model: Classifier, x: Tensor, single: Tensor, forwardGFLOP: Double,
             stepGFLOP: Double) {
            (self.workload, self.activation, self.model, self.x, self.single) = (workload, activation, model, x, single)
            (batch, self.forwardGFLOP, self.stepGFLOP) = (x.shape[0], forwardGFLOP, stepGFLOP)
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

        func run(_ kind: String) {
            switch kind {
            case "train": trainStep()
            case "infer": _ = model.forward(x, .inference)
            default: _ = model.forward(single, .inference)
            }
        }
    }

    /// Measures each workload with each of `activations` ("relu", "convrelu") for each of `kinds`:
    /// a training step ("train"), inference at the same batch ("infer") and at batch 1
    /// ("latency"). The models of a
    /// workload are timed step by step in turn, as the PyTorch reference does, so that the
    /// machine's noise hits them alike and their ratio holds; the peak memory is then that of
    /// all of them (time one activation for one model's peak).
    public static let kinds = ["train", "infer", "latency"]

    public static func run(workloads: [String], activations: [String], kinds: [String] = kinds, steps: Int, warmup: Int,
                           log: (String) -> Void) -> [BenchmarkResult] {
        var results: [BenchmarkResult] = []
        for workload in workloads {
            let subjects = activations.compactMap { subject(workload, $0, log: log) }
            for kind in kinds {
                // A batch-1 pass takes milliseconds, so its median needs more of them: 3× the
                // warm-up and 4× the steps, as the PyTorch reference times its latency.
                let repeats = kind == "latency" ? (warmup: 3, steps: 4) : (warmup: 1, steps: 1)
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
                    let samples = kind == "latency" ? 1 : s.batch
                    let gflop = kind == "train" ? s.stepGFLOP : s.forwardGFLOP
                    let r = BenchmarkResult(workload: "\(s.workload) \(kind)", activation: s.activation, batch: samples,
                                            samplesPerSecond: Double(samples) / seconds, medianMilliseconds: seconds * 1000,
                                            gflopsPerSecond: gflop * Double(samples) / seconds, peakMemoryMB: peak,
                                            peakGrowthMB: peak - peakAfterWarmup)
                    log(format(r))
                    results.append(r)
                }
            }
        }
        return results
    }

    /// The model of `workload` with `activation`, or nil (after saying why) for unknown names.
    static func subject(_ workload: String, _ activation: String, log: (String) -> Void) -> Subject? {
        guard activation == "relu" || activation == "convrelu" else {
            log("unknown activation '\(activation)' (relu, convrelu)")
            return nil
        }
        let convReLU = activation == "convrelu"
        var rng = RNG(seed: 1, stream: "bench")
        switch workload {
        case "charcnn":
            var c = CharCNNConfiguration.small(alphabetSize: 70, length: 1014, classes: 4)
            c.activation = convReLU ? .convReLU : .relu
            let input = { (n: Int) -> Tensor in
                let t = Tensor(shape: [n, 1014])
                for i in 0..<t.count { t[i] = Float(rng.int(below: 71) - 1) }
                return t
            }
            return Subject(workload: "charcnn-small", activation: activation, model: CharCNN(c), x: input(128), single: input(1),
                           forwardGFLOP: charCNNForwardGFLOP, stepGFLOP: charCNNStepGFLOP)
        case "densenet":
            let imageActivation = convReLU ? ImageActivation(.convReLU, placement: .firstBlock) : .relu
            let input = { (n: Int) -> Tensor in
                let t = Tensor(shape: [n, 3, 32, 32])
                for i in 0..<t.count { t[i] = Float(rng.normal()) }
                return t
            }
            return Subject(workload: "densenet40", activation: activation,
                           model: DenseNet(configuration: .denseNet40(classes: 10, activation: imageActivation)),
                           x: input(64), single: input(1), forwardGFLOP: denseNetForwardGFLOP, stepGFLOP: denseNetStepGFLOP)
        default:
            log("unknown workload '\(workload)' (charcnn, densenet)")
            return nil
        }
    }

    public static func format(_ r: BenchmarkResult) -> String {
        String(format: "%-24@ %-9@ batch %4d  %9.1f samples/s  %9.2f ms  %6.1f GFLOP/s  peak %6.0f MB (+%.0f)",
               r.workload, r.activation, r.batch, r.samplesPerSecond, r.medianMilliseconds, r.gflopsPerSecond, r.peakMemoryMB,
               r.peakGrowthMB)
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
