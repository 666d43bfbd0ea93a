import Kernels
import NN
import Tensor

/// ResNet in its CIFAR form (He et al.): a 3×3 stem convolution with batch norm and activation,
/// stages of BasicBlocks (the first block of stages 2… halves the size), global average pooling
/// and one fully connected layer.
package struct ResNetConfiguration: Sendable, Equatable {
    package var classes: Int
    var blocksPerStage: [Int]
    /// Output channels of each stage; the stem has as many as the first stage.
    var stageChannels: [Int]
    package var activation: ActivationPlan
    package var batchNormMomentum: Float

    package init(classes: Int, blocksPerStage: [Int], stageChannels: [Int], activation: ActivationPlan = .relu,
                batchNormMomentum: Float = 0.1) {
        self.classes = classes
        self.blocksPerStage = blocksPerStage
        self.stageChannels = stageChannels
        self.activation = activation
        self.batchNormMomentum = batchNormMomentum
    }

    /// ResNet-18: BasicBlocks [2, 2, 2, 2] with 64, 128, 256, 512 channels.
    package static func resNet18(classes: Int, activation: ActivationPlan = .relu, batchNormMomentum: Float = 0.1) -> Self {
        Self(classes: classes, blocksPerStage: [2, 2, 2, 2], stageChannels: [64, 128, 256, 512],
             activation: activation, batchNormMomentum: batchNormMomentum)
    }
}

/// Parameter names as torchvision's (`conv1`, `bn1`, `layer{s}.{b}.…`, `fc`), with the
/// projection shortcut under `shortcut.conv` / `shortcut.bn` and PReLU slopes under `act…`.
///
/// Activation sites: the stem's activation is between blocks, a block's two activations belong
/// to its stage. Under ConvReLU only the activation inside a block (before conv2) is fused into
/// a convolution; the one after the residual sum also feeds the next block's shortcut, so it
/// stays a ReLU.
package final class ResNet: Classifier {
    package var classes: Int { configuration.classes }
    package let configuration: ResNetConfiguration
    private let network = Sequential()

    package init(configuration: ResNetConfiguration) {
        let c = configuration
        precondition(c.classes > 0 && !c.blocksPerStage.isEmpty && c.blocksPerStage.count == c.stageChannels.count,
                     "ResNet: invalid configuration \(c)")
        self.configuration = c
        var channels = c.stageChannels[0]
        network.append(Convolution(.two, inChannels: 3, outChannels: channels, kernelSize: 3, padding: 1, bias: false),
                       name: "conv1")
        network.append(BatchNorm(channels: channels, momentum: c.batchNormMomentum), name: "bn1")
        network.appendActivation(c.activation.elementwiseLayer(at: .betweenBlocks, channels: channels), name: "act1")
        for (s, blockCount) in c.blocksPerStage.enumerated() {
            for b in 0..<blockCount {
                let block = BasicBlock(inChannels: channels, outChannels: c.stageChannels[s], stride: s > 0 && b == 0 ? 2 : 1,
                                       activation: c.activation, site: .block(s, of: c.blocksPerStage.count),
                                       batchNormMomentum: c.batchNormMomentum)
                network.append(block, name: "layer\(s + 1).\(b)")
                channels = c.stageChannels[s]
            }
        }
        network.append(GlobalAvgPool2d())
        network.append(Linear(inFeatures: channels, outFeatures: c.classes), name: "fc")
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

/// act2(bn2(conv2(act1(bn1(conv1(x))))) + shortcut(x)), with a 1×1 convolution and batch norm as
/// the shortcut where the stride or the channel count changes, the identity otherwise.
package final class BasicBlock: Layer {
    private let residual = Sequential()
    private let shortcut: Sequential?
    private let outputActivation: Layer
    private var inputShape: [Int] = []
    private let sum = Tensor()
    private let inputGradient = Tensor()

    package init(inChannels: Int, outChannels: Int, stride: Int, activation: ActivationPlan, site: ActivationSite,
                batchNormMomentum: Float) {
        let fused = activation.fusedInput(at: site)
        residual.append(Convolution(.two, inChannels: inChannels, outChannels: outChannels, kernelSize: 3, stride: stride,
                                    padding: 1, bias: false), name: "conv1")
        residual.append(BatchNorm(channels: outChannels, momentum: batchNormMomentum), name: "bn1")
        if fused == nil { residual.appendActivation(activation.elementwiseLayer(at: site, channels: outChannels), name: "act1") }
        residual.append(Convolution(.two, inChannels: outChannels, outChannels: outChannels, kernelSize: 3, padding: 1,
                                    bias: false, input: fused ?? .identity), name: "conv2")
        residual.append(BatchNorm(channels: outChannels, momentum: batchNormMomentum), name: "bn2")
        if stride != 1 || inChannels != outChannels {
            let projection = Sequential()
            projection.append(Convolution(.two, inChannels: inChannels, outChannels: outChannels, kernelSize: 1,
                                          stride: stride, bias: false), name: "conv")
            projection.append(BatchNorm(channels: outChannels, momentum: batchNormMomentum), name: "bn")
            shortcut = projection
        } else {
            shortcut = nil
        }
        outputActivation = activation.elementwiseLayer(at: site, channels: outChannels)
    }

    package var parameters: [NamedParameter] {
        residual.parameters + (shortcut.map { $0.parameters.map { NamedParameter("shortcut.\($0.name)", $0.parameter) } } ?? [])
            + outputActivation.parameters.map { NamedParameter("act2.\($0.name)", $0.parameter) }
    }

    package var buffers: [NamedBuffer] {
        residual.buffers + (shortcut.map { $0.buffers.map { NamedBuffer("shortcut.\($0.name)", $0.tensor) } } ?? [])
    }

    package var activations: [NamedActivation] {
        residual.activations + outputActivation.activations.map { NamedActivation("act2", $0.layer) }
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        inputShape = x.shape
        let main = residual.forward(x, context)
        let skip = shortcut?.forward(x, context) ?? x
        precondition(main.shape == skip.shape, "BasicBlock: residual \(main.shape) and shortcut \(skip.shape) differ")
        sum.resize(to: main.shape)
        addElementwise(main.pointer, skip.pointer, count: sum.count, into: sum.pointer)
        return outputActivation.forward(sum, context)
    }

    package func backward(_ dy: Tensor) -> Tensor {
        let sumGradient = outputActivation.backward(dy)
        let mainGradient = residual.backward(sumGradient)
        let skipGradient = shortcut?.backward(sumGradient) ?? sumGradient
        inputGradient.resize(to: inputShape)
        addElementwise(mainGradient.pointer, skipGradient.pointer, count: inputGradient.count, into: inputGradient.pointer)
        return inputGradient
    }
}
