import ArgumentParser
import Experiments

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Quantise a corpus into the binary cache a config's training reads.")

    @Option(help: "A run config; its data section says what to preprocess.") var config: String
    @Option(help: "Override the config's data folder.") var data: String?

    func run() throws {
        let run = try TrainingRun(configPath: config, overrides: RunOverrides(dataPath: data), log: { say($0) })
        try run.preprocessOnly()
    }
}
