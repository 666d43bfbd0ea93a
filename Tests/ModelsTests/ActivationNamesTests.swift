import Models
import NN
import Testing

/// Every activation of a network reaches a monitor, under a name a reader can place.
@Suite struct ActivationNamesTests {
    @Test func charCNNReportsItsSitesWhetherFusedOrStandalone() {
        for activation in [Activation.relu, .convReLU, .prelu] {
            var c = CharCNNConfiguration.small(length: 256, classes: 2)
            c.features = 8
            c.hiddenUnits = 8
            c.activation = ActivationPlan(activation, placement: .everywhere)
            #expect(CharCNN(c).activations.map(\.name) == (1...8).map { "site\($0)" }, "\(activation)")
        }
    }

    @Test func denseNetNamesEachLayersActivationAndTheHead() {
        let net = DenseNet(configuration: .denseNet40(classes: 10, activation: ActivationPlan(.convReLU, placement: .firstBlock)))
        let names = net.activations.map(\.name)
        #expect(names.count == 36 + 2 + 1)
        #expect(names.first == "block1.layer0.act" && names.contains("block3.layer11.act"))
        #expect(names.contains("trans1.conv") && names.last == "relu_final")
    }
}
