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
package final class Convolution: Layer {
    /// What the convolution applies to its input while building its columns.
    package enum InputActivation: Sendable {
        /// The input as it is.
        case identity
        /// max(x, 0): a ReLU in front of the convolution.
        case relu
        /// max(x, θ) with trainable θ: ConvReLU.
        case thresholds
    }

    let dimensions: SpatialDimensions
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

    /// The thresholds the convolution applies to its input, trainable or fixed at 0; nil for
    /// none. For callers that run the kernels on buffers of their own (a dense block).
    package var appliedThreshold: UnsafeMutablePointer<Float>? { (threshold?.value ?? zeroThreshold)?.pointer }

    package var parameters: [NamedParameter] {
        [NamedParameter("weight", weight)] + (bias.map { [NamedParameter("bias", $0)] } ?? [])
            + (threshold.map { [NamedParameter("theta", $0)] } ?? [])
    }

    /// Receptive field sizes for initialisation.
    var fanIn: Int { inChannels * kernelArea }
    var fanOut: Int { outChannels * kernelArea }
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
        let schedule = workspace.prepare(g, batch: n, backward: false)
        convForward(x: x.pointer, inputStride: g.inputSize, weight: weight.value.pointer,
                    bias: bias?.value.pointer, threshold: appliedThreshold, g, batch: n,
                    y: output.pointer, outputStride: g.outputSize,
                    schedule: schedule, columns: workspace.columns.pointer, scratch: workspace.scratch.pointer)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        let g = geometry(for: input.shape)
        inputGradient.resize(to: input.shape)
        let schedule = workspace.prepare(g, batch: input.shape[0], backward: true)
        convBackward(x: input.pointer, inputStride: g.inputSize, weight: weight.value.pointer,
                     threshold: appliedThreshold, g, batch: input.shape[0],
                     dy: dy.pointer, outputStride: g.outputSize,
                     dx: inputGradient.pointer, dxStride: g.inputSize,
                     dWeight: weight.grad.pointer, dBias: bias?.grad.pointer, dThreshold: threshold?.grad.pointer,
                     schedule: schedule, columns: workspace.columns.pointer, scratch: workspace.scratch.pointer,
                     columnGradient: workspace.columnGradient.pointer, overwritingDx: true)
        return inputGradient
    }
}
