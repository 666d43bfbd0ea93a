import Kernels
import NN
import Tensor

/// A dense block (Huang et al.) whose layers share one feature buffer (N, C_final, H, W).
///
/// The block input is copied into the first C0 channels once; layer i normalises the channel
/// prefix it sees (C0 + i·k channels, read in place with a sample stride of C_final·H·W) and its
/// last convolution writes its k new channels straight into the buffer after that prefix. So the
/// concatenations never copy the growing feature map, and the buffer itself is the block output.
/// Backward runs the layers in reverse over one gradient buffer of the same shape, into which
/// every layer's batch-norm and convolution backward accumulate: by the time layer i runs, the
/// gradients of its k channels are complete, since only later layers read them. For the same
/// reason a channel's batch statistics are fixed once it is written, and a training pass takes
/// them then, once, rather than in every layer that normalises it.
package final class DenseBlock: Layer {
    package let inChannels: Int
    package let outChannels: Int
    let layers: [DenseLayer]

    private let features = Tensor()
    private let featureGradient = Tensor()
    private let inputGradient = Tensor()
    // The layers run one after another, so they share one convolution workspace and one buffer
    // for the gradient of a bottleneck's output.
    private let workspace = ConvolutionWorkspace()
    private let bottleneckGradient = Tensor()
    /// In a training pass on one rank, each channel's batch statistics, taken once when the
    /// channel is written: every later layer's first batch norm normalises it with the same
    /// numbers, so taking them per layer would cost passes over the whole growing prefix.
    private let channelMean: Tensor
    private let channelSquaredDeviations: Tensor
    /// Whether the last forward pass took them (a training pass on one rank).
    private var sharedStatistics = false
    /// In backward after such a pass: per channel, the part of its gradient that flows through
    /// the batch statistics of the layers that normalise it, gathered from each layer and applied
    /// once (see `BatchNormCorrections`).
    private let correctionShift: Tensor
    private let correctionSlope: Tensor

    /// `bottleneck`: each layer first reduces its input to 4·growth channels with a 1×1
    /// convolution (DenseNet-B). ReLU and ConvReLU at `site` are applied by every convolution of
    /// the block as it reads its input, in place of the activation layers before them.
    package init(inChannels: Int, layerCount: Int, growthRate: Int, bottleneck: Bool,
                activation: ActivationPlan, site: ActivationSite, batchNormMomentum: Float) {
        self.inChannels = inChannels
        outChannels = inChannels + layerCount * growthRate
        channelMean = Tensor(shape: [outChannels])
        channelSquaredDeviations = Tensor(shape: [outChannels])
        correctionShift = Tensor(shape: [outChannels])
        correctionSlope = Tensor(shape: [outChannels])
        layers = (0..<layerCount).map { i in
            DenseLayer(inChannels: inChannels + i * growthRate, growthRate: growthRate, bottleneck: bottleneck,
                       activation: activation, site: site, batchNormMomentum: batchNormMomentum)
        }
    }

    package var parameters: [NamedParameter] {
        layers.enumerated().flatMap { i, layer in
            layer.parameters.map { NamedParameter("layer\(i).\($0.name)", $0.parameter) }
        }
    }

    package var buffers: [NamedBuffer] {
        layers.enumerated().flatMap { i, layer in
            layer.buffers.map { NamedBuffer("layer\(i).\($0.name)", $0.tensor) }
        }
    }

    package var activations: [NamedActivation] {
        layers.enumerated().flatMap { i, layer in
            layer.activations.map { NamedActivation("layer\(i).\($0.name)", $0.layer) }
        }
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inChannels, "DenseBlock: input \(x.shape) does not have \(inChannels) channels")
        let (batch, planeSize) = (x.shape[0], x.shape[2] * x.shape[3])
        let sampleStride = outChannels * planeSize
        features.resize(to: [batch, outChannels, x.shape[2], x.shape[3]])
        for n in 0..<batch {
            (features.pointer + n * sampleStride).update(from: x.pointer + n * inChannels * planeSize, count: inChannels * planeSize)
        }
        let sharesStatistics = context.training && context.sumOverReplicas == nil
        sharedStatistics = sharesStatistics
        func takeStatistics(of channels: Range<Int>) {
            batchStatistics(x: features.pointer + channels.lowerBound * planeSize, inputStride: sampleStride, batch: batch,
                            channels: channels.count, size: planeSize,
                            mean: channelMean.pointer + channels.lowerBound,
                            squaredDeviations: channelSquaredDeviations.pointer + channels.lowerBound)
        }
        if sharesStatistics { takeStatistics(of: 0..<inChannels) }
        let statistics = BatchStatistics(mean: channelMean.pointer, squaredDeviations: channelSquaredDeviations.pointer)
        for (i, layer) in layers.enumerated() {
            layer.forward(features, context, workspace: workspace, statistics: sharesStatistics ? statistics : nil)
            if sharesStatistics && i + 1 < layers.count { takeStatistics(of: layer.inChannels..<(layer.inChannels + layer.growthRate)) }
        }
        return features
    }

    package func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == features.shape, "DenseBlock: gradient \(dy.shape) for output \(features.shape)")
        let (batch, planeSize) = (features.shape[0], features.shape[2] * features.shape[3])
        // Starting from dy is zeroing once and accumulating the gradient from after the block.
        featureGradient.resize(to: features.shape)
        featureGradient.copy(from: dy)
        // After a pass with shared statistics, the layers may leave the statistics' part of
        // their batch norms' input gradients to the block; a channel's is applied before the
        // layer that wrote it reads its gradient, when no later layer adds to it any more.
        let corrections = sharedStatistics
            ? BatchNormCorrections(shift: correctionShift.pointer, slope: correctionSlope.pointer) : nil
        correctionShift.zero()
        correctionSlope.zero()
        var correcting = false
        func applyCorrections(to channels: Range<Int>) {
            guard correcting, let corrections else { return }
            let x = features.pointer + channels.lowerBound * planeSize, dx = featureGradient.pointer + channels.lowerBound * planeSize
            let shifted = BatchNormCorrections(shift: corrections.shift + channels.lowerBound,
                                               slope: corrections.slope + channels.lowerBound)
            applyBatchNormCorrections(x: x, inputStride: outChannels * planeSize, batch: batch, channels: channels.count,
                                      size: planeSize, mean: channelMean.pointer + channels.lowerBound, corrections: shifted,
                                      dx: dx, dxStride: outChannels * planeSize)
        }
        for layer in layers.reversed() {
            applyCorrections(to: layer.inChannels..<(layer.inChannels + layer.growthRate))
            if layer.backward(featureGradient, workspace: workspace, bottleneckGradient: bottleneckGradient,
                              corrections: corrections) {
                correcting = true
            }
        }
        applyCorrections(to: 0..<inChannels)
        inputGradient.resize(to: [batch, inChannels, features.shape[2], features.shape[3]])
        for n in 0..<batch {
            (inputGradient.pointer + n * inChannels * planeSize)
                .update(from: featureGradient.pointer + n * outChannels * planeSize, count: inChannels * planeSize)
        }
        return inputGradient
    }
}

