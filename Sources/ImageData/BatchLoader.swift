import Foundation
import Tensor

/// One batch from a `BatchLoader`.
public struct ImageBatch {
    /// [count, 3, 32, 32]. The loader writes the next batches into a ring of such tensors, so
    /// this one stays valid only until the following call to `next()` or `start(epoch:)`.
    public let images: Tensor
    public let labels: [Int32]
    public let epoch: Int
    /// Position of the batch within its epoch.
    public let index: Int
    public var count: Int { labels.count }
}

/// Delivers shuffled, augmented batches of a dataset, assembling the next ones on a background
/// thread while the caller trains on the current one.
///
/// Everything random is a function of the seed, the epoch and the batch index, never of thread
/// timing: epoch `e` visits the images in the order `RNG(seed:, stream: "data-order-\(e)")`
/// draws (one stream per epoch, so a resumed run can start at any epoch), and batch `b` of it is
/// augmented from `RNG(seed:, stream: "augment-\(e)-\(b)")`.
///
///     let loader = BatchLoader(dataset: train, batchSize: 128, seed: 1, assembler: assembler)
///     for epoch in 0..<epochs {
///         loader.start(epoch: epoch)
///         while let batch = loader.next() { step(batch.images, batch.labels) }
///     }
///
/// Use it from one thread. Batch buffers are allocated once, when the loader is made.
public final class BatchLoader {
    public let batchSize: Int
    public let batchesPerEpoch: Int
    private let configuration: Configuration
    private let pipeline: Pipeline

    /// - Parameters:
    ///   - shuffle: false keeps file order (for evaluation).
    ///   - dropLastPartialBatch: true leaves out the images that do not fill a last whole batch.
    ///   - prefetchDepth: how many batches the background thread may have ready ahead of the
    ///     one the caller holds; the loader keeps `prefetchDepth + 1` batch buffers.
    public init(dataset: CIFARDataset, batchSize: Int, seed: UInt64, assembler: BatchAssembler,
                shuffle: Bool = true, dropLastPartialBatch: Bool = false, prefetchDepth: Int = 2) {
        precondition(batchSize > 0, "BatchLoader: batch size must be positive")
        precondition(prefetchDepth > 0, "BatchLoader: prefetch depth must be positive")
        self.batchSize = batchSize
        let wholeBatches = dataset.count / batchSize
        batchesPerEpoch = dropLastPartialBatch || dataset.count % batchSize == 0 ? wholeBatches : wholeBatches + 1
        configuration = Configuration(dataset: dataset, assembler: assembler, seed: seed, shuffle: shuffle,
                                      batchSize: batchSize, batchesPerEpoch: batchesPerEpoch)
        let slots = (0...prefetchDepth).map { _ in
            BatchSlot(images: Tensor(shape: [batchSize, CIFARDataset.channels, CIFARDataset.side, CIFARDataset.side]),
                      labels: [Int32](repeating: 0, count: batchSize))
        }
        pipeline = Pipeline(slots: slots)
    }

    deinit { pipeline.stopProducer() }

    /// Begins epoch `epoch` (any order, any number of times); an unfinished epoch is abandoned.
    public func start(epoch: Int) {
        pipeline.stopProducer()
        pipeline.startProducer(epoch: epoch, configuration: configuration)
    }

    /// The next batch of the current epoch, or nil when the epoch is over. Waits when the
    /// background thread has not finished it yet.
    public func next() -> ImageBatch? { pipeline.next() }
}

/// What the background thread needs; immutable, so it is shared without locking.
private struct Configuration: Sendable {
    let dataset: CIFARDataset
    let assembler: BatchAssembler
    let seed: UInt64
    let shuffle: Bool
    let batchSize: Int
    let batchesPerEpoch: Int

    func order(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<dataset.count) }
        var rng = RNG(seed: seed, stream: "data-order-\(epoch)")
        return rng.permutation(dataset.count)
    }
}

/// One batch buffer of the ring. Only one thread uses a slot at a time, by the protocol in
/// `Pipeline`: the producer while filling it, the consumer while it holds the batch.
private final class BatchSlot: @unchecked Sendable {
    let images: Tensor
    var labels: [Int32]

    init(images: Tensor, labels: [Int32]) {
        self.images = images
        self.labels = labels
    }
}

/// The ring of batch buffers shared by the consumer and the producer thread.
///
/// Batch `b` of an epoch goes into slot `b % slots.count`. The producer may fill batch `b` once
/// the consumer has given back batch `b - slots.count` (by asking for the batch after it), so it
/// never writes into the slot the consumer holds.
private final class Pipeline: @unchecked Sendable {
    private let slots: [BatchSlot]
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var epoch = 0
    private var batchCount = 0
    /// Batches filled by the producer in this epoch.
    private var produced = 0
    /// Batches handed to the consumer; all but the last have been given back.
    private var handedOut = 0
    private var producerRunning = false
    private var cancelled = false
    private var started = false

    init(slots: [BatchSlot]) {
        self.slots = slots
    }

    /// Stops the producer thread, if one runs, and waits until it has left the ring.
    func stopProducer() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
        while producerRunning { condition.wait() }
    }

    func startProducer(epoch: Int, configuration: Configuration) {
        condition.lock()
        self.epoch = epoch
        batchCount = configuration.batchesPerEpoch
        produced = 0
        handedOut = 0
        cancelled = false
        producerRunning = true
        started = true
        condition.unlock()
        // A thread of its own rather than a Dispatch queue: it blocks while the ring is full,
        // and must not hold one of the few shared worker threads while doing so.
        let thread = Thread { [self] in produce(epoch: epoch, configuration: configuration) }
        thread.name = "BatchLoader epoch \(epoch)"
        thread.start()
    }

    func next() -> ImageBatch? {
        condition.lock()
        defer { condition.unlock() }
        precondition(started, "BatchLoader.next() called before start(epoch:)")
        guard handedOut < batchCount else { return nil }
        while produced <= handedOut { condition.wait() }
        let slot = slots[handedOut % slots.count]
        let batch = ImageBatch(images: slot.images, labels: slot.labels, epoch: epoch, index: handedOut)
        handedOut += 1
        // Taking this batch gave the previous one back: wake a producer waiting for its slot.
        condition.broadcast()
        return batch
    }

    private func produce(epoch: Int, configuration: Configuration) {
        let order = configuration.order(epoch: epoch)
        for batch in 0..<configuration.batchesPerEpoch {
            condition.lock()
            // Batches before handedOut - 1 have been given back; handedOut - 1 is still held.
            while !cancelled && batch >= max(handedOut - 1, 0) + slots.count { condition.wait() }
            let stop = cancelled
            condition.unlock()
            if stop { break }

            let slot = slots[batch % slots.count]
            let first = batch * configuration.batchSize
            let samples = order[first..<min(first + configuration.batchSize, order.count)]
            var rng = RNG(seed: configuration.seed, stream: "augment-\(epoch)-\(batch)")
            configuration.assembler.assemble(samples, from: configuration.dataset, into: slot.images,
                                             labels: &slot.labels, rng: &rng)

            condition.lock()
            produced = batch + 1
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        producerRunning = false
        condition.broadcast()
        condition.unlock()
    }
}
