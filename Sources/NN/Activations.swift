import Kernels
import Tensor

/// Splits an (N, C, ...) shape into batch, channels and spatial size; (N, F) is F channels of size 1.
func activationLayout(_ shape: [Int]) -> (batch: Int, channels: Int, size: Int) {
    precondition(shape.count >= 2, "activation: input \(shape) has no channel axis")
    return (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
}

/// max(x, θ) layers: AdaReLU with a trainable θ, and ReLU as θ fixed at 0.
package final class AdaReLU: Layer, ObservableActivation {
    package let sharing: ParameterSharing
    /// Trainable θ (AdaReLU) or nil (ReLU: a fixed 0).
    package let theta: Parameter?
    private let fixedTheta: Tensor
    private var input = Tensor()
    private let output = Tensor()
    private let inputGradient = Tensor()

    /// AdaReLU with θ per element of a (channels, size) sample, per channel or per layer.
    package init(sharing: ParameterSharing, channels: Int, size: Int = 1) {
        self.sharing = sharing
        let count = sharing.parameterCount(channels: channels, size: size)
        let shape = sharing == .element ? [channels] + (size > 1 ? [size] : []) : [count]
        theta = Parameter(shape: shape, group: .threshold)
        fixedTheta = Tensor(shape: [1])
    }

    private init() {
        sharing = .layer
        theta = nil
        fixedTheta = Tensor(shape: [1])
    }

    /// Plain ReLU: max(x, 0), gradient 0 at x = 0 as in PyTorch.
    package static func relu() -> AdaReLU { AdaReLU() }

    package var parameters: [NamedParameter] { theta.map { [NamedParameter("theta", $0)] } ?? [] }
    package var activations: [NamedActivation] { [NamedActivation("", self)] }
    package var probe: ActivationProbe?

    /// A unit passes nothing on when its input is at or below its θ.
    private var deadFloor: ActivationProbe.Floor {
        guard let theta else { return .constant(0) }
        switch sharing {
        case .layer: return .constant(theta.value[0])
        case .channel: return .perChannel(theta.value.array)
        case .element: return .perUnit(theta.value.array)
        }
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        let (n, c, s) = activationLayout(x.shape)
        probe?.observe(ChannelSlice(x), floor: deadFloor)
        input = x
        output.resize(to: x.shape)
        thresholdForward(x: x.pointer, batch: n, channels: c, size: s, theta: (theta?.value ?? fixedTheta).pointer,
                         sharing: sharing, y: output.pointer)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        let (n, c, s) = activationLayout(input.shape)
        inputGradient.resize(to: input.shape)
        thresholdBackward(x: input.pointer, dy: dy.pointer, batch: n, channels: c, size: s,
                          theta: (theta?.value ?? fixedTheta).pointer, sharing: sharing,
                          dx: inputGradient.pointer, dTheta: theta?.grad.pointer)
        return inputGradient
    }
}

/// x for x > 0, α·x otherwise: PReLU with a trainable α (PyTorch names it `weight`,
/// initialised to 0.25), and LeakyReLU with a fixed slope.
package final class PReLU: Layer, ObservableActivation {
    package let sharing: ParameterSharing
    /// Trainable α (PReLU) or nil (LeakyReLU).
    package let alpha: Parameter?
    private let fixedAlpha: Tensor
    private var input = Tensor()
    private let output = Tensor()
    private let inputGradient = Tensor()

    package init(sharing: ParameterSharing, channels: Int, size: Int = 1, initialSlope: Float = 0.25) {
        precondition(sharing != .element || size >= 1)
        self.sharing = sharing
        let count = sharing.parameterCount(channels: channels, size: size)
        alpha = Parameter(shape: [count], group: .slope, value: initialSlope)
        fixedAlpha = Tensor(shape: [1])
    }

    private init(fixedSlope: Float) {
        sharing = .layer
        alpha = nil
        fixedAlpha = Tensor(shape: [1], repeating: fixedSlope)
    }

    /// LeakyReLU with a fixed negative slope (PyTorch's default is 0.01).
    package static func leaky(slope: Float = 0.01) -> PReLU { PReLU(fixedSlope: slope) }

    package var parameters: [NamedParameter] { alpha.map { [NamedParameter("weight", $0)] } ?? [] }
    package var activations: [NamedActivation] { [NamedActivation("", self)] }
    /// Watches the input; a slope passes every input on, so there are no dead units.
    package var probe: ActivationProbe?

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        probe?.observe(ChannelSlice(x), floor: .none)
        let (n, c, s) = activationLayout(x.shape)
        input = x
        output.resize(to: x.shape)
        slopeForward(x: x.pointer, batch: n, channels: c, size: s, alpha: (alpha?.value ?? fixedAlpha).pointer,
                     sharing: sharing, y: output.pointer)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        let (n, c, s) = activationLayout(input.shape)
        inputGradient.resize(to: input.shape)
        slopeBackward(x: input.pointer, dy: dy.pointer, batch: n, channels: c, size: s,
                      alpha: (alpha?.value ?? fixedAlpha).pointer, sharing: sharing,
                      dx: inputGradient.pointer, dAlpha: alpha?.grad.pointer)
        return inputGradient
    }
}

/// Inverted dropout: in training, zeroes each value with probability p and scales the rest
/// by 1/(1-p); the identity in evaluation. The mask is drawn from
/// RNG(seed, "dropout/<id>/<step>"), so it depends only on the run seed, the layer and the step.
package final class Dropout: Layer {
    package let probability: Double
    package let id: String
    private let mask = Tensor()
    private let output = Tensor()
    private let inputGradient = Tensor()
    private var active = false

    package init(probability: Double, id: String) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) outside [0, 1)")
        self.probability = probability
        self.id = id
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        active = context.dropout && probability > 0
        guard active else { return x }
        var rng = RNG(seed: context.seed, stream: "dropout/\(id)/\(context.step)")
        let keep = Float(1 / (1 - probability))
        mask.resize(to: x.shape)
        for i in 0..<mask.count { mask[i] = rng.bernoulli(probability) ? 0 : keep }
        output.resize(to: x.shape)
        multiplyElementwise(x.pointer, mask.pointer, count: x.count, into: output.pointer)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        guard active else { return dy }
        inputGradient.resize(to: dy.shape)
        multiplyElementwise(dy.pointer, mask.pointer, count: dy.count, into: inputGradient.pointer)
        return inputGradient
    }
}
