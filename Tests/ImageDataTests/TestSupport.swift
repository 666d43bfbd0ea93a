import Foundation
import ImageData

/// A fresh folder under the system temporary directory, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("imagedata-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func write(_ bytes: [UInt8], to name: String) throws {
        let url = URL(fileURLWithPath: path + "/" + name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
}

/// Runs a command (found on PATH) in `folder`; throws when it does not exit with 0.
func run(_ arguments: [String], in folder: String) throws {
    struct CommandFailed: Error { let arguments: [String]; let status: Int32 }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CommandFailed(arguments: arguments, status: process.terminationStatus) }
}

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

let sharedData = "/work/shared/data"
let sharedDataIsPresent = FileManager.default.fileExists(atPath: sharedData + "/cifar-10-batches-bin/test_batch.bin.gz")
    && FileManager.default.fileExists(atPath: sharedData + "/cifar-100-binary/test.bin.gz")
