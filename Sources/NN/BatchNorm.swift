import Kernels
import Tensor

/// Batch normalisation per channel of (N, C) or (N, C, ...) input. Parameters `weight` (γ)
/// and `bias` (β), buffers `running_mean` and `running_var`, as PyTorch names them.
package final class BatchNorm: Layer {
    package let channels: Int
    package let momentum: Float
    package let epsilon: Float
    package let gamma: Parameter
    package let beta: Parameter
    package let runningMean: Tensor
    package let runningVar: Tensor

    private var input = Tensor()
    private var trained = false
    /// The last training pass's `RunContext.sumOverReplicas`, which its backward uses too.
    private var sumOverReplicas: ReplicaSum?
    private let output = Tensor()
    private let inputGradient = Tensor()
    private let mean: Tensor
    private let inverseStd: Tensor
    private let affineScale: Tensor
    private let affineShift: Tensor

    /// PyTorch's default, which checkpoints record among their resolved settings.
    package static let defaultEpsilon: Float = 1e-5

    package init(channels: Int, momentum: Float = 0.1, epsilon: Float = BatchNorm.defaultEpsilon) {
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        gamma = Parameter(shape: [channels], group: .batchNorm, value: 1)
        beta = Parameter(shape: [channels], group: .batchNorm)
        runningMean = Tensor(shape: [channels])
        runningVar = Tensor(shape: [channels], repeating: 1)
        mean = Tensor(shape: [channels])
        inverseStd = Tensor(shape: [channels])
        affineScale = Tensor(shape: [channels])
        affineShift = Tensor(shape: [channels])
    }

    package var parameters: [NamedParameter] { [NamedParameter("weight", gamma), NamedParameter("bias", beta)] }

    /// The running-statistics momentum of a pass: the layer's own, unless the pass overrides it
    /// (batch-norm recalibration averages over a series of passes).
    package func momentum(for context: RunContext) -> Float { context.batchNormMomentum ?? momentum }
    package var buffers: [NamedBuffer] {
        [NamedBuffer("running_mean", runningMean), NamedBuffer("running_var", runningVar)]
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        input = x
        output.resize(to: x.shape)
        normalize(ChannelSlice(x), into: output, context)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: input.shape)
        inputGradient.zero()
        addInputGradient(of: ChannelSlice(input), dy: dy, into: ChannelSlice(inputGradient))
        return inputGradient
    }

    /// Normalises `x` into `y`, contiguous (N, C, ...), with the batch statistics in training
    /// (moving the running ones) and the running ones otherwise. Without `y` only the statistics
    /// are taken, for a consumer that applies them as it reads `x` (`inputAffine`). `statistics`:
    /// the batch statistics of `x`, already taken (see `batchNormForward`).
    func normalize(_ x: ChannelSlice, into y: Tensor?, _ context: RunContext, statistics: BatchStatistics<Float>? = nil) {
        precondition(x.channels.count == channels, "BatchNorm: input \(x.shape) does not have \(channels) channels")
        trained = context.training
        sumOverReplicas = context.sumOverReplicas
        batchNormForward(x: x.pointer, inputStride: x.sampleStride, batch: x.batch, channels: channels, size: x.planeSize,
                         gamma: gamma.value.pointer, beta: beta.value.pointer,
                         runningMean: runningMean.pointer, runningVar: runningVar.pointer,
                         training: context.training, momentum: momentum(for: context), epsilon: epsilon,
                         mean: mean.pointer, inverseStd: inverseStd.pointer, y: y?.pointer, statistics: statistics,
                         sumOverReplicas: context.sumOverReplicas)
    }

    /// The last `normalize` as a per-channel map x · scale + shift: scale γ/σ, shift β − μγ/σ.
    func inputAffine() -> DirectConvolution.InputAffine {
        for c in 0..<channels {
            affineScale[c] = gamma.value[c] * inverseStd[c]
            affineShift[c] = beta.value[c] - mean[c] * affineScale[c]
        }
        return DirectConvolution.InputAffine(scale: affineScale.pointer, shift: affineShift.pointer)
    }

    /// Whether the last `normalize` was a training pass on one rank: then a convolution that read
    /// it through `inputAffine()` can take its backward in its own pass (`kernelGradient`).
    var takesKernelGradient: Bool { trained && sumOverReplicas == nil }

    /// For the convolution that reads the last `normalize` through `inputAffine()`: where its
    /// input-gradient kernel writes the sums this batch norm's backward needs (`sums`, resized to
    /// two values per channel).
    func kernelGradient(sums: Tensor) -> DirectConvolution.NormGradient {
        precondition(takesKernelGradient, "BatchNorm: the kernels take the backward of a training pass on one rank only")
        sums.resize(to: [2, channels])
        return DirectConvolution.NormGradient(mean: mean.pointer, sumGradient: sums.pointer,
                                              sumCenteredGradient: sums.pointer + channels)
    }

    /// Backward of the last `normalize` from the sums its `kernelGradient` received over `count`
    /// values per channel: accumulates dγ and dβ, and adds the part of the input gradient that
    /// flows through the batch statistics into `corrections` (the kernels added the rest).
    func addGradient(fromKernelSums sums: Tensor, count: Int, into corrections: BatchNormCorrections<Float>) {
        batchNormGradient(fromSums: sums.pointer, sumCenteredGradient: sums.pointer + channels, count: Float(count),
                          channels: channels, gamma: gamma.value.pointer, inverseStd: inverseStd.pointer,
                          dGamma: gamma.grad.pointer, dBeta: beta.grad.pointer, corrections: corrections)
    }

    /// Backward of the last `normalize`, which read `x`: accumulates dγ, dβ and, into `dx`, the
    /// gradient of `x`, given `dy`, the gradient of the contiguous normalised output.
    func addInputGradient(of x: ChannelSlice, dy: Tensor, into dx: ChannelSlice) {
        precondition(dy.count == x.batch * channels * x.planeSize && dx.shape == x.shape,
                     "BatchNorm: gradient \(dy.shape) into \(dx.shape) for input \(x.shape)")
        batchNormBackward(x: x.pointer, inputStride: x.sampleStride, batch: x.batch, channels: channels, size: x.planeSize,
                          gamma: gamma.value.pointer, mean: mean.pointer, inverseStd: inverseStd.pointer,
                          training: trained, dy: dy.pointer, dx: dx.pointer, dxStride: dx.sampleStride,
                          dGamma: gamma.grad.pointer, dBeta: beta.grad.pointer, sumOverReplicas: sumOverReplicas)
    }
}
