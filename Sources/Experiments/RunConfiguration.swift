import Foundation
import Kernels
import Models
import NN
import Training

/// Everything a training run is made of, read from a JSON config file. Every key is checked:
/// a wrong type, a value out of range or an unknown key stops with the file and the key.
public struct RunConfiguration {
    public enum Task: String, CaseIterable { case text, image }
    public enum OptimizerName: String, CaseIterable { case sgd, adam, adamw }
    public enum ScheduleName: String, CaseIterable { case constant, multistep, halving, cosine, linear }
    public enum InitializerName: String, CaseIterable { case gaussian, he, glorot, pytorch, zeros }
    public enum SiteChoice: String, CaseIterable { case paper, all }

    public var file: String
    /// The config file's text, stored in checkpoints so `eval` and `classify` rebuild the same run.
    public var text: String
    public var task: Task
    public var note: String?
    public var textData: TextDataConfiguration?
    public var charCNN: CharCNNConfiguration?
    public var imageData: ImageDataConfiguration?
    public var imageModel: ImageModelConfiguration?
    public var initialization: InitializationScheme
    public var optimizer: OptimizerName
    public var learningRate: Double
    public var momentum: Double
    public var nesterov: Bool
    public var adamBetas: (Double, Double)
    public var weightDecay: WeightDecay
    public var scheduleName: ScheduleName
    public var milestones: [Int]
    public var factor: Double
    public var halvingEveryEpochs: Int
    public var halvingTimes: Int
    /// Warm-up of the cosine and linear schedules, in epochs (fractions allowed).
    public var warmupEpochs: Double
    /// Cross-entropy against (1 − ε)·onehot + ε/K.
    public var labelSmoothing: Double
    /// Decay of the weights' moving average that is evaluated and saved (0: none).
    public var averageDecay: Double
    public var batchSize: Int
    public var epochs: Int
    public var seed: UInt64
    public var threads: Int
    public var earlyStoppingPatience: Int?
    public var batchNormRecalibrationBatches: Int
    /// Evaluate the test split after every epoch (accuracy curves); otherwise only once, at the
    /// end, for the checkpoint chosen on validation and for the last epoch.
    public var testEachEpoch: Bool
    public var output: String

