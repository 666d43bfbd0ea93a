import Foundation
import ImageData
import TestSupport

/// A recognisable image: every pixel depends on the seed, the channel and the position.
func testImage(seed: Int) -> [UInt8] {
    (0..<CIFARDataset.imageSize).map { UInt8(truncatingIfNeeded: seed * 37 + $0 * 7 + $0 / 1024 * 50) }
}

/// Records in the binary format: the label bytes, then the image.
func records(_ labelsAndSeeds: [(labels: [UInt8], seed: Int)]) -> [UInt8] {
    labelsAndSeeds.flatMap { $0.labels + testImage(seed: $0.seed) }
}

/// A dataset whose image `i` has every pixel equal to `i + 1` and label `i % 10`, so that the
/// image a batch row came from can be read off any of its unpadded pixels.
func numberedDataset(count: Int) -> CIFARDataset {
    precondition(count < 255)
    return CIFARDataset(variant: .cifar10,
                        images: (0..<count).flatMap { [UInt8](repeating: UInt8($0 + 1), count: CIFARDataset.imageSize) },
                        labels: (0..<count).map { Int32($0 % 10) })
}

/// Normalisation that leaves pixel values as they are (0...255), to read images back.
let identityNormalization = Normalization(mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255])

/// Whether the shared CIFAR files are in `Fixtures.dataFolder` (`$CONVRELU_DATA`, else `../shared/data`).
let sharedDataIsPresent = FileManager.default.fileExists(atPath: Fixtures.dataFolder + "/cifar-10-batches-bin/test_batch.bin.gz")
    && FileManager.default.fileExists(atPath: Fixtures.dataFolder + "/cifar-100-binary/test.bin.gz")
