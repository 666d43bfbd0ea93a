import Distributed
import Foundation
import Kernels
import Models
import NN
import Tensor

/// One line of a run's `metrics.jsonl`.
package struct EpochRecord: Sendable, Codable, Equatable {
    package var epoch: Int
    package var step: Int
    package var learningRate: Double
    package var trainLoss: Double
    package var trainAccuracy: Double
    package var validationAccuracy: Double?
    package var testAccuracy: Double?
    package var seconds: Double
    package var samplesPerSecond: Double
    /// Per activation, the share of its units (channel × position) whose output never changed
    /// over the validation pass (`ActivationProbe`); nil without a monitor or a validation split.
    package var deadUnits: [String: Double]?
}

/// One training step, as the step hook sees it.
package struct StepRecord: Sendable {
    package var epoch: Int
    /// Steps done, this one included.
    package var step: Int
    package var learningRate: Double
    /// Mean loss and accuracy of this batch.
    package var loss: Double
    package var accuracy: Double
    package var samples: Int
    /// Samples done in the epoch, of `epochSamples`, and their mean loss.
    package var epochSamplesDone: Int
    package var epochSamples: Int
    package var epochMeanLoss: Double
}

package struct TrainerError: Error, CustomStringConvertible {
    package var description: String
    package init(description: String) { self.description = description }
}

