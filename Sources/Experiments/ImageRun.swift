import Foundation
import ImageData
import Models
import Tensor
import Training

public enum ImageDataset: String, CaseIterable, Sendable {
    case cifar10, cifar100
}

/// The `data` section of an image run.
public struct ImageDataConfiguration {
    public var dataset: ImageDataset
    /// A folder of .bin / .bin.gz files, or the official .tar.gz.
    public var path: String
    /// CIFAR-100: train on the 100 fine labels (default) or the 20 coarse ones.
    public var fineLabels: Bool
    public var augment: Bool
    public var validationFraction: Double
    public var splitSeed: UInt64
    public var trainLimit: Int?
    /// Evaluate on at most this many test images (smoke tests); nil for all.
    public var testLimit: Int?

    public var variant: CIFARVariant { dataset == .cifar10 ? .cifar10 : .cifar100(fine: fineLabels) }
    public var classes: Int { variant.classCount }

    public init(_ data: ConfigObject) throws {
        dataset = try data.choice("dataset")
        path = try data.string("path")
        let labels = try data.string("labels", default: "fine")
        guard ["fine", "coarse"].contains(labels) else {
            throw ConfigError(file: data.file, key: "data.labels", message: "'\(labels)' is not 'fine' or 'coarse'")
        }
        if dataset == .cifar10 && data.has("labels") {
            throw ConfigError(file: data.file, key: "data.labels", message: "CIFAR-10 has one label set")
        }
        fineLabels = labels == "fine"
        augment = try data.bool("augment", default: true)
        validationFraction = try data.double("validation_fraction", default: 0, range: 0...0.5)
        splitSeed = UInt64(try data.int("split_seed", default: 0, range: 0...Int(Int32.max)))
        trainLimit = data.has("train_limit") ? try data.int("train_limit", range: 1...Int.max) : nil
        testLimit = data.has("test_limit") ? try data.int("test_limit", range: 1...Int.max) : nil
        data.skip("train_limit")
        data.skip("test_limit")
    }

    /// Loads the train and test sets and splits a validation set off the training images.
    public func prepare(log: (String) -> Void = { _ in }) throws -> (train: CIFARSource, validation: CIFARSource?, test: CIFARSource) {
        let train = try CIFARDataset.load(source: path, variant: variant, split: .train)
        let test = try CIFARDataset.load(source: path, variant: variant, split: .test)
        log("\(dataset.rawValue): \(train.count) training and \(test.count) test images from \(path)")
        let normalization = Normalization.standard(for: variant)
        let training = BatchAssembler(normalization: normalization, augmentation: augment ? .standard : .none)
        let evaluation = BatchAssembler(normalization: normalization, augmentation: .none)
        var indices = Array(0..<train.count)
        var rng = RNG(seed: splitSeed, stream: "validation")
        rng.shuffle(&indices)
        let validationCount = Int((Double(train.count) * validationFraction).rounded())
        var trainIndices = Array(indices.dropFirst(validationCount)).sorted()
        if let trainLimit { trainIndices = Array(trainIndices.prefix(trainLimit)) }
        let validation = Array(indices.prefix(validationCount)).sorted()
        return (CIFARSource(train, samples: trainIndices, training: training, evaluation: evaluation),
                validation.isEmpty ? nil : CIFARSource(train, samples: validation, training: evaluation, evaluation: evaluation),
                CIFARSource(test, samples: Array(0..<min(test.count, testLimit ?? test.count)), training: evaluation, evaluation: evaluation))
    }
}

/// CIFAR images as (N, 3, 32, 32) normalised input; augmented when a batch has an augmentation seed.
public final class CIFARSource: BatchSource {
    public let dataset: CIFARDataset
    public let samples: [Int]
    let training: BatchAssembler
    let evaluation: BatchAssembler

    init(_ dataset: CIFARDataset, samples: [Int], training: BatchAssembler, evaluation: BatchAssembler) {
        self.dataset = dataset
        self.samples = samples
        self.training = training
        self.evaluation = evaluation
    }

    public var sampleCount: Int { samples.count }
    public var classes: Int { dataset.classCount }

    public func fill(_ batch: Batch, indices: ArraySlice<Int>, augmentationSeed: UInt64?) {
        var rng = RNG(seed: augmentationSeed ?? 0, stream: "augmentation")
        (augmentationSeed == nil ? evaluation : training)
            .assemble(indices.map { samples[$0] }, from: dataset, into: batch.input, labels: &batch.labels, rng: &rng)
    }
}

/// The image networks a config can name.
public enum ImageNetworkName: String, CaseIterable, Sendable {
    case denseNet40 = "densenet40", denseNetBC = "densenet_bc", vgg16, resNet18 = "resnet18"
}

/// The `model` section of an image run.
public struct ImageModelConfiguration {
    public var network: ImageNetworkName
    public var activation: ImageActivation
    public var batchNormMomentum: Float

    init(_ model: ConfigObject) throws {
        network = try model.choice("name")
        let kind: ImageActivation.Kind = try model.choice("activation", default: .relu)
        let placement: ImageActivation.Placement = try model.choice("placement", default: .firstBlock)
        let sharing = try model.choice("prelu_sharing", default: ParameterSharingChoice.layer)
        activation = ImageActivation(kind, placement: placement, leakySlope: Float(try model.double("leaky_slope", default: 0.01, range: -10...10)),
                                     slopeSharing: sharing == .layer ? .layer : .channel)
        batchNormMomentum = Float(try model.double("batch_norm_momentum", default: 0.1, range: 0...1))
    }

    enum ParameterSharingChoice: String, CaseIterable { case layer, channel }

    public func build(classes: Int) -> Classifier {
        switch network {
        case .denseNet40:
            DenseNet(configuration: .denseNet40(classes: classes, activation: activation, batchNormMomentum: batchNormMomentum))
        case .denseNetBC:
            DenseNet(configuration: .denseNetBC(classes: classes, activation: activation, batchNormMomentum: batchNormMomentum))
        case .vgg16:
            VGG(configuration: .vgg16(classes: classes, activation: activation, batchNormMomentum: batchNormMomentum))
        case .resNet18:
            ResNet(configuration: .resNet18(classes: classes, activation: activation, batchNormMomentum: batchNormMomentum))
        }
    }
}
