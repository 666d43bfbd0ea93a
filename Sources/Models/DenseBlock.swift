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
/// gradients of its k channels are complete, since only later layers read them.
package final class DenseBlock: Layer {
    package let inChannels: Int
    package let outChannels: Int
    let layers: [DenseLayer]

    private let features = Tensor()
    private let featureGradient = Tensor()
    private let inputGradient = Tensor()
    // The exit convolutions run one after another, so they share one workspace and one buffer
    // for the gradient of their input.
    private let workspace = ConvolutionWorkspace()
    private let convInputGradient = Tensor()

    /// `bottleneck`: each layer first reduces its input to 4·growth channels with a 1×1
    /// convolution (DenseNet-B). ReLU and ConvReLU at `site` are applied by every convolution of
    /// the block as it reads its input, in place of the activation layers before them.
    package init(inChannels: Int, layerCount: Int, growthRate: Int, bottleneck: Bool,
                activation: ActivationPlan, site: ActivationSite, batchNormMomentum: Float) {
        self.inChannels = inChannels
        outChannels = inChannels + layerCount * growthRate
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

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inChannels, "DenseBlock: input \(x.shape) does not have \(inChannels) channels")
        let (batch, planeSize) = (x.shape[0], x.shape[2] * x.shape[3])
        let sampleStride = outChannels * planeSize
        features.resize(to: [batch, outChannels, x.shape[2], x.shape[3]])
        for n in 0..<batch {
            (features.pointer + n * sampleStride).update(from: x.pointer + n * inChannels * planeSize, count: inChannels * planeSize)
        }
        for layer in layers { layer.forward(features, context, workspace: workspace) }
        return features
    }

    package func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == features.shape, "DenseBlock: gradient \(dy.shape) for output \(features.shape)")
        let (batch, planeSize) = (features.shape[0], features.shape[2] * features.shape[3])
        // Starting from dy is zeroing once and accumulating the gradient from after the block.
        featureGradient.resize(to: features.shape)
        featureGradient.copy(from: dy)
        for layer in layers.reversed() {
            layer.backward(features, featureGradient, workspace: workspace, convInputGradient: convInputGradient)
        }
        inputGradient.resize(to: [batch, inChannels, features.shape[2], features.shape[3]])
        for n in 0..<batch {
            (inputGradient.pointer + n * inChannels * planeSize)
                .update(from: featureGradient.pointer + n * outChannels * planeSize, count: inChannels * planeSize)
        }
        return inputGradient
    }
}

/// One layer of a dense block: BN over the block buffer's channel prefix, then `body` on
/// contiguous data (with a bottleneck 1×1 conv → BN; a LeakyReLU or PReLU as layers of their
/// own, while ReLU and ConvReLU are applied by the convolutions as they read), then the 3×3
/// exit convolution writing its `growthRate` channels into the block buffer.
/// Names follow the fixtures: `bn`, `act`, `conv` without a bottleneck; `bn1`, `act1`, `conv1`,
/// `bn2`, `act2`, `conv2` with one.
final class DenseLayer {
    let inChannels: Int
    let norm: BatchNorm
    let body = Sequential()
    let conv: Convolution
    private let normName: String
    private let convName: String

    private var trained = false
    private let normalized = Tensor()
    private let batchMean: Tensor
    private let batchInverseStd: Tensor
    /// The batch norm as the exit convolution applies it when it reads the block buffer itself:
    /// scale γ/σ and shift β − μγ/σ per channel (see `normalizesInConvolution`).
    private let normScale: Tensor
    private let normShift: Tensor
    private var convInput = Tensor()

    init(inChannels: Int, growthRate: Int, bottleneck: Bool, activation: ActivationPlan, site: ActivationSite,
         batchNormMomentum: Float) {
        self.inChannels = inChannels
        let fused = activation.fusedInput(at: site)
        norm = BatchNorm(channels: inChannels, momentum: batchNormMomentum)
        batchMean = Tensor(shape: [inChannels])
        batchInverseStd = Tensor(shape: [inChannels])
        normScale = Tensor(shape: [inChannels])
        normShift = Tensor(shape: [inChannels])
        var convChannels = inChannels
        if bottleneck {
            let width = 4 * growthRate
            if fused == nil { body.appendActivation(activation.elementwiseLayer(at: site, channels: inChannels), name: "act1") }
            body.append(Convolution(.two, inChannels: inChannels, outChannels: width, kernelSize: 1, bias: false,
                                    input: fused ?? .identity), name: "conv1")
            body.append(BatchNorm(channels: width, momentum: batchNormMomentum), name: "bn2")
            if fused == nil { body.appendActivation(activation.elementwiseLayer(at: site, channels: width), name: "act2") }
            convChannels = width
            (normName, convName) = ("bn1", "conv2")
        } else {
            if fused == nil { body.appendActivation(activation.elementwiseLayer(at: site, channels: inChannels), name: "act") }
            (normName, convName) = ("bn", "conv")
        }
        conv = Convolution(.two, inChannels: convChannels, outChannels: growthRate, kernelSize: 3, padding: 1,
                           bias: false, input: fused ?? .identity)
    }

    var parameters: [NamedParameter] {
        norm.parameters.map { NamedParameter("\(normName).\($0.name)", $0.parameter) } + body.parameters
            + conv.parameters.map { NamedParameter("\(convName).\($0.name)", $0.parameter) }
    }

    var buffers: [NamedBuffer] {
        norm.buffers.map { NamedBuffer("\(normName).\($0.name)", $0.tensor) } + body.buffers
    }

