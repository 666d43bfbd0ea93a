import Experiments
import Models
import Testing
import Training

/// A valid text config; tests change one thing at a time.
let validConfig = """
{
  "task": "text",
  "data": {"dataset": "mr", "path": "../shared/data/mr", "length": 256, "validation_fraction": 0.1},
  "model": {"name": "charcnn", "activation": "convrelu", "batch_norm": true},
  "optimizer": {"name": "adam", "lr": 0.001, "threshold_decay": 0.0001},
  "epochs": 3,
  "output": "runs/x"
}
"""

func configError(_ text: String) -> ConfigError? {
    do {
        _ = try RunConfiguration.parse(text, file: "configs/test.json")
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        return ConfigError(file: "?", key: nil, message: "unexpected \(error)")
    }
}

/// The char-CNN settings of a text config.
func charCNN(_ c: RunConfiguration) -> CharCNNConfiguration? { c.model as? CharCNNConfiguration }

/// The activation at each of a char-CNN's sites.
func siteActivations(_ c: RunConfiguration) -> [Activation] {
    guard let model = charCNN(c) else { return [] }
    return (1...model.siteCount).map { model.activation.activation(at: .layer($0)) }
}

@Suite struct RunConfigurationTests {
    @Test func readsAValidConfig() throws {
        let c = try RunConfiguration.parse(validConfig, file: "configs/test.json")
        #expect(c.modelName == .charCNN)
        #expect(siteActivations(c) == [.convReLU, .convReLU] + Array(repeating: .relu, count: 6))
        #expect(charCNN(c)?.length == 256)
        #expect(charCNN(c)?.alphabetSize == 69)
        #expect(charCNN(c)?.classes == 2)
        #expect(c.weightDecay.threshold == Float(0.0001))
        #expect(c.weightDecay.weight == 0)
        #expect(c.batchSize == 128)
        #expect(c.schedule(stepsPerEpoch: 10) == .constant(rate: 0.001))
    }

