import Foundation
import Kernels
import Models
import NN
import Training

/// Everything a training run is made of, read from a JSON config file. Every key is checked:
/// a wrong type, a value out of range or an unknown key stops with the file and the key.
package struct RunConfiguration {
    package enum Task: String, CaseIterable { case text, image }
    package enum OptimizerName: String, CaseIterable { case sgd, adam, adamw }
    package enum ScheduleName: String, CaseIterable { case constant, multistep, halving, cosine, linear }
    package enum InitializerName: String, CaseIterable { case gaussian, he, glorot, pytorch, zeros }

    package var file: String
    /// The config file's text, stored in checkpoints with `overrides` so that `eval` and
    /// `classify` rebuild the same run.
    package var text: String
    /// What the command line (or `cv`) changed, already applied to the values here.
    package internal(set) var overrides = RunOverrides()
    package var task: Task { workload.task }
    package var note: String?
    package var workload: Workload
    package var modelName: ModelName
    package var model: any ModelSettings
    var initialization: InitializationScheme
    package var optimizer: OptimizerName
    package var learningRate: Double
    package var momentum: Double
    package var nesterov: Bool
    var adamBetas: (Double, Double)
    package var weightDecay: WeightDecay
    var scheduleName: ScheduleName
    package var milestones: [Int]
    package var factor: Double
    var halvingEveryEpochs: Int
    var halvingTimes: Int
    /// Warm-up of the cosine and linear schedules, in epochs (fractions allowed).
    var warmupEpochs: Double
    /// Cross-entropy against (1 − ε)·onehot + ε/K.
    package var labelSmoothing: Double
    /// Decay of the weights' moving average that is evaluated and saved (0: none).
    var averageDecay: Double
    package var batchSize: Int
    package var epochs: Int
    package var seed: UInt64
    package var threads: Int
    package var earlyStoppingPatience: Int?
    package var batchNormRecalibrationBatches: Int
    /// Evaluate the test split after every epoch (accuracy curves); otherwise only once, at the
    /// end, for the checkpoint chosen on validation and for the last epoch.
    var testEachEpoch: Bool
    /// Under mpirun: batch-norm statistics over the global batch rather than each rank's share.
    var syncBatchNorm: Bool
    package var output: String

    /// Reads a config file and applies `overrides`.
    package static func load(path: String, overrides: RunOverrides = RunOverrides()) throws -> RunConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, key: nil, message: "cannot read the file (missing or unreadable)")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path, overrides: overrides)
    }

    package static func parse(_ text: String, file: String, overrides: RunOverrides = RunOverrides()) throws -> RunConfiguration {
        let root = try ConfigObject.parse(text, file: file)
        var config = try RunConfiguration(root: root, text: text)
        try root.finish()
        try overrides.apply(to: &config)
        return config
    }

    private init(root: ConfigObject, text: String) throws {
        file = root.file
        self.text = text
        let task: Task = try root.choice("task")
        note = try root.optionalString("note")
        let data = try root.object("data")
        workload = switch task {
        case .text: .text(try TextDataConfiguration(data))
        case .image: .image(try ImageDataConfiguration(data))
        }
        let model = try root.object("model")
        modelName = task == .text ? try model.choice("name", default: ModelName.charCNN) : try model.choice("name")
        self.model = try modelName.readSettings(model, workload: workload)

        let initObject = try root.object("init")
        initialization = InitializationScheme(
            weights: try RunConfiguration.initializer(initObject, "weights", stdKey: "std", default: .he),
            thresholds: try RunConfiguration.initializer(initObject, "thresholds", stdKey: "threshold_std", default: .zeros))

        let opt = try root.object("optimizer")
        optimizer = try opt.choice("name", default: OptimizerName.sgd)
        learningRate = try opt.double("lr", range: 0...10)
        // A zero rate trains nothing while every epoch still runs: surely a typo.
        guard learningRate > 0 else { throw opt.error("lr", "must be greater than 0") }
        momentum = try opt.double("momentum", default: optimizer == .sgd ? 0.9 : 0, range: 0...1)
        nesterov = try opt.bool("nesterov", default: false)
        adamBetas = (try opt.double("beta1", default: 0.9, range: 0...1), try opt.double("beta2", default: 0.999, range: 0...1))
        weightDecay = WeightDecay(weight: Float(try opt.double("weight_decay", default: 0, range: 0...1)),
                                  bias: Float(try opt.double("bias_decay", default: 0, range: 0...1)),
                                  batchNorm: Float(try opt.double("batch_norm_decay", default: 0, range: 0...1)),
                                  threshold: Float(try opt.double("threshold_decay", default: 0, range: 0...1)),
                                  slope: Float(try opt.double("slope_decay", default: 0, range: 0...1)))
        if optimizer != .sgd && opt.has("nesterov") {
            throw ConfigError(file: file, key: "optimizer.nesterov", message: "only SGD has a Nesterov option")
        }

        let schedule = try root.object("schedule")
        scheduleName = try schedule.choice("name", default: ScheduleName.constant)
        milestones = try schedule.ints("milestones", default: [])
        factor = try schedule.double("factor", default: 0.1, range: 0...1)
        halvingEveryEpochs = try schedule.int("every_epochs", default: 3, range: 1...10_000)
        halvingTimes = try schedule.int("times", default: 10, range: 0...60)
        warmupEpochs = try schedule.double("warmup_epochs", default: 0, range: 0...10_000)
        if warmupEpochs > 0 && ![.cosine, .linear].contains(scheduleName) {
            throw ConfigError(file: file, key: "schedule.warmup_epochs", message: "only the cosine and linear schedules have a warm-up")
        }
        labelSmoothing = try root.double("label_smoothing", default: 0, range: 0...0.99)
        averageDecay = try root.double("ema_decay", default: 0, range: 0...0.999_999)

        batchSize = try root.int("batch_size", default: 128, range: 1...65_536)
        epochs = try root.int("epochs", range: 1...100_000)
        seed = UInt64(try root.int("seed", default: 1, range: 0...Int(Int32.max)))
        threads = try root.int("threads", default: 2, range: 1...256)
        earlyStoppingPatience = root.has("early_stopping_patience") ? try root.int("early_stopping_patience", range: 1...10_000) : nil
        root.skip("early_stopping_patience")
        batchNormRecalibrationBatches = try root.int("bn_recalibration_batches", default: 0, range: 0...100_000)
        testEachEpoch = try root.bool("test_each_epoch", default: false)
        syncBatchNorm = try root.bool("sync_batch_norm", default: false)
        output = try root.string("output")
    }

    private static func initializer(_ object: ConfigObject, _ key: String, stdKey: String, default d: InitializerName) throws -> Initializer {
        let name: InitializerName = try object.choice(key, default: d)
        let std = try object.double(stdKey, default: 0.05, range: 0...10)
        switch name {
        case .gaussian: return .gaussian(std: std)
        case .he: return .heNormal
        case .glorot: return .glorotUniform
        case .pytorch: return .uniformFanIn
        case .zeros: return .zeros
        }
    }

    /// The learning-rate schedule for `stepsPerEpoch` optimiser steps per epoch.
    package func schedule(stepsPerEpoch: Int) -> LearningRateSchedule {
        let rate = Float(learningRate)
        switch scheduleName {
        case .constant: return .constant(rate: rate)
        case .multistep: return .multiStep(rate: rate, milestones: milestones, factor: Float(factor))
        case .halving: return .halving(rate: rate, steps: halvingEveryEpochs * stepsPerEpoch, times: halvingTimes)
        case .cosine: return .cosine(rate: rate, warmupSteps: warmupSteps(stepsPerEpoch), totalSteps: epochs * stepsPerEpoch)
        case .linear: return .linear(rate: rate, warmupSteps: warmupSteps(stepsPerEpoch), totalSteps: epochs * stepsPerEpoch)
        }
    }

    private func warmupSteps(_ stepsPerEpoch: Int) -> Int { Int((warmupEpochs * Double(stepsPerEpoch)).rounded()) }

    func makeOptimizer() -> Optimizer {
        switch optimizer {
        case .sgd: SGD(momentum: Float(momentum), nesterov: nesterov, weightDecay: weightDecay)
        case .adam, .adamw: Adam(beta1: Float(adamBetas.0), beta2: Float(adamBetas.1), weightDecay: weightDecay, decoupled: optimizer == .adamw)
        }
    }

    func makeModel() -> Classifier { model.build() }
}
