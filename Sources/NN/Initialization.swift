import Tensor

/// Weight initialisation schemes. Fan-in and fan-out count the receptive field
/// (in · k for a convolution), as in PyTorch.
package enum Initializer: Sendable, Equatable {
    /// N(0, std²), Zhang et al. use std 0.05 (small model) or 0.02 (large).
    case gaussian(std: Double)
    /// He/Kaiming normal for ReLU nets: N(0, 2/fan_in).
    case heNormal
    /// Glorot/Xavier uniform: U(±√(6/(fan_in+fan_out))).
    case glorotUniform
    /// PyTorch's default for Linear and Conv: U(±1/√fan_in).
    case uniformFanIn
    case zeros

    package func fill(_ t: Tensor, fanIn: Int, fanOut: Int, rng: inout RNG) {
        let p = t.pointer
        switch self {
        case .gaussian(let std):
            for i in 0..<t.count { p[i] = Float(rng.normal() * std) }
        case .heNormal:
            let std = (2.0 / Double(max(fanIn, 1))).squareRoot()
            for i in 0..<t.count { p[i] = Float(rng.normal() * std) }
        case .glorotUniform:
            let bound = (6.0 / Double(max(fanIn + fanOut, 1))).squareRoot()
            for i in 0..<t.count { p[i] = Float(rng.uniform(-bound, bound)) }
        case .uniformFanIn:
            let bound = 1 / Double(max(fanIn, 1)).squareRoot()
            for i in 0..<t.count { p[i] = Float(rng.uniform(-bound, bound)) }
        case .zeros:
            t.zero()
        }
    }
}

/// How a fresh model's parameters are drawn: weights by one scheme, ConvReLU/AdaReLU
/// thresholds by another (the paper's Table 4 compares zero, random and Glorot thresholds).
/// Biases start at zero (PyTorch's fan-in uniform when the weights use it); batch-norm
/// γ = 1, β = 0; PReLU slopes keep their 0.25.
package struct InitializationScheme: Sendable, Equatable {
    package var weights: Initializer
    package var thresholds: Initializer

    package init(weights: Initializer = .heNormal, thresholds: Initializer = .zeros) {
        self.weights = weights
        self.thresholds = thresholds
    }

    /// PyTorch's fan-in and fan-out of a weight of shape (out, in, k...).
    static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape.count > 1 ? shape[1] * receptive : shape[0], shape[0] * receptive)
    }

    /// Draws every parameter from its own stream RNG(seed, "init/<name>"), so a parameter's
    /// values do not depend on which other parameters the model has.
    package func apply(to parameters: [NamedParameter], seed: UInt64) {
        let byName = Dictionary(parameters.map { ($0.name, $0.parameter) }, uniquingKeysWith: { a, _ in a })
        for entry in parameters {
            var rng = RNG(seed: seed, stream: "init/\(entry.name)")
            let p = entry.parameter
            // A bias or threshold takes its fans from the weight of the layer that owns it.
            let ownerWeight = byName[entry.name.split(separator: ".").dropLast().joined(separator: ".") + ".weight"]
            let (fanIn, fanOut) = InitializationScheme.fans(ownerWeight?.value.shape ?? p.value.shape)
            switch p.group {
            case .weight:
                weights.fill(p.value, fanIn: fanIn, fanOut: fanOut, rng: &rng)
            case .bias:
                (weights == .uniformFanIn ? Initializer.uniformFanIn : .zeros).fill(p.value, fanIn: fanIn, fanOut: fanOut, rng: &rng)
            case .threshold:
                thresholds.fill(p.value, fanIn: fanIn, fanOut: fanOut, rng: &rng)
            case .batchNorm, .slope:
                break
            }
        }
    }
}
