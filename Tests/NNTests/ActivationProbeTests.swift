import Kernels
import NN
import Tensor
import Testing

/// Dead units and input samples on hand-built inputs, where the answer is counted by hand.
@Suite struct ActivationProbeTests {
    /// (2 samples, 2 channels, 3 positions).
    static let x = Tensor(shape: [2, 2, 3], values: [
        // sample 0: channel 0, channel 1
        -1, 0, 2, /**/ 0.5, -3, 0.2,
        // sample 1
        -2, 0, -1, /**/ 0.6, -1, -0.4,
    ])

    @Test func reluUnitIsDeadWhenItsInputNeverExceedsZero() {
        let relu = AdaReLU.relu()
        let monitor = ActivationMonitor(Sequential([("act", relu)]).activations)
        monitor.watch { _ = relu.forward(Self.x, .inference) }
        // Channel 0: positions 0 and 1 never > 0; channel 1: position 1 never > 0. 3 of 6.
        #expect(monitor.deadFractions.map(\.fraction) == [0.5])
        #expect(monitor.deadFractions.map(\.name) == ["act"])
        #expect(relu.probe == nil, "the probe is attached only while the pass runs")
    }

    @Test func adaReLUUsesEachUnitsThreshold() {
        let layer = AdaReLU(sharing: .channel, channels: 2)
        layer.theta!.value[0] = -1.5  // channel 0: -1 > -1.5 at p0, 0 > -1.5 at p1, 2 at p2: all live
        layer.theta!.value[1] = 0.55  // channel 1: only p0 (0.6) exceeds it
        let monitor = ActivationMonitor([NamedActivation("a", layer)])
        monitor.watch { _ = layer.forward(Self.x, .inference) }
        #expect(monitor.deadFractions.map(\.fraction) == [2.0 / 6])

        let element = AdaReLU(sharing: .element, channels: 2, size: 3)
        for i in 0..<6 { element.theta!.value[i] = 10 }
        element.theta!.value[2] = 1.9  // only channel 0, position 2 (2 > 1.9) lives
        let perUnit = ActivationMonitor([NamedActivation("e", element)])
        perUnit.watch { _ = element.forward(Self.x, .inference) }
        #expect(perUnit.deadFractions.map(\.fraction) == [5.0 / 6])
    }

    /// ConvReLU: a unit passes nothing on when it is at or below every tap's θ of its channel.
    @Test func convReLUUnitIsDeadBelowTheSmallestThresholdOfItsChannel() {
        let conv = Convolution(.one, inChannels: 2, outChannels: 1, kernelSize: 3, padding: 1, input: .thresholds)
        let theta = conv.threshold!.value
        for (i, t) in [Float(3), 1.5, 4, /**/ 0.1, 0.7, 0.3].enumerated() { theta[i] = t }
        // Channel 0: smallest θ 1.5, only p2 (2) exceeds it; channel 1: smallest 0.1, p0 (0.5, 0.6) and p2 (0.2).
        let network = Sequential([("conv2", conv)])
        #expect(network.activations.map(\.name) == ["conv2"])
        let monitor = ActivationMonitor(network.activations)
        let plain = network.forward(Self.x, .inference).array
        let watched = monitor.watch { network.forward(Self.x, .inference).array }
        #expect(watched == plain, "watching changes nothing")
        #expect(monitor.deadFractions.map(\.fraction) == [3.0 / 6])
        #expect(Sequential([("conv", Convolution(.one, inChannels: 2, outChannels: 1, kernelSize: 3))]).activations.isEmpty)
    }

    @Test func slopesHaveNoDeadUnitsButTheirInputsAreSampled() throws {
        let prelu = PReLU(sharing: .layer, channels: 2)
        let monitor = ActivationMonitor([NamedActivation("p", prelu)])
        monitor.watch { _ = prelu.forward(Self.x, .inference) }
        #expect(monitor.deadFractions.isEmpty)
        #expect(monitor.probes[0].probe.deadFraction == nil)
        #expect(monitor.probes[0].probe.samples == Self.x.array)
    }

    /// A batch norm the convolution applies as it reads: the probe sees x · scale + shift.
    @Test func inputReadThroughAnAffineMap() {
        let probe = ActivationProbe()
        let scale: [Float] = [-1, 2], shift: [Float] = [0, -1]
        scale.withUnsafeBufferPointer { s in
            shift.withUnsafeBufferPointer { b in
                let affine = DirectConvolution.InputAffine(scale: s.baseAddress!, shift: b.baseAddress!)
                probe.observe(ChannelSlice(Self.x), affine: affine, floor: .constant(0))
            }
        }
        // Channel 0 negated: p0 (1, 2) and p2 (-2, 1) live, p1 (0) dead; channel 1 (2x - 1): only p0.
        #expect(probe.deadFraction == 3.0 / 6)
        #expect(probe.samples.prefix(3) == [1, -0, -2])
    }

    /// The sample keeps the values whose index is a multiple of a stride that doubles when full.
    @Test func sampleThinsEvenlyWhenFull() {
        let probe = ActivationProbe(sampleCapacity: 4)
        let x = Tensor(shape: [2, 1, 5], values: (0..<10).map(Float.init))
        probe.observe(ChannelSlice(x), floor: .none)
        #expect(probe.samples == [0, 4, 8])
        probe.reset()
        #expect(probe.samples.isEmpty && probe.unitCount == 0)
        probe.observe(ChannelSlice(Tensor(shape: [1, 1, 3], values: [5, 6, 7])), floor: .none)
        #expect(probe.samples == [5, 6, 7])
    }

    @Test func watchResetsBetweenPasses() {
        let relu = AdaReLU.relu()
        let monitor = ActivationMonitor([NamedActivation("r", relu)])
        monitor.watch { _ = relu.forward(Self.x, .inference) }
        let positive = Tensor(shape: [1, 2, 3], repeating: 1)
        monitor.watch { _ = relu.forward(positive, .inference) }
        #expect(monitor.deadFractions.map(\.fraction) == [0])
        #expect(monitor.probes[0].probe.samples.count == 6)
    }
}
