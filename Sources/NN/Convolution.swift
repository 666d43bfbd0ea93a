import Kernels
import Tensor

/// Conv1d (NCL) or Conv2d (NCHW), optionally with ConvReLU thresholds on its input:
/// y = b + W ∗ max(x, θ), θ one value per (input channel, kernel offset), shared across output
/// channels. The threshold is applied while the column matrix is built, so ConvReLU costs the
/// same GEMMs as a plain convolution. Parameters: `weight` (out, in, k) or (out, in, kh, kw),
/// `bias` (out), `theta` (in, k) or (in, kh, kw): PyTorch `state_dict` shapes.
///
/// A ReLU in front of a convolution is the same fused threshold held at 0 (`InputActivation.relu`):
/// it costs nothing beyond the column build, like ConvReLU, and has no parameter.
package final class Convolution: Layer, ObservableActivation {
    /// What the convolution applies to its input while building its columns.
    package enum InputActivation: Sendable {
        /// The input as it is.
        case identity
        /// max(x, 0): a ReLU in front of the convolution.
        case relu
        /// max(x, θ) with trainable θ: ConvReLU.
        case thresholds
    }

    package let dimensions: SpatialDimensions
    package let inChannels: Int
    package let outChannels: Int
    package let kernelSize: Int
    package let stride: Int
    package let padding: Int
    package let weight: Parameter
    package let bias: Parameter?
    /// The ConvReLU thresholds; nil for a plain convolution.
    package let threshold: Parameter?
    /// The zero thresholds of a fused ReLU (never trained).
    private let zeroThreshold: Tensor?

    private var input = Tensor()
    private let output = Tensor()
    private let inputGradient = Tensor()
    private let workspace = ConvolutionWorkspace()
    /// Watches the input activation's input during a monitored pass.
    package var probe: ActivationProbe?

    package init(_ dimensions: SpatialDimensions, inChannels: Int, outChannels: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0, bias: Bool = true, input: InputActivation = .identity) {
        self.dimensions = dimensions
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        let taps = dimensions == .one ? [kernelSize] : [kernelSize, kernelSize]
        weight = Parameter(shape: [outChannels, inChannels] + taps, group: .weight)
        self.bias = bias ? Parameter(shape: [outChannels], group: .bias) : nil
        threshold = input == .thresholds ? Parameter(shape: [inChannels] + taps, group: .threshold) : nil
        zeroThreshold = input == .relu ? Tensor(shape: [inChannels] + taps) : nil
    }

    /// The thresholds the convolution applies to its input, trainable or fixed at 0; nil for none.
    private var appliedThreshold: UnsafeMutablePointer<Float>? { (threshold?.value ?? zeroThreshold)?.pointer }

    package var parameters: [NamedParameter] {
        [NamedParameter("weight", weight)] + (bias.map { [NamedParameter("bias", $0)] } ?? [])
            + (threshold.map { [NamedParameter("theta", $0)] } ?? [])
    }

    /// The input activation, when the convolution applies one.
    package var activations: [NamedActivation] { zeroThreshold != nil || threshold != nil ? [NamedActivation("", self)] : [] }

    /// A unit of the input passes nothing on when it is at or below every threshold of its channel.
    private var deadFloor: ActivationProbe.Floor {
        guard let threshold else { return zeroThreshold == nil ? .none : .constant(0) }
        let taps = threshold.count / inChannels
        return .perChannel((0..<inChannels).map { c in (0..<taps).map { threshold.value[c * taps + $0] }.min()! })
    }

    /// Receptive field sizes for initialisation.
    package var fanIn: Int { inChannels * kernelArea }
    package var fanOut: Int { outChannels * kernelArea }
    private var kernelArea: Int { dimensions == .one ? kernelSize : kernelSize * kernelSize }

    package func geometry(for shape: [Int]) -> ConvGeometry {
        precondition(shape.count == dimensions.rawValue + 2 && shape[1] == inChannels,
                     "Convolution: input \(shape) does not fit \(inChannels) channels in \(dimensions.rawValue)D")
        let g = dimensions == .one
            ? ConvGeometry.conv1d(inChannels: inChannels, outChannels: outChannels, length: shape[2],
                                  kernel: kernelSize, stride: stride, padding: padding)
            : ConvGeometry(inChannels: inChannels, outChannels: outChannels, inHeight: shape[2], inWidth: shape[3],
                           kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
        precondition(g.isValid, "Convolution: input \(shape) too small for \(g)")
        return g
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        input = x
        let g = geometry(for: x.shape)
        let n = x.shape[0]
        output.resize(to: dimensions == .one ? [n, outChannels, g.outWidth] : [n, outChannels, g.outHeight, g.outWidth])
        forward(ChannelSlice(x), into: ChannelSlice(output), workspace: workspace)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: input.shape)
        backward(ChannelSlice(input), dy: ChannelSlice(dy), dx: ChannelSlice(inputGradient), workspace: workspace)
        return inputGradient
    }

    /// Whether input of this shape goes through the direct kernels (`ConvSchedule.direct`), the
    /// only ones that apply an `inputAffine` map as they read.
    func readsDirectly(_ shape: [Int]) -> Bool { ConvSchedule.choose(geometry(for: shape), batch: shape[0]) == .direct }

    /// Writes the convolution of `x` into `y`, reading `x` through `inputAffine` when given
    /// (a batch norm; only where `readsDirectly`).
    func forward(_ x: ChannelSlice, inputAffine: DirectConvolution.InputAffine? = nil, into y: ChannelSlice,
                 workspace: ConvolutionWorkspace) {
        let g = geometry(for: x.shape)
        precondition(y.batch == x.batch && y.channels.count == outChannels && y.planeSize == g.columnCount,
                     "Convolution: output \(y.shape) for input \(x.shape)")
        probe?.observe(x, affine: inputAffine, floor: deadFloor)
        let schedule = workspace.prepare(g, batch: x.batch, backward: false)
        convForward(x: x.pointer, inputStride: x.sampleStride, weight: weight.value.pointer,
                    bias: bias?.value.pointer, threshold: appliedThreshold, inputAffine: inputAffine, g, batch: x.batch,
                    y: y.pointer, outputStride: y.sampleStride,
                    schedule: schedule, columns: workspace.columns.pointer, scratch: workspace.scratch.pointer)
    }

    /// Backward of `forward(x, inputAffine:, into:)` given `dy`: accumulates the parameter
    /// gradients and overwrites `dx` with the gradient of the input as read (after `inputAffine`),
    /// or, with `normGradient`, adds into it γ/σ · that gradient, taking the batch norm's sums
    /// (see `DirectConvolution.NormGradient`).
    func backward(_ x: ChannelSlice, inputAffine: DirectConvolution.InputAffine? = nil,
                  normGradient: DirectConvolution.NormGradient? = nil, dy: ChannelSlice, dx: ChannelSlice,
                  workspace: ConvolutionWorkspace) {
        let g = geometry(for: x.shape)
        precondition(dx.shape == x.shape && dy.batch == x.batch && dy.channels.count == outChannels && dy.planeSize == g.columnCount,
                     "Convolution: gradients \(dy.shape) and \(dx.shape) for input \(x.shape)")
        let schedule = workspace.prepare(g, batch: x.batch, backward: true)
        convBackward(x: x.pointer, inputStride: x.sampleStride, weight: weight.value.pointer,
                     threshold: appliedThreshold, inputAffine: inputAffine, normGradient: normGradient, g, batch: x.batch,
                     dy: dy.pointer, outputStride: dy.sampleStride,
                     dx: dx.pointer, dxStride: dx.sampleStride,
                     dWeight: weight.grad.pointer, dBias: bias?.grad.pointer, dThreshold: threshold?.grad.pointer,
                     schedule: schedule, columns: workspace.columns.pointer, scratch: workspace.scratch.pointer,
                     columnGradient: workspace.columnGradient.pointer, overwritingDx: normGradient == nil)
    }
}
