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
        func kinds(_ placement: Placement) -> [Activation] {
            sites.map { ActivationPlan(.prelu, placement: placement).activation(at: $0) }
        }
        #expect(kinds(.paper) == kinds(.firstBlock))
        #expect(kinds(.firstBlock) == [.prelu, .relu, .relu, .relu])
        #expect(kinds(.lastBlock) == [.relu, .relu, .prelu, .relu])
        #expect(kinds(.everyBlock) == [.prelu, .prelu, .prelu, .relu])
        #expect(kinds(.everywhere) == [.prelu, .prelu, .prelu, .prelu])
    }

    @Test func convReLUReplacesTheActivationBeforeEachConvolution() {
        let vgg = Set(VGG(configuration: .vgg16(classes: 10, activation: ActivationPlan(.convReLU, placement: .firstBlock)))
            .parameters.map(\.name))
        #expect(vgg.contains("conv1_2.theta") && !vgg.contains("conv1_1.theta") && !vgg.contains("conv2_1.theta"))
        let lastStage = Set(VGG(configuration: .vgg16(classes: 10, activation: ActivationPlan(.prelu, placement: .lastBlock)))
            .parameters.map(\.name))
        #expect(lastStage.filter { $0.hasPrefix("act") } == Set(["act5_1.weight", "act5_2.weight", "act5_3.weight"]))

        let resNet = Set(ResNet(configuration: .resNet18(classes: 10, activation: ActivationPlan(.convReLU, placement: .everyBlock)))
            .parameters.map(\.name))
        #expect(resNet.filter { $0.hasSuffix(".theta") }.count == 8)
        #expect(resNet.contains("layer4.1.conv2.theta") && !resNet.contains("layer4.1.conv1.theta"))
        #expect(resNet.contains("layer2.0.shortcut.conv.weight") && !resNet.contains("layer1.0.shortcut.conv.weight"))

        let bc = Set(DenseNet(configuration: .denseNetBC(classes: 10, activation: ActivationPlan(.convReLU, placement: .everywhere)))
            .parameters.map(\.name))
        #expect(bc.contains("block4.layer15.conv1.theta") && bc.contains("block4.layer15.conv2.theta"))
        #expect(bc.contains("trans3.conv.theta") && !bc.contains("conv0.theta"))
    }

    /// A small input and batch keep the debug build quick; VGG needs 32×32 for its five pools.
    @Test(arguments: ["vgg16", "resnet18", "densenetBC"])
    func backwardMatchesFiniteDifferenceAlongTheGradient(network name: String) {
        let activation = ActivationPlan(.convReLU, placement: .firstBlock)
        let (network, size): (Layer, Int) = switch name {
        case "vgg16": (VGG(configuration: .vgg16(classes: 10, activation: activation)), 32)
        case "resnet18": (ResNet(configuration: .resNet18(classes: 10, activation: activation)), 16)
        default: (DenseNet(configuration: .denseNetBC(classes: 10, activation: activation)), 16)
        }
        var rng = RNG(seed: 9, stream: name)
        checkAlongTheGradient(network, targets: [3, 7], classes: 10, rng: &rng, name: name) { rng in
            let x = Tensor(shape: [2, 3, size, size])
            for i in 0..<x.count { x[i] = Float(rng.normal()) }
            return x
        }
    }
}
