import Tensor

/// What a forward pass needs besides its input: whether it trains (batch statistics that
/// update the running ones), whether dropout is on (normally the same), and for dropout the run
/// seed and the step, from which each layer derives its mask. Masks therefore depend only on
/// (seed, layer, step): a resumed run draws the same ones.
package struct RunContext: Sendable {
    package var training: Bool
    package var dropout: Bool
    package var seed: UInt64
    package var step: Int
    /// Overrides every batch-norm layer's momentum: 1/(k+1) at the k-th of a series of passes
    /// makes the running statistics the plain average over the series (see `Trainer`).
    package var batchNormMomentum: Float?
    /// Synchronised batch norm in data-parallel training: sums a buffer over the ranks in place,
    /// so training statistics are those of the global batch (nil: each rank's own).
    package var sumOverReplicas: ReplicaSum?

    package init(training: Bool, dropout: Bool? = nil, seed: UInt64 = 0, step: Int = 0, batchNormMomentum: Float? = nil,
                 sumOverReplicas: ReplicaSum? = nil) {
        self.training = training
        self.dropout = dropout ?? training
        self.seed = seed
        self.step = step
        self.batchNormMomentum = batchNormMomentum
        self.sumOverReplicas = sumOverReplicas
    }

    package static let inference = RunContext(training: false)
}

/// Sums `count` floats at a buffer over the ranks of a data-parallel job, in place.
package typealias ReplicaSum = @Sendable (UnsafeMutablePointer<Float>, Int) -> Void

/// The weight-decay group a parameter belongs to, so "L2 on θ" is a setting of its own.
package enum ParameterGroup: String, Sendable, CaseIterable {
    case weight, bias, batchNorm, threshold, slope
}

/// A trainable tensor with its gradient. Gradients accumulate (`+=`) in backward; the
/// optimiser zeroes them after its step.
package final class Parameter: @unchecked Sendable {
    package let value: Tensor
    package let grad: Tensor
    package let group: ParameterGroup

    package init(shape: [Int], group: ParameterGroup, value: Float = 0) {
        self.value = Tensor(shape: shape, repeating: value)
        self.grad = Tensor(shape: shape)
        self.group = group
    }

    package var count: Int { value.count }
}

package struct NamedParameter {
    package var name: String
    package var parameter: Parameter
    package init(_ name: String, _ parameter: Parameter) {
        self.name = name
        self.parameter = parameter
    }
}

package struct NamedBuffer {
    package var name: String
    package var tensor: Tensor
    package init(_ name: String, _ tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

/// A differentiable layer: an explicit forward/backward pair.
///
/// `forward` keeps what `backward` needs (a reference to its input, masks, statistics) and
/// returns a tensor the layer owns and reuses on the next call, so a training step allocates
/// nothing once the buffers are sized. `backward` takes the gradient of the loss with
/// respect to the output, accumulates parameter gradients and returns the gradient with
/// respect to the input (also owned by the layer).
package protocol Layer: AnyObject {
    func forward(_ x: Tensor, _ context: RunContext) -> Tensor
    func backward(_ dy: Tensor) -> Tensor
    /// Trainable parameters under stable local names ("weight", "bias", "theta", ...).
    var parameters: [NamedParameter] { get }
    /// State saved with the parameters but not trained (batch-norm running statistics).
    var buffers: [NamedBuffer] { get }
    /// The activations the layer applies, for an `ActivationMonitor`, under local names ("" for
    /// the layer itself).
    var activations: [NamedActivation] { get }
}

extension Layer {
    package var parameters: [NamedParameter] { [] }
    package var buffers: [NamedBuffer] { [] }
    package var activations: [NamedActivation] { [] }
}
