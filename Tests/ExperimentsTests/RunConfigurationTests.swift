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
