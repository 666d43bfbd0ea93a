import Foundation
import Kernels
import Models
import NN
import Tensor
import TestSupport
import Testing

/// End-to-end checks of the networks without a fixture: where the replacement strategies put
/// their parameters, configurations through JSON, and backward against a finite difference of
/// the loss along the gradient.
@Suite struct ImageNetworkTests {
    @Test func placementsSelectTheirBlocks() {
        let sites = (0..<3).map { ActivationSite.block($0, of: 3) } + [.betweenBlocks]
        func kinds(_ placement: ImageActivation.Placement) -> [ImageActivation.Kind] {
            sites.map { ImageActivation(.pReLU, placement: placement).kind(at: $0) }
        }
        #expect(kinds(.firstBlock) == [.pReLU, .relu, .relu, .relu])
        #expect(kinds(.lastBlock) == [.relu, .relu, .pReLU, .relu])
        #expect(kinds(.everyBlock) == [.pReLU, .pReLU, .pReLU, .relu])
        #expect(kinds(.everywhere) == [.pReLU, .pReLU, .pReLU, .pReLU])
    }

    @Test func convReLUReplacesTheActivationBeforeEachConvolution() {
        let vgg = Set(VGG(configuration: .vgg16(classes: 10, activation: ImageActivation(.convReLU, placement: .firstBlock)))
            .parameters.map(\.name))
        #expect(vgg.contains("conv1_2.theta") && !vgg.contains("conv1_1.theta") && !vgg.contains("conv2_1.theta"))
        let lastStage = Set(VGG(configuration: .vgg16(classes: 10, activation: ImageActivation(.pReLU, placement: .lastBlock)))
            .parameters.map(\.name))
        #expect(lastStage.filter { $0.hasPrefix("act") } == Set(["act5_1.weight", "act5_2.weight", "act5_3.weight"]))

        let resNet = Set(ResNet(configuration: .resNet18(classes: 10, activation: ImageActivation(.convReLU, placement: .everyBlock)))
            .parameters.map(\.name))
        #expect(resNet.filter { $0.hasSuffix(".theta") }.count == 8)
        #expect(resNet.contains("layer4.1.conv2.theta") && !resNet.contains("layer4.1.conv1.theta"))
        #expect(resNet.contains("layer2.0.shortcut.conv.weight") && !resNet.contains("layer1.0.shortcut.conv.weight"))

        let bc = Set(DenseNet(configuration: .denseNetBC(classes: 10, activation: ImageActivation(.convReLU, placement: .everywhere)))
            .parameters.map(\.name))
        #expect(bc.contains("block4.layer15.conv1.theta") && bc.contains("block4.layer15.conv2.theta"))
        #expect(bc.contains("trans3.conv.theta") && !bc.contains("conv0.theta"))
    }

    /// A small input and batch keep the debug build quick; VGG needs 32×32 for its five pools.
    @Test(arguments: ["vgg16", "resnet18", "densenetBC"])
    func backwardMatchesFiniteDifferenceAlongTheGradient(network name: String) {
        let activation = ImageActivation(.convReLU, placement: .firstBlock)
        let (network, size): (Layer, Int) = switch name {
        case "vgg16": (VGG(configuration: .vgg16(classes: 10, activation: activation)), 32)
        case "resnet18": (ResNet(configuration: .resNet18(classes: 10, activation: activation)), 16)
        default: (DenseNet(configuration: .denseNetBC(classes: 10, activation: activation)), 16)
        }
        var rng = RNG(seed: 9, stream: name)
        for named in network.parameters where named.parameter.group != .batchNorm {
            let p = named.parameter
            let std = named.name.hasSuffix(".theta") ? 0.1 : (2 / Double(p.count / max(p.value.dim(0), 1))).squareRoot()
            for i in 0..<p.count { p.value[i] = Float(rng.normal() * std) }
        }
        let x = Tensor(shape: [2, 3, size, size])
        for i in 0..<x.count { x[i] = Float(rng.normal()) }
        let targets: [Int32] = [3, 7]
        let runningState = network.buffers.map { $0.tensor.clone() }
        func loss(backward: Bool) -> Double {
            // Every evaluation starts from the same running statistics, so only the parameters differ.
            for (buffer, saved) in zip(network.buffers, runningState) { buffer.tensor.copy(from: saved) }
            let logits = network.forward(x, RunContext(training: true))
            let probabilities = Tensor(shape: logits.shape), dLogits = Tensor(shape: logits.shape)
            let value = softmaxCrossEntropy(logits: logits.pointer, targets: targets, batch: 2, classes: 10,
                                            probabilities: probabilities.pointer, dLogits: dLogits.pointer)
            if backward {
                let dx = network.backward(dLogits)
                #expect(dx.shape == x.shape)
            }
            return Double(value)
        }
        _ = loss(backward: true)
        let gradients = network.parameters.map { $0.parameter.grad.clone() }
        let squaredNorm = gradients.reduce(0.0) { sum, g in sum + g.array.reduce(0.0) { $0 + Double($1) * Double($1) } }
        #expect(squaredNorm > 0 && squaredNorm.isFinite)
        // Move every parameter by ±ε·g, sized for a loss change of about 1e-3: small enough to
        // stay near linear, large enough to stand out of the float32 noise of a loss near 2.
        // The prediction uses the steps actually taken, after rounding to float32.
        let epsilon = 1e-3 / squaredNorm
        let original = network.parameters.map { $0.parameter.value.clone() }
        func shifted(_ sign: Double) -> (loss: Double, values: [[Float]]) {
            for ((named, g), p0) in zip(zip(network.parameters, gradients), original) {
                for i in 0..<g.count { named.parameter.value[i] = p0[i] + Float(sign * epsilon * Double(g[i])) }
            }
            return (loss(backward: false), network.parameters.map { $0.parameter.value.array })
        }
        let plus = shifted(1), minus = shifted(-1)
        var predicted = 0.0
        for (g, (up, down)) in zip(gradients, zip(plus.values, minus.values)) {
            for i in 0..<g.count { predicted += Double(g[i]) * (Double(up[i]) - Double(down[i])) }
        }
        let measured = plus.loss - minus.loss
        #expect(abs(measured - predicted) <= 0.02 * abs(predicted), "\(name): loss moved \(measured), gradient predicts \(predicted)")
    }
}
