import Foundation
import Kernels
import NN
import Tensor
import TestSupport
import Testing

/// Every layer against the PyTorch fixtures: forward output and every gradient. Shapes and
/// settings come from the files themselves.
private func compare(_ t: Tensor, _ file: Safetensors, _ name: String, _ tolerance: Tolerance = Fixtures.layerTolerance) throws -> String? {
    mismatch(t, try file.tensor(name), tolerance, "\(file.source):\(name)")
}

/// Runs forward with `x` and backward with `gy`, then compares y, dx and the named parameter gradients.
private func checkLayer(_ layer: Layer, _ file: Safetensors, context: RunContext = RunContext(training: true),
                        gradients: [(Parameter, String)]) throws -> [String] {
    let y = layer.forward(try file.tensor("x"), context)
    var problems = [try compare(y, file, "y")]
    let dx = layer.backward(try file.tensor("gy"))
    problems.append(try compare(dx, file, "dx"))
    for (p, name) in gradients { problems.append(try compare(p.grad, file, name)) }
    return problems.compactMap { $0 }
}

private func int(_ spec: [String: Any], _ key: String, default d: Int = 0) -> Int { (spec[key] as? Int) ?? d }

/// Builds a Convolution from a conv/convrelu fixture and loads its parameters.
private func convolution(from file: Safetensors) throws -> Convolution {
    let spec = try Fixtures.spec(file)
    let w = try file.tensor("w")
    let layer = Convolution(w.shape.count == 3 ? .one : .two, inChannels: w.shape[1], outChannels: w.shape[0],
                            kernelSize: w.shape[2], stride: int(spec, "stride", default: 1), padding: int(spec, "padding"),
                            bias: file.contains("b"), input: file.contains("theta") ? .thresholds : .identity)
    layer.weight.value.copy(from: w)
    if let b = layer.bias { b.value.copy(from: try file.tensor("b")) }
    if let t = layer.threshold { t.value.copy(from: try file.tensor("theta")) }
    return layer
}

@Suite struct LayerParity {
    @Test(arguments: ["conv1d", "conv2d_3x3_pad1", "convrelu1d", "convrelu1d_pad", "convrelu1d_theta0",
                      "convrelu1d_paper_example", "convrelu2d_1x1", "convrelu2d_3x3_nopad", "convrelu2d_3x3_pad1"])
    func convolutionMatchesFixture(name: String) throws {
        let file = try Fixtures.load(name)
        let layer = try convolution(from: file)
        var grads = [(layer.weight, "dw")]
        if let b = layer.bias { grads.append((b, "db")) }
        if let t = layer.threshold { grads.append((t, "dtheta")) }
        #expect(try checkLayer(layer, file, gradients: grads) == [])
    }

    /// The paper's worked example: input [2,3,4], weights [1,-1], thresholds [0,3.5] -> [-1.5,-1].
    @Test func paperWorkedExample() throws {
        let layer = try convolution(from: try Fixtures.load("convrelu1d_paper_example"))
        let y = layer.forward(Tensor(shape: [1, 1, 3], values: [2, 3, 4]), .inference)
        #expect(y.array == [-1.5, -1])
    }

    /// θ = 0 must equal ReLU followed by a plain convolution, forward and backward.
    @Test func zeroThresholdEqualsReLUThenConv() throws {
        let file = try Fixtures.load("convrelu1d_theta0")
        let fused = try convolution(from: file)
        fused.threshold!.value.zero()
        let x = try file.tensor("x"), gy = try file.tensor("gy")
        let relu = AdaReLU.relu()
        let plain = Convolution(.one, inChannels: fused.inChannels, outChannels: fused.outChannels, kernelSize: fused.kernelSize)
        plain.weight.value.copy(from: fused.weight.value)
        plain.bias!.value.copy(from: fused.bias!.value)
        let reference = plain.forward(relu.forward(x, .inference), .inference).array
        #expect(fused.forward(x, .inference).array == reference)
        let dxFused = fused.backward(gy).array
        let dxReference = relu.backward(plain.backward(gy)).array
        #expect(mismatch(dxFused, dxReference, Tolerance(absolute: 1e-6, relative: 1e-6), "dx") == nil)
        #expect(mismatch(fused.weight.grad.array, plain.weight.grad.array, Tolerance(absolute: 1e-6, relative: 1e-6), "dw") == nil)
        #expect(try compare(fused.forward(x, .inference), file, "y") == nil)
    }

    /// A ReLU fused into the convolution (fixed zero thresholds, no parameter) equals a ReLU
    /// layer followed by a plain convolution, forward and backward.
    @Test func fusedReLUEqualsReLUThenConv() throws {
        let file = try Fixtures.load("convrelu1d_pad")
        let x = try file.tensor("x"), gy = try file.tensor("gy"), w = try file.tensor("w"), b = try file.tensor("b")
        let fused = Convolution(.one, inChannels: w.shape[1], outChannels: w.shape[0], kernelSize: w.shape[2], padding: 3, input: .relu)
        let plain = Convolution(.one, inChannels: w.shape[1], outChannels: w.shape[0], kernelSize: w.shape[2], padding: 3)
        for layer in [fused, plain] {
            layer.weight.value.copy(from: w)
            layer.bias!.value.copy(from: b)
        }
        #expect(fused.parameters.map(\.name) == ["weight", "bias"])
        let relu = AdaReLU.relu()
        let tight = Tolerance(absolute: 1e-6, relative: 1e-6)
        #expect(mismatch(fused.forward(x, .inference).array, plain.forward(relu.forward(x, .inference), .inference).array, tight, "y") == nil)
        #expect(mismatch(fused.backward(gy).array, relu.backward(plain.backward(gy)).array, tight, "dx") == nil)
        #expect(mismatch(fused.weight.grad.array, plain.weight.grad.array, tight, "dw") == nil)
    }

