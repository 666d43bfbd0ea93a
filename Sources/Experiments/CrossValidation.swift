import Foundation
import Tensor

/// What a job's run folder says about it.
enum JobState: Equatable, Sendable {
    /// `result.json` is there: never trained again.
    case finished(RunResult)
    /// A checkpoint (`last.safetensors`) but no result: training stopped part-way.
    case resume
    /// Nothing to continue from.
    case fresh

    var isFinished: Bool { if case .finished = self { true } else { false } }
}

/// A job of this shard, where it runs and what is left to do.
struct PlannedJob: Equatable, Sendable {
    var job: SweepJob
    var folder: String
    var state: JobState
}

/// Cross-validation of one config over MR's folds × seeds (seeds only for corpora with a fixed
/// test split), one run folder per job in a sweep folder. Planning (which jobs this shard owns
/// and what state their folders are in) is kept apart from training, so a restarted or sharded
/// sweep can be checked without training anything.
package struct CrossValidation {
    let configPath: String
    /// The sweep folder.
    package let folder: String
    let sweep: Sweep
    let shard: Shard
    /// `data.path`, `epochs` and `threads` from the command line, passed to every job.
    let overrides: RunOverrides

    /// Reads the config and the command's options; a bad option value stops here, before any
    /// training, with the option and what is valid. `folds` and `seeds` are lists such as "0-9"
    /// or "0-3,7"; without them, every fold of the config (MR) and the config's seed.
    package init(configPath: String, folds foldSpec: String?, seeds seedSpec: String?, shard shardSpec: String?,
                output: String?, data: String?, epochs: Int?, threads: Int? = nil) throws {
        let overrides = RunOverrides(dataPath: data, epochs: epochs, threads: threads)
        let configuration = try RunConfiguration.load(path: configPath, overrides: overrides)

        let folds: [Int]?
        if case .text(let textData) = configuration.workload, textData.dataset.testSetIsFold {
            folds = try foldSpec.map {
                try Sweep.parseList($0, option: "--folds", noun: "fold", valid: 0...(textData.folds - 1), example: "0-\(textData.folds - 1)")
            } ?? Array(0..<textData.folds)
        } else {
            if foldSpec != nil {
                throw SweepError("--folds: \(configPath) trains on \(configuration.workload.datasetName), which has a fixed train/test split and no folds; "
                                 + "leave --folds out (the jobs are its --seeds)")
            }
            folds = nil
        }
        let seeds = try seedSpec.map {
            try Sweep.parseList($0, option: "--seeds", noun: "seed", valid: 0...Int(Int32.max), example: "1,2,3").map(UInt64.init)
        } ?? [configuration.seed]

        self.configPath = configPath
        self.folder = output ?? configuration.output
        self.shard = try shardSpec.map(Shard.init(parsing:)) ?? .whole
        self.overrides = overrides
        sweep = Sweep(config: URL(fileURLWithPath: configPath).standardizedFileURL.path, configDigest: try Sweep.digest(ofFile: configPath),
                      epochs: epochs, folds: folds, seeds: seeds)
    }

    /// The jobs `shard` owns, in job-list order, each with the state its folder is in.
    static func plan(_ jobs: [SweepJob], shard: Shard, folder: String) throws -> [PlannedJob] {
        try jobs.enumerated().filter { shard.owns(jobAt: $0.offset) }.map { _, job in
            let jobFolder = folder + "/" + job.folderName
            return PlannedJob(job: job, folder: jobFolder, state: try state(of: job, inRun: jobFolder))
        }
    }

    /// Finished when `result.json` is there (and is this job's), resumable with a checkpoint, fresh otherwise.
    static func state(of job: SweepJob, inRun folder: String) throws -> JobState {
        if let result = try RunResult.read(fromRun: folder) {
            guard result.fold == job.fold && result.seed == job.seed else {
                let found = SweepJob(fold: result.fold, seed: result.seed).label
                throw SweepError("\(RunResult.path(inRun: folder)): holds the result of \(found), not of \(job.label); move the folder away")
            }
            return .finished(result)
        }
        // The checkpoint the Trainer writes after every epoch (its `lastCheckpointPath`).
        return FileManager.default.fileExists(atPath: folder + "/last.safetensors") ? .resume : .fresh
    }

    /// Records the sweep in its folder, trains this shard's unfinished jobs one after another
    /// (printing a line as each finishes) and rewrites the summary after each, so that whichever
    /// shard finishes last leaves the complete one. Returns the summary as it stands at the end.
    package func run(log: @escaping (String) -> Void) throws -> SweepSummary {
        try Folder.create(folder)
        let recorded = try sweep.merged(withRecordIn: folder)
        if recorded != sweep {
            log("\(Sweep.path(inFolder: folder)): the folder expects \(recorded.describeJobs), this command's and earlier commands' together")
        }
        try recorded.write(toFolder: folder)

        let plan = try CrossValidation.plan(sweep.jobs, shard: shard, folder: folder)
        let finished = plan.filter(\.state.isFinished).count
        let resumable = plan.filter { $0.state == .resume }.count
        log("sweep \(folder): \(sweep.describeJobs)" + (shard == .whole ? "" : "; shard \(shard) owns \(plan.count)")
            + ": \(finished) finished earlier, \(resumable) to resume, \(plan.count - finished - resumable) to start")
        for planned in plan {
            let resume: Bool
            switch planned.state {
            case .finished(let result):
                log("\(planned.job.label): finished earlier: \(CrossValidation.describe(result))")
                continue
            case .resume: resume = true
            case .fresh: resume = false
            }
            let overrides = self.overrides.merging(RunOverrides(output: planned.folder, seed: planned.job.seed, fold: planned.job.fold))
            log("\(planned.job.label): \(resume ? "resuming" : "training") in \(planned.folder)")
            try TrainingRun(configPath: configPath, overrides: overrides, log: log).train(resume: resume)
            guard let result = try RunResult.read(fromRun: planned.folder) else {
                throw SweepError("\(planned.folder): training ended without writing \(RunResult.fileName)")
            }
            log("\(planned.job.label): \(CrossValidation.describe(result))")
            _ = try SweepSummary.refresh(folder: folder)
        }
        return try SweepSummary.refresh(folder: folder)
    }

    /// One line per finished job: the figure to report first, the last epoch's beside it.
    static func describe(_ r: RunResult) -> String {
        let chosen = r.validationAccuracy.map { String(format: "epoch %d chosen on validation %.2f%%", r.selectedEpoch, $0 * 100) }
            ?? "last epoch, no validation split"
        return String(format: "test %.2f%% ", r.testAccuracy * 100) + "(\(chosen)); "
            + String(format: "last epoch %.2f%%; %d epoch", r.testAccuracyLast * 100, r.epochs) + (r.epochs == 1 ? "" : "s")
            + String(format: ", %.1f s", r.trainSeconds)
    }
}
