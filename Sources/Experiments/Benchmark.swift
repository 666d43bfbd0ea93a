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

    public static func run(workloads: [String], steps: Int, warmup: Int, log: (String) -> Void) -> [BenchmarkResult] {
        var results: [BenchmarkResult] = []
        for workload in workloads {
            for convReLU in [false, true] {
                switch workload {
                case "charcnn":
                    var c = CharCNNConfiguration.small(alphabetSize: 70, length: 1014, classes: 4)
                    c.activation = convReLU ? .convReLU : .relu
                    let model = CharCNN(c)
                    let input = { (n: Int) -> Tensor in
                        var rng = RNG(seed: 1, stream: "bench")
                        let t = Tensor(shape: [n, 1014])
                        for i in 0..<t.count { t[i] = Float(rng.int(below: 71) - 1) }
                        return t
                    }
                    results += measure("charcnn-small", convReLU, model, input(128), input(1), batch: 128,
                                       forwardGFLOP: charCNNForwardGFLOP, stepGFLOP: charCNNStepGFLOP, steps: steps, warmup: warmup, log: log)
                case "densenet":
                    let activation = convReLU ? ImageActivation(.convReLU, placement: .firstBlock) : .relu
                    let model = DenseNet(configuration: .denseNet40(classes: 10, activation: activation))
                    let input = { (n: Int) -> Tensor in
                        var rng = RNG(seed: 1, stream: "bench")
                        let t = Tensor(shape: [n, 3, 32, 32])
                        for i in 0..<t.count { t[i] = Float(rng.normal()) }
                        return t
                    }
                    results += measure("densenet40", convReLU, model, input(64), input(1), batch: 64,
                                       forwardGFLOP: denseNetForwardGFLOP, stepGFLOP: denseNetStepGFLOP, steps: steps, warmup: warmup, log: log)
                default:
                    log("unknown workload '\(workload)' (charcnn, densenet)")
                }
            }
        }
        return results
    }

    private static func measure(_ name: String, _ convReLU: Bool, _ model: Classifier, _ x: Tensor, _ single: Tensor,
                                batch: Int, forwardGFLOP: Double, stepGFLOP: Double, steps: Int, warmup: Int,
                                log: (String) -> Void) -> [BenchmarkResult] {
        let activation = convReLU ? "convrelu" : "relu"
        InitializationScheme(weights: .heNormal, thresholds: .gaussian(std: 0.05)).apply(to: model.parameters, seed: 1)
        let optimizer = SGD(momentum: 0.9)
        let parameters = model.parameters
        let labels = (0..<batch).map { Int32($0 % model.classes) }
        let probabilities = Tensor(), dLogits = Tensor()
        var step = 0
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
        var results: [BenchmarkResult] = []
        for (kind, samples, gflop) in [("train", batch, stepGFLOP), ("infer", batch, forwardGFLOP), ("latency", 1, forwardGFLOP)] {
            resetPeakMemory()
            var peakAfterWarmup = 0.0
            let seconds = medianSeconds(steps: steps, warmup: warmup, afterWarmup: { peakAfterWarmup = peakMemoryMB() }) {
                switch kind {
                case "train": trainStep()
                case "infer": _ = model.forward(x, .inference)
                default: _ = model.forward(single, .inference)
                }
            }
            let peak = peakMemoryMB()
            let r = BenchmarkResult(workload: "\(name) \(kind)", activation: activation, batch: samples,
                                    samplesPerSecond: Double(samples) / seconds, medianMilliseconds: seconds * 1000,
                                    gflopsPerSecond: gflop * Double(samples) / seconds, peakMemoryMB: peak,
                                    peakGrowthMB: peak - peakAfterWarmup)
            log(format(r))
            results.append(r)
        }
        return results
    }

    static func medianSeconds(steps: Int, warmup: Int, afterWarmup: () -> Void = {}, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        afterWarmup()
        var times: [Double] = []
        for _ in 0..<max(1, steps) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return times.sorted()[times.count / 2]
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