    func exitGeometry(height: Int, width: Int) -> ConvGeometry {
        ConvGeometry(inChannels: conv.inChannels, outChannels: conv.outChannels, inHeight: height, inWidth: width,
                     kernelHeight: 3, kernelWidth: 3, padding: 1)
    }

    /// Whether the exit convolution reads the block buffer itself, applying the batch norm (and
    /// the fused activation) as its direct kernels copy each sample in: so the normalised input is
    /// neither written nor kept. It does when nothing else sits between the two (no bottleneck,
    /// no standalone activation) and the convolution takes the direct path.
    private func normalizesInConvolution(_ schedule: ConvSchedule) -> Bool { body.isEmpty && schedule == .direct }

    /// Reads the first `inChannels` channels of `features` and writes the next `growthRate`.
    func forward(_ features: Tensor, _ context: RunContext, workspace: ConvolutionWorkspace) {
        let (batch, height, width) = (features.shape[0], features.shape[2], features.shape[3])
        let planeSize = height * width, sampleStride = features.shape[1] * planeSize
        trained = context.training
        let g = exitGeometry(height: height, width: width)
        let schedule = workspace.prepare(g, batch: batch, backward: false)
        let fusedNorm = normalizesInConvolution(schedule)
        if !fusedNorm { normalized.resize(to: [batch, inChannels, height, width]) }
        batchNormForward(x: features.pointer, inputStride: sampleStride, batch: batch, channels: inChannels, size: planeSize,
                         gamma: norm.gamma.value.pointer, beta: norm.beta.value.pointer,
                         runningMean: norm.runningMean.pointer, runningVar: norm.runningVar.pointer,
                         training: context.training, momentum: norm.momentum(for: context), epsilon: norm.epsilon,
                         mean: batchMean.pointer, inverseStd: batchInverseStd.pointer, y: fusedNorm ? nil : normalized.pointer)
        let output = features.pointer + inChannels * planeSize
        guard !fusedNorm else {
            for c in 0..<inChannels {
                normScale[c] = norm.gamma.value[c] * batchInverseStd[c]
                normShift[c] = norm.beta.value[c] - batchMean[c] * normScale[c]
            }
            DirectConvolution.forward(x: features.pointer, inputStride: sampleStride, weight: conv.weight.value.pointer, bias: nil,
                                      threshold: conv.appliedThreshold, inputAffine: normAffine, g, batch: batch,
                                      y: output, outputStride: sampleStride, guarded: workspace.columns.pointer,
                                      scratch: workspace.scratch.pointer)
            return
        }
        convInput = body.forward(normalized, context)
        convForward(x: convInput.pointer, inputStride: g.inputSize, weight: conv.weight.value.pointer, bias: nil,
                    threshold: conv.appliedThreshold, g, batch: batch, y: output, outputStride: sampleStride,
                    schedule: schedule, columns: workspace.columns.pointer, scratch: workspace.scratch.pointer)
    }

    private var normAffine: DirectConvolution.InputAffine {
        DirectConvolution.InputAffine(scale: normScale.pointer, shift: normShift.pointer)
    }

    /// Takes the gradient of its new channels from `featureGradient` and accumulates the
    /// gradient of its input prefix into it. `convInputGradient` is scratch shared by the block.
    func backward(_ features: Tensor, _ featureGradient: Tensor, workspace: ConvolutionWorkspace,
                  convInputGradient: Tensor) {
        let (batch, height, width) = (features.shape[0], features.shape[2], features.shape[3])
        let planeSize = height * width, sampleStride = features.shape[1] * planeSize
        let g = exitGeometry(height: height, width: width)
        let schedule = workspace.prepare(g, batch: batch, backward: true)
        let dy = featureGradient.pointer + inChannels * planeSize
        convInputGradient.resize(to: [batch, g.inChannels, height, width])
        convInputGradient.zero()
        if normalizesInConvolution(schedule) {
            DirectConvolution.backward(x: features.pointer, inputStride: sampleStride, weight: conv.weight.value.pointer,
                                       threshold: conv.appliedThreshold, inputAffine: normAffine, g, batch: batch,
                                       dy: dy, outputStride: sampleStride, dx: convInputGradient.pointer, dxStride: g.inputSize,
                                       dWeight: conv.weight.grad.pointer, dBias: nil, dThreshold: conv.threshold?.grad.pointer,
                                       guardedInput: workspace.columns.pointer, guardedGradient: workspace.columnGradient.pointer,
                                       scratch: workspace.scratch.pointer)
        } else {
            convBackward(x: convInput.pointer, inputStride: g.inputSize, weight: conv.weight.value.pointer,
                         threshold: conv.appliedThreshold, g, batch: batch, dy: dy, outputStride: sampleStride,
                         dx: convInputGradient.pointer, dxStride: g.inputSize,
                         dWeight: conv.weight.grad.pointer, dBias: nil, dThreshold: conv.threshold?.grad.pointer,
                         schedule: schedule, columns: workspace.columns.pointer, scratch: workspace.scratch.pointer,
                         columnGradient: workspace.columnGradient.pointer)
        }
        let normalizedGradient = body.backward(convInputGradient)
        batchNormBackward(x: features.pointer, inputStride: sampleStride, batch: batch, channels: inChannels, size: planeSize,
                          gamma: norm.gamma.value.pointer, mean: batchMean.pointer, inverseStd: batchInverseStd.pointer,
                          training: trained, dy: normalizedGradient.pointer,
                          dx: featureGradient.pointer, dxStride: sampleStride,
                          dGamma: norm.gamma.grad.pointer, dBeta: norm.beta.grad.pointer)
    }
}
