import ArgumentParser
import Experiments
import Foundation
import Kernels

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a model from a config file.")

    @Option(help: "The run's JSON config (see configs/).") var config: String
    @Flag(help: "Continue the run in the config's output folder from its last checkpoint.") var resume = false
    @Option(help: "Override the config's epoch count.") var epochs: Int?
    @Option(help: "Override the config's output folder.") var output: String?
    @Option(help: "Override the config's data folder.") var data: String?
    @Option(help: "Override the config's thread count (BLAS and engine workers).") var threads: Int?

    func run() throws {
        var overrides: [String: Any] = [:]
        if let epochs { overrides["epochs"] = epochs }
        if let output { overrides["output"] = output }
        if let data { overrides["data.path"] = data }
        if let threads { overrides["threads"] = threads }
        let run = try TrainingRun(configPath: config, overrides: overrides, log: { say($0) })
        say(BLASRuntime.summary)
        try run.train(resume: resume)
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a checkpoint: accuracy, per-class accuracy, confusion matrix.")

    @Option(help: "A checkpoint written by `convrelu train`.") var checkpoint: String
    @Option(help: "Which split: test, validation or train.") var split: String = "test"
    @Option(help: "Override the data folder stored in the checkpoint's config.") var data: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let result = try Evaluator.evaluate(checkpointPath: checkpoint, split: split, dataOverride: data)
        say(json ? result.json : result.text)
    }
}

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Classify sentences from standard input, one per line.")

    @Option(help: "A checkpoint written by `convrelu train`.") var checkpoint: String
    @Flag(help: "Print JSON lines instead of plain text.") var json = false

    func run() throws {
        let classifier = try SentenceClassifier(checkpointPath: checkpoint)
        while let line = readLine(strippingNewline: true) {
            say(classifier.classify(line).formatted(json: json))
        }
    }
}

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Quantise a corpus into the binary cache a config's training reads.")

    @Option(help: "A run config; its data section says what to preprocess.") var config: String
    @Option(help: "Override the config's data folder.") var data: String?

    func run() throws {
        var overrides: [String: Any] = [:]
        if let data { overrides["data.path"] = data }
        let run = try TrainingRun(configPath: config, overrides: overrides, log: { say($0) })
        try run.preprocessOnly()
    }
}

struct Parameters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "params", abstract: "Print per-layer and total parameter counts of a config's model, or of a network named here.")

    @Option(help: "A run config.") var config: String?
    @Option(help: "A network: densenet40, densenet_bc, vgg16, resnet18, charcnn, charcnn_large.") var model: String?
    @Option(help: "relu, leaky_relu, prelu or convrelu.") var activation = "relu"
    @Option(help: "Where the activation goes: R1 (first block), R2 (last block), R3 (every block), A (everywhere).") var replace: String?
    @Option(help: "Number of classes (image: 10 or 100; text: 2, 4 or 5).") var classes = 10

    func validate() throws {
        guard (config == nil) != (model == nil) else { throw ValidationError("give either --config or --model") }
    }

    func run() throws {
        let configuration = try config.map { try RunConfiguration.load(path: $0) }
            ?? RunConfiguration.describing(model: model!, activation: activation, replace: replace, classes: classes)
        say(TrainingRun(configuration: configuration, log: { _ in }).parameterTable())
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time training steps, inference and latency of the paper's models (ReLU and ConvReLU).")

    @Option(help: "Workloads, comma-separated: charcnn, densenet.") var workloads = "charcnn,densenet"
    @Option(help: "Activations, comma-separated: relu, convrelu. Several are timed step by step in turn; give one for that model's own peak memory.")
    var activations = "relu,convrelu"
    @Option(help: "What to time, comma-separated: train (a training step), infer (inference at the same batch), latency (batch 1).")
    var kinds = Benchmark.kinds.joined(separator: ",")
    @Option(help: "Timed steps per measurement (the median is reported); latency takes 4× as many.") var steps = 5
    @Option(help: "Untimed warm-up steps; latency takes 3× as many.") var warmup = 2
    @Option(help: "BLAS and worker threads.") var threads = 2
    @Option(help: "Also write the results as JSON to this file.") var json: String?

    func run() throws {
        BLASRuntime.setThreadCount(threads)
        say(BLASRuntime.summary)
        let results = Benchmark.run(workloads: workloads.split(separator: ",").map(String.init),
                                    activations: activations.split(separator: ",").map(String.init),
                                    kinds: kinds.split(separator: ",").map(String.init), steps: steps, warmup: warmup,
                                    log: { say($0) })
        if let json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }
}
