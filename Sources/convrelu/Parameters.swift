import ArgumentParser
import Experiments
import Models

struct Parameters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "params", abstract: "Print per-layer and total parameter counts of a config's model, or of a network named here.")

    @Option(help: "A run config.") var config: String?
    @Option(help: "A network, at the paper's input size.") var model: ModelName?
    @Option(help: "The activation of --model.") var activation = Activation.relu
    @Option(help: "Where --model's activation goes (paper: the char-CNN's sites 1 and 2, an image network's first block).")
    var placement = Placement.paper
    @Option(help: "Number of classes of --model (default: 4 for text, as AG; 10 for images).") var classes: Int?

    func validate() throws {
        guard (config == nil) != (model == nil) else { throw ValidationError("give either --config or --model") }
        if let classes, classes < 2 { throw ValidationError("--classes: \(classes) is fewer than 2") }
    }

    func run() throws {
        let settings = try config.map { try RunConfiguration.load(path: $0).model }
            ?? model!.paperSettings(classes: classes, activation: ActivationPlan(activation, placement: placement))
        say(ParameterCounts(of: settings.build()).table)
    }
}
