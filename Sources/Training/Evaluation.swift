import Distributed
import Kernels
import Models
import NN
import Tensor

/// Accuracy, per-class accuracy and the confusion matrix of a classifier on a data set.
package struct Evaluation: Sendable, Codable {
    package var classes: Int
    /// confusion[true][predicted]
    package var confusion: [[Int]]
    package var loss: Double

    package init(classes: Int) {
        self.classes = classes
        confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        loss = 0
    }

    package var total: Int { confusion.joined().reduce(0, +) }
    package var correct: Int { (0..<classes).reduce(0) { $0 + confusion[$1][$1] } }
    package var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
    package var perClassAccuracy: [Double] {
        confusion.enumerated().map { i, row in
            let n = row.reduce(0, +)
            return n == 0 ? 0 : Double(row[i]) / Double(n)
        }
    }

    /// The confusion matrix as aligned text, rows = true class, columns = predicted.
    package func confusionTable(names: [String]? = nil) -> String {
        let labels = (0..<classes).map { names?[safe: $0] ?? String($0) }
        let width = max(6, (labels.map(\.count) + confusion.joined().map { String($0).count }).max() ?? 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        var lines = [pad("true\\pred") + " " + labels.map(pad).joined(separator: " ")]
        for (i, row) in confusion.enumerated() {
            lines.append(pad(labels[i]) + " " + row.map { pad(String($0)) }.joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}

extension Array {
    /// The element at `i`, or nil outside the array (class names may be fewer than classes).
    package subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

/// Runs a classifier in evaluation mode over a whole source, with `monitor`'s probes watching
/// its activations when given. With several ranks each evaluates its share of the samples and the
/// counts are summed, so every rank returns the same result (a monitor sees its own rank's share).
package func evaluate(_ model: Classifier, on source: BatchSource, batchSize: Int, communicator: Communicator = .solo,
                      monitor: ActivationMonitor? = nil) -> Evaluation {
    guard let monitor else { return evaluationPass(model, on: source, batchSize: batchSize, communicator: communicator) }
    return monitor.watch { evaluationPass(model, on: source, batchSize: batchSize, communicator: communicator) }
}

private func evaluationPass(_ model: Classifier, on source: BatchSource, batchSize: Int, communicator: Communicator) -> Evaluation {
    var result = Evaluation(classes: model.classes)
    let probabilities = Tensor()
    var lossSum = 0.0
    let samples = communicator.share(of: 0..<source.sampleCount)
    BatchPrefetcher(source: source).forEach(order: Array(samples),
                                            ranges: batchRanges(count: samples.count, size: batchSize),
                                            seed: { _ in nil }) { batch in
        let logits = model.forward(batch.input, .inference)
        probabilities.resize(to: logits.shape)
        let loss = softmaxCrossEntropy(logits: logits.pointer, targets: batch.labels, batch: batch.count,
                                       classes: model.classes, probabilities: probabilities.pointer, dLogits: nil)
        lossSum += Double(loss) * Double(batch.count)
        for n in 0..<batch.count {
            result.confusion[Int(batch.labels[n])][argmax(logits.pointer + n * model.classes, count: model.classes)] += 1
        }
    }
    if communicator.isDistributed {
        let sums = communicator.sum(result.confusion.joined().map(Double.init) + [lossSum], "allreduce of evaluation counts")
        result.confusion = (0..<model.classes).map { row in (0..<model.classes).map { Int(sums[row * model.classes + $0]) } }
        lossSum = sums.last!
    }
    result.loss = source.sampleCount == 0 ? 0 : lossSum / Double(source.sampleCount)
    return result
}

/// Index of the largest value (the first one on ties).
package func argmax(_ values: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for k in 1..<max(count, 1) where values[k] > values[best] { best = k }
    return best
}
