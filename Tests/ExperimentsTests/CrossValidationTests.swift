import Foundation
@testable import Experiments
import TestSupport
import Testing

/// A finished run's result with the given figures (the rest does not matter to sweeps).
func result(fold: Int?, seed: UInt64, test: Double, last: Double) -> RunResult {
    RunResult(fold: fold, seed: seed, epochs: 12, selectedEpoch: 9, selection: .best, validationAccuracy: 0.8,
              testAccuracy: test, testAccuracyLast: last, trainAccuracyLast: 0.95, trainSeconds: 60)
}

/// The message of the `SweepError` that `body` throws, or nil when it throws none.
func sweepErrorMessage(_ body: () throws -> Void) -> String? {
    do { try body() } catch let error as SweepError { return error.description } catch { return "unexpected \(error)" }
    return nil
}

@Suite struct CrossValidationTests {
    @Test func parsesFoldListsAndRanges() throws {
        func folds(_ spec: String) throws -> [Int] { try Sweep.parseList(spec, option: "--folds", noun: "fold", valid: 0...9, example: "0-9") }
        #expect(try folds("0-9") == Array(0...9))
        #expect(try folds("0,2,5") == [0, 2, 5])
        #expect(try folds("0-3,7") == [0, 1, 2, 3, 7])
        #expect(try folds("7,0-3,2") == [0, 1, 2, 3, 7])
        #expect(try folds("4") == [4])
        #expect(try folds("4-4") == [4])
    }

    @Test func badFoldSpecsNameTheOptionAndWhatIsValid() {
        func message(_ spec: String) -> String? {
            sweepErrorMessage { _ = try Sweep.parseList(spec, option: "--folds", noun: "fold", valid: 0...9, example: "0-9") }
        }
        for spec in ["3-1", "x", "10", "0-10", "", "1,,2", "1-2-3", "-1"] {
            let m = message(spec)
            #expect(m?.hasPrefix("--folds '\(spec)': ") == true, "\(spec): \(m ?? "no error")")
            #expect(m?.contains("valid: folds 0-9") == true, "\(spec)")
        }
        #expect(message("3-1")?.contains("runs backwards") == true)
        #expect(message("x")?.contains("'x' is not a fold number") == true)
        #expect(message("10")?.contains("there is no fold 10") == true)
    }

    @Test func sweepOptionsAreCheckedAgainstTheConfig() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cv")
        let mr = try temporary.write("mr.json", validConfig.replacingOccurrences(of: "\"length\": 256", with: "\"length\": 256, \"folds\": 5"))
        let all = try CrossValidation(configPath: mr, folds: nil, seeds: nil, shard: nil, output: nil, data: nil, epochs: nil)
        #expect(all.sweep.folds == [0, 1, 2, 3, 4])
        #expect(all.sweep.seeds == [1])
        #expect(all.folder == "runs/x")
        #expect(all.shard == .whole)
        let some = try CrossValidation(configPath: mr, folds: "1-2", seeds: "3,1", shard: "2/3", output: "/tmp/sweep", data: nil, epochs: 2)
        #expect(some.sweep.folds == [1, 2])
        #expect(some.sweep.seeds == [1, 3])
        #expect(some.sweep.epochs == 2)
        #expect(some.shard == Shard(index: 2, count: 3))
        #expect(some.folder == "/tmp/sweep")

        let tooHigh = sweepErrorMessage { _ = try CrossValidation(configPath: mr, folds: "5", seeds: nil, shard: nil, output: nil, data: nil, epochs: nil) }
        #expect(tooHigh?.contains("--folds '5': there is no fold 5; valid: folds 0-4") == true, "\(tooHigh ?? "no error")")

