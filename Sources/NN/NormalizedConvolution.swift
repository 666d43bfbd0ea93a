import Kernels
import Tensor

/// Batch norm → activation → 2D convolution (no bias), reading its input from a channel slice
/// and writing its output into another: a dense layer reads its channel prefix of the block's
/// buffer in place and writes its new channels right after it.
///
/// ReLU and ConvReLU are the convolution's input activation, applied as it reads (`fused`);
/// LeakyReLU and PReLU are a layer of their own between the two (`standalone`). With
/// `fusesBatchNorm`, a fused activation and a convolution its direct kernels run, the batch norm
/// too is applied as those kernels copy each sample in (x · γ/σ + β − μγ/σ): the normalised input
/// is neither written nor kept. Otherwise it is normalised into a buffer of this layer's own.
///
/// Parameters and buffers are named as in a PyTorch state dict with the three parts' names as
/// prefixes ("bn.weight", "act.weight", "conv.theta"), the activation's only when it has any.
package final class NormalizedConvolution {
    /// What the convolution's input goes through between the batch norm and the convolution.
    package enum Activation {
        /// Applied by the convolution as it reads: ReLU, ConvReLU's thresholds, or nothing.
        case fused(Convolution.InputActivation)
        /// A layer of its own.
        case standalone(Layer)
    }

    package let inChannels: Int
    package let outChannels: Int
    private let norm: BatchNorm
    private let activation: Layer?
    private let convolution: Convolution
    private let names: (norm: String, activation: String, convolution: String)
    private let fusesBatchNorm: Bool

    /// The input of the last forward pass, which backward reads again.
    private var input: ChannelSlice?
    private var normalizesAsItReads = false
    private let normalized = Tensor()
    private var convolutionInput = Tensor()
    /// The batch-norm sums the convolution's kernels take in backward (`corrections`).
    private let normSums = Tensor()

    package init(inChannels: Int, outChannels: Int, kernelSize: Int, padding: Int = 0, activation: Activation,
                 fusesBatchNorm: Bool, batchNormMomentum: Float, names: (norm: String, activation: String, convolution: String)) {
        self.inChannels = inChannels
        self.fusesBatchNorm = fusesBatchNorm
        self.outChannels = outChannels
        norm = BatchNorm(channels: inChannels, momentum: batchNormMomentum)
        let fused: Convolution.InputActivation
        switch activation {
        case .fused(let input): (self.activation, fused) = (nil, input)
        case .standalone(let layer): (self.activation, fused) = (layer, .identity)
        }
        convolution = Convolution(.two, inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize,
                                  padding: padding, bias: false, input: fused)
        self.names = names
    }

    package var parameters: [NamedParameter] {
        func named(_ prefix: String, _ layer: Layer?) -> [NamedParameter] {
            layer?.parameters.map { NamedParameter("\(prefix).\($0.name)", $0.parameter) } ?? []
        }
        return named(names.norm, norm) + named(names.activation, activation) + named(names.convolution, convolution)
    }

    package var buffers: [NamedBuffer] {
        norm.buffers.map { NamedBuffer("\(names.norm).\($0.name)", $0.tensor) }
    }

    /// The activation between the batch norm and the convolution, under the activation's name
    /// whether it stands alone or the convolution applies it.
    package var activations: [NamedActivation] {
        (activation?.activations ?? convolution.activations).map { NamedActivation(names.activation, $0.layer) }
    }

    /// Writes the `outChannels` channels of `y` from the `inChannels` channels of `x`. `x` must
    /// keep its values until `backward`. `statistics`: the batch statistics of `x`, when they
    /// have been taken already (training on one rank; see `batchNormForward`).
    package func forward(_ x: ChannelSlice, into y: ChannelSlice, _ context: RunContext, workspace: ConvolutionWorkspace,
                         statistics: BatchStatistics<Float>? = nil) {
        input = x
        normalizesAsItReads = fusesBatchNorm && activation == nil && convolution.readsDirectly(x.shape)
        if normalizesAsItReads {
            norm.normalize(x, into: nil, context, statistics: statistics)
            convolution.forward(x, inputAffine: norm.inputAffine(), into: y, workspace: workspace)
            return
        }
        normalized.resize(to: x.shape)
        norm.normalize(x, into: normalized, context, statistics: statistics)
        convolutionInput = activation?.forward(normalized, context) ?? normalized
        convolution.forward(ChannelSlice(convolutionInput), into: y, workspace: workspace)
    }

    /// Takes `dy`, the gradient of the last forward pass's `y`: accumulates the parameter
    /// gradients and adds the gradient of its `x` into `dx`. The gradient of the convolution's
    /// input passes through the workspace's `inputGradient`.
    ///
    /// With `corrections`, where the kernels normalised as they read in a training pass on one
    /// rank, they take the batch norm's backward in their own pass instead: what goes into `dx`
    /// then lacks the part that flows through the batch statistics, which goes into
    /// `corrections` for the caller to apply (`applyBatchNormCorrections`, with this pass's
    /// means). Returns whether it did.
    @discardableResult
    package func backward(_ dy: ChannelSlice, addingInputGradientTo dx: ChannelSlice, workspace: ConvolutionWorkspace,
                          corrections: BatchNormCorrections<Float>? = nil) -> Bool {
        guard let x = input else { preconditionFailure("NormalizedConvolution: backward before forward") }
        if normalizesAsItReads, norm.takesKernelGradient, let corrections {
            convolution.backward(x, inputAffine: norm.inputAffine(), normGradient: norm.kernelGradient(sums: normSums), dy: dy,
                                 dx: dx, workspace: workspace)
            norm.addGradient(fromKernelSums: normSums, count: x.batch * x.planeSize, into: corrections)
            return true
        }
        let convolutionGradient = workspace.inputGradient
        convolutionGradient.resize(to: x.shape)
        if normalizesAsItReads {
            convolution.backward(x, inputAffine: norm.inputAffine(), dy: dy, dx: ChannelSlice(convolutionGradient),
                                 workspace: workspace)
        } else {
            convolution.backward(ChannelSlice(convolutionInput), dy: dy, dx: ChannelSlice(convolutionGradient),
                                 workspace: workspace)
        }
        norm.addInputGradient(of: x, dy: activation?.backward(convolutionGradient) ?? convolutionGradient, into: dx)
        return false
    }
}
