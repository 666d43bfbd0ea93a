import Foundation
import Tensor
import TestSupport
import Testing

/// Open MPI's launcher, or nil where it is not installed (scripts/setup.sh installs it).
let mpirunPath: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Runs `convrelu arguments` as `ranks` processes under mpirun. Root may start ranks only with
/// --allow-run-as-root; --oversubscribe allows more ranks than cores. `environment` goes to every rank.
func mpirun(ranks: Int, _ arguments: [String], environment: [String: String] = [:]) throws -> Run {
    let exported = environment.sorted { $0.key < $1.key }.flatMap { ["-x", "\($0.key)=\($0.value)"] }
    return try launch(["-np", String(ranks)] + exported + [convreluBinary] + arguments)
}

/// mpirun with `arguments`. hwloc's GL plugin, which mpirun loads, probes X displays :0, :1, …
/// including TCP ports 6000 + n, and waits for ever on a server there that is no X server
/// (TensorBoard's 6006): HWLOC_COMPONENTS=-gl leaves it out.
func launch(_ arguments: [String]) throws -> Run {
    try run(mpirunPath!, ["--allow-run-as-root", "--oversubscribe"] + arguments, environment: ["HWLOC_COMPONENTS": "-gl"])
}

/// How far two checkpoints' parameters are apart: ‖a − b‖ / ‖a‖ over all their tensors
/// together (parameters and running statistics). Per tensor, a zero-initialised bias whose
/// gradient is a sum with much cancellation (a batch-norm β) is as far apart as that sum's
/// rounding, so the whole model is measured, as "the same parameters" means it.
func relativeDifference(_ pathA: String, _ pathB: String) throws -> Double {
    let a = try Safetensors.read(path: pathA), b = try Safetensors.read(path: pathB)
    #expect(a.names == b.names)
    var difference = 0.0, norm = 0.0
    for name in a.names {
        for (x, y) in zip(try a.floats(name), try b.floats(name)) {
            difference += Double(x - y) * Double(x - y)
            norm += Double(x) * Double(x)
        }
    }
    return (difference / norm).squareRoot()
}

