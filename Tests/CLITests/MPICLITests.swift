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
    // hwloc's GL plugin in mpirun probes X displays :0-:9, which means TCP ports 6000-6009 on
    // localhost; a TensorBoard on its default port 6006 accepts and never answers, so mpirun hangs.
    return try run(mpirunPath!, ["--allow-run-as-root", "--oversubscribe", "-np", String(ranks)] + exported + [convreluBinary] + arguments,
                   environment: ["HWLOC_COMPONENTS": "-gl"])
}

/// The largest relative difference ‖a − b‖ / ‖a‖ over the tensors of two checkpoints.
func largestRelativeDifference(_ pathA: String, _ pathB: String) throws -> Double {
    let a = try Safetensors.read(path: pathA), b = try Safetensors.read(path: pathB)
    #expect(a.names == b.names)
    return try a.names.map { name in
        let x = try a.floats(name), y = try b.floats(name)
        let difference = zip(x, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
        let norm = x.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return norm == 0 ? difference : difference / norm
    }.max() ?? 0
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
        let two = try mpirun(ranks: 2, ["train", "--config", config, "--output", folder + "/two"])
        #expect(two.status == 0, "\(two.error)")
        #expect(two.output.contains("ranks: 2"), "\(two.output)")
        // Rank 0 alone logs: one line per epoch, one summary.
        #expect(two.output.components(separatedBy: "test accuracy:").count == 2, "\(two.output)")
        #expect(two.output.components(separatedBy: "epoch   2").count == 2, "\(two.output)")
        let difference = try largestRelativeDifference(folder + "/one/last.safetensors", folder + "/two/last.safetensors")
        #expect(difference < 1e-4, "parameters of 1 and 2 ranks differ by \(difference) relative")
        let metrics = try String(contentsOfFile: folder + "/two/metrics.jsonl", encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 2)
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
