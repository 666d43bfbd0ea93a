import Foundation
import Tensor

/// A labelled batch: the model input (N, ...) and one class index per sample.
package final class Batch {
    package let input = Tensor()
    package var labels: [Int32] = []
    package init() {}
    package var count: Int { labels.count }
}

/// A data set the trainer can iterate: it fills reused batches with the samples it is given.
package protocol BatchSource: AnyObject {
    var sampleCount: Int { get }
    var classes: Int { get }
    /// The class of sample `index` (0..<sampleCount), without assembling its input.
    func label(at index: Int) -> Int
    /// Fills `batch` with the samples at `indices`. `augmentationSeed` is nil in evaluation;
    /// in training it seeds whatever random augmentation the source does for this batch.
    func fill(_ batch: Batch, indices: ArraySlice<Int>, augmentationSeed: UInt64?)
}

/// The order in which an epoch visits the samples: a permutation drawn from
/// RNG(seed, "order/<epoch>"), so any epoch can be replayed, e.g. after a resume.
func epochOrder(sampleCount: Int, seed: UInt64, epoch: Int) -> [Int] {
    var rng = RNG(seed: seed, stream: "order/\(epoch)")
    return rng.permutation(sampleCount)
}

/// Splits `order` into batches of `size` (the last one may be smaller).
func batchRanges(count: Int, size: Int) -> [Range<Int>] {
    stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
}

/// Assembles batches on a background thread while the caller trains on the previous one, so
/// the engine never waits for data. Batches come in order and each is filled from its indices
/// and its own augmentation seed only, so the result does not depend on thread timing.
package final class BatchPrefetcher: @unchecked Sendable {
    private let source: BatchSource
    private let ring: [Batch]
    private let filled = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore

    /// `depth`: how many batches may be ready ahead of the one in use.
    package init(source: BatchSource, depth: Int = 2) {
        self.source = source
        ring = (0...depth).map { _ in Batch() }
        free = DispatchSemaphore(value: depth + 1)
    }

    /// Calls `consume` with the batches of `ranges` over `order`, in order. `seed(b)` is the
    /// augmentation seed of batch b (nil: none). A batch is valid only during its `consume` call.
    func forEach(order: [Int], ranges: [Range<Int>], seed: @escaping @Sendable (Int) -> UInt64?,
                        _ consume: (Batch) throws -> Void) rethrows {
        let cancelled = Flag()
        let finished = DispatchSemaphore(value: 0)
        let producer = Thread { [self] in
            for (b, range) in ranges.enumerated() {
                free.wait()
                if cancelled.value { break }
                source.fill(ring[b % ring.count], indices: order[range], augmentationSeed: seed(b))
                filled.signal()
            }
            finished.signal()
        }
        producer.start()
        defer {
            // Stop the producer (it may be waiting for a free slot), wait for it, reset the counts.
            cancelled.value = true
            free.signal()
            finished.wait()
            while filled.wait(timeout: .now()) == .success {}
            while free.wait(timeout: .now()) == .success {}
            for _ in ring { free.signal() }
        }
        for b in ranges.indices {
            filled.wait()
            try consume(ring[b % ring.count])
            free.signal()
        }
    }
}

/// A Bool shared between two threads.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var state = false
    var value: Bool {
        get { lock.withLock { state } }
        set { lock.withLock { state = newValue } }
    }
}