    /// Reads a config file; `overrides` replace values by dotted key ("epochs", "data.path").
    public static func load(path: String, overrides: [String: Any] = [:]) throws -> RunConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, key: nil, message: "cannot read the file (missing or unreadable)")
        }
        let text = String(decoding: data, as: UTF8.self)
        return try parse(overrides.isEmpty ? text : try applying(overrides, to: text, file: path), file: path)
    }

    static func applying(_ overrides: [String: Any], to text: String, file: String) throws -> String {
        guard var root = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            _ = try ConfigObject.parse(text, file: file)  // throws the precise parse error
            throw ConfigError(file: file, key: nil, message: "the top level must be a JSON object")
        }
        func set(_ value: Any, _ path: ArraySlice<Substring>, in object: inout [String: Any]) {
            let key = String(path.first!)
            if path.count == 1 { object[key] = value; return }
            var child = object[key] as? [String: Any] ?? [:]
            set(value, path.dropFirst(), in: &child)
            object[key] = child
        }
        for (key, value) in overrides { set(value, key.split(separator: ".")[...], in: &root) }
        let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    public static func parse(_ text: String, file: String) throws -> RunConfiguration {
        let root = try ConfigObject.parse(text, file: file)
        let config = try RunConfiguration(root: root, text: text)
        try root.finish()
        return config
    }

    private init(root: ConfigObject, text: String) throws {
        file = root.file
        self.text = text
        task = try root.choice("task")
        note = try root.optionalString("note")
        let data = try root.object("data")
        let model = try root.object("model")
        switch task {
        case .text:
            let textData = try TextDataConfiguration(data)
            self.textData = textData
            charCNN = try RunConfiguration.readCharCNN(model, textData: textData)
        case .image:
            imageData = try ImageDataConfiguration(data)
            imageModel = try ImageModelConfiguration(model)
        }

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
        output = try root.string("output")
    }

    private static func readCharCNN(_ model: ConfigObject, textData: TextDataConfiguration) throws -> CharCNNConfiguration {
        let name = try model.string("name", default: "charcnn")
        guard name == "charcnn" else { throw ConfigError(file: model.file, key: "model.name", message: "text runs use 'charcnn', not '\(name)'") }
        let size = try model.string("size", default: "small")
        var c: CharCNNConfiguration
        switch size {
        case "small": c = .small(alphabetSize: textData.alphabetSize, length: textData.length, classes: textData.classes)
        case "large": c = .large(alphabetSize: textData.alphabetSize, length: textData.length, classes: textData.classes)
        default: throw ConfigError(file: model.file, key: "model.size", message: "'\(size)' is not 'small' or 'large'")
        }
        c.features = try model.int("features", default: c.features, range: 1...8192)
        c.hiddenUnits = try model.int("hidden_units", default: c.hiddenUnits, range: 1...65_536)
        c.dropout = try model.double("dropout", default: c.dropout, range: 0...0.99)
        c.batchNorm = try model.bool("batch_norm", default: false)
        c.head = try model.choice("head", default: CharCNNHead.dense)
        c.activation = try model.choice("activation", default: ActivationKind.relu)
        c.sharing = try model.choice("sharing", default: ParameterSharing.channel)
        c.leakySlope = Float(try model.double("leaky_slope", default: 0.01, range: -10...10))
        // "paper": the first two sites (thresholds on the inputs of conv2 and conv3); "all": the (A) variants.
        if model.isList("sites") {
            c.activationSites = try model.ints("sites")
        } else {
            let sites: SiteChoice = try model.choice("sites", default: .paper)
            c.activationSites = sites == .paper ? [1, 2] : Array(c.sites)
        }
        if let problem = c.problems.first { throw ConfigError(file: model.file, key: "model", message: problem) }
        return c
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

    /// A minimal run config for a network named on the command line (`convrelu params --model …`),
    /// parsed like any config file so the same checks apply. `replace` is R1, R2, R3 or A;
    /// for the char-CNN, "paper" or "all".
    public static func describing(model: String, activation: String, replace: String?, classes: Int) throws -> RunConfiguration {
        let file = "command line"
        let text: String
        if model == "charcnn" || model == "charcnn_large" {
            let sites = replace.map { $0 == "A" ? "all" : $0 } ?? "paper"
            text = """
            {"task": "text", "data": {"dataset": "\(classes == 4 ? "ag_news" : classes == 5 ? "yelp_full" : "mr")", "path": ".", "alphabet": 70},
             "model": {"size": "\(model == "charcnn" ? "small" : "large")", "activation": "\(activation)", "sites": "\(sites)"},
             "optimizer": {"lr": 0.01}, "epochs": 1, "output": "."}
            """
        } else {
            text = """
            {"task": "image", "data": {"dataset": "\(classes == 100 ? "cifar100" : "cifar10")", "path": "."},
             "model": {"name": "\(model)", "activation": "\(activation)", "placement": "\(replace ?? "R1")"},
             "optimizer": {"lr": 0.1}, "epochs": 1, "output": "."}
            """
        }
        return try parse(text, file: file)
    }

    /// The learning-rate schedule for `stepsPerEpoch` optimiser steps per epoch.
    public func schedule(stepsPerEpoch: Int) -> LearningRateSchedule {
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

    public func makeOptimizer() -> Optimizer {
        switch optimizer {
        case .sgd: SGD(momentum: Float(momentum), nesterov: nesterov, weightDecay: weightDecay)
        case .adam, .adamw: Adam(beta1: Float(adamBetas.0), beta2: Float(adamBetas.1), weightDecay: weightDecay, decoupled: optimizer == .adamw)
        }
    }

    public func makeModel() -> Classifier {
        switch task {
        case .text: CharCNN(charCNN!)
        case .image: imageModel!.build(classes: imageData!.classes)
        }
    }

    /// The corpus's name as configs write it ("mr", "cifar10").
    var datasetName: String {
        switch task {
        case .text: textData!.dataset.rawValue
        case .image: imageData!.dataset.rawValue
        }
    }

    /// Class names for reports.
    public var classNames: [String] {
        switch task {
        case .text: textData!.dataset.classNames
        case .image: (0..<imageData!.classes).map(String.init)
        }
    }
}
