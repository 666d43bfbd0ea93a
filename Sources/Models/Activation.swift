import Kernels
import NN

/// The activations a model can use. The one list of them: config files, the CLI (`params`,
/// `bench`), the networks and the parameter counts all read this type, by these raw values.
package enum Activation: String, CaseIterable, Sendable {
    /// max(x, 0).
    case relu
    /// max(x, 0) + slope · min(x, 0) with a fixed slope (`leaky_slope`).
    case leakyReLU = "leaky_relu"
    /// LeakyReLU with trainable slopes, per layer, channel or element (`sharing`).
    case prelu
    /// max(x, θ) with trainable θ, per layer, channel or element (`sharing`).
    case adaReLU = "adarelu"
    /// max(x, θ) with one θ per (input channel, kernel offset) of the next convolution, shared
    /// across its output channels; in front of a fully connected layer, one θ per input feature.
    case convReLU = "convrelu"

    /// What a convolution applies to its input in place of this activation standing before it:
    /// ConvReLU's thresholds, or a ReLU (θ held at 0), both applied as the convolution reads its
    /// input, which saves a pass over the feature map and its copy. nil for the activations
    /// that stay layers of their own.
    var fusedInput: Convolution.InputActivation? {
        switch self {
        case .relu: .relu
        case .convReLU: .thresholds
        case .leakyReLU, .prelu, .adaReLU: nil
        }
    }

    /// The activation as a layer of its own, for samples of `channels` × `size`. ConvReLU stands
    /// alone only in front of a fully connected layer (`feedsLinear`), where it is one threshold
    /// per input feature; an activation that feeds a convolution and something else too (a
    /// ResNet's shortcut) cannot carry the next convolution's thresholds and stays a ReLU.
    func layer(channels: Int, size: Int, leakySlope: Float, sharing: ParameterSharing, feedsLinear: Bool) -> Layer {
        switch self {
        case .relu: AdaReLU.relu()
        case .leakyReLU: PReLU.leaky(slope: leakySlope)
        case .prelu: PReLU(sharing: sharing, channels: channels, size: size)
        case .adaReLU: AdaReLU(sharing: sharing, channels: channels, size: size)
        case .convReLU: feedsLinear ? AdaReLU(sharing: .element, channels: channels, size: size) : AdaReLU.relu()
        }
    }
}
