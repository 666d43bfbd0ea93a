import Kernels
import NN

/// Where an activation sits in an image network, which decides whether a replacement applies.
/// Blocks are the dense blocks of a DenseNet and the stages of VGG and ResNet; everything else
/// before a convolution (DenseNet transitions, the ResNet stem) is `betweenBlocks`. A DenseNet's
/// head activation (before global pooling) is always ReLU and has no site.
public enum ActivationSite: Sendable, Equatable {
    case block(Int, of: Int)
    case betweenBlocks
}

/// Which activation an image network uses and where: the paper's replacement strategies.
/// The activations not selected by `placement` stay ReLU.
///
/// With ConvReLU, an activation that feeds a convolution disappears and that convolution gets
/// thresholds θ on its input instead, applied as it reads its input; a ReLU that feeds only a
/// convolution is fused the same way with θ = 0. Activations that feed something else as well
/// (a ResNet's identity shortcut) stay standalone, and ReLU under ConvReLU.
public struct ImageActivation: Sendable, Equatable {
    /// Raw values as in config files (the same names as the char-CNN's activations).
    public enum Kind: String, Sendable, CaseIterable {
        case relu, convReLU = "convrelu", leakyReLU = "leaky_relu", pReLU = "prelu"
    }

    /// The raw values are the paper's strategy names.
    public enum Placement: String, Sendable, CaseIterable {
        /// R1: the activations of the first block.
        case firstBlock = "R1"
        /// R2: the activations of the last block.
        case lastBlock = "R2"
        /// R3: the activations of every block.
        case everyBlock = "R3"
        /// (A): every activation, between blocks too, except a DenseNet's head.
        case everywhere = "A"
    }

    public var kind: Kind
    public var placement: Placement
    /// LeakyReLU's fixed negative slope.
    public var leakySlope: Float
    /// How many slopes a PReLU has: `.layer` (one per activation, as counted in the paper's
    /// Table 6) or `.channel`.
    public var slopeSharing: ParameterSharing

    public init(_ kind: Kind, placement: Placement = .everywhere, leakySlope: Float = 0.01,
                slopeSharing: ParameterSharing = .layer) {
        precondition(slopeSharing != .element, "ImageActivation: PReLU slopes are per layer or per channel")
        self.kind = kind
        self.placement = placement
        self.leakySlope = leakySlope
        self.slopeSharing = slopeSharing
    }

    public static let relu = ImageActivation(.relu)

    /// The activation used at `site`: `kind` where the placement selects the site, ReLU elsewhere.
    public func kind(at site: ActivationSite) -> Kind {
        let selected = switch (placement, site) {
        case (.everywhere, _), (.everyBlock, .block): true
        case (.firstBlock, .block(let index, _)): index == 0
        case (.lastBlock, .block(let index, let count)): index == count - 1
        case (.firstBlock, .betweenBlocks), (.lastBlock, .betweenBlocks), (.everyBlock, .betweenBlocks): false
        }
        return selected ? kind : .relu
    }

    /// What a convolution at `site` applies to its input in place of a standalone activation
    /// before it: ConvReLU's thresholds, or a ReLU (θ fixed at 0), both applied as the
    /// convolution reads its input, which saves a pass over the feature map and its copy. nil
    /// for LeakyReLU and PReLU, which stay standalone layers.
    public func fusedInput(at site: ActivationSite) -> Convolution.InputActivation? {
        switch kind(at: site) {
        case .relu: .relu
        case .convReLU: .thresholds
        case .leakyReLU, .pReLU: nil
        }
    }

    /// The standalone activation layer for `channels` channels at `site`. ConvReLU has no
    /// standalone form, so where it is selected but cannot be fused (the activation also feeds
    /// a shortcut) the layer is ReLU.
    public func elementwiseLayer(at site: ActivationSite, channels: Int) -> Layer {
        switch kind(at: site) {
        case .relu, .convReLU: AdaReLU.relu()
        case .leakyReLU: PReLU.leaky(slope: leakySlope)
        case .pReLU: PReLU(sharing: slopeSharing, channels: channels)
        }
    }
}

extension Sequential {
    /// Appends an activation layer, named `name` when it has parameters (PReLU's slopes).
    func appendActivation(_ layer: Layer, name: String) {
        append(layer, name: layer.parameters.isEmpty ? nil : name)
    }
}
