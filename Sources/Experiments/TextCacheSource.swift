import Tensor
import TextData
import Training

/// Samples of a text cache as char-CNN input: (N, length) alphabet rows as Float, -1 for none.
/// With `augmentation`, training batches (those with an augmentation seed) get seeded word
/// dropout and character noise; evaluation batches never do.
package final class TextCacheSource: BatchSource {
    package let cache: TextCache
    package let samples: [Int]
    let augmentation: TextAugmentation?
    private var columns: [UInt8] = []

    init(_ cache: TextCache, samples: [Int], augmentation: TextAugmentation? = nil) {
        self.cache = cache
        self.samples = samples
        self.augmentation = augmentation
    }

    package var sampleCount: Int { samples.count }
    package var classes: Int { cache.classCount }
    package func label(at index: Int) -> Int { cache.label(samples[index]) }

    package func fill(_ batch: Batch, indices: ArraySlice<Int>, augmentationSeed: UInt64?) {
        let length = cache.length
        batch.input.resize(to: [indices.count, length])
        batch.labels = indices.map { Int32(cache.label(samples[$0])) }
        if columns.count < indices.count * length { columns = [UInt8](repeating: 0, count: indices.count * length) }
        columns.withUnsafeMutableBufferPointer { all in
            cache.gather(indices.map { samples[$0] }, into: all)
            guard let augmentation, let augmentationSeed else { return }
            augmentation.apply(to: all, rows: indices.count, length: length, seed: augmentationSeed)
        }
        encodeColumns(columns, count: indices.count * length, into: batch.input.pointer)
    }
}

/// Alphabet rows as model input: 255 (no character) becomes -1.
func encodeColumns(_ columns: [UInt8], count: Int, into output: UnsafeMutablePointer<Float>) {
    for i in 0..<count { output[i] = columns[i] == Quantizer.emptyColumn ? -1 : Float(columns[i]) }
}
