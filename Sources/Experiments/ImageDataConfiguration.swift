import Foundation
import ImageData
import Models
import Tensor
import Training

/// The `data` section of an image run.
package struct ImageDataConfiguration {
    package var dataset: ImageDataset
    /// A folder of .bin / .bin.gz files, or the official .tar.gz.
    package var path: String
    /// CIFAR-100: train on the 100 fine labels (default) or the 20 coarse ones.
    package var fineLabels: Bool
    package var augment: Bool
    var validationFraction: Double
    var splitSeed: UInt64
    var trainLimit: Int?
    /// Evaluate on at most this many test images (smoke tests); nil for all.
    var testLimit: Int?

    package var variant: CIFARVariant { dataset.variant(fineLabels: fineLabels) }
    package var classes: Int { variant.classCount }

    package init(_ data: ConfigObject) throws {
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
    package func prepare(log: (String) -> Void = { _ in }) throws -> (train: CIFARSource, validation: CIFARSource?, test: CIFARSource) {
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
