import NN
import Tensor

/// A CIFAR DenseNet (Huang et al.): 3×3 stem convolution, dense blocks separated by
/// transitions (BN → activation → 1×1 conv → 2×2 average pool), and a head
/// BN → ReLU → global average → fully connected.
package struct DenseNetConfiguration: Sendable, Equatable {
    package var classes: Int
    package var layersPerBlock: [Int]
    package var growthRate: Int
    package var stemChannels: Int
    /// Each dense layer first reduces its input to 4·growthRate channels with a 1×1 convolution (DenseNet-B).
    package var bottleneck: Bool
    /// A transition keeps ⌊compression·C⌋ of its C channels (DenseNet-C: 0.5).
    package var compression: Double
    package var activation: ActivationPlan
    package var batchNormMomentum: Float

    package init(classes: Int, layersPerBlock: [Int], growthRate: Int, stemChannels: Int, bottleneck: Bool,
                compression: Double, activation: ActivationPlan = .relu, batchNormMomentum: Float = 0.1) {
        self.classes = classes
        self.layersPerBlock = layersPerBlock
        self.growthRate = growthRate
        self.stemChannels = stemChannels
        self.bottleneck = bottleneck
        self.compression = compression
        self.activation = activation
        self.batchNormMomentum = batchNormMomentum
    }

    /// DenseNet-40: three blocks of 12 layers, growth 12, 16-channel stem, no compression.
    package static func denseNet40(classes: Int, activation: ActivationPlan = .relu, batchNormMomentum: Float = 0.1) -> Self {
        Self(classes: classes, layersPerBlock: [12, 12, 12], growthRate: 12, stemChannels: 16, bottleneck: false,
             compression: 1, activation: activation, batchNormMomentum: batchNormMomentum)
    }

    /// The paper's Table 6 DenseNet-BC: blocks [6, 12, 24, 16], growth 12, bottleneck 4k,
    /// compression 0.5, 24-channel stem, at CIFAR size.
    package static func denseNetBC(classes: Int, activation: ActivationPlan = .relu, batchNormMomentum: Float = 0.1) -> Self {
        Self(classes: classes, layersPerBlock: [6, 12, 24, 16], growthRate: 12, stemChannels: 24, bottleneck: true,
             compression: 0.5, activation: activation, batchNormMomentum: batchNormMomentum)
    }
}

/// Parameter names as in the fixtures: `conv0`, `block{b}.layer{i}.…`, `trans{b}.{bn,act,conv}`,
/// `bn_final`, `fc` (blocks and transitions numbered from 1).
package final class DenseNet: Classifier {
    package var classes: Int { configuration.classes }
    package let configuration: DenseNetConfiguration
    private let network = Sequential()

    package init(configuration: DenseNetConfiguration) {
        let c = configuration
        precondition(c.classes > 0 && !c.layersPerBlock.isEmpty && c.growthRate > 0 && c.stemChannels > 0
                     && c.compression > 0 && c.compression <= 1, "DenseNet: invalid configuration \(c)")
        self.configuration = c
        network.append(Convolution(.two, inChannels: 3, outChannels: c.stemChannels, kernelSize: 3, padding: 1, bias: false),
                       name: "conv0")
        var channels = c.stemChannels
        for (b, layerCount) in c.layersPerBlock.enumerated() {
            let block = DenseBlock(inChannels: channels, layerCount: layerCount, growthRate: c.growthRate,
                                   bottleneck: c.bottleneck, activation: c.activation,
                                   site: .block(b, of: c.layersPerBlock.count), batchNormMomentum: c.batchNormMomentum)
            network.append(block, name: "block\(b + 1)")
            channels = block.outChannels
            guard b < c.layersPerBlock.count - 1 else { break }
            let kept = Int((Double(channels) * c.compression).rounded(.down))
            network.append(DenseNet.transition(inChannels: channels, outChannels: kept, c), name: "trans\(b + 1)")
            channels = kept
        }
        network.append(BatchNorm(channels: channels, momentum: c.batchNormMomentum), name: "bn_final")
        network.append(AdaReLU.relu(), name: "relu_final")
        network.append(GlobalAvgPool2d())
        network.append(Linear(inFeatures: channels, outFeatures: c.classes), name: "fc")
    }

    private static func transition(inChannels: Int, outChannels: Int, _ c: DenseNetConfiguration) -> Sequential {
        let fused = c.activation.fusedInput(at: .betweenBlocks)
        let transition = Sequential()
        transition.append(BatchNorm(channels: inChannels, momentum: c.batchNormMomentum), name: "bn")
        if fused == nil {
            transition.appendActivation(c.activation.elementwiseLayer(at: .betweenBlocks, channels: inChannels), name: "act")
        }
        transition.append(Convolution(.two, inChannels: inChannels, outChannels: outChannels, kernelSize: 1, bias: false,
                                      input: fused ?? .identity), name: "conv")
        transition.append(AvgPool2d(kernelSize: 2))
        return transition
    }

    package var parameters: [NamedParameter] { network.parameters }
    package var buffers: [NamedBuffer] { network.buffers }
    package var activations: [NamedActivation] { network.activations }
    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor { network.forward(x, context) }
    package func backward(_ dy: Tensor) -> Tensor { network.backward(dy) }
    package func backward(_ dy: Tensor, afterEachLayer finished: (Layer) -> Void) -> Tensor {
        network.backward(dy, afterEachLayer: finished)
    }
}
