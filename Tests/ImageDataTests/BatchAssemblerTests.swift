import ImageData
import Tensor
import Testing

@Suite struct BatchAssemblerTests {
    static let side = CIFARDataset.side

    /// Maps a normalised value back to its raw pixel value.
    static func raw(_ value: Float, channel: Int, _ normalization: Normalization) -> Int {
        Int(((value * normalization.std[channel] + normalization.mean[channel]) * 255).rounded())
    }

    @Test func evaluationOnlyNormalises() {
        let dataset = CIFARDataset(variant: .cifar10, images: testImage(seed: 1) + testImage(seed: 2), labels: [4, 7])
        let normalization = Normalization.cifar10
        let assembler = BatchAssembler(normalization: normalization, augmentation: .none)
        let images = Tensor()
        var labels: [Int32] = []
        var rng = RNG(seed: 1)
        assembler.assemble([1, 0], from: dataset, into: images, labels: &labels, rng: &rng)
        #expect(images.shape == [2, 3, 32, 32])
        #expect(labels == [7, 4])
        #expect(rng == RNG(seed: 1), "nothing is drawn without augmentation")
        for (row, sample) in [1, 0].enumerated() {
            let pixels = Array(dataset.image(at: sample))
            for index in 0..<CIFARDataset.imageSize {
                let channel = index / 1024
                let expected = (Float(pixels[index]) / 255 - normalization.mean[channel]) / normalization.std[channel]
                #expect(images[row * CIFARDataset.imageSize + index] == expected)
            }
        }
    }

    /// Checks every pixel of many augmented images of a position-coded image: R = 8x, G = 8y,
    /// B = 255. Unpadded pixels must come from one shift (and maybe a mirror) of the source;
    /// padded pixels must be raw 0 normalised, in every channel.
    @Test func cropsStayInsideThePaddedImageAndPadWithNormalisedZero() {
        let side = BatchAssemblerTests.side
        var image = [UInt8](repeating: 255, count: CIFARDataset.imageSize)
        for y in 0..<side {
            for x in 0..<side {
                image[y * side + x] = UInt8(8 * x)
                image[1024 + y * side + x] = UInt8(8 * y)
            }
        }
        let count = 300
        let dataset = CIFARDataset(variant: .cifar10, images: Array([[UInt8]](repeating: image, count: count).joined()),
                                   labels: [Int32](repeating: 0, count: count))
        let normalization = Normalization.cifar10
        let assembler = BatchAssembler(normalization: normalization, augmentation: .standard)
        let images = Tensor()
        var labels: [Int32] = []
        var rng = RNG(seed: 42, stream: "augment-test")
        assembler.assemble(0..<count, from: dataset, into: images, labels: &labels, rng: &rng)

        let paddingValues = (0..<3).map { -normalization.mean[$0] / normalization.std[$0] }
        var shiftsSeen = Set<[Int]>()
        var flipsSeen = Set<Bool>()
        for sample in 0..<count {
            let base = sample * CIFARDataset.imageSize
            // Each output pixel (y, x) that shows the image gives the source (x', y') it came from.
            var mappings: [(y: Int, x: Int, sourceY: Int, sourceX: Int)] = []
            var paddingPixels = 0
            for y in 0..<side {
                for x in 0..<side {
                    let values = (0..<3).map { images[base + $0 * 1024 + y * side + x] }
                    if abs(values[2] - paddingValues[2]) < 1e-5 {
                        paddingPixels += 1
                        #expect(abs(values[0] - paddingValues[0]) < 1e-5 && abs(values[1] - paddingValues[1]) < 1e-5)
                    } else {
                        let sourceX = BatchAssemblerTests.raw(values[0], channel: 0, normalization) / 8
                        let sourceY = BatchAssemblerTests.raw(values[1], channel: 1, normalization) / 8
                        mappings.append((y, x, sourceY, sourceX))
                    }
                }
            }
            let first = mappings[0]
            let shiftY = first.sourceY - first.y
            let flip = mappings.contains { $0.y == first.y && $0.x != first.x && ($0.sourceX - first.sourceX) == -($0.x - first.x) }
            let shiftX = flip ? first.sourceX - (side - 1 - first.x) : first.sourceX - first.x
            #expect((-4...4).contains(shiftY) && (-4...4).contains(shiftX))
            for mapping in mappings {
                #expect(mapping.sourceY == mapping.y + shiftY)
                #expect(mapping.sourceX == (flip ? side - 1 - mapping.x : mapping.x) + shiftX)
            }
            #expect(paddingPixels == side * side - (side - abs(shiftY)) * (side - abs(shiftX)))
            shiftsSeen.insert([shiftY, shiftX])
            flipsSeen.insert(flip)
        }
        // 300 draws out of 81 shifts: every extreme is hit.
        #expect(shiftsSeen.contains([-4, -4]) && shiftsSeen.contains([4, 4]) && shiftsSeen.contains([0, 0]))
        #expect(flipsSeen == [false, true])
    }

