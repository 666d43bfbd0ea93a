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
    private let output = Tensor()
    private let inputGradient = Tensor()
    private let mean: Tensor
    private let inverseStd: Tensor

    /// PyTorch's default, which every model here uses; checkpoint settings report it to loaders.
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
    }

    package var parameters: [NamedParameter] { [NamedParameter("weight", gamma), NamedParameter("bias", beta)] }

    /// The running-statistics momentum of a pass: the layer's own, unless the pass overrides it
    /// (batch-norm recalibration averages over a series of passes).
    package func momentum(for context: RunContext) -> Float { context.batchNormMomentum ?? momentum }
    package var buffers: [NamedBuffer] {
        [NamedBuffer("running_mean", runningMean), NamedBuffer("running_var", runningVar)]
    }

    private func spatialSize(_ shape: [Int]) -> Int {
        precondition(shape.count >= 2 && shape[1] == channels, "BatchNorm: input \(shape) does not have \(channels) channels")
        return shape.dropFirst(2).reduce(1, *)
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        let size = spatialSize(x.shape)
        input = x
        trained = context.training
        output.resize(to: x.shape)
        batchNormForward(x: x.pointer, inputStride: channels * size, batch: x.shape[0], channels: channels, size: size,
                         gamma: gamma.value.pointer, beta: beta.value.pointer,
                         runningMean: runningMean.pointer, runningVar: runningVar.pointer,
                         training: context.training, momentum: momentum(for: context), epsilon: epsilon,
                         mean: mean.pointer, inverseStd: inverseStd.pointer, y: output.pointer)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        let size = spatialSize(input.shape)
        inputGradient.resize(to: input.shape)
        inputGradient.zero()
        batchNormBackward(x: input.pointer, inputStride: channels * size, batch: input.shape[0], channels: channels,
                          size: size, gamma: gamma.value.pointer, mean: mean.pointer, inverseStd: inverseStd.pointer,
                          training: trained, dy: dy.pointer, dx: inputGradient.pointer, dxStride: channels * size,
                          dGamma: gamma.grad.pointer, dBeta: beta.grad.pointer)
        return inputGradient
    }
}
