import ImageData
import Tensor
import Training

/// CIFAR images as (N, 3, 32, 32) normalised input; augmented when a batch has an augmentation seed.
package final class CIFARSource: BatchSource {
    package let dataset: CIFARDataset
    package let samples: [Int]
    let training: BatchAssembler
    let evaluation: BatchAssembler

    init(_ dataset: CIFARDataset, samples: [Int], training: BatchAssembler, evaluation: BatchAssembler) {
        self.dataset = dataset
        self.samples = samples
        self.training = training
        self.evaluation = evaluation
    }

    package var sampleCount: Int { samples.count }
    package var classes: Int { dataset.classCount }
    package func label(at index: Int) -> Int { Int(dataset.labels[samples[index]]) }

    package func fill(_ batch: Batch, indices: ArraySlice<Int>, augmentationSeed: UInt64?) {
        var rng = RNG(seed: augmentationSeed ?? 0, stream: "augmentation")
        (augmentationSeed == nil ? evaluation : training)
            .assemble(indices.map { samples[$0] }, from: dataset, into: batch.input, labels: &batch.labels, rng: &rng)
    }
}