    @Test func flipMirrorsEachRow() {
        let dataset = CIFARDataset(variant: .cifar10, images: testImage(seed: 5), labels: [1])
        let side = BatchAssemblerTests.side
        let images = Tensor()
        var labels: [Int32] = []
        var rng = RNG(seed: 3)
        BatchAssembler(normalization: identityNormalization, augmentation: Augmentation(padding: 0, flipProbability: 1))
            .assemble([0], from: dataset, into: images, labels: &labels, rng: &rng)
        let source = testImage(seed: 5)
        for channel in 0..<3 {
            for y in 0..<side {
                for x in 0..<side {
                    let output = images[(channel * side + y) * side + x]
                    #expect(Int(output.rounded()) == Int(source[(channel * side + y) * side + (side - 1 - x)]))
                }
            }
        }
    }

    @Test func aboutHalfTheImagesAreFlipped() {
        // A left-to-right ramp: flipped images have a larger first pixel than last.
        let ramp = (0..<CIFARDataset.imageSize).map { UInt8($0 % 32) }
        let count = 1000
        let dataset = CIFARDataset(variant: .cifar10, images: Array([[UInt8]](repeating: ramp, count: count).joined()),
                                   labels: [Int32](repeating: 0, count: count))
        let images = Tensor()
        var labels: [Int32] = []
        var rng = RNG(seed: 11)
        BatchAssembler(normalization: identityNormalization, augmentation: Augmentation(padding: 0, flipProbability: 0.5))
            .assemble(0..<count, from: dataset, into: images, labels: &labels, rng: &rng)
        let flipped = (0..<count).filter { images[$0 * CIFARDataset.imageSize] > images[$0 * CIFARDataset.imageSize + 31] }.count
        #expect((430...570).contains(flipped), "\(flipped) of \(count) flipped")
    }

    @Test func batchBuffersAreReused() {
        let dataset = numberedDataset(count: 20)
        let assembler = BatchAssembler(normalization: .cifar10, augmentation: .standard)
        let images = Tensor()
        var labels: [Int32] = []
        var rng = RNG(seed: 1)
        assembler.assemble(0..<16, from: dataset, into: images, labels: &labels, rng: &rng)
        let storage = images.pointer
        let labelCapacity = labels.capacity
        for samples in [0..<16, 4..<20, 0..<3] {
            assembler.assemble(samples, from: dataset, into: images, labels: &labels, rng: &rng)
            #expect(images.pointer == storage && labels.capacity == labelCapacity)
            #expect(images.shape == [samples.count, 3, 32, 32] && labels == samples.map { Int32($0 % 10) })
        }
    }

    @Test func statisticsOfADataset() {
        // Image 0: R 0, G 51, B alternating 0/255. Image 1: R 255, G 51, B alternating.
        let plane = 1024
        let blue = (0..<plane).map { UInt8($0 % 2 == 0 ? 0 : 255) }
        let images = [UInt8](repeating: 0, count: plane) + [UInt8](repeating: 51, count: plane) + blue
            + [UInt8](repeating: 255, count: plane) + [UInt8](repeating: 51, count: plane) + blue
        let statistics = Normalization(statisticsOf: CIFARDataset(variant: .cifar10, images: images, labels: [0, 1]))
        #expect(statistics.mean.map { ($0 * 1e5).rounded() / 1e5 } == [0.5, 0.2, 0.5])
        #expect(statistics.std.map { ($0 * 1e5).rounded() / 1e5 } == [0.5, 1, 0.5], "a constant channel gets std 1")
        #expect(Normalization.standard(for: .cifar100(fine: false)) == .cifar100)
    }
}