/// Data-parallel training under `mpirun -np 2`: the same model as one process, rank 0 alone
/// writing, clear errors instead of hangs.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun not found: install openmpi-bin (scripts/setup.sh does) to run the MPI tests"))
struct MPICLITests {
    /// The MR char-CNN without batch norm and dropout, whose two ranks together take the
    /// batches one process takes: the parameters after two epochs agree up to summation order.
    @Test func twoRanksTrainTheCharCNNOneProcessTrains() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-mpi")
        let folder = temporary.path
        let config = try temporary.write("mr.json", smallMRConfig(folder: folder).replacingOccurrences(
            of: "\"batch_norm\": true, \"activation\": \"convrelu\"", with: "\"batch_norm\": false, \"dropout\": 0, \"activation\": \"convrelu\""
        ).replacingOccurrences(of: "\"epochs\": 1", with: "\"epochs\": 2"))
        let single = try convrelu(["train", "--config", config, "--output", folder + "/one"])
        #expect(single.status == 0, "\(single.error)")
        // Buckets sent during backward (CONVRELU_MPI_OVERLAP=1) give the sums sent after it.
        let two = try mpirun(ranks: 2, ["train", "--config", config, "--output", folder + "/two"], environment: ["CONVRELU_MPI_OVERLAP": "1"])
        #expect(two.status == 0, "\(two.error)")
        #expect(two.output.contains("ranks: 2"), "\(two.output)")
        // Rank 0 alone logs: one line per epoch, one summary.
        #expect(two.output.components(separatedBy: "test accuracy:").count == 2, "\(two.output)")
        #expect(two.output.components(separatedBy: "epoch   2").count == 2, "\(two.output)")
        let difference = try relativeDifference(folder + "/one/last.safetensors", folder + "/two/last.safetensors")
        #expect(difference < 1e-4, "parameters of 1 and 2 ranks differ by \(difference) relative")
        let metrics = try String(contentsOfFile: folder + "/two/metrics.jsonl", encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 2)
    }

    /// DenseNet-40 (batch norm throughout) on a few CIFAR-10 images without augmentation: with
    /// synchronised batch norm, 2 ranks take the statistics of the batch one process takes, and
    /// the parameters and running statistics after an epoch of 2 steps agree up to summation
    /// order. (The β gradients of block 1 are sums over 16 × 32 × 32 values with much
    /// cancellation, whose float rounding differs with the split; over more steps the runs drift
    /// further apart: 2.9e-4 after 4.)
    @Test func twoRanksWithSynchronisedBatchNormTrainDenseNetAsOneProcess() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-mpi")
        let folder = temporary.path
        let config = try temporary.write("cifar.json", """
            {
              "task": "image",
              "data": {"dataset": "cifar10", "path": "\(Fixtures.dataFolder)/cifar-10-batches-bin", "train_limit": 32, "test_limit": 32,
                       "augment": false},
              "model": {"name": "densenet40", "activation": "convrelu", "placement": "R1"},
              "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 0.0001},
              "batch_size": 16,
              "epochs": 1,
              "sync_batch_norm": true,
              "output": "\(folder)/run"
            }
            """)
        let single = try convrelu(["train", "--config", config, "--output", folder + "/one"])
        #expect(single.status == 0, "\(single.error)")
        // During backward, so that batch-norm sums and gradient buckets go out at the same time.
        let two = try mpirun(ranks: 2, ["train", "--config", config, "--output", folder + "/two"], environment: ["CONVRELU_MPI_OVERLAP": "1"])
        #expect(two.status == 0, "\(two.error)")
        let difference = try relativeDifference(folder + "/one/last.safetensors", folder + "/two/last.safetensors")
        #expect(difference < 1e-4, "parameters of 1 and 2 ranks differ by \(difference) relative")
    }

    /// `cv` under mpirun deals its (fold, seed) jobs over the ranks like --shard; rank 0 prints
    /// the summary once every rank is done.
    @Test func crossValidationSpreadsItsJobsOverTheRanks() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-mpi")
        let config = try temporary.write("mr.json", smallMRConfig(folder: temporary.path))
        let job = try mpirun(ranks: 2, ["cv", "--config", config, "--folds", "0,1", "--threads", "1", "--output", temporary.path + "/sweep"])
        #expect(job.status == 0, "\(job.error)")
        #expect(job.output.contains("rank 0/2 sweep") && job.output.contains("shard 1/2 owns 1"), "\(job.output)")
        #expect(job.output.contains("rank 1/2 sweep") && job.output.contains("shard 2/2 owns 1"), "\(job.output)")
        let jobs = try FileManager.default.contentsOfDirectory(atPath: temporary.path + "/sweep").filter { $0.hasPrefix("fold") }
        #expect(jobs.count == 2, "\(jobs)")
        for folder in jobs {
            #expect(FileManager.default.fileExists(atPath: temporary.path + "/sweep/\(folder)/result.json"))
        }
        #expect(FileManager.default.fileExists(atPath: temporary.path + "/sweep/summary.json"))
        let shardAndRanks = try mpirun(ranks: 2, ["cv", "--config", config, "--shard", "1/2"])
        #expect(shardAndRanks.status != 0)
        #expect(shardAndRanks.error.contains("--shard and mpirun both split the jobs"), "\(shardAndRanks.error)")
    }

    /// The batch size is the global batch: one that the ranks cannot share evenly is refused.
    @Test func batchThatDoesNotSplitIsRefused() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-mpi")
        let config = try temporary.write("mr.json", smallMRConfig(folder: temporary.path).replacingOccurrences(
            of: "\"batch_size\": 16", with: "\"batch_size\": 15"))
        let two = try mpirun(ranks: 2, ["train", "--config", config])
        #expect(two.status != 0)
        #expect(two.error.contains("batch_size: 15 does not split evenly over 2 ranks"), "\(two.error)")
        #expect(!FileManager.default.fileExists(atPath: temporary.path + "/run/last.safetensors"))
    }
}

/// What a user sees when ranks disagree or fail: a message and a non-zero exit, never a hang,
/// and a run folder that keeps its last finished epoch.
@Suite(.serialized, .enabled(if: mpirunPath != nil, "mpirun not found: install openmpi-bin (scripts/setup.sh does) to run the MPI tests"))
struct MPIFailureCLITests {
    /// The MR char-CNN without batch norm and dropout, `epochs` epochs, in `folder`.
    func plainConfig(_ temporary: TemporaryFolder, epochs: Int) throws -> String {
        try temporary.write("mr.json", smallMRConfig(folder: temporary.path).replacingOccurrences(
            of: "\"batch_norm\": true, \"activation\": \"convrelu\"", with: "\"batch_norm\": false, \"dropout\": 0, \"activation\": \"convrelu\""
        ).replacingOccurrences(of: "\"epochs\": 1", with: "\"epochs\": \(epochs)"))
    }

