import Tensor

/// What a forward pass needs besides its input: whether it trains (batch statistics that
/// update the running ones), whether dropout is on (normally the same), and for dropout the run
/// seed and the step, from which each layer derives its mask. Masks therefore depend only on
/// (seed, layer, step): a resumed run draws the same ones.
public struct RunContext: Sendable {
    public var training: Bool
    public var dropout: Bool
    public var seed: UInt64
    public var step: Int
    /// Overrides every batch-norm layer's momentum: 1/(k+1) at the k-th of a series of passes
    /// makes the running statistics the plain average over the series (see `Trainer`).
    public var batchNormMomentum: Float?

    public init(training: Bool, dropout: Bool? = nil, seed: UInt64 = 0, step: Int = 0, batchNormMomentum: Float? = nil) {
        self.training = training
        self.dropout = dropout ?? training
        self.seed = seed
        self.step = step
        self.batchNormMomentum = batchNormMomentum
    }

    public static let inference = RunContext(training: false)
}

/// The weight-decay group a parameter belongs to, so "L2 on θ" is a setting of its own.
public enum ParameterGroup: String, Sendable, CaseIterable {
    case weight, bias, batchNorm, threshold, slope
}

/// A trainable tensor with its gradient. Gradients accumulate (`+=`) in backward; the
/// optimiser zeroes them after its step.
public final class Parameter: @unchecked Sendable {
    public let value: Tensor
    public let grad: Tensor
    public let group: ParameterGroup

    public init(shape: [Int], group: ParameterGroup, value: Float = 0) {
        self.value = Tensor(shape: shape, repeating: value)
        self.grad = Tensor(shape: shape)
        self.group = group
    }

    public var count: Int { value.count }
}

public struct NamedParameter {
    public var name: String
    public var parameter: Parameter
    public init(_ name: String, _ parameter: Parameter) {
        self.name = name
        self.parameter = parameter
    }
}

public struct NamedBuffer {
    public var name: String
    public var tensor: Tensor
    public init(_ name: String, _ tensor: Tensor) {
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
public protocol Layer: AnyObject {
    func forward(_ x: Tensor, _ context: RunContext) -> Tensor
    func backward(_ dy: Tensor) -> Tensor
    /// Trainable parameters under stable local names ("weight", "bias", "theta", ...).
    var parameters: [NamedParameter] { get }
    /// State saved with the parameters but not trained (batch-norm running statistics).
    var buffers: [NamedBuffer] { get }
}

extension Layer {
    public var parameters: [NamedParameter] { [] }
    public var buffers: [NamedBuffer] { [] }
}
