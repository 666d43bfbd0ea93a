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
    func label(at index: Int) -> Int { Int(labels[index]) }

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
    c.activation = ActivationPlan(.convReLU)
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
        for path in [\Trainer.lastCheckpointPath, \Trainer.trainingStatePath] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: resumed[keyPath: path]))
                == Data(contentsOf: URL(fileURLWithPath: straight[keyPath: path])), "the files are byte for byte the same")
        }
        if averaging {
            let checkpoint = try Checkpoint.read(path: straight.lastCheckpointPath)
            let state = try TrainingState.read(path: straight.trainingStatePath)
            let weight = try checkpoint.file.tensor("fc3.weight"), trained = try state.file.tensor("training.fc3.weight")
            #expect(weight.array != trained.array, "the model tensors are the average, not the trained weights")
            #expect(trained.array == straight.model.parameters.first { $0.name == "fc3.weight" }!.parameter.value.array)
            #expect(!checkpoint.file.contains("training.fc3.weight"))
        }
    }

    struct SimulatedCrash: Error {}

    /// A crash at any point of an epoch's save (simulated by stopping the save after each file
    /// it puts in place) leaves a folder from which the run resumes and ends exactly as the
    /// uninterrupted run: the same checkpoints, training state, best checkpoint and metrics.
    /// Whatever `last` says is done is on disk: its metrics line, and the best checkpoint of
    /// an epoch it counts as best.
    @Test(arguments: [false, true]) func crashDuringASaveResumesExactly(averaging: Bool) throws {
        let data = CountingTask(count: 40, length: 130, seed: 3), validation = CountingTask(count: 24, length: 130, seed: 8)
        func trainer(_ folder: String) -> Trainer {
            let t = Trainer(model: tinyModel(), optimizer: Adam(), schedule: .constant(rate: 3e-3), batchSize: 16, seed: 4, runFolder: folder)
            t.weightAverage = averaging ? WeightAverage(decay: 0.9) : nil
            return t
        }
        let straightFolder = try TemporaryFolder(prefix: "convrelu-run")
        let straight = trainer(straightFolder.path)
        var filesPerSave: [[String]] = [[], [], []]
        straight.onCheckpointFile = { [unowned straight] path in
            filesPerSave[straight.epochsDone - 1].append(URL(fileURLWithPath: path).lastPathComponent)
        }
        try straight.run(epochs: 3, train: data, validation: validation, test: nil)
        #expect(filesPerSave[0] == ["metrics.jsonl", "best.next.safetensors", "last.optimizer.next.safetensors",
                                    "last.safetensors", "best.safetensors", "last.optimizer.safetensors"])
        #expect(filesPerSave[1] == ["metrics.jsonl", "last.optimizer.next.safetensors", "last.safetensors", "last.optimizer.safetensors"],
                "epoch 2 is no better than epoch 1")
        #expect(filesPerSave[2] == filesPerSave[0], "epoch 3 is the best")

        for epoch in 2...3 {
            for crashAfter in 0..<filesPerSave[epoch - 1].count {
                let temporary = try TemporaryFolder(prefix: "convrelu-run")
                let first = trainer(temporary.path)
                var written = 0
                first.onCheckpointFile = { [unowned first] _ in
                    if first.epochsDone == epoch {
                        if written == crashAfter { throw SimulatedCrash() }
                        written += 1
                    }
                }
                #expect(throws: SimulatedCrash.self) { try first.run(epochs: 3, train: data, validation: validation, test: nil) }
                let committed = crashAfter >= (filesPerSave[epoch - 1].firstIndex(of: "last.safetensors") ?? 0)
                let lastSays = try Checkpoint.read(path: first.lastCheckpointPath).metadata["epochs_done"]
                #expect(lastSays == String(committed ? epoch : epoch - 1), "epoch \(epoch), crash after \(crashAfter + 1) files")
                let lines = try String(contentsOfFile: first.metricsPath, encoding: .utf8).split(separator: "\n")
                #expect(lines.count >= Int(lastSays!)!, "the metrics hold every epoch the checkpoint counts as done")

                let resumed = trainer(temporary.path)
                try resumed.resume()
                #expect(resumed.epochsDone == Int(lastSays!)!)
                try resumed.run(epochs: 3, train: data, validation: validation, test: nil)
                let context = "epoch \(epoch), crash after \(crashAfter + 1) files"
                for name in ["last.safetensors", "last.optimizer.safetensors", "best.safetensors"] {
                    #expect(try Data(contentsOf: URL(fileURLWithPath: temporary.path + "/" + name))
                        == Data(contentsOf: URL(fileURLWithPath: straightFolder.path + "/" + name)), "\(name), \(context)")
                }
                #expect(resumed.history.map(\.trainLoss) == straight.history.map(\.trainLoss), "\(context)")
                #expect(resumed.history.map(\.validationAccuracy) == straight.history.map(\.validationAccuracy), "\(context)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).sorted()
                    == ["best.safetensors", "last.optimizer.safetensors", "last.safetensors", "metrics.jsonl"], "\(context)")
            }
        }
    }

    /// A model checkpoint and a training state of different epochs are not a pair: resume
    /// refuses them, naming both files, rather than continue inexactly; a missing state is named.
    @Test func mismatchedOrMissingTrainingStateIsRefused() throws {
        let data = CountingTask(count: 32, length: 130, seed: 5)
        let temporary = try TemporaryFolder(prefix: "convrelu-run")
        func trainer() -> Trainer {
            Trainer(model: tinyModel(), optimizer: SGD(momentum: 0.9), schedule: .constant(rate: 0.01), batchSize: 16,
                    seed: 1, runFolder: temporary.path)
        }
        let first = trainer()
        try first.run(epochs: 1, train: data, validation: nil, test: nil)
        let epochOneState = try Data(contentsOf: URL(fileURLWithPath: first.trainingStatePath))
        try first.run(epochs: 2, train: data, validation: nil, test: nil)
        try epochOneState.write(to: URL(fileURLWithPath: first.trainingStatePath))
        let mismatch = #expect(throws: TrainerError.self) { try trainer().resume() }
        #expect(mismatch?.description.contains("\(first.trainingStatePath) is from epoch 1, step 2, \(first.lastCheckpointPath) from epoch 2, step 4") == true)

        try FileManager.default.removeItem(atPath: first.trainingStatePath)
        let missing = #expect(throws: TrainerError.self) { try trainer().resume() }
        #expect(missing?.description.hasPrefix("\(first.trainingStatePath): missing") == true)
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
