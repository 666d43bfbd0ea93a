import Foundation
import TestSupport
import Testing

/// A safetensors file as any other reader sees it: an 8-byte little-endian header length, the
/// JSON header, then the tensor bytes.
func safetensorsParts(_ path: String) throws -> (header: [String: Any], data: Data) {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + length))) as? [String: Any] ?? [:]
    return (header, bytes.subdata(in: (8 + length)..<bytes.count))
}

/// The tensor names and `__metadata__` of a safetensors file.
func safetensorsHeader(_ path: String) throws -> (names: Set<String>, metadata: [String: String]) {
    let header = try safetensorsParts(path).header
    return (Set(header.keys.filter { $0 != "__metadata__" }), header["__metadata__"] as? [String: String] ?? [:])
}

/// A run folder from the outside: what its checkpoints hold, what a resume accepts, and that
/// two processes never write into one folder at once.
@Suite(.serialized) struct RunFolderCLITests {
    /// `last.safetensors` is the model's state_dict alone, with the resolved settings in its
    /// metadata; the optimiser state and the averaged-away trained weights are beside it.
    @Test func checkpointIsTheStateDictWithSettings() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder).replacingOccurrences(of: "\"seed\": 3", with: "\"seed\": 3, \"ema_decay\": 0.9"))
        let run = try convrelu(["train", "--config", config])
        #expect(run.status == 0, "\(run.error)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/run").sorted()
        #expect(files.filter { !$0.hasPrefix("events.out.tfevents.") }
            == [".train.lock", "best.safetensors", "last.optimizer.safetensors", "last.safetensors", "metrics.jsonl", "result.json"])
        #expect(files.count { $0.hasPrefix("events.out.tfevents.") } == 1, "the TensorBoard log: \(files)")
        for name in ["last", "best"] {
            let (names, metadata) = try safetensorsHeader("\(folder)/run/\(name).safetensors")
            #expect(names.contains("conv2.theta") && names.contains("bn1.running_var") && names.contains("fc3.weight"))
            #expect(!names.contains { $0.hasPrefix("optimizer.") || $0.hasPrefix("training.") }, "\(name): \(names.sorted())")
            #expect(metadata["format"] == "convrelu-checkpoint/2" && metadata["epochs_done"] == "1")
            let settings = try JSONSerialization.jsonObject(with: Data((metadata["settings"] ?? "").utf8)) as? [String: Any]
            let model = settings?["model"] as? [String: Any], data = settings?["data"] as? [String: Any]
            #expect(model?["features"] as? Int == 8 && model?["activation"] as? String == "convrelu" && data?["length"] as? Int == 130)
        }
        let (stateNames, stateMetadata) = try safetensorsHeader(folder + "/run/last.optimizer.safetensors")
        #expect(stateNames.contains("optimizer.conv2.theta.exp_avg") && stateNames.contains("training.conv2.theta"))
        #expect(stateMetadata["step"] == (try safetensorsHeader(folder + "/run/last.safetensors")).metadata["step"])

        let evaluation = try convrelu(["eval", "--checkpoint", folder + "/run/last.optimizer.safetensors"])
        #expect(evaluation.status == 1)
        #expect(evaluation.error.contains("give the run's last.safetensors or best.safetensors"))
    }

    /// Issue 15, row 5: a resume with another batch size, learning rate, `train_limit` or
    /// activation is refused before anything in the folder changes, listing each difference.
    @Test func resumeWithOtherSettingsIsRefused() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder))
        #expect(try convrelu(["train", "--config", config]).status == 0)
        let files = ["last.safetensors", "last.optimizer.safetensors", "best.safetensors", "metrics.jsonl"]
        let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: "\(folder)/run/\($0)")) }

        let changed = try temporary.write("changed.json", smallMRConfig(folder: folder)
            .replacingOccurrences(of: "\"lr\": 0.001", with: "\"lr\": 0.01")
            .replacingOccurrences(of: "\"batch_size\": 16", with: "\"batch_size\": 8")
            .replacingOccurrences(of: "\"train_limit\": 64", with: "\"train_limit\": 32")
            .replacingOccurrences(of: "\"activation\": \"convrelu\"", with: "\"activation\": \"relu\""))
        let refused = try convrelu(["train", "--config", changed, "--resume", "--epochs", "2"])
        #expect(refused.status == 1)
        for difference in ["batch_size: 16 → 8", "data.train_limit: 64 → 32", "model.activation: convrelu → relu", "optimizer.lr: 0.001 → 0.01"] {
            #expect(refused.error.contains(difference), "\(refused.error)")
        }
        #expect(refused.error.contains("\(folder)/run/last.safetensors: --resume may change only"))
        #expect(!refused.error.contains("epochs:"))
        #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: "\(folder)/run/\($0)")) } == before, "nothing was written")
    }

    /// Why a resume may change `threads`: with OpenBLAS on 1 or 2 threads (products large
    /// enough that OpenBLAS splits them) a run computes the same bits.
    @Test func threadCountChangesNoResult() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder)
            .replacingOccurrences(of: "\"features\": 8, \"hidden_units\": 16", with: "\"features\": 64, \"hidden_units\": 64"))
        for threads in ["1", "2"] {
            let run = try convrelu(["train", "--config", config, "--threads", threads, "--output", "\(folder)/run\(threads)"])
            #expect(run.status == 0, "\(run.error)")
        }
        for name in ["last.safetensors", "last.optimizer.safetensors"] {
            #expect(try safetensorsParts("\(folder)/run1/\(name)").data == safetensorsParts("\(folder)/run2/\(name)").data, "\(name)")
        }
    }

    /// Issue 15, row 3: while a process holds the run folder's lock, `train` into that folder
    /// stops at once, naming the folder and the holder's pid, and writes nothing there.
    @Test func secondRunIntoALockedFolderStopsAtOnce() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let folder = temporary.path
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder))
        try FileManager.default.createDirectory(atPath: folder + "/run", withIntermediateDirectories: true)
        let fd = open(folder + "/run/.train.lock", O_RDWR | O_CREAT, 0o644)
        defer { close(fd) }
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }

        let second = try convrelu(["train", "--config", config])
        #expect(second.status == 1)
        #expect(second.error.contains("\(folder)/run: in use by another process (pid \(getpid()), holding \(folder)/run/.train.lock)"), "\(second.error)")
        #expect(second.error.contains("wait for that run to end, or train into another output folder"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/run") == [".train.lock"])
        #expect(!FileManager.default.fileExists(atPath: folder + "/cache"), "it stopped before preparing any data")
    }

    /// Two shards of one sweep train their jobs side by side: each job's folder is locked by
    /// its own run only, and the summary lock lets the last shard to finish write the complete summary.
    @Test func sweepShardsTrainSideBySide() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-cli")
        let config = try temporary.write("mr.json", smallMRConfig(folder: temporary.path))
        let sweep = temporary.path + "/sweep"
        let runs = LockedRuns()
        DispatchQueue.concurrentPerform(iterations: 2) { shard in
            runs.append(Result { try convrelu(["cv", "--config", config, "--folds", "0-1", "--output", sweep, "--shard", "\(shard + 1)/2"]) })
        }
        for run in runs.all {
            let finished = try run.get()
            #expect(finished.status == 0, "\(finished.error)")
        }
        let summary = try String(contentsOfFile: sweep + "/summary.md", encoding: .utf8)
        #expect(summary.contains("Jobs finished: 2 / 2"), "\(summary)")
    }
}

/// Results gathered from concurrent work.
final class LockedRuns: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<Run, any Error>] = []
    func append(_ result: Result<Run, any Error>) { lock.withLock { results.append(result) } }
    var all: [Result<Run, any Error>] { lock.withLock { results } }
}