/// One layer of a dense block: BN → activation → 3×3 convolution over the block buffer's
/// channel prefix, writing its `growthRate` channels into the buffer; with a bottleneck, a
/// BN → activation → 1×1 convolution to 4·growth channels first. ReLU and ConvReLU are applied
/// by the convolutions as they read, LeakyReLU and PReLU are layers of their own
/// (`NormalizedConvolution`). Names follow the fixtures: `bn`, `act`, `conv` without a
/// bottleneck; `bn1`, `act1`, `conv1`, `bn2`, `act2`, `conv2` with one.
///
/// Only a layer without a bottleneck applies its batch norm inside the convolution. A bottleneck
/// layer writes its two normalised inputs out: fusing them would change the float rounding of
/// gradients that nearly cancel through its two training-mode batch norms (bn1's β, conv1's
/// weights) by more than DenseBlockTests allows against the textbook layer, and it has not been
/// measured.
final class DenseLayer {
    let inChannels: Int
    let growthRate: Int
    /// bn1 → act1 → conv1, or nil without a bottleneck.
    private let bottleneck: NormalizedConvolution?
    /// The exit: bn → act → conv, or bn2 → act2 → conv2 over the bottleneck's output.
    private let exit: NormalizedConvolution
    /// The bottleneck's output, the exit's input.
    private let bottleneckOutput = Tensor()

