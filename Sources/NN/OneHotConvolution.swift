import Kernels
import Tensor

/// Conv1d over one-hot character input, given as alphabet row indices (N, L) stored in a
/// Float tensor (-1 for an all-zero column). Same parameters and results as a `Convolution`
/// on the one-hot (N, alphabet, L) tensor, computed as a gather of weight columns.
///
/// With `poolSize` > 1 it is also the max pool that follows (window and stride `poolSize`, floor
/// mode, as `MaxPool`): the full-length convolution output is never stored. In the char-CNN
/// that output is 1 MB per sample (132 MB at batch 128), written by the convolution and read
/// back by the pool.
package final class OneHotConvolution: Layer {
    package let alphabetSize: Int
    package let outChannels: Int
    package let kernelSize: Int
    package let poolSize: Int
    package let weight: Parameter
    package let bias: Parameter
    /// The winning offset of each pooling window, from the last training forward pass.
    private let winner = Tensor()

    private var indices: [Int32] = []
    private var inputShape: [Int] = []
    private let output = Tensor()
    private let inputGradient = Tensor()
    private let weightTransposed = Tensor()
    private let weightGradientTransposed = Tensor()

    package init(alphabetSize: Int, outChannels: Int, kernelSize: Int, poolSize: Int = 1) {
        precondition(poolSize >= 1, "OneHotConvolution: pool size \(poolSize)")
        self.alphabetSize = alphabetSize
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.poolSize = poolSize
        weight = Parameter(shape: [outChannels, alphabetSize, kernelSize], group: .weight)
        bias = Parameter(shape: [outChannels], group: .bias)
    }

    package var parameters: [NamedParameter] { [NamedParameter("weight", weight), NamedParameter("bias", bias)] }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] >= kernelSize + poolSize - 1,
                     "OneHotConvolution: input \(x.shape) is not (N, L) indices, L >= \(kernelSize + poolSize - 1)")
        inputShape = x.shape
        let (n, length) = (x.shape[0], x.shape[1])
        if indices.count != x.count { indices = [Int32](repeating: -1, count: x.count) }
        for i in 0..<x.count {
            let c = Int32(x[i])
            precondition(c >= -1 && Int(c) < alphabetSize, "OneHotConvolution: index \(c) outside -1..<\(alphabetSize)")
            indices[i] = c
        }
        output.resize(to: [n, outChannels, oneHotOutputLength(length: length, kernel: kernelSize, pool: poolSize)])
        let recordsWinners = context.training && poolSize > 1
        if recordsWinners { winner.resize(to: output.shape) }
        weightTransposed.resize(to: [alphabetSize * kernelSize * oneHotColumnStride(outChannels: outChannels)])
        transposeOneHotWeight(weight.value.pointer, outChannels: outChannels, alphabet: alphabetSize, kernel: kernelSize,
                              into: weightTransposed.pointer)
        oneHotConvForward(indices: indices, batch: n, length: length, pool: poolSize, weightTransposed: weightTransposed.pointer,
                          bias: bias.value.pointer, outChannels: outChannels, kernel: kernelSize,
                          y: output.pointer, winner: recordsWinners ? winner.pointer : nil)
        return output
    }

    /// Accumulates the weight and bias gradients. Indices have no gradient: returns zeros.
    package func backward(_ dy: Tensor) -> Tensor {
        precondition(poolSize == 1 || winner.shape == dy.shape, "OneHotConvolution: backward needs a training forward first")
        weightGradientTransposed.resize(to: [oneHotGradientScratchCount(outChannels: outChannels, alphabet: alphabetSize,
                                                                        kernel: kernelSize)])
        oneHotConvBackward(indices: indices, batch: inputShape[0], length: inputShape[1], pool: poolSize, alphabet: alphabetSize,
                           outChannels: outChannels, kernel: kernelSize, dy: dy.pointer,
                           winner: poolSize > 1 ? winner.pointer : nil, dWeight: weight.grad.pointer, dBias: bias.grad.pointer,
                           weightGradientTransposed: weightGradientTransposed.pointer)
        inputGradient.resize(to: inputShape)
        inputGradient.zero()
        return inputGradient
    }

    /// Turns one-hot (N, alphabet, L) columns into (N, L) indices, -1 for all-zero columns.
    package static func indices(fromOneHot x: Tensor) -> Tensor {
        let (n, c, l) = (x.shape[0], x.shape[1], x.shape[2])
        let out = Tensor(shape: [n, l], repeating: -1)
        for s in 0..<n {
            for row in 0..<c {
                for p in 0..<l where x[(s * c + row) * l + p] != 0 { out[s * l + p] = Float(row) }
            }
        }
        return out
    }
}
