import Foundation
import ImageData
import Kernels
import Models
import NN
import TextData

/// The settings a run resolved from its config, defaults filled in and sizes derived, stored
/// as JSON in every checkpoint's metadata under "settings". They serve two readers: a loader in
/// another framework, which finds there what rebuilding the model and its input takes
/// (alphabet, length, widths, hidden units, activation sites or placement, batch-norm epsilon,
/// text normalisation and encoding, classes, dataset) without parsing convrelu's config format;
/// and `train --resume`, which compares them with the new run's (`ResumeCheck`). Keys follow the
/// config file's sections and names, so a difference reads like the config key that changed.
///
/// Everything the configuration decides belongs here, or a change of it would slip through
/// resume unnoticed; this file is the one place that turns configuration values into settings.
enum ResolvedSettings {
    static let metadataKey = "settings"

    /// The settings as one line of JSON with sorted keys.
    static func json(_ c: RunConfiguration) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object(c), options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func object(_ c: RunConfiguration) -> [String: Any] {
        var root: [String: Any] = [
            "task": c.task.rawValue,
            "batch_size": c.batchSize,
            "epochs": c.epochs,
            "seed": Int(c.seed),
            "threads": c.threads,
            "early_stopping_patience": c.earlyStoppingPatience ?? NSNull(),
            "bn_recalibration_batches": c.batchNormRecalibrationBatches,
            "label_smoothing": c.labelSmoothing,
            "ema_decay": c.averageDecay,
            "test_each_epoch": c.testEachEpoch,
            "sync_batch_norm": c.syncBatchNorm,
            "output": c.output,
            "init": initialization(c.initialization),
            "optimizer": optimizer(c),
            "schedule": [
                "name": c.scheduleName.rawValue, "milestones": c.milestones, "factor": c.factor,
                "every_epochs": c.halvingEveryEpochs, "times": c.halvingTimes, "warmup_epochs": c.warmupEpochs,
            ] as [String: Any],
        ]
        switch c.workload {
        case .text(let data): root["data"] = textData(data)
        case .image(let data): root["data"] = imageData(data)
        }
        switch c.model {
        case let model as CharCNNConfiguration: root["model"] = charCNN(model, name: c.modelName)
        case let model as ImageModelConfiguration: root["model"] = imageModel(model)
        default: preconditionFailure("ResolvedSettings: no settings for \(c.modelName.rawValue)")
        }
        return root
    }

    private static func textData(_ d: TextDataConfiguration) -> [String: Any] {
        let s = d.settings
        var data: [String: Any] = [
            "dataset": d.dataset.rawValue, "path": d.path, "cache": d.cacheFolder,
            "classes": d.classes, "class_names": d.dataset.classNames,
            "fold_seed": Int(d.foldSeed), "validation_fraction": d.validationFraction,
            "train_limit": d.trainLimit ?? NSNull(), "char_noise": d.characterNoise,
            "encoding": s.encoding.rawValue,
            "nfkc": s.normalization.nfkc, "case_fold": s.normalization.caseFolding,
            "transliteration": s.normalization.transliteration.description,
            "alphabet": s.quantization.alphabet.size,
            "alphabet_characters": s.quantization.alphabet.characters,
            "length": s.quantization.length,
            "join_last_field_first": s.quantization.joinOrder == .lastFieldFirst,
            // How `Quantizer` lays a text out, which a loader must repeat to feed the model.
            "input": "(N, length) alphabet rows as float, -1 for none; one-hot (N, alphabet, length) in PyTorch terms. "
                + "Column 0 holds the text's last character (the text is read backwards); ASCII letters are lowercased; "
                + "a character maps to the row of its last listing in alphabet_characters ('-' is listed twice).",
        ]
        // Written only when on, so checkpoints from before the option still resume (ResumeCheck
        // would otherwise see a new key).
        if d.wordDropout > 0 { data["word_dropout"] = d.wordDropout }
        if d.dataset.testSetIsFold {
            data["fold"] = d.fold
            data["folds"] = d.folds
        } else {
            data["train_file"] = d.trainFile
            data["test_file"] = d.testFile
            data["test_fraction"] = d.testFraction
        }
        return data
    }

    private static func charCNN(_ m: CharCNNConfiguration, name: ModelName) -> [String: Any] {
        [
            "name": name.rawValue, "alphabet": m.alphabetSize, "length": m.length, "classes": m.classes,
            "features": m.features, "hidden_units": m.hiddenUnits, "dropout": m.dropout, "head": m.head.rawValue,
            "batch_norm": m.batchNorm, "batch_norm_epsilon": decimal(BatchNorm.defaultEpsilon),
            // The activation of each site 1…n in order (ReLU where the placement does not select it).
            "site_activations": (1...m.siteCount).map { m.activation.activation(at: .layer($0)).rawValue },
        ].merging(plan(m.activation)) { $1 }
    }

    private static func plan(_ p: ActivationPlan) -> [String: Any] {
        ["activation": p.activation.rawValue, "placement": p.layers.map { $0 as Any } ?? p.placement.rawValue,
         "sharing": p.sharing.rawValue, "leaky_slope": decimal(p.leakySlope)]
    }

    private static func imageData(_ d: ImageDataConfiguration) -> [String: Any] {
        let normalization = Normalization.standard(for: d.variant)
        return [
            "dataset": d.dataset.rawValue, "path": d.path, "classes": d.classes,
            "labels": d.fineLabels ? "fine" : "coarse", "augment": d.augment,
            "validation_fraction": d.validationFraction, "split_seed": Int(d.splitSeed),
            "train_limit": d.trainLimit ?? NSNull(), "test_limit": d.testLimit ?? NSNull(),
            "mean": normalization.mean.map(decimal), "std": normalization.std.map(decimal),
            "input": "(N, 3, 32, 32) float: (pixel / 255 - mean) / std per channel",
        ]
    }

    private static func imageModel(_ m: ImageModelConfiguration) -> [String: Any] {
        [
            "name": m.network.rawValue, "classes": m.classes,
            "batch_norm_epsilon": decimal(BatchNorm.defaultEpsilon), "batch_norm_momentum": decimal(m.batchNormMomentum),
        ].merging(plan(m.activation)) { $1 }
    }

    private static func optimizer(_ c: RunConfiguration) -> [String: Any] {
        let decay = c.weightDecay
        return [
            "name": c.optimizer.rawValue, "lr": c.learningRate, "momentum": c.momentum, "nesterov": c.nesterov,
            "beta1": c.adamBetas.0, "beta2": c.adamBetas.1,
            "weight_decay": decimal(decay.weight), "bias_decay": decimal(decay.bias), "batch_norm_decay": decimal(decay.batchNorm),
            "threshold_decay": decimal(decay.threshold), "slope_decay": decimal(decay.slope),
        ]
    }

    private static func initialization(_ scheme: InitializationScheme) -> [String: Any] {
        func name(_ i: Initializer) -> (String, Double?) {
            switch i {
            case .gaussian(let std): ("gaussian", std)
            case .heNormal: ("he", nil)
            case .glorotUniform: ("glorot", nil)
            case .uniformFanIn: ("pytorch", nil)
            case .zeros: ("zeros", nil)
            }
        }
        let (weights, std) = name(scheme.weights), (thresholds, thresholdStd) = name(scheme.thresholds)
        return ["weights": weights, "std": std ?? NSNull(), "thresholds": thresholds, "threshold_std": thresholdStd ?? NSNull()]
    }

    /// A Float as the decimal it was written as (0.01, not 0.009999999776482582).
    private static func decimal(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }
}
