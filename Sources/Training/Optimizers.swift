import NN
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// Weight decay (L2) per parameter group, so "L2 on θ" is a setting of its own.
package struct WeightDecay: Sendable, Equatable {
    package var weight: Float
    package var bias: Float
    package var batchNorm: Float
    package var threshold: Float
    package var slope: Float

    package init(weight: Float = 0, bias: Float = 0, batchNorm: Float = 0, threshold: Float = 0, slope: Float = 0) {
        self.weight = weight
        self.bias = bias
        self.batchNorm = batchNorm
        self.threshold = threshold
        self.slope = slope
    }

    package subscript(group: ParameterGroup) -> Float {
        switch group {
        case .weight: weight
        case .bias: bias
        case .batchNorm: batchNorm
        case .threshold: threshold
        case .slope: slope
        }
    }
}

/// Updates parameters from their accumulated gradients, then zeroes the gradients.
/// State tensors are keyed by parameter name, so they can be checkpointed and restored.
package protocol Optimizer: AnyObject {
    func step(_ parameters: [NamedParameter], learningRate: Float)
    /// Named state tensors ("<parameter>.<slot>") for checkpoints.
    var state: [NamedBuffer] { get }
    /// Allocates the state for these parameters (zeros), so a checkpoint's values can be copied in.
    func prepare(_ parameters: [NamedParameter])
    var stepCount: Int { get set }
}

/// SGD with momentum as PyTorch does it: v = m·v + (g + λp) (the first step sets v = g + λp),
/// p -= lr·v; with Nesterov, p -= lr·(g + λp + m·v).
package final class SGD: Optimizer {
    package let momentum: Float
    package let nesterov: Bool
    package let weightDecay: WeightDecay
    package var stepCount = 0
    private var velocity: [String: Tensor] = [:]

    package init(momentum: Float = 0.9, nesterov: Bool = false, weightDecay: WeightDecay = WeightDecay()) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    package func prepare(_ parameters: [NamedParameter]) {
        for p in parameters where velocity[p.name] == nil && momentum != 0 {
            velocity[p.name] = Tensor(shape: p.parameter.value.shape)
        }
    }

    package var state: [NamedBuffer] { velocity.keys.sorted().map { NamedBuffer("\($0).momentum_buffer", velocity[$0]!) } }

    package func step(_ parameters: [NamedParameter], learningRate lr: Float) {
        let first = stepCount == 0
        prepare(parameters)
        for entry in parameters {
            let p = entry.parameter.value.pointer, g = entry.parameter.grad.pointer
            let decay = weightDecay[entry.parameter.group], m = momentum
            let count = entry.parameter.count
            if m == 0 {
                for i in 0..<count { p[i] -= lr * (g[i] + decay * p[i]) }
            } else {
                let v = velocity[entry.name]!.pointer
                for i in 0..<count {
                    let d = g[i] + decay * p[i]
                    v[i] = first ? d : m * v[i] + d
                    p[i] -= lr * (nesterov ? d + m * v[i] : v[i])
                }
            }
            entry.parameter.grad.zero()
        }
        stepCount += 1
    }
}

/// Adam (Kingma & Ba) with L2 weight decay added to the gradient, as torch.optim.Adam does;
/// with `decoupled`, AdamW (Loshchilov & Hutter): the parameter shrinks by lr·λ before the Adam
/// step and the decay never enters the moments, as torch.optim.AdamW does.
package final class Adam: Optimizer {
    package let beta1: Float
    package let beta2: Float
    package let epsilon: Float
    package let weightDecay: WeightDecay
    package let decoupled: Bool
    package var stepCount = 0
    private var firstMoment: [String: Tensor] = [:]
    private var secondMoment: [String: Tensor] = [:]

    package init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: WeightDecay = WeightDecay(),
                decoupled: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
    }

    package func prepare(_ parameters: [NamedParameter]) {
        for p in parameters where firstMoment[p.name] == nil {
            firstMoment[p.name] = Tensor(shape: p.parameter.value.shape)
            secondMoment[p.name] = Tensor(shape: p.parameter.value.shape)
        }
    }

    package var state: [NamedBuffer] {
        firstMoment.keys.sorted().flatMap {
            [NamedBuffer("\($0).exp_avg", firstMoment[$0]!), NamedBuffer("\($0).exp_avg_sq", secondMoment[$0]!)]
        }
    }

    package func step(_ parameters: [NamedParameter], learningRate lr: Float) {
        prepare(parameters)
        stepCount += 1
        let t = Float(stepCount)
        let correction1 = 1 - powf(beta1, t), correction2 = 1 - powf(beta2, t)
        let stepSize = lr / correction1, rootCorrection2 = correction2.squareRoot()
        for entry in parameters {
            let p = entry.parameter.value.pointer, g = entry.parameter.grad.pointer
            let m = firstMoment[entry.name]!.pointer, v = secondMoment[entry.name]!.pointer
            let decay = decoupled ? 0 : weightDecay[entry.parameter.group]
            let shrink = decoupled ? 1 - lr * weightDecay[entry.parameter.group] : 1
            for i in 0..<entry.parameter.count {
                p[i] *= shrink
                let d = g[i] + decay * p[i]
                m[i] = beta1 * m[i] + (1 - beta1) * d
                v[i] = beta2 * v[i] + (1 - beta2) * d * d
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection2 + epsilon)
            }
            entry.parameter.grad.zero()
        }
    }
}
