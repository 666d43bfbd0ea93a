import ArgumentParser
import Distributed
import Experiments
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
        let overrides = RunOverrides(dataPath: data, epochs: epochs, threads: threads, output: output)
        let communicator = try Communicator.world
        let run = try TrainingRun(configPath: config, overrides: overrides, communicator: communicator, log: { say($0) })
        if communicator.isLeader { say(BLASRuntime.summary) }
        let folder = run.configuration.output, resumeCommand = Interruption.commandLine(adding: "--resume")
        Interruption.onSignal { InterruptionNote.forRun(folder: folder, resume: resumeCommand) }
        try run.train(resume: resume)
    }
}
