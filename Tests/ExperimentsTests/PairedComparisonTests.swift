import Foundation
@testable import Experiments
import TestSupport
import Testing

@Suite struct PairedComparisonTests {
    /// t_{0.975} from printed tables.
    @Test func studentTQuantilesMatchTables() {
        for (df, expected) in [(1, 12.7062), (3, 3.1824), (4, 2.7764), (9, 2.2622), (29, 2.0452)] {
            let t = StudentT(degreesOfFreedom: df).quantile(0.975)
            #expect(abs(t - expected) < 5e-5, "df \(df): \(t)")
            #expect(abs(StudentT(degreesOfFreedom: df).quantile(0.025) + t) < 1e-9)
        }
    }

    /// CDF values from scipy.stats.t.
    @Test func studentTDistributionMatchesReferenceValues() {
        #expect(abs(StudentT(degreesOfFreedom: 5).cdf(1.5) - 0.9030481598787634) < 1e-10)
        #expect(abs(StudentT(degreesOfFreedom: 2).cdf(-2) - 0.09175170953613698) < 1e-10)
        #expect(abs(StudentT(degreesOfFreedom: 4).twoSidedTail(10) - 0.000562003622715991) < 1e-12)
        #expect(StudentT(degreesOfFreedom: 7).cdf(0) == 0.5)
        #expect(StudentT(degreesOfFreedom: 7).quantile(0.5) == 0)
    }

    /// Differences 1, 2, 3, 2 points: mean 2, sd √(2/3), standard error half that, t = 4.899 with
    /// 3 degrees of freedom; t_{0.975,3} = 3.18245, so the interval is 2 ± 1.2992 points.
    @Test func pairedIntervalOfAHandComputedCase() throws {
        let a = [0.70, 0.75, 0.80, 0.72], d = [0.01, 0.02, 0.03, 0.02]
        let pairs = a.indices.map { PairedComparison.Pair(fold: $0, seed: nil, seeds: [1], a: a[$0], b: a[$0] + d[$0]) }
        let c = try PairedComparison(sweepA: "A", sweepB: "B", unit: .fold, pairs: pairs)
        #expect(abs(c.meanDifference - 0.02) < 1e-12)
        #expect(abs(c.standardDeviation - (2.0 / 3).squareRoot() / 100) < 1e-12)
        #expect(abs(c.t - 4.898979485566357) < 1e-9)
        #expect(c.degreesOfFreedom == 3)
        #expect(abs(c.intervalLow - (0.02 - 0.012992282636251106)) < 1e-9)
        #expect(abs(c.intervalHigh - (0.02 + 0.012992282636251106)) < 1e-9)
        #expect(abs(c.pValue - 0.016276603459428548) < 1e-9)
        #expect(c.significant)
        #expect(c.verdict == "significant at 95%")
        #expect(c.text.hasSuffix("\nsignificant at 95%"))

        let mixed = try PairedComparison(sweepA: "A", sweepB: "B", unit: .fold,
                                         pairs: [.init(fold: 0, seed: nil, seeds: [1], a: 0.7, b: 0.72),
                                                 .init(fold: 1, seed: nil, seeds: [1], a: 0.7, b: 0.69)])
        #expect(!mixed.significant)
        #expect(mixed.verdict == "not significant: the interval contains 0")
        #expect(mixed.intervalLow < 0 && mixed.intervalHigh > 0)
    }

    @Test func pairsAverageTheSeedsBothSweepsFinished() {
        let a = [result(fold: 0, seed: 1, test: 0.70, last: 0), result(fold: 0, seed: 2, test: 0.74, last: 0),
                 result(fold: 1, seed: 1, test: 0.80, last: 0), result(fold: 2, seed: 1, test: 0.60, last: 0)]
        let b = [result(fold: 0, seed: 1, test: 0.72, last: 0), result(fold: 0, seed: 2, test: 0.78, last: 0),
                 result(fold: 0, seed: 3, test: 0.10, last: 0), result(fold: 1, seed: 1, test: 0.81, last: 0)]
        let pairs = PairedComparison.pairs(a, b, unit: .fold)
        #expect(pairs.map(\.fold) == [0, 1])
        #expect(pairs.map(\.seeds) == [[1, 2], [1]])
        #expect(abs(pairs[0].a - 0.72) < 1e-12 && abs(pairs[0].b - 0.75) < 1e-12)
        #expect(abs(pairs[1].difference - 0.01) < 1e-12)

        let bySeed = PairedComparison.pairs([result(fold: nil, seed: 2, test: 0.9, last: 0), result(fold: nil, seed: 1, test: 0.8, last: 0)],
                                            [result(fold: nil, seed: 1, test: 0.85, last: 0)], unit: .seed)
        #expect(bySeed.map(\.seed) == [1])
    }

    @Test func fewerThanTwoPairsIsAnError() throws {
        let one = [PairedComparison.Pair(fold: 0, seed: nil, seeds: [1], a: 0.7, b: 0.72)]
        let m = sweepErrorMessage { _ = try PairedComparison(sweepA: "runs/a", sweepB: "runs/b", unit: .fold, pairs: one) }
        #expect(m == "cannot compare runs/a and runs/b: 1 fold finished in both, and a paired t test needs at least 2")
        #expect(sweepErrorMessage { _ = try PairedComparison(sweepA: "a", sweepB: "b", unit: .seed, pairs: []) } != nil)
    }

    @Test func comparesTwoSweepFolders() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-compare")
        // B beats A by 1, 1.5 and 1 points.
        for (name, tests) in [("a", [0.70, 0.75, 0.72]), ("b", [0.71, 0.765, 0.73])] {
            let folder = temporary.path + "/" + name
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Sweep(config: "/c-\(name).json", configDigest: "0", epochs: nil, folds: [0, 1, 2], seeds: [1]).write(toFolder: folder)
            for (fold, test) in tests.enumerated() {
                let run = folder + "/fold-\(fold)-seed-1"
                try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
                try result(fold: fold, seed: 1, test: test, last: test).write(toRun: run)
            }
        }
        let c = try PairedComparison.compare(folderA: temporary.path + "/a", folderB: temporary.path + "/b")
        #expect(c.pairs.count == 3)
        #expect(c.significant)
        try c.writeJSON(to: temporary.path + "/c.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: temporary.path + "/c.json"))) as? [String: Any])
        #expect(json["verdict"] as? String == "significant at 95%")
        #expect((json["pairs"] as? [[String: Any]])?.first?["difference"] != nil)

        let seedsOnly = temporary.path + "/seeds"
        try FileManager.default.createDirectory(atPath: seedsOnly, withIntermediateDirectories: true)
        try Sweep(config: "/ag.json", configDigest: "0", epochs: nil, folds: nil, seeds: [1, 2]).write(toFolder: seedsOnly)
        let m = sweepErrorMessage { _ = try PairedComparison.compare(folderA: temporary.path + "/a", folderB: seedsOnly) }
        #expect(m?.hasPrefix("cannot compare: \(temporary.path)/a runs over folds, \(seedsOnly) runs over seeds only") == true, "\(m ?? "no error")")
    }
}