    init(inChannels: Int, growthRate: Int, bottleneck: Bool, activation: ActivationPlan, site: ActivationSite,
         batchNormMomentum: Float) {
        self.inChannels = inChannels
        self.growthRate = growthRate
        let fused = activation.fusedInput(at: site)
        func input(_ channels: Int) -> NormalizedConvolution.Activation {
            fused.map { .fused($0) } ?? .standalone(activation.elementwiseLayer(at: site, channels: channels))
        }
        if bottleneck {
            let width = 4 * growthRate
            self.bottleneck = NormalizedConvolution(inChannels: inChannels, outChannels: width, kernelSize: 1,
                                                    activation: input(inChannels), fusesBatchNorm: false,
                                                    batchNormMomentum: batchNormMomentum, names: ("bn1", "act1", "conv1"))
            exit = NormalizedConvolution(inChannels: width, outChannels: growthRate, kernelSize: 3, padding: 1,
                                         activation: input(width), fusesBatchNorm: false,
                                         batchNormMomentum: batchNormMomentum, names: ("bn2", "act2", "conv2"))
        } else {
            self.bottleneck = nil
            exit = NormalizedConvolution(inChannels: inChannels, outChannels: growthRate, kernelSize: 3, padding: 1,
                                         activation: input(inChannels), fusesBatchNorm: true,
                                         batchNormMomentum: batchNormMomentum, names: ("bn", "act", "conv"))
        }
    }

    var parameters: [NamedParameter] { (bottleneck?.parameters ?? []) + exit.parameters }

    var buffers: [NamedBuffer] { (bottleneck?.buffers ?? []) + exit.buffers }

    var activations: [NamedActivation] { (bottleneck?.activations ?? []) + exit.activations }

    /// Reads the first `inChannels` channels of `features` and writes the next `growthRate`.
    /// `statistics`: those of the block's channels, for the batch norm that reads them.
    func forward(_ features: Tensor, _ context: RunContext, workspace: ConvolutionWorkspace,
                 statistics: BatchStatistics<Float>?) {
        let input = ChannelSlice(features, channels: 0..<inChannels)
        let output = ChannelSlice(features, channels: inChannels..<(inChannels + growthRate))
        guard let bottleneck else { return exit.forward(input, into: output, context, workspace: workspace, statistics: statistics) }
        bottleneckOutput.resize(to: [features.shape[0], bottleneck.outChannels] + features.shape.dropFirst(2))
        bottleneck.forward(input, into: ChannelSlice(bottleneckOutput), context, workspace: workspace, statistics: statistics)
        exit.forward(ChannelSlice(bottleneckOutput), into: output, context, workspace: workspace)
    }

    /// Takes the gradient of its new channels from `featureGradient` and accumulates the
    /// gradient of its input prefix into it. `bottleneckGradient` is scratch shared by the block.
    /// `corrections`: where the block gathers what the batch norm reading the prefix leaves to
    /// it (`NormalizedConvolution.backward`); returns whether it left any.
    func backward(_ featureGradient: Tensor, workspace: ConvolutionWorkspace, bottleneckGradient: Tensor,
                  corrections: BatchNormCorrections<Float>?) -> Bool {
        let dy = ChannelSlice(featureGradient, channels: inChannels..<(inChannels + growthRate))
        let dx = ChannelSlice(featureGradient, channels: 0..<inChannels)
        guard let bottleneck else {
            return exit.backward(dy, addingInputGradientTo: dx, workspace: workspace, corrections: corrections)
        }
        bottleneckGradient.resize(to: bottleneckOutput.shape)
        bottleneckGradient.zero()
        exit.backward(dy, addingInputGradientTo: ChannelSlice(bottleneckGradient), workspace: workspace)
        return bottleneck.backward(ChannelSlice(bottleneckGradient), addingInputGradientTo: dx, workspace: workspace,
                                   corrections: corrections)
    }
}
