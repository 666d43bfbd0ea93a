import Experiments
import Models
import Testing
import Training

/// A valid text config; tests change one thing at a time.
let validConfig = """
{
  "task": "text",
  "data": {"dataset": "mr", "path": "../shared/data/mr", "length": 256, "validation_fraction": 0.1},
  "model": {"size": "small", "activation": "convrelu", "batch_norm": true},
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

@Suite struct RunConfigurationTests {
    @Test func readsAValidConfig() throws {
        let c = try RunConfiguration.parse(validConfig, file: "configs/test.json")
        #expect(c.charCNN?.activation == .convReLU)
        #expect(c.charCNN?.activationSites == [1, 2])
        #expect(c.charCNN?.length == 256)
        #expect(c.charCNN?.alphabetSize == 69)
        #expect(c.charCNN?.classes == 2)
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
        #expect(configError(validConfig.replacingOccurrences(of: "\"length\": 256", with: "\"length\": 100"))?.key == "model")
        #expect(configError(validConfig.replacingOccurrences(of: "\"lr\": 0.001", with: "\"lr\": -1"))?.key == "optimizer.lr")
        #expect(configError(validConfig.replacingOccurrences(of: "\"epochs\": 3,", with: ""))?.key == "epochs")
        #expect(configError(validConfig.replacingOccurrences(of: "\"dataset\": \"mr\"", with: "\"dataset\": \"imdb\""))?.key == "data.dataset")
    }

    @Test func invalidJSONNamesTheFile() {
        let e = configError("{\"task\": \"text\",, }")
        #expect(e?.file == "configs/test.json")
        #expect(e?.message.hasPrefix("not valid JSON") == true)
    }

    @Test func sitesAcceptPaperAllOrAList() throws {
        let all = try RunConfiguration.parse(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"sites\": \"all\""), file: "t")
        #expect(all.charCNN?.activationSites == Array(1...8))
        let list = try RunConfiguration.parse(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"sites\": [1, 3]"), file: "t")
        #expect(list.charCNN?.activationSites == [1, 3])
        #expect(configError(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"sites\": [9]"))?.key == "model")
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
        let inList = configError(validConfig.replacingOccurrences(of: "\"batch_norm\": true", with: "\"sites\": [1, 3,]"))
        #expect(inList?.description == "configs/test.json: model.sites: trailing comma before ']' on line 4")
    }

    @Test func zeroLearningRateIsRejected() {
        let e = configError(validConfig.replacingOccurrences(of: "\"lr\": 0.001", with: "\"lr\": 0"))
        #expect(e?.description == "configs/test.json: optimizer.lr: must be greater than 0")
    }

    /// Every config shipped in configs/ parses.
    @Test func shippedConfigsParse() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: "configs").filter { $0.hasSuffix(".json") }
        #expect(!names.isEmpty)
        for name in names {
            #expect(throws: Never.self, "configs/\(name)") { _ = try RunConfiguration.load(path: "configs/\(name)") }
        }
    }
}

import Foundation