/// Runs epochs of minibatch training with evaluation, logs, checkpoints and exact resume.
///
/// Everything random is derived from the seed and the progress counters: the epoch's sample
/// order from (seed, epoch), dropout masks from (seed, step), augmentation from
/// (seed, step). A run resumed from `last.safetensors` and its training state therefore
/// continues exactly as the uninterrupted run would have. `CheckpointFiles` says which files an
/// epoch writes, and in which order, so that this holds after a crash at any point.
///
/// Under mpirun the ranks train data-parallel: each holds the model and takes its share of
/// every global batch of `batchSize` samples (`Communicator.share`), gradients are averaged by
/// a `GradientSynchronizer` as backward runs, and every rank takes the same optimiser step.
/// Dropout and augmentation draw from (seed, rank) streams. Evaluations are split over the
/// ranks and their counts summed; only rank 0 writes files, and a checkpoint holds one model,
/// so a run resumes with any number of ranks.
package final class Trainer {
    package let model: Classifier
    /// The model's named parameters, listed once: the optimiser steps over them every batch.
    private let parameters: [NamedParameter]
    package let optimizer: Optimizer
    package let schedule: LearningRateSchedule
    package let batchSize: Int
    package let seed: UInt64
    package let runFolder: String
    package let communicator: Communicator
    /// Set when there are several ranks.
    private let synchronizer: GradientSynchronizer?
    private let files: CheckpointFiles
    /// Stored in every checkpoint (model and run configuration as JSON, dataset names, ...).
    package var metadata: [String: String]
    /// Stops when validation accuracy has not improved for this many epochs (nil: never).
    package var earlyStoppingPatience: Int?
    /// Before each evaluation, re-estimate the batch-norm running statistics as the average
    /// over this many training batches, with dropout off (0: keep the running averages).
    /// The moving averages lag behind fast-changing weights, and a batch norm after a dropout
    /// sees a larger variance in training than in evaluation; both skew evaluation otherwise.
    package var batchNormRecalibrationBatches = 0
    /// Evaluate and save the moving average of the weights instead of the weights themselves.
    package var weightAverage: WeightAverage?
    /// With several ranks: batch-norm statistics of the global batch (PyTorch's SyncBatchNorm)
    /// rather than of each rank's share, at the price of an allreduce per batch-norm layer.
    package var synchronizesBatchNorm = false
    /// Label smoothing ε of the training loss (evaluation loss is always plain cross-entropy).
    package var labelSmoothing: Float = 0
    /// Called after each training step.
    package var onStep: ((StepRecord) -> Void)?
    /// Watches the activations during each validation pass: dead units into the epoch's record,
    /// input values for whoever logs them.
    package var activationMonitor: ActivationMonitor?
    /// Called after each epoch's evaluation and checkpoint, while the model holds the weights
    /// evaluated and saved (with a weight average, the average).
    package var onEpoch: ((EpochRecord) -> Void)?
    /// Called with each file of an epoch's checkpoint as it is put in place; tests throw here
    /// to stop a save part-way, as a crash would.
    package var onCheckpointFile: ((String) throws -> Void)?
    /// Whether the last `run` ended by early stopping.
    package private(set) var stoppedEarly = false

    package private(set) var epochsDone = 0
    package private(set) var step = 0
    package private(set) var history: [EpochRecord] = []
    private var bestValidation = -Double.infinity

    package var lastCheckpointPath: String { files.last }
    package var bestCheckpointPath: String { files.best }
    /// The optimiser state (and a weight average's trained weights) that resuming reads beside `last`.
    package var trainingStatePath: String { files.lastState }
    package var metricsPath: String { files.metrics }

    /// Called after each epoch of a run of several ranks with the gradient allreduce times per
    /// step: all of it, and what backward did not hide (the wait after backward).
    package var onCommunication: ((_ allreduce: Double, _ exposed: Double, _ buckets: Int) -> Void)?

    package init(model: Classifier, optimizer: Optimizer, schedule: LearningRateSchedule, batchSize: Int,
                seed: UInt64, runFolder: String, metadata: [String: String] = [:], communicator: Communicator = .solo,
                overlapsCommunication: Bool = false) {
        self.model = model
        parameters = model.parameters
        self.optimizer = optimizer
        self.schedule = schedule
        self.batchSize = batchSize
        self.seed = seed
        self.runFolder = runFolder
        self.communicator = communicator
        synchronizer = communicator.isDistributed
            ? GradientSynchronizer(parameters: parameters, communicator: communicator, overlaps: overlapsCommunication) : nil
        files = CheckpointFiles(folder: runFolder)
        self.metadata = metadata
    }

    /// Continues from the run folder's last checkpoint, its training state and the metrics log.
    /// `accept` sees the checkpoint's metadata before anything is restored, and throws to
    /// refuse a checkpoint of another configuration.
    package func resume(accepting accept: ([String: String]) throws -> Void = { _ in }) throws {
        let (checkpoint, state) = try files.readForResume()
        try accept(checkpoint.metadata)
        try checkpoint.restore(into: model)
        // With a weight average the restored model is the average: it becomes the average's
        // value again, and the trained weights come back from the training state.
        weightAverage?.prepare(parameters)
        let trained = weightAverage == nil ? [] : parameters.map { NamedBuffer("training.\($0.name)", $0.parameter.value) }
        try state.restore(optimizer: optimizer, parameters: parameters, extra: trained)
        guard let epochs = checkpoint.metadata["epochs_done"].flatMap(Int.init),
              let steps = checkpoint.metadata["step"].flatMap(Int.init) else {
            throw TrainerError(description: "\(lastCheckpointPath): no progress counters (epochs_done, step) in its metadata")
        }
        if let storedSeed = checkpoint.metadata["seed"], storedSeed != String(seed) {
            throw TrainerError(description: "\(lastCheckpointPath): written with seed \(storedSeed), this run has seed \(seed)")
        }
        epochsDone = epochs
        step = steps
        bestValidation = checkpoint.metadata["best_validation_accuracy"].flatMap(Double.init) ?? -.infinity
        history = try readHistory().filter { $0.epoch <= epochs }
        if communicator.isLeader { try writeHistory() }
    }

    /// Trains until `epochs` epochs are done (or early stopping), evaluating after each epoch.
    package func run(epochs: Int, train: BatchSource, validation: BatchSource?, test: BatchSource?) throws {
        if communicator.isLeader { try Folder.create(runFolder) }
        communicator.replicate(model)
        let prefetcher = BatchPrefetcher(source: train)
        let streamSeed = communicator.streamSeed(seed)
        let probabilities = Tensor(), dLogits = Tensor()
        stoppedEarly = earlyStopReached(validation: validation)
        while epochsDone < epochs && !stoppedEarly {
            let epoch = epochsDone
            InjectedFault.strikeIfRequested(rank: communicator.rank, epoch: epoch)
            let started = Date()
            let order = epochOrder(sampleCount: train.sampleCount, seed: seed, epoch: epoch)
            var lossSum = 0.0, correct = 0, seen = 0, globalSeen = 0
            let rate = schedule.rate(epoch: epoch, step: step)
            let firstStep = step
            let ranges = batchRanges(count: order.count, size: batchSize)
            try prefetcher.forEach(order: order, ranges: ranges.map(communicator.share),
                                   seed: { streamSeed &+ UInt64(firstStep + $0) }) { batch in
                let globalCount = ranges[step - firstStep].count
                globalSeen += globalCount
                guard batch.count > 0 else {
                    // A last batch smaller than the rank count leaves some ranks nothing: they
                    // still take part in the sums, with zero gradients.
                    synchronize(localCount: 0, globalCount: globalCount) { _ in }
                    _ = takeOptimizerStep(epoch: epoch)
                    return
                }
                let context = RunContext(training: true, seed: streamSeed, step: step, sumOverReplicas: batchNormSum)
                let logits = model.forward(batch.input, context)
                probabilities.resize(to: logits.shape)
                dLogits.resize(to: logits.shape)
                let loss = softmaxCrossEntropy(logits: logits.pointer, targets: batch.labels, batch: batch.count,
                                               classes: model.classes, probabilities: probabilities.pointer,
                                               dLogits: dLogits.pointer, labelSmoothing: labelSmoothing)
                guard loss.isFinite else {
                    let kept = FileManager.default.fileExists(atPath: lastCheckpointPath)
                        ? "the last good checkpoint is \(lastCheckpointPath)" : "no checkpoint was written yet"
                    throw TrainerError(description: "loss is \(loss) at epoch \(epoch + 1), step \(step): training stopped; \(kept)")
                }
                let right = (0..<batch.count).count { n in
                    argmax(logits.pointer + n * model.classes, count: model.classes) == Int(batch.labels[n])
                }
                correct += right
                synchronize(localCount: batch.count, globalCount: globalCount) { finished in
                    _ = model.backward(dLogits, afterEachLayer: finished)
                }
                let stepRate = takeOptimizerStep(epoch: epoch)
                lossSum += Double(loss) * Double(batch.count)
                seen += batch.count
                if communicator.isLeader {
                    // This rank's loss and accuracy; the progress counts the whole global batch.
                    onStep?(StepRecord(epoch: epoch + 1, step: step, learningRate: Double(stepRate), loss: Double(loss),
                                       accuracy: Double(right) / Double(batch.count), samples: globalCount,
                                       epochSamplesDone: globalSeen, epochSamples: order.count, epochMeanLoss: lossSum / Double(seen)))
                }
            }
            let seconds = Date().timeIntervalSince(started)
            let totals = communicator.sum([lossSum, Double(correct), Double(seen)], "allreduce of the epoch's loss and accuracy")
            (lossSum, correct, seen) = (totals[0], Int(totals[1]), Int(totals[2]))
            if let times = synchronizer?.takeTimes(), times.steps > 0 {
                onCommunication?(times.communication / Double(times.steps), times.exposed / Double(times.steps), synchronizer!.bucketCount)
            }
            // Evaluation, batch-norm statistics and checkpoints are of the averaged weights.
            weightAverage?.exchange(parameters)
            recalibrateBatchNorm(train, order: order)
            communicator.averageBuffers(model)
            // With several ranks the monitor watches rank 0's share of the validation split.
            let validationAccuracy = validation.map {
                evaluate(model, on: $0, batchSize: batchSize, communicator: communicator, monitor: activationMonitor).accuracy
            }
            let testAccuracy = test.map { evaluate(model, on: $0, batchSize: batchSize, communicator: communicator).accuracy }
            let deadUnits = validation == nil ? nil : activationMonitor.map { monitor in
                Dictionary(uniqueKeysWithValues: monitor.deadFractions.map { ($0.name, $0.fraction) })
            }
            epochsDone += 1
            let record = EpochRecord(epoch: epochsDone, step: step, learningRate: Double(rate),
                                     trainLoss: lossSum / Double(max(seen, 1)), trainAccuracy: Double(correct) / Double(max(seen, 1)),
                                     validationAccuracy: validationAccuracy, testAccuracy: testAccuracy,
                                     seconds: seconds, samplesPerSecond: Double(seen) / max(seconds, 1e-9),
                                     deadUnits: deadUnits)
            history.append(record)
            let improved = (validationAccuracy ?? -record.trainLoss) > bestValidation
            if improved { bestValidation = validationAccuracy ?? -record.trainLoss }
            let progress = progressMetadata()
            let state = TrainingState(optimizer: optimizer, extra: weightAverage?.trainedWeights ?? [],
                                      metadata: progress.filter { ["epochs_done", "step"].contains($0.key) })
            if communicator.isLeader {
                try files.save(Checkpoint(model: model, metadata: progress), state: state, isBest: improved,
                               writeMetrics: writeHistory, reached: onCheckpointFile)
            }
            onEpoch?(record)
            weightAverage?.exchange(parameters)
            stoppedEarly = earlyStopReached(validation: validation)
        }
        // The other ranks read the checkpoints rank 0 wrote (final evaluation, resume).
        communicator.barrier("barrier after the last checkpoint")
    }

    /// Sums batch-norm statistics over the ranks when batch norm is synchronised.
    private var batchNormSum: ReplicaSum? {
        guard synchronizesBatchNorm && communicator.isDistributed else { return nil }
        return { [communicator] values, count in communicator.sum(values, count: count, "allreduce of batch-norm statistics") }
    }

    /// The optimiser step at this step's learning rate (returned), the weight average's update,
    /// and the step count; every rank takes it, with or without samples in the batch.
    private func takeOptimizerStep(epoch: Int) -> Float {
        let rate = schedule.rate(epoch: epoch, step: step)
        optimizer.step(parameters, learningRate: rate)
        weightAverage?.update(parameters, step: step)
        step += 1
        return rate
    }

    /// Runs `backward` (given the callback that reports finished layers) and, with several
    /// ranks, averages the gradients over them, weighted by this rank's `localCount` of the
    /// global batch's `globalCount` samples.
    private func synchronize(localCount: Int, globalCount: Int, backward: ((Layer) -> Void) -> Void) {
        guard let synchronizer else { return backward { _ in } }
        synchronizer.begin(localCount: localCount, globalCount: globalCount)
        backward(synchronizer.layerFinished)
        synchronizer.finish()
    }

    /// Whether validation accuracy has not improved for `earlyStoppingPatience` epochs (also
    /// true right after resuming a run that had stopped early).
    private func earlyStopReached(validation: BatchSource?) -> Bool {
        guard let patience = earlyStoppingPatience, validation != nil, !history.isEmpty else { return false }
        return epochsSinceBest >= patience
    }

    private func recalibrateBatchNorm(_ train: BatchSource, order: [Int]) {
        guard batchNormRecalibrationBatches > 0, !model.buffers.isEmpty else { return }
        let ranges = batchRanges(count: order.count, size: batchSize).prefix(batchNormRecalibrationBatches).map(communicator.share)
        var k = 0
        BatchPrefetcher(source: train).forEach(order: order, ranges: ranges, seed: { _ in nil }) { batch in
            _ = model.forward(batch.input, RunContext(training: true, dropout: false, batchNormMomentum: 1 / Float(k + 1),
                                                      sumOverReplicas: batchNormSum))
            k += 1
        }
    }

    /// The epoch (1-based) with the best validation accuracy (the first of equals), whose
    /// checkpoint is `best.safetensors`; the best training loss without a validation set.
    package var bestEpoch: Int? {
        let scores = history.map { $0.validationAccuracy ?? -$0.trainLoss }
        guard let best = scores.max(), let at = scores.firstIndex(of: best) else { return nil }
        return history[at].epoch
    }

    /// Epochs since the best validation accuracy (or training loss when there is no validation set).
    var epochsSinceBest: Int {
        let scores = history.map { $0.validationAccuracy ?? -$0.trainLoss }
        guard let best = scores.max(), let at = scores.firstIndex(of: best) else { return 0 }
        return scores.count - 1 - at
    }

    private func progressMetadata() -> [String: String] {
        var m = metadata
        m["epochs_done"] = String(epochsDone)
        m["step"] = String(step)
        m["seed"] = String(seed)
        m["best_validation_accuracy"] = String(bestValidation)
        // Every random stream is RNG(seed, name/counter); these counters are its whole state.
        m["rng"] = "xoshiro256** streams derived from seed \(seed): order/<epoch>, dropout/<layer>/<step>, augmentation at seed+step"
        return m
    }

    private func readHistory() throws -> [EpochRecord] {
        guard let text = try? String(contentsOfFile: metricsPath, encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try text.split(separator: "\n").enumerated().map { i, line in
            do { return try decoder.decode(EpochRecord.self, from: Data(line.utf8)) } catch {
                throw TrainerError(description: "\(metricsPath):\(i + 1): not a metrics record")
            }
        }
    }

    private func writeHistory() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let lines = try history.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: metricsPath)
    }
}
