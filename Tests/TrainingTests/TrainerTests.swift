import Foundation
import Models
import NN
import Tensor
import TestSupport
import Testing
import Training

/// Random index sequences whose class is whether character 0 or 1 appears more often:
/// learnable by a tiny char-CNN in a few epochs.
final class CountingTask: BatchSource {
    let length: Int
    let samples: [[Float]]
    let labels: [Int32]
    let classes = 2

    init(count: Int, length: Int, seed: UInt64) {
        self.length = length
        var rng = RNG(seed: seed, stream: "counting-task")
        var samples: [[Float]] = [], labels: [Int32] = []
        for i in 0..<count {
            let label = Int32(i % 2)
            samples.append((0..<length).map { _ in
                rng.bernoulli(0.5) ? (rng.bernoulli(0.9) ? Float(label) : Float(1 - label)) : Float(rng.int(below: 5) + 1)
            })
            labels.append(label)
        }
        self.samples = samples
        self.labels = labels
    }

    var sampleCount: Int { samples.count }

    func fill(_ batch: Batch, indices: ArraySlice<Int>, augmentationSeed: UInt64?) {
        batch.input.resize(to: [indices.count, length])
        batch.labels = indices.map { labels[$0] }
        for (row, i) in indices.enumerated() {
            for p in 0..<length { batch.input[row * length + p] = samples[i][p] }
        }
    }
}

func tinyModel(dropout: Double = 0.5) -> CharCNN {
    var c = CharCNNConfiguration.small(alphabetSize: 6, length: 130, classes: 2)
    c.features = 8
    c.hiddenUnits = 16
    c.dropout = dropout
    c.batchNorm = true
    let model = CharCNN(c)
    InitializationScheme(weights: .heNormal).apply(to: model.parameters, seed: 5)
    return model
}

@Suite struct TrainerTests {
    @Test func learnsAndLogs() throws {
        let data = CountingTask(count: 96, length: 130, seed: 1)
        let temporary = try TemporaryFolder(prefix: "convrelu-run")
        let folder = temporary.path
        let trainer = Trainer(model: tinyModel(), optimizer: Adam(), schedule: .constant(rate: 3e-3), batchSize: 16,
                              seed: 9, runFolder: folder)
        try trainer.run(epochs: 8, train: data, validation: CountingTask(count: 32, length: 130, seed: 2), test: nil)
        #expect(trainer.history.count == 8)
        #expect(trainer.history.last!.trainLoss < trainer.history.first!.trainLoss)
        #expect((trainer.history.last!.validationAccuracy ?? 0) > 0.8)
        let lines = try String(contentsOfFile: trainer.metricsPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 8)
        #expect(lines[0].contains("\"train_loss\""))
        #expect(FileManager.default.fileExists(atPath: trainer.bestCheckpointPath))
    }

    /// Two epochs in one go equal one epoch, a resume from the checkpoint, and another epoch,
    /// with and without a weight average (whose checkpoints hold the average as the model and
    /// the trained weights beside it).
    @Test(arguments: [false, true]) func resumeContinuesExactly(averaging: Bool) throws {
        let data = CountingTask(count: 40, length: 130, seed: 3)
        func trainer(_ folder: String, dropout: Double = 0.5) -> Trainer {
            let t = Trainer(model: tinyModel(dropout: dropout), optimizer: SGD(momentum: 0.9, nesterov: true),
                            schedule: .constant(rate: 0.01), batchSize: 16, seed: 4, runFolder: folder)
            t.batchNormRecalibrationBatches = 2
            t.weightAverage = averaging ? WeightAverage(decay: 0.9) : nil
            return t
        }
        let straightFolder = try TemporaryFolder(prefix: "convrelu-run")
        let straight = trainer(straightFolder.path)
        try straight.run(epochs: 2, train: data, validation: nil, test: nil)

        let temporary = try TemporaryFolder(prefix: "convrelu-run")
        let first = trainer(temporary.path)
        try first.run(epochs: 1, train: data, validation: nil, test: nil)
        let resumed = trainer(temporary.path)
        try resumed.resume()
        #expect(resumed.epochsDone == 1)
        try resumed.run(epochs: 2, train: data, validation: nil, test: nil)
        for (a, b) in zip(straight.model.parameters, resumed.model.parameters) {
            #expect(a.parameter.value.array == b.parameter.value.array, "\(a.name)")
        }
        for (a, b) in zip(straight.model.buffers, resumed.model.buffers) { #expect(a.tensor.array == b.tensor.array, "\(a.name)") }
        #expect(resumed.history.map(\.trainLoss) == straight.history.map(\.trainLoss))
        #expect(try Data(contentsOf: URL(fileURLWithPath: resumed.lastCheckpointPath))
            == Data(contentsOf: URL(fileURLWithPath: straight.lastCheckpointPath)), "the checkpoints are byte for byte the same")
        if averaging {
            let checkpoint = try Checkpoint.read(path: straight.lastCheckpointPath)
            let weight = try checkpoint.file.tensor("fc3.weight"), trained = try checkpoint.file.tensor("training.fc3.weight")
            #expect(weight.array != trained.array, "the model tensors are the average, not the trained weights")
            #expect(trained.array == straight.model.parameters.first { $0.name == "fc3.weight" }!.parameter.value.array)
        }
    }

    /// The average after three updates, by hand, with the ramp min(d, (1 + t)/(10 + t)); two
    /// exchanges leave everything as it was.
    @Test func weightAverageFollowsTheRamp() {
        let p = Parameter(shape: [1], group: .weight, value: 1)
        let parameters = [NamedParameter("p", p)]
        let average = WeightAverage(decay: 0.2)
        average.prepare(parameters)
        var expected = 1.0
        for (t, value) in [2.0, 4.0, 8.0].enumerated() {
            p.value[0] = Float(value)
            average.update(parameters, step: t)
            let d = min(0.2, Double(1 + t) / Double(10 + t))
            expected = d * expected + (1 - d) * value
        }
        average.exchange(parameters)
        #expect(abs(Double(p.value[0]) - expected) < 1e-6)
        #expect(average.trainedWeights.map(\.tensor.array) == [[8]])
        average.exchange(parameters)
        #expect(p.value[0] == 8 && !average.exchanged)
    }

    @Test func nonFiniteLossStopsWithCheckpointIntact() throws {
        let data = CountingTask(count: 32, length: 130, seed: 5)
        let temporary = try TemporaryFolder(prefix: "convrelu-run")
        let folder = temporary.path
        let trainer = Trainer(model: tinyModel(), optimizer: SGD(momentum: 0), schedule: .constant(rate: 0.01), batchSize: 16,
                              seed: 1, runFolder: folder)
        try trainer.run(epochs: 1, train: data, validation: nil, test: nil)
        let good = try Data(contentsOf: URL(fileURLWithPath: trainer.lastCheckpointPath))
        // Poison a weight: the next forward pass gives a NaN loss.
        trainer.model.parameters.first { $0.name == "fc3.weight" }!.parameter.value[0] = .nan
        let error = #expect(throws: TrainerError.self) { try trainer.run(epochs: 2, train: data, validation: nil, test: nil) }
        #expect(error?.description.contains("loss is nan") == true)
        #expect(error?.description.contains(trainer.lastCheckpointPath) == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: trainer.lastCheckpointPath)) == good)
    }
}
