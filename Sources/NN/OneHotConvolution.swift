import Kernels
import Tensor

/// Conv1d over one-hot character input, given as alphabet row indices (N, L) stored in a
/// Float tensor (-1 for an all-zero column). Same parameters and results as a `Convolution`
/// on the one-hot (N, alphabet, L) tensor, computed as a gather of weight columns.
public final class OneHotConvolution: Layer {
    public let alphabetSize: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let weight: Parameter
    public let bias: Parameter

    private var indices: [Int32] = []
    private var inputShape: [Int] = []
    private let output = Tensor()
    private let inputGradient = Tensor()
    private let weightTransposed = Tensor()
    private let weightGradientTransposed = Tensor()

    public init(alphabetSize: Int, outChannels: Int, kernelSize: Int) {
        self.alphabetSize = alphabetSize
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        weight = Parameter(shape: [outChannels, alphabetSize, kernelSize], group: .weight)
        bias = Parameter(shape: [outChannels], group: .bias)
    }

    public var parameters: [NamedParameter] { [NamedParameter("weight", weight), NamedParameter("bias", bias)] }

    public func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] >= kernelSize, "OneHotConvolution: input \(x.shape) is not (N, L) indices")
        inputShape = x.shape
        let (n, length) = (x.shape[0], x.shape[1])
        if indices.count != x.count { indices = [Int32](repeating: -1, count: x.count) }
        for i in 0..<x.count {
            let c = Int32(x[i])
            precondition(c >= -1 && Int(c) < alphabetSize, "OneHotConvolution: index \(c) outside -1..<\(alphabetSize)")
            indices[i] = c
        }
        let outLength = length - kernelSize + 1
        output.resize(to: [n, outChannels, outLength])
        weightTransposed.resize(to: [alphabetSize * kernelSize * oneHotColumnStride(outChannels: outChannels)])
        transposeOneHotWeight(weight.value.pointer, outChannels: outChannels, alphabet: alphabetSize, kernel: kernelSize,
                              into: weightTransposed.pointer)
        oneHotConvForward(indices: indices, batch: n, length: length, weightTransposed: weightTransposed.pointer,
                          bias: bias.value.pointer, outChannels: outChannels, kernel: kernelSize,
                          y: output.pointer)
        return output
    }

    /// Accumulates the weight and bias gradients. Indices have no gradient: returns zeros.
    public func backward(_ dy: Tensor) -> Tensor {
        weightGradientTransposed.resize(to: [oneHotGradientScratchCount(outChannels: outChannels, alphabet: alphabetSize,
                                                                        kernel: kernelSize)])
        oneHotConvBackward(indices: indices, batch: inputShape[0], length: inputShape[1], alphabet: alphabetSize,
                           outChannels: outChannels, kernel: kernelSize, dy: dy.pointer,
                           dWeight: weight.grad.pointer, dBias: bias.grad.pointer,
                           weightGradientTransposed: weightGradientTransposed.pointer)
        inputGradient.resize(to: inputShape)
        inputGradient.zero()
        return inputGradient
    }

    /// Turns one-hot (N, alphabet, L) columns into (N, L) indices, -1 for all-zero columns.
    public static func indices(fromOneHot x: Tensor) -> Tensor {
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
