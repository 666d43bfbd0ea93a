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

    func run() throws {
        var overrides: [String: Any] = [:]
        if let epochs { overrides["epochs"] = epochs }
        if let output { overrides["output"] = output }
        if let data { overrides["data.path"] = data }
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
    static let configuration = CommandConfiguration(commandName: "params", abstract: "Print per-layer and total parameter counts of a config's model.")

    @Option(help: "A run config.") var config: String

    func run() throws {
        let run = try TrainingRun(configPath: config, overrides: [:], log: { _ in })
        say(run.parameterTable())
    }
}
