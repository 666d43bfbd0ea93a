import Foundation
import Tensor

/// Two sweeps of the same folds (or seeds) compared pair by pair: the test accuracy of the
/// checkpoint chosen on validation in A and in B, the mean difference B − A, its 95% confidence
/// interval from a paired t test over the pairs, and the two-sided p-value. A fold is one pair,
/// each side the mean over the seeds both sweeps finished in it, so the pairs are as
/// independent as the folds are.
package struct PairedComparison: Encodable, Sendable {
    struct Pair: Encodable, Equatable, Sendable {
        var fold: Int?
        var seed: UInt64?
        /// The seeds averaged on both sides (one, without folds).
        var seeds: [UInt64]
        var a: Double
        var b: Double
        /// B − A.
        var difference: Double

        init(fold: Int?, seed: UInt64?, seeds: [UInt64], a: Double, b: Double) {
            self.fold = fold
            self.seed = seed
            self.seeds = seeds
            self.a = a
            self.b = b
            difference = b - a
        }

        /// The fold, or the seed without folds.
        var name: String { fold.map(String.init) ?? seed.map(String.init) ?? "" }
    }

    static let confidence = 0.95

    var sweepA: String
    var sweepB: String
    var unit: SweepUnit
    var pairs: [Pair]
    /// Mean of B − A over the pairs (fractions, like the accuracies).
    var meanDifference: Double
    var standardDeviation: Double
    var confidenceLevel: Double
    var intervalLow: Double
    var intervalHigh: Double
    var t: Double
    var degreesOfFreedom: Int
    var pValue: Double
    var significant: Bool
    /// "significant at 95%" or "not significant: the interval contains 0".
    var verdict: String

    /// The paired t test over `pairs`; at least two are needed for a spread.
    init(sweepA: String, sweepB: String, unit: SweepUnit, pairs: [Pair]) throws {
        guard pairs.count >= 2 else {
            throw SweepError("cannot compare \(sweepA) and \(sweepB): \(pairs.count) \(pairs.count == 1 ? unit.rawValue : unit.plural) "
                             + "finished in both, and a paired t test needs at least 2")
        }
        self.sweepA = sweepA
        self.sweepB = sweepB
        self.unit = unit
        self.pairs = pairs
        let n = Double(pairs.count)
        let differences = SampleStatistics(pairs.map(\.difference))!
        meanDifference = differences.mean
        standardDeviation = differences.standardDeviation!
        degreesOfFreedom = pairs.count - 1
        confidenceLevel = PairedComparison.confidence
        let distribution = StudentT(degreesOfFreedom: degreesOfFreedom)
        let standardError = standardDeviation / n.squareRoot()
        let halfWidth = distribution.quantile(1 - (1 - confidenceLevel) / 2) * standardError
        intervalLow = meanDifference - halfWidth
        intervalHigh = meanDifference + halfWidth
        if standardError > 0 {
            t = meanDifference / standardError
            pValue = distribution.twoSidedTail(t)
        } else {
            // Every pair differs by the same amount: no spread, so either certainly a difference or none at all.
            t = meanDifference == 0 ? 0 : (meanDifference > 0 ? .infinity : -.infinity)
            pValue = meanDifference == 0 ? 1 : 0
        }
        significant = intervalLow > 0 || intervalHigh < 0
        verdict = significant ? "significant at \(Int(confidenceLevel * 100))%" : "not significant: the interval contains 0"
    }

    /// Pairs the jobs both sweeps finished: per fold, each side the mean over the seeds both
    /// finished in that fold; without folds, per seed. Folds or seeds only one side finished are left out.
    static func pairs(_ a: [RunResult], _ b: [RunResult], unit: SweepUnit) -> [Pair] {
        func key(_ r: RunResult) -> SweepJob { SweepJob(fold: r.fold, seed: r.seed) }
        let bByJob = Dictionary(b.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let common = a.compactMap { r in bByJob[key(r)].map { (a: r, b: $0) } }
        switch unit {
        case .seed:
            return common.sorted { $0.a.seed < $1.a.seed }.map {
                Pair(fold: nil, seed: $0.a.seed, seeds: [$0.a.seed], a: $0.a.testAccuracy, b: $0.b.testAccuracy)
            }
        case .fold:
            func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
            return Dictionary(grouping: common.filter { $0.a.fold != nil }) { $0.a.fold! }.sorted { $0.key < $1.key }.map { fold, jobs in
                Pair(fold: fold, seed: nil, seeds: jobs.map(\.a.seed).sorted(),
                     a: mean(jobs.map(\.a.testAccuracy)), b: mean(jobs.map(\.b.testAccuracy)))
            }
        }
    }

    /// Compares the sweeps in two folders (as `--summarize` reads them: their `sweep.json` and
    /// the results their job folders hold now).
    package static func compare(folderA: String, folderB: String) throws -> PairedComparison {
        let (a, b) = (try SweepSummary.read(folder: folderA), try SweepSummary.read(folder: folderB))
        guard a.unit == b.unit else {
            func describe(_ s: SweepSummary, _ folder: String) -> String { "\(folder) runs over \(s.unit == .fold ? "folds" : "seeds only")" }
            throw SweepError("cannot compare: \(describe(a, folderA)), \(describe(b, folderB)); pair sweeps of the same corpus")
        }
        return try PairedComparison(sweepA: folderA, sweepB: folderB, unit: a.unit, pairs: pairs(a.jobs, b.jobs, unit: a.unit))
    }

    /// Per-pair accuracies and differences, then the test.
    package var text: String {
        func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        func points(_ x: Double) -> String { String(format: "%+.2f", x * 100) }
        var lines = ["A: \(sweepA)", "B: \(sweepB)",
                     "test accuracy of the checkpoint chosen on validation, paired by \(unit.rawValue)"
                        + (unit == .fold ? " (each side the mean over the seeds both finished)" : ""), ""]
        lines.append("\(unit.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0))  \("A".leftPadded(8))  \("B".leftPadded(8))  \("B − A".leftPadded(7))")
        for pair in pairs {
            lines.append("\(pair.name.padding(toLength: 6, withPad: " ", startingAt: 0))  \(percent(pair.a).leftPadded(8))  "
                         + "\(percent(pair.b).leftPadded(8))  \(points(pair.difference).leftPadded(7))")
        }
        lines.append("")
        lines.append("mean difference B − A: \(points(meanDifference)) points over \(pairs.count) \(unit.plural), "
                     + "\(Int(confidenceLevel * 100))% confidence interval [\(points(intervalLow)), \(points(intervalHigh))]")
        lines.append(String(format: "paired t = %.3f with %d ", t, degreesOfFreedom) + (degreesOfFreedom == 1 ? "degree" : "degrees")
                     + String(format: " of freedom, two-sided p = %.4g", pValue))
        lines.append(verdict)
        return lines.joined(separator: "\n")
    }

    package func writeJSON(to path: String) throws { try JSONFile.write(self, to: path) }
}

private extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
