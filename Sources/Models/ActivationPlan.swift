import Kernels
import NN

/// Where an activation sits in a network, which decides whether a placement replaces it.
package enum ActivationSite: Sendable, Equatable {
    /// Image networks: inside the dense blocks of a DenseNet and the stages of VGG and ResNet.
    case block(Int, of: Int)
    /// Image networks: everything else before a convolution (DenseNet transitions, the ResNet
    /// stem). A DenseNet's head activation (before global pooling) is always ReLU and has no site.
    case betweenBlocks
    /// The char-CNN's numbered sites, from 1: after conv1…conv6, fc1 and fc2.
    case layer(Int)
}

/// Which activation a network uses and where, and how each site is carried out: every network
/// asks its plan, site by site, what the next convolution applies as it reads its input
/// (`fusedInput(at:)`) and, where nothing is fused, which layer stands alone
/// (`elementwiseLayer(at:channels:size:)`).
///
/// With ReLU or ConvReLU, an activation that feeds a convolution disappears and that
/// convolution applies it to its input (ReLU as θ fixed at 0). Activations that feed something
/// else as well (a ResNet's identity shortcut) stay standalone, and ReLU under ConvReLU; in
/// front of a fully connected layer (the char-CNN's sites 6–8) ConvReLU is one threshold per
/// input feature, an element-wise AdaReLU.
package struct ActivationPlan: Sendable, Equatable {
    package var activation: Activation
    package var placement: Placement
    /// Char-CNN only: the numbered sites that use `activation`, chosen one by one in place of
    /// `placement`.
    package var layers: [Int]?
    /// LeakyReLU's fixed negative slope.
    package var leakySlope: Float
    /// How many parameters a PReLU or AdaReLU has: per layer (PyTorch's `nn.PReLU()` default,
    /// and how the paper's Table 6 counts PReLU), channel, or element (the char-CNN only).
    package var sharing: ParameterSharing

    package init(_ activation: Activation = .relu, placement: Placement = .paper, layers: [Int]? = nil,
                leakySlope: Float = 0.01, sharing: ParameterSharing = .layer) {
        self.activation = activation
        self.placement = placement
        self.layers = layers
        self.leakySlope = leakySlope
        self.sharing = sharing
    }

    package static let relu = ActivationPlan()

    /// The activation used at `site`: `activation` where the plan selects the site, ReLU elsewhere.
    package func activation(at site: ActivationSite) -> Activation {
        let selected = if let layers, case .layer(let number) = site { layers.contains(number) } else { placement.selects(site) }
        return selected ? activation : .relu
    }

    /// What a convolution at `site` applies to its input in place of a standalone activation
    /// before it, or nil when that activation stays a layer of its own.
    package func fusedInput(at site: ActivationSite) -> Convolution.InputActivation? { activation(at: site).fusedInput }

    /// The standalone activation layer at `site` for (`channels`, `size`) samples. The char-CNN's
    /// standalone sites (6–8) feed its fully connected layers.
    package func elementwiseLayer(at site: ActivationSite, channels: Int, size: Int = 1) -> Layer {
        let feedsLinear = if case .layer = site { true } else { false }
        return activation(at: site).layer(channels: channels, size: size, leakySlope: leakySlope, sharing: sharing, feedsLinear: feedsLinear)
    }

    /// Problems with the placement in a network without blocks whose sites are 1…`siteCount`;
    /// empty when it is usable.
    func layerProblems(siteCount: Int) -> [String] {
        var problems: [String] = []
        if layers == nil && !placement.appliesToLayers {
            problems.append("'\(placement.rawValue)' names blocks of an image network; the char-CNN takes "
                            + "'paper', 'A' or a list of sites 1...\(siteCount)")
        }
        if let bad = layers?.first(where: { !(1...siteCount).contains($0) }) {
            problems.append("\(bad) is not a site 1...\(siteCount)")
        }
        return problems
    }
}

extension Sequential {
    /// Appends an activation layer under `name` (its parameters' prefix, and how a monitor reports it).
    func appendActivation(_ layer: Layer, name: String) {
        append(layer, name: name)
    }
}
