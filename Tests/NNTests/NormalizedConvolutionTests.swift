import Kernels
import NN
import Tensor
import TestSupport
import Testing

/// `NormalizedConvolution` over channel slices of wide buffers against its textbook form:
/// `BatchNorm`, the activation, and `Convolution` on a contiguous copy of the slice. Its output
/// must land in its slice alone, its input gradient must be added to what the gradient buffer
/// held, and its parameter gradients and running statistics must match, on every path: the batch
/// norm inside the direct kernels, written out, a standalone activation, and a convolution too
/// wide for the direct kernels.
@Suite struct NormalizedConvolutionTests {
    enum Path: CaseIterable { case fusedNorm, normWrittenOut, standaloneActivation, wideConvolution }

    @Test(arguments: Path.allCases, [Convolution.InputActivation.identity, .relu, .thresholds])
    func matchesLayersOnContiguousCopy(path: Path, input: Convolution.InputActivation) {
        let (batch, inChannels, size) = (3, 4, 6)
        let outChannels = path == .wideConvolution ? 64 : 5
        let wideChannels = inChannels + outChannels + 2
        let activation: NormalizedConvolution.Activation = path == .standaloneActivation
            ? .standalone(PReLU(sharing: .channel, channels: inChannels)) : .fused(input)
        let layer = NormalizedConvolution(inChannels: inChannels, outChannels: outChannels, kernelSize: 3, padding: 1,
                                          activation: activation, fusesBatchNorm: path != .normWrittenOut,
                                          batchNormMomentum: 0.1, names: ("bn", "act", "conv"))
        let reference = Sequential()
        reference.append(BatchNorm(channels: inChannels), name: "bn")
        if case .standalone = activation { reference.append(PReLU(sharing: .channel, channels: inChannels), name: "act") }
        reference.append(Convolution(.two, inChannels: inChannels, outChannels: outChannels, kernelSize: 3, padding: 1,
                                     bias: false, input: path == .standaloneActivation ? .identity : input), name: "conv")

        var rng = RNG(seed: 11, stream: "normalized-convolution")
        func random(_ shape: [Int], _ scale: Double = 1) -> Tensor {
            let t = Tensor(shape: shape)
            for i in 0..<t.count { t[i] = Float(rng.normal() * scale) }
            return t
        }
        let referenceParameters = Dictionary(uniqueKeysWithValues: reference.parameters.map { ($0.name, $0.parameter) })
        #expect(Set(layer.parameters.map(\.name)) == Set(referenceParameters.keys))
        for named in layer.parameters {
            for i in 0..<named.parameter.count { named.parameter.value[i] = Float(rng.normal() * 0.5) }
            referenceParameters[named.name]!.value.copy(from: named.parameter.value)
        }

        let shape = [batch, wideChannels, size, size], plane = size * size
        let inputs = 0..<inChannels, outputs = (inChannels + 1)..<(inChannels + 1 + outChannels)
        let features = random(shape, 2), featureGradient = random(shape)
        let (featuresBefore, gradientBefore) = (features.clone(), featureGradient.clone())
        func copy(_ t: Tensor, _ channels: Range<Int>) -> Tensor {
            let out = Tensor(shape: [batch, channels.count, size, size])
            for n in 0..<batch {
                (out.pointer + n * channels.count * plane)
                    .update(from: t.pointer + (n * wideChannels + channels.lowerBound) * plane, count: channels.count * plane)
            }
            return out
        }
        let context = RunContext(training: true)
        let workspace = ConvolutionWorkspace()
        layer.forward(ChannelSlice(features, channels: inputs), into: ChannelSlice(features, channels: outputs), context,
                      workspace: workspace)
        layer.backward(ChannelSlice(featureGradient, channels: outputs),
                       addingInputGradientTo: ChannelSlice(featureGradient, channels: inputs), workspace: workspace)

        let y = reference.forward(copy(featuresBefore, inputs), context)
        let dx = reference.backward(copy(featureGradient, outputs))
        let tolerance = Tolerance(absolute: 1e-5, relative: 1e-4)
        #expect(mismatch(copy(features, outputs).array, y.array, tolerance, "y") == nil)
        let addedGradient = copy(gradientBefore, inputs)
        addElementwise(addedGradient.pointer, dx.pointer, count: dx.count, into: addedGradient.pointer)
        #expect(mismatch(copy(featureGradient, inputs).array, addedGradient.array, tolerance, "dx") == nil)
        for untouched in [inputs, inputs.upperBound..<outputs.lowerBound, outputs.upperBound..<wideChannels] {
            #expect(copy(features, untouched).array == copy(featuresBefore, untouched).array, "x outside the slices")
        }
        #expect(copy(featureGradient, outputs).array == copy(gradientBefore, outputs).array, "dy")
        for named in layer.parameters {
            #expect(mismatch(named.parameter.grad.array, referenceParameters[named.name]!.grad.array, tolerance, named.name) == nil)
        }
        let referenceBuffers = Dictionary(uniqueKeysWithValues: reference.buffers.map { ($0.name, $0.tensor) })
        for buffer in layer.buffers {
            #expect(mismatch(buffer.tensor.array, referenceBuffers[buffer.name]!.array, tolerance, buffer.name) == nil)
        }
    }
}
