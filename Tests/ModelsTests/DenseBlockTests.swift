import Kernels
import Models
import NN
import Tensor
import TestSupport
import Testing

/// The shared-buffer dense block against the textbook one: each layer built from NN layers on
/// its own, its output concatenated to a fresh copy of the features, and backward splitting
/// each concatenation's gradient again. Covers the bottleneck layout, PReLU and ConvReLU.
@Suite struct DenseBlockTests {
    @Test(arguments: [(false, Activation.relu), (false, .prelu), (false, .convReLU),
                      (true, .relu), (true, .prelu), (true, .convReLU)])
    func sharedBufferMatchesExplicitConcatenation(bottleneck: Bool, kind: Activation) {
        let (batch, inChannels, growth, layerCount, size) = (2, 5, 3, 3, 6)
        let activation = ActivationPlan(kind, sharing: .channel)
        let block = DenseBlock(inChannels: inChannels, layerCount: layerCount, growthRate: growth, bottleneck: bottleneck,
                               activation: activation, site: .block(0, of: 1), batchNormMomentum: 0.1)
        var rng = RNG(seed: 5, stream: "dense-block")
        for named in block.parameters {
            for i in 0..<named.parameter.count { named.parameter.value[i] = Float(rng.normal() * 0.5) }
        }
        let references = (0..<layerCount).map { i in
            explicitLayer(inChannels: inChannels + i * growth, growth: growth, bottleneck: bottleneck, activation: activation)
        }
        let blockParameters = Dictionary(uniqueKeysWithValues: block.parameters.map { ($0.name, $0.parameter) })
        for (i, reference) in references.enumerated() {
            for named in reference.parameters { named.parameter.value.copy(from: blockParameters["layer\(i).\(named.name)"]!.value) }
        }

        let x = Tensor(shape: [batch, inChannels, size, size])
        for i in 0..<x.count { x[i] = Float(rng.normal()) }
        let outChannels = inChannels + layerCount * growth
        let dy = Tensor(shape: [batch, outChannels, size, size])
        for i in 0..<dy.count { dy[i] = Float(rng.normal()) }
        let context = RunContext(training: true)

        let y = block.forward(x, context).clone()
        let dx = block.backward(dy).clone()

        var features = x.clone()
        for reference in references { features = concatenate(features, reference.forward(features, context)) }
        var gradient = dy.clone()
        for reference in references.reversed() {
            let prefix = gradient.dim(1) - growth
            let (head, tail) = split(gradient, at: prefix)
            let through = reference.backward(tail)
            addElementwise(head.pointer, through.pointer, count: head.count, into: head.pointer)
            gradient = head
        }

        let tolerance = Tolerance(absolute: 1e-5, relative: 1e-4)
        #expect(mismatch(y.array, features.array, tolerance, "y") == nil)
        #expect(mismatch(dx.array, gradient.array, tolerance, "dx") == nil)
        for (i, reference) in references.enumerated() {
            for named in reference.parameters {
                let name = "layer\(i).\(named.name)"
                #expect(mismatch(blockParameters[name]!.grad.array, named.parameter.grad.array, tolerance, name) == nil)
            }
            for buffer in reference.buffers {
                let name = "layer\(i).\(buffer.name)"
                let ours = block.buffers.first { $0.name == name }!.tensor
                #expect(mismatch(ours.array, buffer.tensor.array, tolerance, name) == nil)
            }
        }
    }

    /// One dense layer as a plain Sequential, with the block's parameter names.
    private func explicitLayer(inChannels: Int, growth: Int, bottleneck: Bool, activation: ActivationPlan) -> Sequential {
        let site = ActivationSite.block(0, of: 1)
        let fused = activation.fusedInput(at: site)
        let layer = Sequential()
        func act(_ channels: Int, _ name: String) {
            guard fused == nil else { return }
            let a = activation.elementwiseLayer(at: site, channels: channels)
            layer.append(a, name: a.parameters.isEmpty ? nil : name)
        }
        layer.append(BatchNorm(channels: inChannels), name: bottleneck ? "bn1" : "bn")
        var channels = inChannels
        if bottleneck {
            act(inChannels, "act1")
            layer.append(Convolution(.two, inChannels: inChannels, outChannels: 4 * growth, kernelSize: 1, bias: false,
                                     input: fused ?? .identity), name: "conv1")
            layer.append(BatchNorm(channels: 4 * growth), name: "bn2")
            act(4 * growth, "act2")
            channels = 4 * growth
        } else {
            act(inChannels, "act")
        }
        layer.append(Convolution(.two, inChannels: channels, outChannels: growth, kernelSize: 3, padding: 1, bias: false,
                                 input: fused ?? .identity), name: bottleneck ? "conv2" : "conv")
        return layer
    }

    /// Channel concatenation of two NCHW tensors.
    private func concatenate(_ a: Tensor, _ b: Tensor) -> Tensor {
        let (n, plane) = (a.dim(0), a.dim(2) * a.dim(3))
        let (ca, cb) = (a.dim(1), b.dim(1))
        let out = Tensor(shape: [n, ca + cb, a.dim(2), a.dim(3)])
        for s in 0..<n {
            (out.pointer + s * (ca + cb) * plane).update(from: a.pointer + s * ca * plane, count: ca * plane)
            (out.pointer + (s * (ca + cb) + ca) * plane).update(from: b.pointer + s * cb * plane, count: cb * plane)
        }
        return out
    }

    /// The first `channels` channels and the rest, as separate tensors.
    private func split(_ t: Tensor, at channels: Int) -> (Tensor, Tensor) {
        let (n, c, plane) = (t.dim(0), t.dim(1), t.dim(2) * t.dim(3))
        let head = Tensor(shape: [n, channels, t.dim(2), t.dim(3)]), tail = Tensor(shape: [n, c - channels, t.dim(2), t.dim(3)])
        for s in 0..<n {
            head.pointer.advanced(by: s * channels * plane).update(from: t.pointer + s * c * plane, count: channels * plane)
            tail.pointer.advanced(by: s * (c - channels) * plane)
                .update(from: t.pointer + (s * c + channels) * plane, count: (c - channels) * plane)
        }
        return (head, tail)
    }
}
