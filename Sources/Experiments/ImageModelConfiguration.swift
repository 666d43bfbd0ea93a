import Models

/// The `model` section of an image run, resolved.
package struct ImageModelConfiguration: ModelSettings {
    package var network: ModelName
    package var classes: Int
    package var activation: ActivationPlan
    package var batchNormMomentum: Float

    package func build() -> Classifier {
        switch network {
        case .denseNet40:
            DenseNet(configuration: .denseNet40(classes: classes, activation: activation, batchNormMomentum: batchNormMomentum))
        case .denseNetBC:
            DenseNet(configuration: .denseNetBC(classes: classes, activation: activation, batchNormMomentum: batchNormMomentum))
        case .vgg16:
            VGG(configuration: .vgg16(classes: classes, activation: activation, batchNormMomentum: batchNormMomentum))
        case .resNet18:
            ResNet(configuration: .resNet18(classes: classes, activation: activation, batchNormMomentum: batchNormMomentum))
        case .charCNN, .charCNNLarge:
            preconditionFailure("ImageModelConfiguration: \(network.rawValue) is not an image network")
        }
    }
}
