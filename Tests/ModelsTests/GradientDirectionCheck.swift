import Kernels
import NN
import Tensor
import Testing

/// Checks a whole network's backward pass along its own gradient: random weights (He-scaled,
/// θ ~ N(0, 0.1²)), one training forward/backward, then the loss at parameters ±ε·g against
/// the change the gradient predicts. `input` draws the input after the weights.
func checkAlongTheGradient(_ network: Layer, targets: [Int32], classes: Int, rng: inout RNG, name: String,
                           input: (inout RNG) -> Tensor) {
    for named in network.parameters where named.parameter.group != .batchNorm {
        let p = named.parameter
        let std = named.name.hasSuffix(".theta") ? 0.1 : (2 / Double(p.count / max(p.value.dim(0), 1))).squareRoot()
        for i in 0..<p.count { p.value[i] = Float(rng.normal() * std) }
    }
    let x = input(&rng)
    let runningState = network.buffers.map { $0.tensor.clone() }
    func loss(backward: Bool) -> Double {
        // Every evaluation starts from the same running statistics, so only the parameters differ.
        for (buffer, saved) in zip(network.buffers, runningState) { buffer.tensor.copy(from: saved) }
        let logits = network.forward(x, RunContext(training: true))
        let probabilities = Tensor(shape: logits.shape), dLogits = Tensor(shape: logits.shape)
        let value = softmaxCrossEntropy(logits: logits.pointer, targets: targets, batch: targets.count, classes: classes,
                                        probabilities: probabilities.pointer, dLogits: dLogits.pointer)
        if backward {
            let dx = network.backward(dLogits)
            #expect(dx.shape == x.shape)
        }
        return Double(value)
    }
    _ = loss(backward: true)
    let gradients = network.parameters.map { $0.parameter.grad.clone() }
    let squaredNorm = gradients.reduce(0.0) { sum, g in sum + g.array.reduce(0.0) { $0 + Double($1) * Double($1) } }
    #expect(squaredNorm > 0 && squaredNorm.isFinite)
    // Move every parameter by ±ε·g, sized for a loss change of about 1e-3: small enough to
    // stay near linear, large enough to stand out of the float32 noise of a loss near 2.
    // The prediction uses the steps actually taken, after rounding to float32.
    let epsilon = 1e-3 / squaredNorm
    let original = network.parameters.map { $0.parameter.value.clone() }
    func shifted(_ sign: Double) -> (loss: Double, values: [[Float]]) {
        for ((named, g), p0) in zip(zip(network.parameters, gradients), original) {
            for i in 0..<g.count { named.parameter.value[i] = p0[i] + Float(sign * epsilon * Double(g[i])) }
        }
        return (loss(backward: false), network.parameters.map { $0.parameter.value.array })
    }
    let plus = shifted(1), minus = shifted(-1)
    var predicted = 0.0
    for (g, (up, down)) in zip(gradients, zip(plus.values, minus.values)) {
        for i in 0..<g.count { predicted += Double(g[i]) * (Double(up[i]) - Double(down[i])) }
    }
    let measured = plus.loss - minus.loss
    #expect(abs(measured - predicted) <= 0.02 * abs(predicted), "\(name): loss moved \(measured), gradient predicts \(predicted)")
}
