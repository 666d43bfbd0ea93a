import Foundation
import Tensor

/// Mean, sample standard deviation (n − 1), minimum and maximum of some accuracies.
struct SampleStatistics: Encodable, Equatable, Sendable {
    var count: Int
    var mean: Double
    /// Nil for a single value.
    var standardDeviation: Double?
    var minimum: Double
    var maximum: Double

    /// Nil for no values.
    init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        count = values.count
        mean = values.reduce(0, +) / Double(values.count)
        let mean = self.mean
        standardDeviation = values.count < 2 ? nil
            : (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        minimum = values.min()!
        maximum = values.max()!
    }
}

/// The state of a sweep folder: every finished job's result, which jobs are still missing, and
/// the two test figures (the checkpoint chosen on validation, the last epoch) averaged over folds
/// — each fold first averaged over its seeds, so extra seeds do not weigh a fold more — or over
/// seeds where there are no folds. Written as `summary.json` and `summary.md` in the folder.
package struct SweepSummary: Encodable, Sendable {
    /// One fold (averaged over the seeds it finished) or, without folds, one seed.
    struct UnitAverage: Encodable, Equatable, Sendable {
        var fold: Int?
        var seed: UInt64?
        /// The seeds averaged (one, without folds).
        var seeds: [UInt64]
        var testAccuracy: Double
        var testAccuracyLast: Double
    }

    /// A seed's figures over the folds it finished (sweeps over folds with several seeds).
    struct SeedAverage: Encodable, Equatable, Sendable {
        var seed: UInt64
        var testAccuracy: SampleStatistics
        var testAccuracyLast: SampleStatistics
    }

    static let jsonName = "summary.json"
    static let markdownName = "summary.md"

    var config: String
    var configDigest: String
    var unit: SweepUnit
    var jobsExpected: Int
    var jobsFinished: Int
    /// Run folders of the expected jobs without a result yet.
    var pending: [String]
    /// Over `units`: the figure to report.
    var testAccuracy: SampleStatistics?
    var testAccuracyLast: SampleStatistics?
    var units: [UnitAverage]
    var perSeed: [SeedAverage]?
    /// Every finished job, in job-list order (accuracies as fractions, like `result.json`).
    var jobs: [RunResult]

    init(sweep: Sweep, results: [RunResult], pending: [String]) {
        config = sweep.config
        configDigest = sweep.configDigest
        unit = sweep.unit
        jobsExpected = sweep.jobs.count
        jobsFinished = results.count
        self.pending = pending
        jobs = results
        units = SweepSummary.averages(results, over: sweep.unit)
        testAccuracy = SampleStatistics(units.map(\.testAccuracy))
        testAccuracyLast = SampleStatistics(units.map(\.testAccuracyLast))
        let seeds = sweep.seeds.filter { seed in results.contains { $0.seed == seed } }
        perSeed = sweep.unit == .fold && seeds.count > 1 ? seeds.map { seed in
            let own = results.filter { $0.seed == seed }
            return SeedAverage(seed: seed, testAccuracy: SampleStatistics(own.map(\.testAccuracy))!,
                               testAccuracyLast: SampleStatistics(own.map(\.testAccuracyLast))!)
        } : nil
    }

    /// Per fold, the mean over its seeds, folds in ascending order; or per seed, without folds.
    static func averages(_ results: [RunResult], over unit: SweepUnit) -> [UnitAverage] {
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        switch unit {
        case .seed:
            return results.sorted { $0.seed < $1.seed }.map {
                UnitAverage(fold: nil, seed: $0.seed, seeds: [$0.seed], testAccuracy: $0.testAccuracy, testAccuracyLast: $0.testAccuracyLast)
            }
        case .fold:
            return Dictionary(grouping: results.filter { $0.fold != nil }) { $0.fold! }.sorted { $0.key < $1.key }.map { fold, runs in
                UnitAverage(fold: fold, seed: nil, seeds: runs.map(\.seed).sorted(), testAccuracy: mean(runs.map(\.testAccuracy)),
                            testAccuracyLast: mean(runs.map(\.testAccuracyLast)))
            }
        }
    }

    /// Summarises the sweep recorded in `folder` from the results its job folders hold now.
    static func read(folder: String) throws -> SweepSummary {
        try read(folder: folder, sweep: try Sweep.recorded(inFolder: folder))
    }

    private static func read(folder: String, sweep: Sweep) throws -> SweepSummary {
        var results: [RunResult] = [], pending: [String] = []
        for job in sweep.jobs {
            let jobFolder = folder + "/" + job.folderName
            if let result = try RunResult.read(fromRun: jobFolder) { results.append(result) } else { pending.append(job.folderName) }
        }
        return SweepSummary(sweep: sweep, results: results, pending: pending)
    }

    /// Summarises `folder` as it stands and rewrites its summary files. Shards of one sweep do
    /// this as each of their jobs finishes; holding a lock on the folder's `.summary.lock` from
    /// reading the results to writing the files means that whoever writes last has also read
    /// last, so a shard that read before another shard's job finished cannot overwrite the
    /// newer summary. (A file system without `flock`, such as some network mounts, loses only
    /// that ordering: `--summarize` rewrites the summary from the folders at any time.)
    package static func refresh(folder: String) throws -> SweepSummary {
        let sweep = try Sweep.recorded(inFolder: folder)
        let lockPath = folder + "/.summary.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw SweepError("\(lockPath): cannot open the summary lock: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        let summary = try read(folder: folder, sweep: sweep)
        try summary.write(toFolder: folder)
        return summary
    }

    /// Writes `summary.json` and `summary.md`, each atomically.
    func write(toFolder folder: String) throws {
        try JSONFile.write(self, to: folder + "/" + SweepSummary.jsonName)
        try AtomicFile.write(Array(markdown.utf8), to: folder + "/" + SweepSummary.markdownName)
    }

    /// The summary as Markdown tables (also what `convrelu cv` prints at the end).
    package var markdown: String {
        func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        func points(_ x: Double?) -> String { x.map { String(format: "%.2f", $0 * 100) } ?? "—" }
        func seedList(_ seeds: [UInt64]) -> String { seeds.map(String.init).joined(separator: ",") }
        var lines = ["# Cross-validation of \(config)", ""]
        lines.append("Jobs finished: \(jobsFinished) / \(jobsExpected)" + (pending.isEmpty ? "" : " (pending: \(pending.joined(separator: ", ")))"))
        lines.append("")
        lines.append("Test accuracy of the checkpoint chosen on validation, and of the last epoch beside it: mean ± sample standard "
                     + "deviation (points) over \(unit.plural)" + (unit == .fold ? ", each fold the mean over its seeds." : "."))
        let lastOnly = jobs.filter { $0.selection != .best }.count
        if lastOnly > 0 {
            lines.append("\(lastOnly) job\(lastOnly == 1 ? " has" : "s have") no validation split: \(lastOnly == 1 ? "its" : "their") first figure is the last epoch's too.")
        }
        lines.append("")
        lines.append("| test accuracy | \(unit.plural) | mean | sd | min | max |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for (name, statistics) in [("chosen on validation", testAccuracy), ("last epoch", testAccuracyLast)] {
            guard let s = statistics else { lines.append("| \(name) | 0 | — | — | — | — |"); continue }
            lines.append("| \(name) | \(s.count) | \(percent(s.mean)) | ± \(points(s.standardDeviation)) | \(percent(s.minimum)) | \(percent(s.maximum)) |")
        }
        if let perSeed {
            lines += ["", "Per seed, over the folds it finished:", "",
                      "| seed | folds | chosen on validation | sd | last epoch | sd |", "|---:|---:|---:|---:|---:|---:|"]
            for s in perSeed {
                lines.append("| \(s.seed) | \(s.testAccuracy.count) | \(percent(s.testAccuracy.mean)) | ± \(points(s.testAccuracy.standardDeviation)) "
                             + "| \(percent(s.testAccuracyLast.mean)) | ± \(points(s.testAccuracyLast.standardDeviation)) |")
            }
        }
        if unit == .fold && units.contains(where: { $0.seeds.count > 1 }) {
            lines += ["", "Per fold, the mean over its seeds:", "",
                      "| fold | seeds | chosen on validation | last epoch |", "|---:|---|---:|---:|"]
            for u in units {
                lines.append("| \(u.fold.map(String.init) ?? "—") | \(seedList(u.seeds)) | \(percent(u.testAccuracy)) | \(percent(u.testAccuracyLast)) |")
            }
        }
        lines += ["", "| fold | seed | selected epoch | validation | test (chosen on validation) | test (last epoch) | epochs | seconds |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in jobs {
            lines.append("| \(r.fold.map(String.init) ?? "—") | \(r.seed) | \(r.selectedEpoch) | \(r.validationAccuracy.map(percent) ?? "—") "
                         + "| \(percent(r.testAccuracy)) | \(percent(r.testAccuracyLast)) | \(r.epochs) | \(String(format: "%.1f", r.trainSeconds)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