    /// Ranks started with different settings (mpirun's MPMD form) stop before reading data,
    /// and the differing rank names the keys.
    @Test func ranksWithDifferentSettingsStop() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-mpi")
        let config = try plainConfig(temporary, epochs: 1)
        let job = try launch(["-np", "1", convreluBinary, "train", "--config", config, "--epochs", "2", ":",
                                        "-np", "1", convreluBinary, "train", "--config", config, "--epochs", "3"])
        #expect(job.status != 0)
        #expect(job.error.contains("rank 1's settings differ from rank 0's (rank 0's → this rank's): epochs: 2 → 3;"), "\(job.error)")
        #expect(!FileManager.default.fileExists(atPath: temporary.path + "/run/last.safetensors"))
    }

    /// A rank that hangs: the others give up after CONVRELU_MPI_TIMEOUT seconds and say where they
    /// waited; the first epoch's checkpoint stays, and one process resumes from it.
    @Test func hungRankEndsTheJobAfterTheTimeout() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-mpi")
        let config = try plainConfig(temporary, epochs: 2)
        let started = Date()
        let job = try mpirun(ranks: 2, ["train", "--config", config], environment: ["CONVRELU_MPI_TIMEOUT": "3", "CONVRELU_MPI_FAULT": "stall:1"])
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(job.status != 0)
        #expect(job.error.contains("rank 0/2 waited"), "\(job.error)")
        #expect(job.error.contains("CONVRELU_MPI_TIMEOUT=3"), "\(job.error)")
        let metrics = try String(contentsOfFile: temporary.path + "/run/metrics.jsonl", encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 1)
        let resumed = try convrelu(["train", "--config", config, "--resume"])
        #expect(resumed.status == 0, "\(resumed.error)")
        #expect(resumed.output.contains("resumed from"), "\(resumed.output)")
    }

    /// A rank that is killed: mpirun ends the others and says which rank died.
    @Test func killedRankEndsTheJob() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-mpi")
        let config = try plainConfig(temporary, epochs: 2)
        let job = try mpirun(ranks: 2, ["train", "--config", config], environment: ["CONVRELU_MPI_FAULT": "die:1"])
        #expect(job.status != 0)
        #expect((job.output + job.error).contains("rank 1"), "\(job.output)\n\(job.error)")
        #expect(FileManager.default.fileExists(atPath: temporary.path + "/run/last.safetensors"))
    }

    /// A checkpoint holds one model, whatever the rank count: a run of 2 ranks resumed by one
    /// process, and one of 1 resumed by 2, end where one process alone ends.
    @Test func resumeWithAnotherRankCount() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-mpi")
        let config = try plainConfig(temporary, epochs: 2)
        let folder = temporary.path
        #expect(try convrelu(["train", "--config", config, "--output", folder + "/one"]).status == 0)
        let twoThenOne = try mpirun(ranks: 2, ["train", "--config", config, "--output", folder + "/a", "--epochs", "1"])
        #expect(twoThenOne.status == 0, "\(twoThenOne.error)")
        let resumedByOne = try convrelu(["train", "--config", config, "--output", folder + "/a", "--resume"])
        #expect(resumedByOne.status == 0, "\(resumedByOne.error)")
        #expect(try convrelu(["train", "--config", config, "--output", folder + "/b", "--epochs", "1"]).status == 0)
        let resumedByTwo = try mpirun(ranks: 2, ["train", "--config", config, "--output", folder + "/b", "--resume"])
        #expect(resumedByTwo.status == 0, "\(resumedByTwo.error)")
        #expect(resumedByTwo.output.contains("resumed from"), "\(resumedByTwo.output)")
        for run in ["a", "b"] {
            let difference = try relativeDifference(folder + "/one/last.safetensors", folder + "/\(run)/last.safetensors")
            #expect(difference < 1e-4, "run \(run) differs from one process by \(difference) relative")
        }
    }
}