    @Test func linearMatchesFixture() throws {
        let file = try Fixtures.load("linear")
        let w = try file.tensor("w")
        let layer = Linear(inFeatures: w.shape[1], outFeatures: w.shape[0])
        layer.weight.value.copy(from: w)
        layer.bias!.value.copy(from: try file.tensor("b"))
        #expect(try checkLayer(layer, file, gradients: [(layer.weight, "dw"), (layer.bias!, "db")]) == [])
    }

    @Test func poolingMatchesFixtures() throws {
        let maxFile = try Fixtures.load("maxpool1d_k3s3"), maxSpec = try Fixtures.spec(maxFile)
        #expect(try checkLayer(MaxPool(.one, kernelSize: int(maxSpec, "kernel"), stride: int(maxSpec, "stride")), maxFile, gradients: []) == [])
        let avgFile = try Fixtures.load("avgpool2d_k2"), avgSpec = try Fixtures.spec(avgFile)
        #expect(try checkLayer(AvgPool2d(kernelSize: int(avgSpec, "kernel"), stride: int(avgSpec, "stride")), avgFile, gradients: []) == [])
        #expect(try checkLayer(GlobalAvgPool2d(), try Fixtures.load("global_avgpool2d"), gradients: []) == [])
    }

    @Test func batchNormTrainingMatchesFixture() throws {
        let file = try Fixtures.load("batchnorm2d_train"), spec = try Fixtures.spec(file)
        let gamma = try file.tensor("gamma")
        let layer = BatchNorm(channels: gamma.count, momentum: Float(spec["momentum"] as! Double), epsilon: Float(spec["eps"] as! Double))
        layer.gamma.value.copy(from: gamma)
        layer.beta.value.copy(from: try file.tensor("beta"))
        layer.runningMean.copy(from: try file.tensor("running_mean_before"))
        layer.runningVar.copy(from: try file.tensor("running_var_before"))
        #expect(try checkLayer(layer, file, gradients: [(layer.gamma, "dgamma"), (layer.beta, "dbeta")]) == [])
        #expect(try compare(layer.runningMean, file, "running_mean_after") == nil)
        #expect(try compare(layer.runningVar, file, "running_var_after") == nil)
    }

    @Test func batchNormEvaluationMatchesFixture() throws {
        let file = try Fixtures.load("batchnorm2d_eval"), spec = try Fixtures.spec(file)
        let gamma = try file.tensor("gamma")
        let layer = BatchNorm(channels: gamma.count, epsilon: Float(spec["eps"] as! Double))
        layer.gamma.value.copy(from: gamma)
        layer.beta.value.copy(from: try file.tensor("beta"))
        layer.runningMean.copy(from: try file.tensor("running_mean"))
        layer.runningVar.copy(from: try file.tensor("running_var"))
        let before = layer.runningMean.array + layer.runningVar.array
        #expect(try checkLayer(layer, file, context: .inference, gradients: [(layer.gamma, "dgamma"), (layer.beta, "dbeta")]) == [])
        #expect(layer.runningMean.array + layer.runningVar.array == before, "evaluation must not move the running statistics")
    }

    @Test(arguments: ["adarelu_element", "adarelu_channel", "adarelu_layer"])
    func adaReLUMatchesFixture(name: String) throws {
        let file = try Fixtures.load(name)
        let sharing = ParameterSharing(rawValue: try Fixtures.spec(file)["sharing"] as! String)!
        let x = try file.tensor("x")
        let layer = AdaReLU(sharing: sharing, channels: x.shape[1], size: x.shape[2])
        layer.theta!.value.copy(from: try file.tensor("theta"))
        #expect(layer.theta!.value.shape == (try file.tensor("theta")).shape)
        #expect(try checkLayer(layer, file, gradients: [(layer.theta!, "dtheta")]) == [])
    }

    @Test(arguments: ["prelu_channel", "prelu_layer"])
    func preluMatchesFixture(name: String) throws {
        let file = try Fixtures.load(name)
        let sharing = ParameterSharing(rawValue: try Fixtures.spec(file)["sharing"] as! String)!
        let x = try file.tensor("x")
        let layer = PReLU(sharing: sharing, channels: x.shape[1], size: x.shape[2])
        layer.alpha!.value.copy(from: try file.tensor("alpha"))
        #expect(try checkLayer(layer, file, gradients: [(layer.alpha!, "dalpha")]) == [])
    }

    @Test func leakyReLUMatchesFixture() throws {
        let file = try Fixtures.load("leakyrelu")
        let slope = try Fixtures.spec(file)["negative_slope"] as! Double
        #expect(try checkLayer(PReLU.leaky(slope: Float(slope)), file, gradients: []) == [])
    }

    @Test func crossEntropyMatchesFixture() throws {
        let file = try Fixtures.load("cross_entropy")
        let logits = try file.tensor("logits")
        let targets = try file.int64s("target").map(Int32.init)
        let (n, k) = (logits.shape[0], logits.shape[1])
        let probabilities = Tensor(shape: [n, k]), d = Tensor(shape: [n, k])
        let loss = softmaxCrossEntropy(logits: logits.pointer, targets: targets, batch: n, classes: k,
                                       probabilities: probabilities.pointer, dLogits: d.pointer)
        #expect(mismatch([loss], try file.floats("loss"), Fixtures.layerTolerance, "loss") == nil)
        #expect(try compare(d, file, "dlogits") == nil)
    }
}
