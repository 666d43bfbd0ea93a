import Foundation
import Tensor
import TextData

/// What the mean and spread of a sweep run over, and what two sweeps are paired by: MR's test
/// folds (each the average over its seeds), or seeds where the corpus has a fixed test split.
enum SweepUnit: String, Encodable, Sendable {
    case fold, seed

    var plural: String { rawValue + "s" }
}

/// One training run of a sweep: an MR test fold (nil for corpora with a fixed test split) and a seed.
struct SweepJob: Hashable, Codable, Sendable {
    var fold: Int?
    var seed: UInt64

    /// The job's run folder inside the sweep folder.
    var folderName: String { fold.map { "fold-\($0)-seed-\(seed)" } ?? "seed-\(seed)" }

    /// "fold 3 seed 1", or "seed 2".
    var label: String { fold.map { "fold \($0) seed \(seed)" } ?? "seed \(seed)" }
}

/// The jobs a sweep folder is expected to hold and the experiment they belong to, kept as
/// `sweep.json` in the folder: `--summarize` and `--compare` read the expected jobs from it, and
/// every later command on the folder (another shard, a restart) checks that it trains the same
/// config.
struct Sweep: Codable, Equatable, Sendable {
    static let fileName = "sweep.json"

    /// The config file, as an absolute path.
    var config: String
    /// XXH64 of the config file's bytes (hex): an edited config is another experiment, even at the same path.
    var configDigest: String
    /// `--epochs`, when given: it changes the experiment as much as an edit of the file does.
    var epochs: Int?
    /// MR test folds; nil for corpora with a fixed test split.
    var folds: [Int]?
    var seeds: [UInt64]

    var unit: SweepUnit { folds == nil ? .seed : .fold }

    /// Folds × seeds, fold by fold: the order shards count in, so it must not depend on anything
    /// but the arguments.
    var jobs: [SweepJob] {
        guard let folds else { return seeds.map { SweepJob(fold: nil, seed: $0) } }
        return folds.flatMap { fold in seeds.map { SweepJob(fold: fold, seed: $0) } }
    }

    /// "10 folds × 3 seeds = 30 jobs", or "3 seeds = 3 jobs".
    var describeJobs: String {
        let seedsText = "\(seeds.count) seed\(seeds.count == 1 ? "" : "s")"
        let foldsText = folds.map { "\($0.count) fold\($0.count == 1 ? "" : "s") × " } ?? ""
        return foldsText + seedsText + " = \(jobs.count) job\(jobs.count == 1 ? "" : "s")"
    }

    static func digest(ofFile path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, key: nil, message: "cannot read the file (missing or unreadable)")
        }
        let hash = data.withUnsafeBytes { XXH64.hash($0) }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func path(inFolder folder: String) -> String { folder + "/" + fileName }

    /// The sweep recorded in `folder`, or nil when no sweep has started there.
    static func read(fromFolder folder: String) throws -> Sweep? {
        try JSONFile.read(Sweep.self, from: Sweep.path(inFolder: folder), describe: "a sweep record")
    }

    /// The sweep recorded in `folder`, which must have one (`--summarize`, `--compare`).
    static func recorded(inFolder folder: String) throws -> Sweep {
        guard let sweep = try read(fromFolder: folder) else {
            throw SweepError("\(folder): no \(fileName), so no sweep of `convrelu cv --config` has started in this folder")
        }
        return sweep
    }

    func write(toFolder folder: String) throws { try JSONFile.write(self, to: Sweep.path(inFolder: folder)) }

    /// What `folder`'s `sweep.json` should say once this command joins it: this sweep when the
    /// folder has none yet; otherwise the recorded one, its folds and seeds widened by this
    /// command's (shards pass the same ones; a later command may add some). Another config, an
    /// edited config or other `--epochs` would mix two experiments in one folder: refused.
    func merged(withRecordIn folder: String) throws -> Sweep {
        guard let recorded = try Sweep.read(fromFolder: folder) else { return self }
        let path = Sweep.path(inFolder: folder)
        guard recorded.config == config else {
            throw SweepError("\(path): this sweep folder belongs to config \(recorded.config), not \(config); give another --output")
        }
        guard recorded.configDigest == configDigest else {
            throw SweepError("\(path): \(config) has changed since this sweep started (digest \(recorded.configDigest), now \(configDigest)); "
                             + "restore it or give another --output")
        }
        guard recorded.epochs == epochs else {
            func describe(_ e: Int?) -> String { e.map { "--epochs \($0)" } ?? "no --epochs" }
            throw SweepError("\(path): this sweep started with \(describe(recorded.epochs)), this command has \(describe(epochs)); "
                             + "pass the same, or give another --output")
        }
        var widened = recorded
        if let folds, let recordedFolds = recorded.folds { widened.folds = Array(Set(recordedFolds + folds)).sorted() }
        widened.seeds = recorded.seeds + seeds.filter { !recorded.seeds.contains($0) }
        return widened
    }

    /// Parses a list of numbers and ascending ranges ("0-9", "0,2,5", "0-3,7") within `valid`;
    /// returns them sorted, each once. `option` and `noun` name them in errors ("--folds",
    /// "fold"), which end with what is valid and `example`, a valid spec.
    static func parseList(_ spec: String, option: String, noun: String, valid: ClosedRange<Int>, example: String) throws -> [Int] {
        func fail(_ why: String) -> SweepError {
            SweepError("\(option) '\(spec)': \(why); valid: \(noun)s \(valid.lowerBound)-\(valid.upperBound), "
                       + "as numbers and ascending ranges separated by commas, e.g. \(example)")
        }
        func number(_ text: Substring) throws -> Int {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw fail("a \(noun) number is missing") }
            guard let n = Int(trimmed) else { throw fail("'\(trimmed)' is not a \(noun) number") }
            guard valid.contains(n) else { throw fail("there is no \(noun) \(n)") }
            return n
        }
        var chosen = Set<Int>()
        for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false)
            switch ends.count {
            case 1:
                chosen.insert(try number(ends[0]))
            case 2:
                let (first, last) = (try number(ends[0]), try number(ends[1]))
                guard first <= last else { throw fail("the range '\(item)' runs backwards (write \(last)-\(first))") }
                chosen.formUnion(first...last)
            default:
                throw fail("'\(item)' is neither a number nor a range a-b")
            }
        }
        return chosen.sorted()
    }
}
