import Foundation
@testable import Experiments
import Testing
import Training

private let imageConfig = """
{"task": "image", "data": {"dataset": "cifar10", "path": "data/cifar"},
 "model": {"name": "densenet40", "activation": "convrelu", "placement": "R1"},
 "optimizer": {"lr": 0.1}, "epochs": 3, "output": "runs/image"}
"""

/// `text` with values replaced by dotted key, as a user editing the config file would.
private func editing(_ text: String, _ changes: [String: Any]) throws -> String {
    var root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    func set(_ value: Any, _ path: ArraySlice<Substring>, in object: inout [String: Any]) {
        let key = String(path.first!)
        if path.count == 1 { object[key] = value; return }
        var child = object[key] as? [String: Any] ?? [:]
        set(value, path.dropFirst(), in: &child)
        object[key] = child
    }
    for (key, value) in changes { set(value, key.split(separator: ".")[...], in: &root) }
    return String(decoding: try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys]), as: UTF8.self)
}

private func settings(_ text: String, _ changes: [String: Any] = [:]) throws -> String {
    ResolvedSettings.json(try RunConfiguration.parse(changes.isEmpty ? text : try editing(text, changes), file: "test.json"))
}

/// The outcome of resuming a run of `text` with `overrides`: the logged lines, or the error.
private func resume(_ text: String, with overrides: [String: Any]) throws -> Result<[String], TrainerError> {
    let metadata = [ResolvedSettings.metadataKey: try settings(text)]
    do {
        return .success(try ResumeCheck.check(checkpoint: "runs/x/last.safetensors", metadata: metadata, settings: try settings(text, overrides)))
    } catch let error as TrainerError {
        return .failure(error)
    }
}

@Suite struct ResolvedSettingsTests {
    /// What a loader in another framework needs is in the settings, resolved from defaults.
    @Test func textSettingsDescribeModelAndInput() throws {
        let json = try settings(validConfig)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let data = try #require(root["data"] as? [String: Any]), model = try #require(root["model"] as? [String: Any])
        #expect(data["dataset"] as? String == "mr" && data["classes"] as? Int == 2)
        #expect(data["class_names"] as? [String] == ["negative", "positive"])
        #expect(data["alphabet"] as? Int == 69 && (data["alphabet_characters"] as? String)?.unicodeScalars.count == 69)
        #expect(data["length"] as? Int == 256 && data["encoding"] as? String == "latin1")
        #expect(data["nfkc"] as? Bool == true && data["case_fold"] as? Bool == true && data["transliteration"] as? String == "Latin-ASCII")
        #expect(model["features"] as? Int == 256 && model["hidden_units"] as? Int == 1024 && model["head"] as? String == "dense")
        #expect(model["activation"] as? String == "convrelu" && model["placement"] as? String == "paper")
        #expect(model["site_activations"] as? [String] == ["convrelu", "convrelu"] + Array(repeating: "relu", count: 6))
        #expect(model["batch_norm"] as? Bool == true && model["batch_norm_epsilon"] as? Double == 1e-5)
        #expect(model["alphabet"] as? Int == 69 && model["length"] as? Int == 256 && model["classes"] as? Int == 2)
        #expect((root["optimizer"] as? [String: Any])?["threshold_decay"] as? Double == 0.0001, "Floats are stored as written")
    }

