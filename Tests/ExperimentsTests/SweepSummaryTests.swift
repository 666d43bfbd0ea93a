import Foundation
@testable import Experiments
import TestSupport
import Testing

@Suite struct SweepSummaryTests {
    /// Folds 0-3 × seeds 1, 2 with fold 3 seed 2 unfinished; the expected figures are worked out by hand.
    @Test func meansOverFoldsOfSeedAverages() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-summary")
        let folder = temporary.path
        let sweep = Sweep(config: "/configs/mr.json", configDigest: "0123456789abcdef", epochs: nil, folds: [0, 1, 2, 3], seeds: [1, 2])
        try sweep.write(toFolder: folder)
        let figures: [(Int, UInt64, Double, Double)] = [
            (0, 1, 0.70, 0.66), (0, 2, 0.74, 0.70),  // fold 0: 0.72, last 0.68
            (1, 1, 0.80, 0.78), (1, 2, 0.76, 0.78),  // fold 1: 0.78, last 0.78
            (2, 1, 0.75, 0.72), (2, 2, 0.75, 0.74),  // fold 2: 0.75, last 0.73
            (3, 1, 0.79, 0.73),                      // fold 3: 0.79, last 0.73 (seed 2 pending)
        ]
        for (fold, seed, test, last) in figures {
            let run = folder + "/" + SweepJob(fold: fold, seed: seed).folderName
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
            try result(fold: fold, seed: seed, test: test, last: last).write(toRun: run)
        }

        let summary = try SweepSummary.refresh(folder: folder)
        #expect(summary.jobsExpected == 8)
        #expect(summary.jobsFinished == 7)
        #expect(summary.pending == ["fold-3-seed-2"])
        #expect(summary.unit == .fold)
        #expect(summary.units.map(\.fold) == [0, 1, 2, 3])
        #expect(summary.units.map(\.seeds) == [[1, 2], [1, 2], [1, 2], [1]])

        // Test: fold means 0.72, 0.78, 0.75, 0.79 → mean 0.76; squared deviations sum to 0.003, / 3 → sd √0.001.
        let test = try #require(summary.testAccuracy)
        #expect(test.count == 4)
        #expect(abs(test.mean - 0.76) < 1e-12)
        #expect(abs(test.standardDeviation! - 0.001.squareRoot()) < 1e-12)
        #expect(abs(test.minimum - 0.72) < 1e-12)
        #expect(abs(test.maximum - 0.79) < 1e-12)
        // Last epoch: 0.68, 0.78, 0.73, 0.73 → mean 0.73; squares 0.005, / 3.
        let last = try #require(summary.testAccuracyLast)
        #expect(abs(last.mean - 0.73) < 1e-12)
        #expect(abs(last.standardDeviation! - (0.005 / 3).squareRoot()) < 1e-12)

        // Per seed: seed 1 over four folds 0.70, 0.80, 0.75, 0.79; seed 2 over three 0.74, 0.76, 0.75.
        let perSeed = try #require(summary.perSeed)
        #expect(perSeed.map(\.seed) == [1, 2])
        #expect(perSeed.map(\.testAccuracy.count) == [4, 3])
        #expect(abs(perSeed[0].testAccuracy.mean - 0.76) < 1e-12)
        #expect(abs(perSeed[1].testAccuracy.mean - 0.75) < 1e-12)
        #expect(abs(perSeed[1].testAccuracy.standardDeviation! - 0.01) < 1e-12)

        let markdown = try String(contentsOfFile: folder + "/summary.md", encoding: .utf8)
        #expect(markdown.contains("Jobs finished: 7 / 8 (pending: fold-3-seed-2)"))
        #expect(markdown.contains("| chosen on validation | 4 | 76.00% | ± 3.16 | 72.00% | 79.00% |"))
        #expect(markdown.contains("| last epoch | 4 | 73.00% | ± 4.08 | 68.00% | 78.00% |"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))) as? [String: Any])
        #expect(json["jobs_finished"] as? Int == 7)
        #expect(json["config"] as? String == "/configs/mr.json")
        #expect((json["jobs"] as? [Any])?.count == 7)
    }

    @Test func withoutFoldsTheSpreadIsOverSeeds() {
        let sweep = Sweep(config: "/configs/ag.json", configDigest: "0", epochs: nil, folds: nil, seeds: [1, 2, 3])
        let summary = SweepSummary(sweep: sweep, results: [result(fold: nil, seed: 1, test: 0.9, last: 0.89),
                                                           result(fold: nil, seed: 3, test: 0.92, last: 0.9)],
                                   pending: ["seed-2"])
        #expect(summary.unit == .seed)
        #expect(summary.perSeed == nil)
        #expect(summary.units.map(\.seed) == [1, 3])
        #expect(abs(summary.testAccuracy!.mean - 0.91) < 1e-12)
        #expect(abs(summary.testAccuracy!.standardDeviation! - 0.0002.squareRoot()) < 1e-12)
    }

    @Test func oneValueHasNoStandardDeviation() {
        #expect(SampleStatistics([]) == nil)
        #expect(SampleStatistics([0.5])?.standardDeviation == nil)
        #expect(SampleStatistics([0.5])?.mean == 0.5)
    }
}
