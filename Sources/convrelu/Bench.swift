import ArgumentParser
import Distributed
import Experiments
import Foundation
import Kernels
import Models

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time training steps, inference and latency of the paper's models (ReLU and ConvReLU).")

    @Option(help: ArgumentHelp("Models, comma-separated.", valueName: ModelName.listHelp), transform: commaList)
    var workloads: [ModelName] = [.charCNN, .denseNet40]
    @Option(help: ArgumentHelp("Activations, comma-separated, placed as the paper does. Several are timed step by step in turn; give one for that model's own peak memory.",
                               valueName: Activation.listHelp), transform: commaList)
    var activations: [Activation] = [.relu, .convReLU]
    @Option(help: ArgumentHelp("What to time, comma-separated: a training step, inference at the same batch, batch-1 latency, "
                               + "inference with the activation probes attached (a validation pass with dead units; not by default).",
                               valueName: BenchmarkKind.listHelp), transform: commaList)
    var kinds: [BenchmarkKind] = [.train, .infer, .latency]
    @Option(help: "Timed steps per measurement (the median is reported); latency takes 4× as many.") var steps = 5
    @Option(help: "Untimed warm-up steps; latency takes 3× as many.") var warmup = 2
    @Option(help: "BLAS and worker threads.") var threads = 2
    @Option(help: "Also write the results as JSON to this file.") var json: String?
    @Flag(help: "Under mpirun: time MPI_Allreduce of 4 KiB to 64 MiB of floats over the ranks instead of the models.")
    var allreduce = false

    func run() throws {
        if allreduce { return try runAllreduce() }
        BLASRuntime.setThreadCount(threads)
        say(BLASRuntime.summary)
        let results = Benchmark.run(workloads: workloads, activations: activations, kinds: kinds, steps: steps, warmup: warmup,
                                    log: { say($0) })
        try write(results)
    }

    private func runAllreduce() throws {
        let world = try Communicator.world
        guard world.isDistributed else { throw ValidationError("--allreduce times communication between ranks: start it with mpirun -np 2 (or more)") }
        let results = AllreduceBenchmark.run(world)
        guard world.isLeader else { return }
        say("allreduce over \(world.size) ranks (\(world.libraryVersion ?? "MPI")): bytes, µs, MB/s")
        for r in results { say(String(format: "%10d %10.1f %8.1f", r.bytes, r.microseconds, r.megabytesPerSecond)) }
        try write(results)
    }

    private func write<T: Encodable>(_ results: T) throws {
        guard let json else { return }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: json))
    }
}
