import ImageData
import Tensor
import Testing

@Suite struct BatchLoaderTests {
    /// The dataset images in a batch, read off the centre pixel (never padding: shifts are at most 4).
    static func imageNumbers(_ batch: ImageBatch) -> [Int] {
        (0..<batch.count).map { Int(batch.images[$0 * CIFARDataset.imageSize + 16 * 32 + 16].rounded()) - 1 }
    }

    static func epochBatches(_ loader: BatchLoader, epoch: Int) -> [(images: [Float], labels: [Int32])] {
        loader.start(epoch: epoch)
        var batches: [(images: [Float], labels: [Int32])] = []
        while let batch = loader.next() { batches.append((batch.images.array, batch.labels)) }
        return batches
    }

    @Test func everyImageOncePerEpochWithTheLastBatchKept() {
        let dataset = numberedDataset(count: 37)
        let loader = BatchLoader(dataset: dataset, batchSize: 8, seed: 5,
                                 assembler: BatchAssembler(normalization: identityNormalization, augmentation: .standard))
        #expect(loader.batchesPerEpoch == 5)
        var orders: [[Int]] = []
        for epoch in 0..<3 {
            loader.start(epoch: epoch)
            var order: [Int] = []
            var sizes: [Int] = []
            while let batch = loader.next() {
                #expect(batch.epoch == epoch && batch.index == sizes.count)
                let numbers = BatchLoaderTests.imageNumbers(batch)
                #expect(batch.labels == numbers.map { Int32($0 % 10) })
                #expect(batch.images.shape == [batch.count, 3, 32, 32])
                order += numbers
                sizes.append(batch.count)
            }
            #expect(sizes == [8, 8, 8, 8, 5])
            #expect(order.sorted() == Array(0..<37))
            #expect(loader.next() == nil, "an epoch stays over")
            orders.append(order)
        }
        #expect(orders[0] != orders[1] && orders[1] != orders[2], "each epoch has its own order")
    }

    @Test func theLastPartialBatchCanBeDropped() {
        let loader = BatchLoader(dataset: numberedDataset(count: 37), batchSize: 8, seed: 5,
                                 assembler: BatchAssembler(normalization: identityNormalization, augmentation: .none),
                                 dropLastPartialBatch: true)
        #expect(loader.batchesPerEpoch == 4)
        loader.start(epoch: 0)
        var numbers: [Int] = []
        while let batch = loader.next() {
            #expect(batch.count == 8)
            numbers += BatchLoaderTests.imageNumbers(batch)
        }
        #expect(Set(numbers).count == 32)
    }

    @Test func withoutShufflingImagesComeInFileOrder() {
        let loader = BatchLoader(dataset: numberedDataset(count: 10), batchSize: 4, seed: 5,
                                 assembler: BatchAssembler(normalization: identityNormalization, augmentation: .none),
                                 shuffle: false)
        loader.start(epoch: 3)
        var numbers: [Int] = []
        while let batch = loader.next() { numbers += BatchLoaderTests.imageNumbers(batch) }
        #expect(numbers == Array(0..<10))
    }

    @Test func theSeedFixesEveryBatchWhateverTheThreadTiming() {
        let dataset = numberedDataset(count: 45)
        let assembler = BatchAssembler(normalization: .cifar10, augmentation: .standard)
        // Different ring sizes change which batches are assembled while others are consumed.
        let first = BatchLoader(dataset: dataset, batchSize: 8, seed: 77, assembler: assembler, prefetchDepth: 1)
        let second = BatchLoader(dataset: dataset, batchSize: 8, seed: 77, assembler: assembler, prefetchDepth: 4)
        let otherSeed = BatchLoader(dataset: dataset, batchSize: 8, seed: 78, assembler: assembler)
        for epoch in [0, 1] {
            let a = BatchLoaderTests.epochBatches(first, epoch: epoch)
            let b = BatchLoaderTests.epochBatches(second, epoch: epoch)
            let c = BatchLoaderTests.epochBatches(otherSeed, epoch: epoch)
            #expect(a.count == 6 && b.count == 6)
            #expect(a.map(\.images) == b.map(\.images) && a.map(\.labels) == b.map(\.labels))
            #expect(a.map(\.images) != c.map(\.images))
        }
        // Replaying epoch 0 after epoch 1 gives epoch 0 again.
        #expect(BatchLoaderTests.epochBatches(first, epoch: 0).map(\.images)
                == BatchLoaderTests.epochBatches(second, epoch: 0).map(\.images))
    }

    @Test func batchesAreTheDocumentedFunctionOfSeedEpochAndIndex() {
        let dataset = numberedDataset(count: 20)
        let assembler = BatchAssembler(normalization: .cifar10, augmentation: .standard)
        let loader = BatchLoader(dataset: dataset, batchSize: 6, seed: 9, assembler: assembler)
        var order = RNG(seed: 9, stream: "data-order-2")
        let permutation = order.permutation(20)
        let expected = Tensor()
        var expectedLabels: [Int32] = []
        loader.start(epoch: 2)
        var index = 0
        while let batch = loader.next() {
            var rng = RNG(seed: 9, stream: "augment-2-\(index)")
            assembler.assemble(permutation[(index * 6)..<min(index * 6 + 6, 20)], from: dataset,
                               into: expected, labels: &expectedLabels, rng: &rng)
            #expect(batch.images.array == expected.array && batch.labels == expectedLabels)
            index += 1
        }
        #expect(index == 4)
    }

    @Test func anEpochCanBeAbandonedAndTheLoaderDroppedMidEpoch() {
        let dataset = numberedDataset(count: 30)
        let assembler = BatchAssembler(normalization: identityNormalization, augmentation: .none)
        let loader = BatchLoader(dataset: dataset, batchSize: 4, seed: 1, assembler: assembler, prefetchDepth: 1)
        loader.start(epoch: 0)
        _ = loader.next()
        loader.start(epoch: 1)
        var numbers: [Int] = []
        while let batch = loader.next() { numbers += BatchLoaderTests.imageNumbers(batch) }
        #expect(numbers.sorted() == Array(0..<30))
        // The producer is blocked on a full ring here; dropping the loader must stop it.
        var abandoned: BatchLoader? = BatchLoader(dataset: dataset, batchSize: 4, seed: 1, assembler: assembler, prefetchDepth: 1)
        abandoned!.start(epoch: 0)
        _ = abandoned!.next()
        abandoned = nil
        #expect(abandoned == nil)
    }
}
