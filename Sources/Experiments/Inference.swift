import Foundation
import Kernels
import Models
import NN
import Tensor
import TextData
import Training

/// A trained model rebuilt from a checkpoint: the run config stored in its metadata gives the
/// architecture and the preprocessing, the tensors give the weights.
struct RestoredRun {
    let configuration: RunConfiguration
    let model: Classifier

    init(checkpointPath: String, overrides: RunOverrides = RunOverrides()) throws {
        let checkpoint = try Checkpoint.read(path: checkpointPath)
        guard let text = checkpoint.metadata["config"], let stored = checkpoint.metadata["overrides"] else {
            throw ConfigError(file: checkpointPath, key: nil, message: "the checkpoint has no run config in its metadata")
        }
        let source = "\(checkpointPath) (stored config)"
        let trained = try RunOverrides(jsonText: stored, source: checkpointPath)
        configuration = try RunConfiguration.parse(text, file: source, overrides: trained.merging(overrides))
        model = configuration.makeModel()
        try checkpoint.restore(into: model)
    }
}

/// The splits `eval` can measure.
package enum EvaluationSplit: String, CaseIterable, Sendable {
    case test, validation, train
}

package struct EvaluationReport: Sendable {
    package var split: EvaluationSplit
    package var evaluation: Evaluation
    package var classNames: [String]
    /// Per activation in network order, the share of its units whose output never changed over
    /// the split; nil where units cannot die (LeakyReLU, PReLU).
    package var deadUnits: [(name: String, fraction: Double?)]

    package var text: String {
        var lines = [String(format: "%@ accuracy: %.2f%% (%d of %d)", split.rawValue, evaluation.accuracy * 100, evaluation.correct, evaluation.total)]
        for (i, a) in evaluation.perClassAccuracy.enumerated() {
            lines.append(String(format: "  %@: %.2f%%", classNames[safe: i] ?? String(i), a * 100))
        }
        lines.append("confusion matrix (rows: true class, columns: predicted):")
        lines.append(evaluation.confusionTable(names: classNames))
        lines.append("dead units (channel × position whose activation output never changed over the split):")
        for (name, fraction) in deadUnits {
            lines.append("  \(name): " + (fraction.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a (passes every input with a slope)"))
        }
        return lines.joined(separator: "\n")
    }

    package var json: String {
        let object: [String: Any] = ["split": split.rawValue, "accuracy": evaluation.accuracy, "correct": evaluation.correct,
                                     "total": evaluation.total, "per_class_accuracy": evaluation.perClassAccuracy,
                                     "confusion": evaluation.confusion, "classes": classNames,
                                     "loss": evaluation.loss.isFinite ? evaluation.loss : NSNull(),
                                     "dead_units": Dictionary(uniqueKeysWithValues: deadUnits.map { ($0.name, $0.fraction ?? NSNull() as Any) })]
        return jsonLine(object)
    }
}

package enum Evaluator {
    package static func evaluate(checkpointPath: String, split: EvaluationSplit, dataOverride: String?) throws -> EvaluationReport {
        let run = try RestoredRun(checkpointPath: checkpointPath, overrides: RunOverrides(dataPath: dataOverride))
        let c = run.configuration
        BLASRuntime.setThreadCount(c.threads)
        let splits = try TrainingRun(configuration: c, log: { _ in }).prepareData()
        let source: BatchSource
        switch split {
        case .test: source = splits.test
        case .train: source = splits.train
        case .validation:
            guard let v = splits.validation else {
                throw ConfigError(file: c.file, key: "data.validation_fraction", message: "the run has no validation split")
            }
            source = v
        }
        let monitor = ActivationMonitor(run.model.activations)
        let evaluation = Training.evaluate(run.model, on: source, batchSize: c.batchSize, monitor: monitor)
        return EvaluationReport(split: split, evaluation: evaluation, classNames: c.workload.classNames,
                                deadUnits: monitor.probes.map { ($0.name, $0.probe.deadFraction) })
    }
}

/// Classifies one sentence at a time with a text checkpoint, for `convrelu classify`.
package final class SentenceClassifier {
    let model: Classifier
    let encoder: TextEncoder
    let classNames: [String]
    private let input: Tensor
    private let probabilities: Tensor

    package convenience init(checkpointPath: String) throws {
        let run = try RestoredRun(checkpointPath: checkpointPath)
        try self.init(configuration: run.configuration, model: run.model, source: checkpointPath)
    }

    /// The untrained model that `configuration` describes. The fuzz target of classify's line
    /// handling uses it: what a line goes through does not depend on the weights.
    package convenience init(untrained configuration: RunConfiguration) throws {
        try self.init(configuration: configuration, model: configuration.makeModel(), source: configuration.file)
    }

    private init(configuration: RunConfiguration, model: Classifier, source: String) throws {
        guard case .text(let data) = configuration.workload else {
            throw ConfigError(file: source, key: "task", message: "classify needs a text model")
        }
        self.model = model
        encoder = try TextEncoder(settings: data.settings)
        classNames = data.dataset.classNames
        input = Tensor(shape: [1, data.length])
        probabilities = Tensor(shape: [1, data.classes])
    }

    package struct Prediction {
        package var label: Int
        package var name: String
        package var probabilities: [Float]
        package var error: String?

        /// The answer for a line the encoder rejects.
        package static func rejected(_ error: Error) -> Prediction {
            Prediction(label: -1, name: "", probabilities: [], error: "\(error)")
        }

        package func formatted(json: Bool) -> String {
            if json {
                let object: [String: Any] = error.map { ["error": $0] }
                    ?? ["label": label, "name": name, "probabilities": probabilities.map(Double.init)]
                return jsonLine(object)
            }
            if let error { return "error\t\(error)" }
            return "\(label)\t\(name)\t" + probabilities.map { String(format: "%.4f", $0) }.joined(separator: " ")
        }
    }

    /// The model's input columns for one line. Everything of classify that depends on the
    /// line's bytes happens here; the model always sees a tensor of one shape.
    package func columns(for line: String) throws -> [UInt8] { try encoder.encode(fields: [line]) }

    /// The model's answer for one line; a line the encoder rejects gets an error, never a crash.
    package func classify(_ line: String) -> Prediction {
        let columns: [UInt8]
        do { columns = try self.columns(for: line) } catch { return .rejected(error) }
        encodeColumns(columns, count: columns.count, into: input.pointer)
        let logits = model.forward(input, .inference)
        softmax(logits.pointer, classes: logits.count, into: probabilities.pointer)
        guard probabilities.array.allSatisfy(\.isFinite) else {
            return Prediction(label: -1, name: "", probabilities: [], error: "the model gave non-finite outputs")
        }
        let label = argmax(probabilities.pointer, count: probabilities.count)
        return Prediction(label: label, name: classNames[safe: label] ?? String(label), probabilities: probabilities.array)
    }
}

/// One line of JSON with sorted keys; callers pass only finite numbers, strings and arrays of them.
func jsonLine(_ object: [String: Any]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
        return #"{"error": "unencodable result"}"#
    }
    return String(decoding: data, as: UTF8.self)
}
