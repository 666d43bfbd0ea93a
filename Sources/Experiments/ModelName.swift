import Models

/// A model's settings as a config resolves them: everything needed to build the network.
package protocol ModelSettings: Sendable {
    func build() -> Classifier
}

extension CharCNNConfiguration: ModelSettings {
    package func build() -> Classifier { CharCNN(self) }
}

/// The models a run can name: `model.name` in a config, `params --model`, `bench --workloads`.
/// Adding a model is its network file in Models and one case here, with its task, config reader
/// and builder.
package enum ModelName: String, CaseIterable, Sendable {
    /// Zhang et al.'s small char-CNN (256 features, 1024 hidden units unless the config says otherwise).
    case charCNN = "charcnn"
    /// Zhang et al.'s large char-CNN (1024 features, 2048 hidden units).
    case charCNNLarge = "charcnn_large"
    /// DenseNet-40 (growth 12, three blocks of 12 layers), the paper's image network.
    case denseNet40 = "densenet40"
    /// DenseNet-BC-100 (growth 12, bottlenecks, compression 0.5): the paper's Table 6.
    case denseNetBC = "densenet_bc"
    case vgg16
    case resNet18 = "resnet18"

    package var task: RunConfiguration.Task {
        switch self {
        case .charCNN, .charCNNLarge: .text
        case .denseNet40, .denseNetBC, .vgg16, .resNet18: .image
        }
    }

    /// The names of one task's models, for messages and help.
    static func names(of task: RunConfiguration.Task) -> String {
        allCases.filter { $0.task == task }.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    /// The paper's text input: 1014 characters of the 70-character alphabet (with newline).
    static let paperTextLength = 1014, paperAlphabetSize = 70

    /// The model at the paper's input size with `activation`, for `params` and `bench`:
    /// `classes` defaults to AG's 4 for text, CIFAR-10's 10 for images.
    package func paperSettings(classes: Int? = nil, activation: ActivationPlan) -> any ModelSettings {
        switch self {
        case .charCNN, .charCNNLarge:
            let classes = classes ?? 4
            var c = self == .charCNN
                ? CharCNNConfiguration.small(alphabetSize: ModelName.paperAlphabetSize, length: ModelName.paperTextLength, classes: classes)
                : CharCNNConfiguration.large(alphabetSize: ModelName.paperAlphabetSize, length: ModelName.paperTextLength, classes: classes)
            c.activation = activation
            return c
        case .denseNet40, .denseNetBC, .vgg16, .resNet18:
            return ImageModelConfiguration(network: self, classes: classes ?? 10, activation: activation, batchNormMomentum: 0.1)
        }
    }

    /// Reads this model's `model` section for the data it will see.
    func readSettings(_ model: ConfigObject, workload: Workload) throws -> any ModelSettings {
        switch (self, workload) {
        case (.charCNN, .text(let data)), (.charCNNLarge, .text(let data)):
            var c = self == .charCNN
                ? CharCNNConfiguration.small(alphabetSize: data.alphabetSize, length: data.length, classes: data.classes)
                : CharCNNConfiguration.large(alphabetSize: data.alphabetSize, length: data.length, classes: data.classes)
            c.features = try model.int("features", default: c.features, range: 1...8192)
            c.hiddenUnits = try model.int("hidden_units", default: c.hiddenUnits, range: 1...65_536)
            c.dropout = try model.double("dropout", default: c.dropout, range: 0...0.99)
            c.batchNorm = try model.bool("batch_norm", default: false)
            c.head = try model.choice("head", default: CharCNNHead.dense)
            c.activation = try ActivationPlan(reading: model, layered: true)
            if let problem = c.problems.first {
                let key = switch problem.field {
                case .alphabetSize: "data.alphabet"
                case .length: "data.length"
                case .classes: "data.dataset"
                case .features: "model.features"
                case .hiddenUnits: "model.hidden_units"
                case .dropout: "model.dropout"
                case .placement: "model.placement"
                }
                throw ConfigError(file: model.file, key: key, message: problem.message)
            }
            return c
        case (.denseNet40, .image(let data)), (.denseNetBC, .image(let data)), (.vgg16, .image(let data)), (.resNet18, .image(let data)):
            return ImageModelConfiguration(
                network: self, classes: data.classes, activation: try ActivationPlan(reading: model, layered: false),
                batchNormMomentum: Float(try model.double("batch_norm_momentum", default: 0.1, range: 0...1)))
        default:
            throw model.error("name", "'\(rawValue)' is a\(task == .text ? " text" : "n image") model; "
                              + "\(workload.task.rawValue) runs take \(ModelName.names(of: workload.task))")
        }
    }
}
