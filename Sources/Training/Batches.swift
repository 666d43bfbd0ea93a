import Tensor

/// A labelled batch: the model input (N, ...) and one class index per sample.
public final class Batch {
    public let input = Tensor()
    public var labels: [Int32] = []
    public init() {}
    public var count: Int { labels.count }
}

/// A data set the trainer can iterate: it fills reused batches with the samples it is given.
public protocol BatchSource: AnyObject {
    var sampleCount: Int { get }
    var classes: Int { get }
    /// Fills `batch` with the samples at `indices`. `augmentationSeed` is nil in evaluation;
    /// in training it seeds whatever random augmentation the source does for this batch.
    func fill(_ batch: Batch, indices: ArraySlice<Int>, augmentationSeed: UInt64?)
}

/// The order in which an epoch visits the samples: a permutation drawn from
/// RNG(seed, "order/<epoch>"), so any epoch can be replayed, e.g. after a resume.
public func epochOrder(sampleCount: Int, seed: UInt64, epoch: Int) -> [Int] {
    var rng = RNG(seed: seed, stream: "order/\(epoch)")
    return rng.permutation(sampleCount)
}

/// Splits `order` into batches of `size` (the last one may be smaller).
public func batchRanges(count: Int, size: Int) -> [Range<Int>] {
    stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
}
