import ArgumentParser
import Experiments

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
