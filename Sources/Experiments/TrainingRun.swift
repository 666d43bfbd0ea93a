import Distributed
import Foundation
import Kernels
import Models
import NN
import Tensor
import Training

/// A configured run: prepares its data, builds and initialises the model, trains with logs and
/// checkpoints, and reports the test accuracy. Under mpirun every rank runs it (see `Trainer`);
/// only rank 0 logs and writes.
package final class TrainingRun {
    package let configuration: RunConfiguration
    private let log: (String) -> Void
    private let communicator: Communicator

    package init(configPath: String, overrides: RunOverrides, communicator: Communicator = .solo,
                 log: @escaping (String) -> Void) throws {
        configuration = try RunConfiguration.load(path: configPath, overrides: overrides)
        self.communicator = communicator
        self.log = communicator.isLeader ? log : { _ in }
    }

    package init(configuration: RunConfiguration, log: @escaping (String) -> Void) {
        self.configuration = configuration
        self.log = log
        communicator = .solo
    }

    /// The run's training, validation and test sets (text corpora are preprocessed on first use).
    func prepareData() throws -> DataSplits {
        switch configuration.workload {
        case .text(let data):
            let bar = ProgressBar(label: "preprocess", unit: "B")
            defer { bar.finish() }
            let splits = try data.prepare(threads: configuration.threads, progress: { bar.update(done: $0, total: $1) }, log: log)
            return DataSplits(train: splits.train, validation: splits.validation, test: splits.test)
        case .image(let data):
            let splits = try data.prepare(log: log)
            return DataSplits(train: splits.train, validation: splits.validation, test: splits.test)
        }
    }

    package func preprocessOnly() throws {
        guard configuration.task == .text else {
            throw ConfigError(file: configuration.file, key: "task", message: "only text corpora are preprocessed; images are read directly")
        }
        let splits = try prepareData()
        log("train \(splits.train.sampleCount), validation \(splits.validation?.sampleCount ?? 0), test \(splits.test.sampleCount) samples")
    }

    /// The lock file a run holds in its folder while it trains.
    static let lockName = ".train.lock"

    /// Trains as configured and returns the trainer (with its history). The run folder is
    /// locked for the whole run: a second run into it stops at once instead of mixing files.
    @discardableResult
    package func train(resume: Bool) throws -> Trainer {
        let c = configuration
        let settings = ResolvedSettings.json(c)
        // The settings object with the command's --resume beside its keys.
        try RankAgreement.check(settings: "{\"resume\":\(resume)," + settings.dropFirst(), file: c.file, communicator: communicator)
        let ranks = communicator.size
        guard c.batchSize % ranks == 0 else {
            throw ConfigError(file: c.file, key: "batch_size", message: "\(c.batchSize) does not split evenly over \(ranks) ranks "
                              + "(it is the global batch, \(c.batchSize / ranks)-\(c.batchSize / ranks + 1) samples a rank); "
                              + "choose a multiple of \(ranks), or another mpirun -np")
        }
        var lock: FolderLock?
        if communicator.isLeader {
            try Folder.create(c.output)
            lock = try FolderLock(folder: c.output, name: TrainingRun.lockName,
                                  advice: "wait for that run to end, or train into another output folder")
            if let problem = lock?.unsupported { log("warning: \(problem)") }
        }
        defer { lock?.release() }
        BLASRuntime.setThreadCount(c.threads)
        // Rank 0 prepares (and caches) the data first; the others then read its cache.
        if !communicator.isLeader { communicator.barrier("wait for rank 0's data", timed: false) }
        let splits = try prepareData()
        if communicator.isLeader { communicator.barrier("wait for rank 0's data", timed: false) }
        try splits.check(data: c.workload.path, classNames: c.workload.classNames)
        log("data: train \(splits.train.sampleCount), validation \(splits.validation?.sampleCount ?? 0), test \(splits.test.sampleCount)")
        let model = c.makeModel()
        c.initialization.apply(to: model.parameters, seed: c.seed)
        let stepsPerEpoch = (splits.train.sampleCount + c.batchSize - 1) / c.batchSize
        let trainer = Trainer(model: model, optimizer: c.makeOptimizer(), schedule: c.schedule(stepsPerEpoch: stepsPerEpoch),
                              batchSize: c.batchSize, seed: c.seed, runFolder: c.output,
                              metadata: ["config": c.text, "config_file": c.file, "overrides": try c.overrides.jsonText(),
                                         ResolvedSettings.metadataKey: settings],
                              communicator: communicator,
                              overlapsCommunication: ProcessInfo.processInfo.environment[TrainingRun.overlapVariable] == "1")
        trainer.earlyStoppingPatience = c.earlyStoppingPatience
        trainer.batchNormRecalibrationBatches = c.batchNormRecalibrationBatches
        trainer.labelSmoothing = Float(c.labelSmoothing)
        trainer.synchronizesBatchNorm = c.syncBatchNorm
        trainer.weightAverage = c.averageDecay > 0 ? WeightAverage(decay: Float(c.averageDecay)) : nil
        if resume {
            let checkpoint = trainer.lastCheckpointPath
            try trainer.resume(accepting: { metadata in
                for change in try ResumeCheck.check(checkpoint: checkpoint, metadata: metadata, settings: settings) { log(change) }
            })
            log("resumed from \(trainer.lastCheckpointPath) after epoch \(trainer.epochsDone)")
        } else if FileManager.default.fileExists(atPath: trainer.lastCheckpointPath) {
            throw TrainerError(description: "\(c.output) already holds a run: pass --resume to continue it, or choose another output folder")
        }
        log("model: \(model.parameters.reduce(0) { $0 + $1.parameter.count }) parameters; \(c.epochs) epochs of \(stepsPerEpoch) steps, batch \(c.batchSize), seed \(c.seed)")
        if communicator.isDistributed {
            log("ranks: \(ranks) (\(communicator.libraryVersion ?? "MPI")), \(c.batchSize / ranks) samples of each batch a rank, "
                + "\(c.threads) thread\(c.threads == 1 ? "" : "s") a rank")
        }
        let monitor = ActivationMonitor(model.activations)
        trainer.activationMonitor = monitor
        // Only rank 0 writes files and progress.
        let tensorBoard = communicator.isLeader && TensorBoardLog.isEnabled
            ? try TensorBoardLog(folder: c.output, model: model, monitor: monitor, warn: log) : nil
        if communicator.isLeader {
            let bar = ProgressBar(label: "train", unit: "samples")
            trainer.onStep = { step in
                bar.update(done: step.epochSamplesDone, total: step.epochSamples,
                           detail: String(format: "epoch %d loss %.4f", step.epoch, step.epochMeanLoss))
                tensorBoard?.step(step)
            }
            trainer.onEpoch = { [log] record in
                bar.finish()
                log(TrainingRun.describe(record))
                tensorBoard?.epoch(record)
            }
            trainer.onCommunication = { [log] allreduce, exposed, buckets in
                log(String(format: "allreduce: %.1f ms a step in %d buckets, %.1f ms of it not hidden by backward", allreduce * 1000, buckets, exposed * 1000))
            }
        }
        try trainer.run(epochs: c.epochs, train: splits.train, validation: splits.validation, test: c.testEachEpoch ? splits.test : nil)
        if let tensorBoard { log(tensorBoard.costSummary) }
        if trainer.stoppedEarly {
            log("early stopping: no validation improvement for \(c.earlyStoppingPatience ?? 0) epochs")
        }
        let result = try finalEvaluation(trainer, model: model, splits: splits)
        if communicator.isLeader { try result.write(toRun: c.output) }
        var summary = String(format: "test accuracy: %.2f%%", result.testAccuracy * 100)
        if let v = result.validationAccuracy {
            summary += String(format: " (epoch %d, chosen on validation: %.2f%%); last epoch (%d): %.2f%%",
                              result.selectedEpoch, v * 100, result.epochs, result.testAccuracyLast * 100)
        } else {
            summary += String(format: " (last epoch, %d; no validation split to choose on)", result.epochs)
        }
        log(summary)
        return trainer
    }

    /// Evaluates the test split once for the last checkpoint and once for the one chosen on
    /// validation (`best.safetensors`), leaving the latter in `model`.
    private func finalEvaluation(_ trainer: Trainer, model: Classifier, splits: DataSplits) throws -> RunResult {
        let c = configuration
        guard let last = trainer.history.last else {
            throw TrainerError(description: "\(c.output): no epoch was trained, so there is nothing to test")
        }
        try Checkpoint.read(path: trainer.lastCheckpointPath).restore(into: model)
        let lastTest = evaluate(model, on: splits.test, batchSize: c.batchSize, communicator: communicator).accuracy
        var selected = last, test = lastTest, selection = RunResult.Selection.last
        if splits.validation != nil, let bestEpoch = trainer.bestEpoch, let best = trainer.history.first(where: { $0.epoch == bestEpoch }) {
            selection = .best
            selected = best
            if bestEpoch != last.epoch {
                try Checkpoint.read(path: trainer.bestCheckpointPath).restore(into: model)
                test = evaluate(model, on: splits.test, batchSize: c.batchSize, communicator: communicator).accuracy
            }
        }
        let seconds = trainer.history.reduce(0) { $0 + $1.seconds }
        return RunResult(fold: c.workload.fold, seed: c.seed, epochs: last.epoch,
                         selectedEpoch: selected.epoch, selection: selection, validationAccuracy: selected.validationAccuracy,
                         testAccuracy: test, testAccuracyLast: lastTest, trainAccuracyLast: last.trainAccuracy, trainSeconds: seconds)
    }

    /// `1` sends the gradient buckets during backward rather than after it. Not the default: with
    /// one core a rank (mpirun binds each to one), the communication thread takes that core from
    /// backward and training was slower (BENCHMARKS.md); with cores or a network card to spare it can pay.
    package static let overlapVariable = "CONVRELU_MPI_OVERLAP"

    static func describe(_ r: EpochRecord) -> String {
        var s = String(format: "epoch %3d  lr %.2e  train loss %.4f acc %.2f%%", r.epoch, r.learningRate, r.trainLoss, r.trainAccuracy * 100)
        if let v = r.validationAccuracy { s += String(format: "  val %.2f%%", v * 100) }
        if let t = r.testAccuracy { s += String(format: "  test %.2f%%", t * 100) }
        s += String(format: "  %.0f samples/s  %.1fs", r.samplesPerSecond, r.seconds)
        return s
    }
}

/// Training, validation and test sets of any task.
struct DataSplits {
    var train: BatchSource
    var validation: BatchSource?
    var test: BatchSource

    /// Refuses splits no run can learn from or be measured on: an empty training or test set
    /// (empty files would "train" and report 0%), and a training set of one class, which can only
    /// give a constant classifier. `data` names the dataset in the message.
    func check(data: String, classNames: [String]) throws {
        guard train.sampleCount > 0 else { throw TrainerError(description: "\(data): the training split has no samples; are the data files empty?") }
        guard test.sampleCount > 0 else { throw TrainerError(description: "\(data): the test split has no samples; are the data files empty?") }
        var counts = [Int](repeating: 0, count: train.classes)
        for i in 0..<train.sampleCount { counts[train.label(at: i)] += 1 }
        let present = counts.indices.filter { counts[$0] > 0 }
        guard present.count >= 2 else {
            let only = present.first.map { classNames.indices.contains($0) ? "'\(classNames[$0])'" : "\($0)" } ?? "none"
            throw TrainerError(description: "\(data): the training split holds one class only (\(only), \(train.sampleCount) samples); "
                               + "a classifier needs at least two: is a class's file empty?")
        }
    }
}