    @Test func unknownKeyNamesFileAndKey() {
        let e = configError(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"batch_norn\": true"))
        #expect(e?.description == "configs/test.json: model.batch_norn: unknown key")
    }

    @Test func wrongTypeNamesTheKey() {
        let e = configError(validConfig.replacingOccurrences(of: "\"epochs\": 3", with: "\"epochs\": \"three\""))
        #expect(e?.key == "epochs")
        #expect(e?.message.contains("expected a number") == true)
        let b = configError(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"batch_norm\": 1"))
        #expect(b?.key == "model.batch_norm")
    }

    @Test func badValuesNameTheKey() {
        #expect(configError(validConfig.replacingOccurrences(of: "convrelu", with: "swish"))?.key == "model.activation")
        let short = configError(validConfig.replacingOccurrences(of: "\"length\": 256", with: "\"length\": 100"))
        #expect(short?.description == "configs/test.json: data.length: 100 is too short for six convolutions and three pools (minimum 123 with the dense head)")
        #expect(configError(validConfig.replacingOccurrences(of: "\"lr\": 0.001", with: "\"lr\": -1"))?.key == "optimizer.lr")
        #expect(configError(validConfig.replacingOccurrences(of: "\"epochs\": 3,", with: ""))?.key == "epochs")
        #expect(configError(validConfig.replacingOccurrences(of: "\"dataset\": \"mr\"", with: "\"dataset\": \"imdb\""))?.key == "data.dataset")
    }

    @Test func invalidJSONNamesTheFile() {
        let e = configError("{\"task\": \"text\",, }")
        #expect(e?.file == "configs/test.json")
        #expect(e?.message.hasPrefix("not valid JSON") == true)
    }

    @Test func charCNNPlacementIsPaperAllOrAList() throws {
        func placed(_ value: String) throws -> RunConfiguration {
            try RunConfiguration.parse(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"placement\": \(value)"), file: "t")
        }
        #expect(siteActivations(try placed("\"A\"")) == Array(repeating: .convReLU, count: 8))
        #expect(siteActivations(try placed("[1, 3]")) == [.convReLU, .relu, .convReLU] + Array(repeating: .relu, count: 5))
        let outside = configError(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"placement\": [9]"))
        #expect(outside?.description == "configs/test.json: model.placement: 9 is not a site 1...8")
        let block = configError(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"placement\": \"R2\""))
        #expect(block?.key == "model.placement")
        #expect(block?.message.hasPrefix("'R2' names blocks of an image network") == true)
    }

    @Test func modelNameMustFitTheTask() {
        let e = configError(validConfig.replacingOccurrences(of: "\"name\": \"charcnn\"", with: "\"name\": \"densenet40\""))
        #expect(e?.description == "configs/test.json: model.name: 'densenet40' is an image model; text runs take 'charcnn', 'charcnn_large'")
        let unknown = configError(validConfig.replacingOccurrences(of: "\"name\": \"charcnn\"", with: "\"name\": \"charcnn_small\""))
        #expect(unknown?.key == "model.name")
    }

    @Test func imageNetworksTakeLayerOrChannelSharing() {
        let image = """
        {"task": "image", "data": {"dataset": "cifar10", "path": "."},
         "model": {"name": "densenet40", "activation": "prelu", "sharing": "element"}, "optimizer": {"lr": 0.1}, "epochs": 1, "output": "."}
        """
        #expect(configError(image)?.key == "model.sharing")
        #expect(configError(image.replacingOccurrences(of: "element", with: "channel")) == nil)
    }

    /// Command-line values replace the file's, are checked the same way, and are recorded.
    @Test func overridesApplyToTypedValues() throws {
        let c = try RunConfiguration.parse(validConfig, file: "t", overrides: RunOverrides(dataPath: "elsewhere", epochs: 7, seed: 3, fold: 4))
        #expect(c.workload.path == "elsewhere" && c.epochs == 7 && c.seed == 3 && c.workload.fold == 4)
        #expect(c.overrides == RunOverrides(dataPath: "elsewhere", epochs: 7, seed: 3, fold: 4))
        #expect(throws: ConfigError.self) { try RunConfiguration.parse(validConfig, file: "t", overrides: RunOverrides(epochs: 0)) }
        do {
            _ = try RunConfiguration.parse(validConfig, file: "t", overrides: RunOverrides(fold: 10))
            Issue.record("fold 10 of 10 folds was accepted")
        } catch let error as ConfigError {
            #expect(error.description == "command line: data.fold: 10 is outside 0...9")
        }
    }

    /// JSONSerialization keeps the last of two equal keys; the config reader refuses them.
    @Test func duplicateKeyNamesTheKeyPath() {
        let nested = configError(validConfig.replacingOccurrences(of: "\"lr\": 0.001", with: "\"lr\": 0.001, \"lr\": 0.1"))
        #expect(nested?.description == "configs/test.json: optimizer.lr: duplicate key")
        let top = configError(validConfig.replacingOccurrences(of: "\"epochs\": 3,", with: "\"epochs\": 3, \"epochs\": 4,"))
        #expect(top?.description == "configs/test.json: epochs: duplicate key")
        // The same key spelt with an escape is still the same key.
        let escaped = configError(validConfig.replacingOccurrences(of: "\"lr\": 0.001", with: "\"lr\": 0.001, \"l\\u0072\": 0.1"))
        #expect(escaped?.description == "configs/test.json: optimizer.lr: duplicate key")
        // Equal keys in different objects, and a key spelt out inside a string value, are fine.
        let fine = validConfig
            .replacingOccurrences(of: "\"epochs\": 3,", with: "\"epochs\": 3, \"schedule\": {\"name\": \"constant\"},")
            .replacingOccurrences(of: "\"output\": \"runs/x\"", with: "\"output\": \"runs/x \\\"output\\\": {\"")
        #expect(configError(fine) == nil)
    }

    /// Foundation on Linux accepts a trailing comma; the config reader does not.
    @Test func trailingCommaIsRejected() {
        let inObject = configError(validConfig.replacingOccurrences(of: "\"threshold_decay\": 0.0001", with: "\"threshold_decay\": 0.0001,"))
        #expect(inObject?.description == "configs/test.json: optimizer: trailing comma before '}' on line 5")
        let atTop = configError(validConfig.replacingOccurrences(of: "\"output\": \"runs/x\"", with: "\"output\": \"runs/x\","))
        #expect(atTop?.description == "configs/test.json: trailing comma before '}' on line 7")
        let inList = configError(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"placement\": [1, 3,]"))
        #expect(inList?.description == "configs/test.json: model.placement: trailing comma before ']' on line 4")
    }

    @Test func zeroLearningRateIsRejected() {
        let e = configError(validConfig.replacingOccurrences(of: "\"lr\": 0.001", with: "\"lr\": 0"))
        #expect(e?.description == "configs/test.json: optimizer.lr: must be greater than 0")
    }

    /// Every config shipped in configs/ and its subfolders parses.
    @Test func shippedConfigsParse() throws {
        let names = try FileManager.default.subpathsOfDirectory(atPath: "configs").filter { $0.hasSuffix(".json") }
        #expect(names.count > 60)
        for name in names {
            #expect(throws: Never.self, "configs/\(name)") { _ = try RunConfiguration.load(path: "configs/\(name)") }
        }
    }
}

import Foundation
