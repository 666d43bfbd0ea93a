import Kernels
import Models
import NN
import Tensor
import TestSupport
import Testing

/// Loads named parameters (and buffers) from a fixture into a model; returns the names it lacked.
func loadParameters(_ model: Layer, from file: Safetensors) throws -> [String] {
    var missing: [String] = []
    for p in model.parameters {
        guard file.contains(p.name) else { missing.append(p.name); continue }
        p.parameter.value.copy(from: try file.tensor(p.name))
    }
    for b in model.buffers where file.contains(b.name) { b.tensor.copy(from: try file.tensor(b.name)) }
    return missing
}

/// One training-mode forward, mean cross-entropy and backward; returns logits and loss.
func lossAndGradients(_ model: Classifier, input: Tensor, targets: [Int32]) -> (logits: Tensor, loss: Float) {
    let logits = model.forward(input, RunContext(training: true))
    let n = logits.shape[0]
    let probabilities = Tensor(shape: logits.shape), dLogits = Tensor(shape: logits.shape)
    let loss = softmaxCrossEntropy(logits: logits.pointer, targets: targets, batch: n, classes: model.classes,
                                   probabilities: probabilities.pointer, dLogits: dLogits.pointer)
    _ = model.backward(dLogits)
    return (logits, loss)
}

@Suite struct CharCNNParity {
    static func configuration(_ spec: [String: Any]) -> CharCNNConfiguration {
        var c = CharCNNConfiguration()
        c.alphabetSize = spec["alphabet_size"] as! Int
        c.length = spec["length"] as! Int
        c.classes = spec["classes"] as! Int
        c.features = spec["features"] as! Int
        c.hiddenUnits = spec["fc"] as! Int
        c.dropout = spec["dropout"] as! Double
        // "convrelu": ["conv2", "conv3"]: the thresholds in front of conv k are site k-1.
        c.activation = ActivationPlan(.convReLU, layers: (spec["convrelu"] as! [String]).map { Int($0.dropFirst(4))! - 1 })
        return c
    }

    @Test func matchesPyTorchReference() throws {
        let file = try Fixtures.load("model_charcnn_convrelu")
        let model = CharCNN(Self.configuration(try Fixtures.spec(file)))
        #expect(try loadParameters(model, from: file) == [])
        let input = OneHotConvolution.indices(fromOneHot: try file.tensor("input"))
        let targets = try file.int64s("target").map(Int32.init)
        let (logits, loss) = lossAndGradients(model, input: input, targets: targets)
        #expect(mismatch(logits, try file.tensor("logits"), Fixtures.modelTolerance, "logits") == nil)
        #expect(mismatch([loss], try file.floats("loss"), Fixtures.modelTolerance, "loss") == nil)
        for p in model.parameters {
            #expect(mismatch(p.parameter.grad, try file.tensor("grad.\(p.name)"), Fixtures.modelTolerance, "grad.\(p.name)") == nil)
        }
        // Every tensor of the reference model is accounted for.
        let expectedNames = Set(file.names.filter { !$0.hasPrefix("grad.") && !["input", "target", "logits", "loss"].contains($0) })
        #expect(Set(model.parameters.map(\.name)) == expectedNames)
    }

    @Test func parameterCountOfSmallModel() {
        // fixtures README: char-CNN small, alphabet 70, 4 classes: 11,339,780 with ReLU, +2,560 for ConvReLU.
        var c = CharCNNConfiguration.small(classes: 4)
        c.activation = .relu
        #expect(CharCNN(c).parameters.reduce(0) { $0 + $1.parameter.count } == 11_339_780)
        c.activation = ActivationPlan(.convReLU)
        #expect(CharCNN(c).parameters.reduce(0) { $0 + $1.parameter.count } == 11_339_780 + 2_560)
    }
}
