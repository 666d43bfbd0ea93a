import ArgumentParser
import Distributed
import Experiments
import Foundation
import Kernels

struct CrossValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cv",
        abstract: "Cross-validate a config over folds × seeds (resumable, shardable), summarise a sweep folder, or compare two.",
        discussion: """
            Reports the test accuracy of the checkpoint chosen on validation (the last epoch's beside it): mean ± sample \
            standard deviation over folds, each fold first averaged over its seeds; over seeds for corpora without folds.
            """)

    /// What one invocation does: exactly one of --config, --summarize, --compare.
    private enum Mode {
        case sweep(config: String)
        case summarize(folder: String)
        case compare(a: String, b: String)
    }

    @Option(help: "Train this config's jobs: one run folder per (fold, seed) in the sweep folder.") var config: String?
    @Option(help: "MR test folds, as numbers and ranges: 0-9, 0,2,5 or 0-3,7 (default: all of the config's data.folds).") var folds: String?
    @Option(help: "Seeds, as numbers and ranges: 1,2,3 or 1-5 (default: the config's seed).") var seeds: String?
    @Option(help: "Run only every n-th job, i/n with 1 ≤ i ≤ n, so that n processes share one sweep folder.") var shard: String?
    @Option(help: "The sweep folder (default: the config's output).") var output: String?
    @Option(help: "Override the config's data folder.") var data: String?
    @Option(help: "Override the config's epoch count.") var epochs: Int?
    @Option(help: "Override the config's thread count, e.g. 1 for each of two shards on two cores.") var threads: Int?
    @Option(help: "Rewrite summary.json and summary.md of this sweep folder from its job folders; trains nothing.") var summarize: String?
    @Option(parsing: .upToNextOption, help: "Compare two sweep folders, A then B, with a paired t test; trains nothing.")
    var compare: [String] = []
    @Option(help: "With --compare: also write the comparison as JSON to this file.") var json: String?

    private var mode: Mode {
        get throws {
            switch (config, summarize, compare.isEmpty) {
            case (let config?, nil, true): return .sweep(config: config)
            case (nil, let folder?, true): return .summarize(folder: folder)
            case (nil, nil, false):
                guard compare.count == 2 else {
                    throw ValidationError("--compare takes two sweep folders, A and B; got \(compare.count)")
                }
                return .compare(a: compare[0], b: compare[1])
            default: throw ValidationError("give one of --config (run a sweep), --summarize DIR or --compare DIR_A DIR_B")
            }
        }
    }

    func validate() throws {
        let mode = try self.mode
        if json != nil {
            guard case .compare = mode else { throw ValidationError("--json goes with --compare") }
        }
        if case .sweep = mode { return }
        let sweepOptions: [(name: String, given: Bool)] = [("--folds", folds != nil), ("--seeds", seeds != nil), ("--shard", shard != nil),
                                                            ("--output", output != nil), ("--data", data != nil), ("--epochs", epochs != nil),
                                                            ("--threads", threads != nil)]
        if let option = sweepOptions.first(where: \.given) {
            throw ValidationError("\(option.name) goes with --config: it shapes a sweep to train")
        }
    }

    func run() throws {
        switch try mode {
        case .sweep(let config):
            // Under mpirun the ranks deal the jobs out as shards do, each training its own alone.
            let world = try Communicator.world
            if world.isDistributed && shard != nil {
                throw ValidationError("--shard and mpirun both split the jobs between processes: give one of them")
            }
            let sweep = try CrossValidation(configPath: config, folds: folds, seeds: seeds,
                                            shard: world.isDistributed ? "\(world.rank + 1)/\(world.size)" : shard,
                                            output: output, data: data, epochs: epochs, threads: threads)
            if world.isLeader { say(BLASRuntime.summary) }
            let folder = sweep.folder, again = Interruption.commandLine()
            Interruption.onSignal { InterruptionNote.forSweep(folder: folder, again: again) }
            var summary = try sweep.run(log: { say(world.label + $0) })
            // Jobs take unequal times: no time limit on waiting for the slowest rank.
            world.barrier("wait for every rank's jobs", timed: false)
            guard world.isLeader else { return }
            if world.isDistributed { summary = try SweepSummary.refresh(folder: folder) }
            say("")
            say(summary.markdown)
        case .summarize(let folder):
            say(try SweepSummary.refresh(folder: folder).markdown)
        case .compare(let a, let b):
            let comparison = try PairedComparison.compare(folderA: a, folderB: b)
            say(comparison.text)
            if let json { try comparison.writeJSON(to: json) }
        }
    }
}
