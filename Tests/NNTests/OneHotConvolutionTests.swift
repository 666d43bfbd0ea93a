import Kernels
import NN
import Tensor
import TestSupport
import Testing

/// The gather formulation of conv1 must give what a dense convolution gives on the one-hot
/// tensor (the dense convolution is itself gradient-checked and fixture-tested).
@Suite struct OneHotConvolutionTests {
    /// Batch 1 takes the path that splits one sample's positions across the cores; 37 features
    /// over 45 positions fill whole vector blocks and leave some over.
    @Test(arguments: [(3, 4, 15), (1, 4, 15), (3, 37, 45), (1, 37, 45)])
    func equalsDenseConvolutionOnOneHotInput(shape: (batch: Int, features: Int, length: Int)) {
        let (n, features, length) = shape
        let (alphabet, kernel) = (6, 3)
        var rng = RNG(seed: 21)
        let indices = Tensor(shape: [n, length])
        let oneHot = Tensor(shape: [n, alphabet, length])
        for s in 0..<n {
            for p in 0..<length {
                let c = rng.int(below: alphabet + 1) - 1  // -1: a character outside the alphabet
                indices[s * length + p] = Float(c)
                if c >= 0 { oneHot[(s * alphabet + c) * length + p] = 1 }
            }
        }
        #expect(OneHotConvolution.indices(fromOneHot: oneHot).array == indices.array)

        let gather = OneHotConvolution(alphabetSize: alphabet, outChannels: features, kernelSize: kernel)
        let dense = Convolution(.one, inChannels: alphabet, outChannels: features, kernelSize: kernel)
        for p in [gather.weight, gather.bias] {
            for i in 0..<p.count { p.value[i] = Float(rng.normal()) }
        }
        dense.weight.value.copy(from: gather.weight.value)
        dense.bias!.value.copy(from: gather.bias.value)

        let y = gather.forward(indices, .inference).array
        let reference = dense.forward(oneHot, .inference).array
        let tight = Tolerance(absolute: 1e-5, relative: 1e-5)
        #expect(mismatch(y, reference, tight, "y") == nil)

        let dy = Tensor(shape: [n, features, length - kernel + 1])
        for i in 0..<dy.count { dy[i] = Float(rng.normal()) }
        _ = gather.backward(dy)
        _ = dense.backward(dy)
        #expect(mismatch(gather.weight.grad.array, dense.weight.grad.array, tight, "dw") == nil)
        #expect(mismatch(gather.bias.grad.array, dense.bias!.grad.array, tight, "db") == nil)
    }
}

/// conv1 with the max pool fused in must give what the plain gather followed by `MaxPool` gives:
/// the same output, and the same weight and bias gradients, at batch 1 (outputs split across
/// the cores) and above; 37 features over 60 positions (19 windows) fill a vector block and
/// leave channels and windows over. A window whose positions hold no character ties at the
/// bias, which tests the tie rule (the first position wins).
@Suite struct PooledOneHotConvolutionTests {
    @Test(arguments: [1, 3])
    func equalsGatherThenMaxPool(batch n: Int) {
        let (alphabet, length, features, kernel) = (6, 60, 37, 3)
        var rng = RNG(seed: 5, stream: "pooled")
        let indices = Tensor(shape: [n, length])
        for i in 0..<indices.count { indices[i] = Float(rng.int(below: alphabet + 1) - 1) }
        for p in 20..<30 { indices[p] = -1 }  // positions without a character: tied windows
        let pooled = OneHotConvolution(alphabetSize: alphabet, outChannels: features, kernelSize: kernel, poolSize: 3)
        let plain = OneHotConvolution(alphabetSize: alphabet, outChannels: features, kernelSize: kernel)
        let pool = MaxPool(.one, kernelSize: 3)
        for p in [pooled.weight, pooled.bias] {
            for i in 0..<p.count { p.value[i] = Float(rng.normal()) }
        }
        plain.weight.value.copy(from: pooled.weight.value)
        plain.bias.value.copy(from: pooled.bias.value)

        let context = RunContext(training: true, seed: 1, step: 0)
        let y = pooled.forward(indices, context)
        let reference = pool.forward(plain.forward(indices, context), context)
        #expect(y.shape == reference.shape)
        #expect(y.array == reference.array)
        #expect(pooled.forward(indices, .inference).array == reference.array)

        _ = pooled.forward(indices, context)
        let dy = Tensor(shape: y.shape)
        for i in 0..<dy.count { dy[i] = Float(rng.normal()) }
        _ = pooled.backward(dy)
        _ = plain.backward(pool.backward(dy))
        let tight = Tolerance(absolute: 1e-5, relative: 1e-5)
        #expect(mismatch(pooled.weight.grad.array, plain.weight.grad.array, tight, "dw") == nil)
        #expect(mismatch(pooled.bias.grad.array, plain.bias.grad.array, tight, "db") == nil)
    }
}
