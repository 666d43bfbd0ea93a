import ArgumentParser
import Experiments

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a checkpoint: accuracy, per-class accuracy, confusion matrix.")

    @Option(help: "A checkpoint written by `convrelu train`.") var checkpoint: String
    @Option(help: "Which split.") var split = EvaluationSplit.test
    @Option(help: "Override the data folder stored in the checkpoint's config.") var data: String?
    @Flag(help: "Print the result as JSON.") var json = false

    func run() throws {
        let result = try Evaluator.evaluate(checkpointPath: checkpoint, split: split, dataOverride: data)
        say(json ? result.json : result.text)
    }
}
