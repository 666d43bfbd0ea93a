import Models
import NN
import Testing

/// Parameter counts from the fixtures' README (PyTorch `parameters()`), including the paper's
/// Table 6, and the usual counts of the CIFAR VGG-16 and ResNet-18.
@Suite struct ParameterCountTests {
    static let convReLUFirstBlock = ActivationPlan(.convReLU, placement: .firstBlock)

    @Test(arguments: [(10, 1_019_722), (100, 1_060_132)])
    func denseNet40(classes: Int, total: Int) {
        #expect(ParameterCounts(of: DenseNet(configuration: .denseNet40(classes: classes))).total == total)
        let counts = ParameterCounts(of: DenseNet(configuration: .denseNet40(classes: classes, activation: Self.convReLUFirstBlock)))
        #expect(counts.total == total + 8_856)
    }

    @Test(arguments: [(10, 1_000_618), (100, 1_035_268)])
    func denseNetBC(classes: Int, total: Int) {
        #expect(ParameterCounts(of: DenseNet(configuration: .denseNetBC(classes: classes))).total == total)
        let counts = ParameterCounts(of: DenseNet(configuration: .denseNetBC(classes: classes, activation: Self.convReLUFirstBlock)))
        #expect(counts.total == total + 2_916)
    }

    /// Table 6 of the paper (100 classes).
    @Test(arguments: [
        (ActivationPlan.relu, 1_035_268),
        (ActivationPlan(.prelu, placement: .firstBlock), 1_035_280),
        (ActivationPlan(.prelu, placement: .everywhere), 1_035_387),
        (ActivationPlan(.convReLU, placement: .firstBlock), 1_038_184),
    ])
    func denseNetBCTable6(activation: ActivationPlan, total: Int) {
        #expect(ParameterCounts(of: DenseNet(configuration: .denseNetBC(classes: 100, activation: activation))).total == total)
    }

    @Test func vgg16AndResNet18() {
        #expect(ParameterCounts(of: VGG(configuration: .vgg16(classes: 10))).total == 14_728_266)
        #expect(ParameterCounts(of: ResNet(configuration: .resNet18(classes: 10))).total == 11_173_962)
    }

    @Test func perLayerCountsNameTheLayers() {
        let counts = ParameterCounts(of: DenseNet(configuration: .denseNet40(classes: 10, activation: Self.convReLUFirstBlock)))
        let layers = counts.layers.map { "\($0.layer) \($0.count)" }
        #expect(layers.first == "conv0 \(16 * 3 * 9)")
        #expect(layers.contains("block1.layer0.conv \(12 * 16 * 9 + 16 * 9)"))
        #expect(layers.contains("block2.layer0.conv \(12 * 160 * 9)"))
        #expect(layers.last == "fc \(448 * 10 + 10)")
        #expect(counts.layers.first { $0.layer == "block1.layer0.conv" }?.tensors == ["weight [12, 16, 3, 3]", "theta [16, 3, 3]"])
        #expect(counts.layers.reduce(0) { $0 + $1.count } == counts.total)
        #expect(counts.count(under: "trans1.") == 2 * 160 + 160 * 160)
        #expect(Set(counts.layers.map(\.layer)).count == counts.layers.count, "each layer appears once")
    }
}