    @Test func imageSettingsDescribeModelAndInput() throws {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(try settings(imageConfig).utf8)) as? [String: Any])
        let data = try #require(root["data"] as? [String: Any]), model = try #require(root["model"] as? [String: Any])
        #expect(model["name"] as? String == "densenet40" && model["placement"] as? String == "R1" && model["activation"] as? String == "convrelu")
        #expect(model["batch_norm_epsilon"] as? Double == 1e-5 && model["batch_norm_momentum"] as? Double == 0.1 && model["classes"] as? Int == 10)
        #expect(data["mean"] as? [Double] == [0.4914, 0.4822, 0.4465] && data["std"] as? [Double] == [0.2470, 0.2435, 0.2616])
    }

    /// Every setting that changes what training computes is refused on resume, each difference
    /// listed as "key: stored → new", including one the config left at its default.
    @Test(arguments: [
        ("optimizer.lr", 0.01, "optimizer.lr: 0.001 → 0.01"), ("batch_size", 64, "batch_size: 128 → 64"),
        ("data.train_limit", 100, "data.train_limit: none → 100"), ("model.activation", "relu", "model.activation: convrelu → relu"),
        ("model.features", 128, "model.features: 256 → 128"), ("model.hidden_units", 512, "model.hidden_units"),
        ("model.placement", "A", "model.placement: paper → A"), ("model.batch_norm", false, "model.batch_norm: true → false"),
        ("model.head", "global_max", "model.head"), ("model.dropout", 0.3, "model.dropout"), ("model.sharing", "channel", "model.sharing: layer → channel"),
        ("model.leaky_slope", 0.2, "model.leaky_slope: 0.01 → 0.2"), ("data.length", 300, "data.length"), ("data.alphabet", 70, "data.alphabet"),
        ("data.nfkc", false, "data.nfkc"), ("data.case_fold", false, "data.case_fold"), ("data.transliterate", false, "data.transliteration"),
        ("data.join_last_field_first", false, "data.join_last_field_first"), ("data.fold", 1, "data.fold: 0 → 1"),
        ("data.folds", 5, "data.folds"), ("data.fold_seed", 2, "data.fold_seed"), ("data.validation_fraction", 0.2, "data.validation_fraction"),
        ("data.char_noise", 0.1, "data.char_noise"), ("data.path", "elsewhere", "data.path: ../shared/data/mr → elsewhere"),
        ("optimizer.name", "adamw", "optimizer.name: adam → adamw"), ("optimizer.weight_decay", 0.1, "optimizer.weight_decay"),
        ("optimizer.beta1", 0.8, "optimizer.beta1"), ("optimizer.threshold_decay", 0.01, "optimizer.threshold_decay"),
        ("schedule.name", "cosine", "schedule.name"), ("init.weights", "glorot", "init.weights: he → glorot"),
        ("init.thresholds", "gaussian", "init.thresholds"), ("label_smoothing", 0.1, "label_smoothing"), ("ema_decay", 0.99, "ema_decay"),
        ("seed", 9, "seed: 1 → 9"), ("early_stopping_patience", 3, "early_stopping_patience: none → 3"),
        ("bn_recalibration_batches", 5, "bn_recalibration_batches"), ("test_each_epoch", true, "test_each_epoch"),
    ] as [(String, any Sendable, String)])
    func textChangesAreRefused(key: String, value: any Sendable, difference: String) throws {
        guard case .failure(let error) = try resume(validConfig, with: [key: value]) else {
            Issue.record("\(key) → \(value) was accepted")
            return
        }
        #expect(error.description.hasPrefix("runs/x/last.safetensors: --resume may change only data.cache, epochs, output, sync_batch_norm, threads; this config also changes "))
        #expect(error.description.contains(difference), "\(error.description)")
    }

    @Test(arguments: [
        ("model.placement", "R2", "model.placement: R1 → R2"), ("model.activation", "prelu", "model.activation"),
        ("model.name", "vgg16", "model.name"), ("model.batch_norm_momentum", 0.2, "model.batch_norm_momentum"),
        ("model.sharing", "channel", "model.sharing"), ("model.leaky_slope", 0.1, "model.leaky_slope"),
        ("data.dataset", "cifar100", "data.classes: 10 → 100"), ("data.augment", false, "data.augment"),
        ("data.test_limit", 5, "data.test_limit"), ("data.train_limit", 5, "data.train_limit"), ("data.split_seed", 3, "data.split_seed"),
    ] as [(String, any Sendable, String)])
    func imageChangesAreRefused(key: String, value: any Sendable, difference: String) throws {
        guard case .failure(let error) = try resume(imageConfig, with: [key: value]) else {
            Issue.record("\(key) → \(value) was accepted")
            return
        }
        #expect(error.description.contains(difference), "\(error.description)")
    }

    /// Several changes are all listed; the error says how to go on.
    @Test func everyDifferenceIsListed() throws {
        guard case .failure(let error) = try resume(validConfig, with: ["optimizer.lr": 0.01, "model.activation": "relu", "epochs": 9]) else {
            Issue.record("accepted")
            return
        }
        #expect(error.description.contains("model.activation: convrelu → relu; model.site_activations: "))
        #expect(error.description.contains("; optimizer.lr: 0.001 → 0.01. Resume with the run's own config"))
        #expect(!error.description.contains("epochs: 3 → 9"), "the epoch count may change")
    }

    /// The epoch count, the thread count and the places of the run and the caches may change;
    /// each change is logged, and an epoch count that reshapes the schedule says so.
    @Test func epochsThreadsAndPlacesMayChange() throws {
        let accepted = try resume(validConfig, with: ["epochs": 5, "threads": 1, "output": "runs/moved", "data.cache": "other-cache",
                                                      "sync_batch_norm": true])
        #expect(try accepted.get() == ["resuming with data.cache: cache → other-cache", "resuming with epochs: 3 → 5",
                                       "resuming with output: runs/x → runs/moved", "resuming with sync_batch_norm: false → true",
                                       "resuming with threads: 2 → 1"])
        let cosine = try editing(validConfig, ["schedule.name": "cosine"])
        #expect(try resume(cosine, with: ["epochs": 5]).get()
            == ["resuming with epochs: 3 → 5 (the cosine schedule decays over the epoch count: the epochs done so far followed the 3-epoch one)"])
        #expect(try resume(validConfig, with: [:]).get().isEmpty)
    }

    @Test func checkpointWithoutSettingsIsRefused() {
        #expect(throws: TrainerError.self) { try ResumeCheck.check(checkpoint: "c.safetensors", metadata: [:], settings: "{}") }
    }
}
