import Foundation
import TestSupport
import Testing

/// `convrelu cv` from the outside, on fake sweep folders: nothing is trained.
@Suite(.serialized) struct CrossValidateCLITests {
    @Test func badOptionsStopBeforeAnyTraining() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cv-cli")
        let config = try temporary.write("mr.json", smallMRConfig(folder: temporary.path))
        let backwards = try convrelu(["cv", "--config", config, "--folds", "3-1"])
        #expect(backwards.status == 1)
        #expect(backwards.error.contains("--folds '3-1': the range '3-1' runs backwards (write 1-3); valid: folds 0-9"))
        let shard = try convrelu(["cv", "--config", config, "--shard", "4/3"])
        #expect(shard.status == 1)
        #expect(shard.error.contains("--shard '4/3'"))
        let twoModes = try convrelu(["cv", "--config", config, "--summarize", temporary.path])
        #expect(twoModes.status != 0)
        #expect(!FileManager.default.fileExists(atPath: temporary.path + "/run"))
    }

    @Test func summarizesAndComparesFinishedSweeps() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cv-cli")
        // B beats A by 1, 2 and 1.5 points on folds 0-2.
        for (name, tests) in [("a", [0.70, 0.75, 0.72]), ("b", [0.71, 0.77, 0.735])] {
            try temporary.write("\(name)/sweep.json", """
                {"config": "/configs/\(name).json", "config_digest": "0000000000000000", "folds": [0, 1, 2], "seeds": [1]}
                """)
            for (fold, test) in tests.enumerated() {
                try temporary.write("\(name)/fold-\(fold)-seed-1/result.json", """
                    {"fold": \(fold), "seed": 1, "epochs": 3, "selected_epoch": 2, "selection": "best", "validation_accuracy": 0.8,
                     "test_accuracy": \(test), "test_accuracy_last": \(test - 0.01), "train_accuracy_last": 0.9, "train_seconds": 10}
                    """)
            }
        }
        let summary = try convrelu(["cv", "--summarize", temporary.path + "/a"])
        #expect(summary.status == 0, "\(summary.error)")
        #expect(summary.output.contains("Jobs finished: 3 / 3"))
        #expect(FileManager.default.fileExists(atPath: temporary.path + "/a/summary.json"))
        #expect(FileManager.default.fileExists(atPath: temporary.path + "/a/summary.md"))

        let json = temporary.path + "/comparison.json"
        let comparison = try convrelu(["cv", "--compare", temporary.path + "/a", temporary.path + "/b", "--json", json])
        #expect(comparison.status == 0, "\(comparison.error)")
        #expect(comparison.output.contains("mean difference B − A: +1.50 points over 3 folds"))
        #expect(comparison.output.hasSuffix("significant at 95%\n"))
        #expect(FileManager.default.fileExists(atPath: json))

        let missing = try convrelu(["cv", "--compare", temporary.path + "/a", temporary.path + "/none"])
        #expect(missing.status == 1)
        #expect(missing.error.contains("\(temporary.path)/none: no sweep.json"))
    }
}
