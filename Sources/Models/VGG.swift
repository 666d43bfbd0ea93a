import NN
import Tensor

/// VGG in its common CIFAR form: stages of 3×3 convolutions (pad 1, with bias) each followed by
/// batch norm and an activation, a 2×2 max pool after each stage, and one fully connected layer
/// on the remaining 1×1 map (32×32 input after five stages).
package struct VGGConfiguration: Sendable, Equatable {
    package var classes: Int
    /// Output channels of each convolution, per stage.
    var stages: [[Int]]
    package var activation: ActivationPlan
    package var batchNormMomentum: Float

    package init(classes: Int, stages: [[Int]], activation: ActivationPlan = .relu, batchNormMomentum: Float = 0.1) {
        self.classes = classes
        self.stages = stages
        self.activation = activation
        self.batchNormMomentum = batchNormMomentum
    }

    /// VGG-16: 13 convolutions in stages of 2, 2, 3, 3, 3.
    package static func vgg16(classes: Int, activation: ActivationPlan = .relu, batchNormMomentum: Float = 0.1) -> Self {
        Self(classes: classes, stages: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]],
             activation: activation, batchNormMomentum: batchNormMomentum)
    }
}

/// Parameter names `conv{s}_{i}`, `bn{s}_{i}`, `act{s}_{i}` (PReLU) and `fc`, stages and
/// convolutions numbered from 1 as in the VGG paper.
///
/// Activation sites are the stages. Under ConvReLU the convolutions of a selected stage take
/// thresholds and the activation before each of them is dropped, also when a max pool sits in
/// between: max(θ, maxpool(x)) = maxpool(max(θ, x)). The first convolution reads the image and
/// has no activation before it to replace.
package final class VGG: Classifier {
    package var classes: Int { configuration.classes }
    package let configuration: VGGConfiguration
    private let network = Sequential()

    package init(configuration: VGGConfiguration) {
        let c = configuration
        precondition(c.classes > 0 && !c.stages.isEmpty && c.stages.allSatisfy { !$0.isEmpty },
                     "VGG: invalid configuration \(c)")
        self.configuration = c
        // (stage, index in stage, output channels) of every convolution, in order.
        let convolutions = c.stages.enumerated().flatMap { s, widths in widths.enumerated().map { (s, $0, $1) } }
        var channels = 3
        for (position, (stage, index, width)) in convolutions.enumerated() {
            let site = ActivationSite.block(stage, of: c.stages.count)
            let label = "\(stage + 1)_\(index + 1)"
            network.append(Convolution(.two, inChannels: channels, outChannels: width, kernelSize: 3, padding: 1,
                                       input: position > 0 ? c.activation.fusedInput(at: site) ?? .identity : .identity),
                           name: "conv\(label)")
            network.append(BatchNorm(channels: width, momentum: c.batchNormMomentum), name: "bn\(label)")
            let next = position + 1 < convolutions.count ? convolutions[position + 1] : nil
            let nextFuses = next.map { c.activation.fusedInput(at: .block($0.0, of: c.stages.count)) != nil } ?? false
            if !nextFuses {
                network.appendActivation(c.activation.elementwiseLayer(at: site, channels: width), name: "act\(label)")
            }
            if index == c.stages[stage].count - 1 { network.append(MaxPool(.two, kernelSize: 2)) }
            channels = width
        }
        network.append(Linear(inFeatures: channels, outFeatures: c.classes), name: "fc")
    }

    package var parameters: [NamedParameter] { network.parameters }
    package var buffers: [NamedBuffer] { network.buffers }
    package var activations: [NamedActivation] { network.activations }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[2] == 32 && x.shape[3] == 32, "VGG: expects 32×32 input, got \(x.shape)")
        return network.forward(x, context)
    }

    package func backward(_ dy: Tensor) -> Tensor { network.backward(dy) }
    package func backward(_ dy: Tensor, afterEachLayer finished: (Layer) -> Void) -> Tensor {
        network.backward(dy, afterEachLayer: finished)
    }
}