        let ag = try temporary.write("ag.json", validConfig.replacingOccurrences(of: "\"dataset\": \"mr\"", with: "\"dataset\": \"ag_news\""))
        let seedsOnly = try CrossValidation(configPath: ag, folds: nil, seeds: "1-3", shard: nil, output: nil, data: nil, epochs: nil)
        #expect(seedsOnly.sweep.folds == nil)
        #expect(seedsOnly.sweep.jobs.map(\.folderName) == ["seed-1", "seed-2", "seed-3"])
        let foldsOnAG = sweepErrorMessage { _ = try CrossValidation(configPath: ag, folds: "0", seeds: nil, shard: nil, output: nil, data: nil, epochs: nil) }
        #expect(foldsOnAG?.hasPrefix("--folds: \(ag) trains on ag_news, which has a fixed train/test split") == true, "\(foldsOnAG ?? "no error")")
    }

    @Test func jobsAreFoldsTimesSeedsFoldByFold() {
        let sweep = Sweep(config: "/c.json", configDigest: "0", epochs: nil, folds: [0, 2], seeds: [1, 5, 7])
        #expect(sweep.jobs == [SweepJob(fold: 0, seed: 1), SweepJob(fold: 0, seed: 5), SweepJob(fold: 0, seed: 7),
                               SweepJob(fold: 2, seed: 1), SweepJob(fold: 2, seed: 5), SweepJob(fold: 2, seed: 7)])
        #expect(sweep.jobs.map(\.folderName) == ["fold-0-seed-1", "fold-0-seed-5", "fold-0-seed-7",
                                                 "fold-2-seed-1", "fold-2-seed-5", "fold-2-seed-7"])
        #expect(sweep.describeJobs == "2 folds × 3 seeds = 6 jobs")
    }

    @Test func shardsCoverEveryJobExactlyOnce() throws {
        let jobs = Sweep(config: "/c.json", configDigest: "0", epochs: nil, folds: Array(0..<10), seeds: [1, 2, 3]).jobs
        let folder = try TemporaryFolder(prefix: "convrelu-cv")
        for n in [1, 2, 3, 4, 7, 30, 31] {
            var owners: [SweepJob: Int] = [:]
            for i in 1...n {
                let shard = try Shard(parsing: "\(i)/\(n)")
                for planned in try CrossValidation.plan(jobs, shard: shard, folder: folder.path) {
                    owners[planned.job, default: 0] += 1
                }
            }
            #expect(owners.count == jobs.count, "n = \(n)")
            #expect(owners.values.allSatisfy { $0 == 1 }, "n = \(n)")
        }
        let second = try CrossValidation.plan(jobs, shard: Shard(parsing: "2/3"), folder: folder.path).map(\.job)
        #expect(second == stride(from: 1, to: jobs.count, by: 3).map { jobs[$0] })
    }

    @Test func badShardsAreRefused() {
        for spec in ["0/3", "4/3", "1/0", "-1/2", "2", "a/b", "1/2/3", ""] {
            let m = sweepErrorMessage { _ = try Shard(parsing: spec) }
            #expect(m?.hasPrefix("--shard '\(spec)': ") == true, "\(spec): \(m ?? "no error")")
        }
        #expect(throws: Never.self) { _ = try Shard(parsing: "3/3") }
    }

    /// A sweep interrupted part-way: finished jobs are left alone, a job with a checkpoint resumes.
    @Test func planOfAHalfFinishedSweep() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cv")
        let folder = temporary.path
        let jobs = Sweep(config: "/c.json", configDigest: "0", epochs: nil, folds: [0, 1, 2], seeds: [1, 2]).jobs
        let done = result(fold: 0, seed: 2, test: 0.75, last: 0.74)
        try FileManager.default.createDirectory(atPath: folder + "/fold-0-seed-2", withIntermediateDirectories: true)
        try done.write(toRun: folder + "/fold-0-seed-2")
        // Finished: the result decides, whatever else the folder holds.
        try FileManager.default.createDirectory(atPath: folder + "/fold-2-seed-1", withIntermediateDirectories: true)
        try result(fold: 2, seed: 1, test: 0.7, last: 0.7).write(toRun: folder + "/fold-2-seed-1")
        try temporary.write("fold-2-seed-1/last.safetensors", "checkpoint")
        try temporary.write("fold-1-seed-1/last.safetensors", "checkpoint")
        try temporary.write("fold-1-seed-2/metrics.jsonl", "")

        let plan = try CrossValidation.plan(jobs, shard: .whole, folder: folder)
        #expect(plan.map(\.job) == jobs)
        #expect(plan.map(\.folder) == jobs.map { folder + "/" + $0.folderName })
        #expect(plan.map(\.state) == [.fresh, .finished(done), .resume, .fresh,
                                      .finished(result(fold: 2, seed: 1, test: 0.7, last: 0.7)), .fresh])
        #expect(try CrossValidation.plan(jobs, shard: Shard(parsing: "2/2"), folder: folder).map(\.state)
                == [.finished(done), .fresh, .fresh])
    }

    @Test func aResultOfAnotherJobIsRefused() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cv")
        try FileManager.default.createDirectory(atPath: temporary.path + "/fold-0-seed-1", withIntermediateDirectories: true)
        try result(fold: 3, seed: 1, test: 0.7, last: 0.7).write(toRun: temporary.path + "/fold-0-seed-1")
        let m = sweepErrorMessage { _ = try CrossValidation.plan([SweepJob(fold: 0, seed: 1)], shard: .whole, folder: temporary.path) }
        #expect(m?.contains("fold-0-seed-1/result.json: holds the result of fold 3 seed 1, not of fold 0 seed 1") == true, "\(m ?? "no error")")
    }

    @Test func aSweepFolderKeepsItsConfig() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cv")
        let folder = temporary.path
        let first = Sweep(config: "/configs/a.json", configDigest: "00000000000000aa", epochs: nil, folds: [0, 1], seeds: [1])
        #expect(try first.merged(withRecordIn: folder) == first)
        try first.write(toFolder: folder)
        #expect(try Sweep.read(fromFolder: folder) == first)

        // The same config with other jobs (a later command, a shard's subset): the expected jobs widen.
        var more = first
        more.folds = [1, 3]
        more.seeds = [2, 1]
        let widened = try more.merged(withRecordIn: folder)
        #expect(widened.folds == [0, 1, 3])
        #expect(widened.seeds == [1, 2])

        var otherFile = first
        otherFile.config = "/configs/b.json"
        #expect(sweepErrorMessage { _ = try otherFile.merged(withRecordIn: folder) }?
            .hasPrefix("\(folder)/sweep.json: this sweep folder belongs to config /configs/a.json, not /configs/b.json") == true)
        var edited = first
        edited.configDigest = "00000000000000bb"
        #expect(sweepErrorMessage { _ = try edited.merged(withRecordIn: folder) }?
            .contains("/configs/a.json has changed since this sweep started (digest 00000000000000aa, now 00000000000000bb)") == true)
        var shorter = first
        shorter.epochs = 3
        #expect(sweepErrorMessage { _ = try shorter.merged(withRecordIn: folder) }?
            .contains("this sweep started with no --epochs, this command has --epochs 3") == true)
    }

    @Test func theConfigDigestFollowsTheFileContents() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cv")
        let path = try temporary.write("c.json", "{}")
        let before = try Sweep.digest(ofFile: path)
        #expect(before.count == 16)
        #expect(try Sweep.digest(ofFile: path) == before)
        try temporary.write("c.json", "{ }")
        #expect(try Sweep.digest(ofFile: path) != before)
    }
}
