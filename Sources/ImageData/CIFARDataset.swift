import Archive
import Foundation

/// Which CIFAR dataset, and for CIFAR-100 which of its two labels to use.
package enum CIFARVariant: Sendable, Equatable {
    case cifar10
    /// `fine: true` uses the 100 fine classes, `false` the 20 coarse superclasses.
    case cifar100(fine: Bool)

    /// Bytes per record: the label byte(s) and 3×32×32 pixels.
    package var recordSize: Int { labelBytes + CIFARDataset.imageSize }

    /// The number of classes of the chosen label.
    package var classCount: Int {
        switch self {
        case .cifar10: return 10
        case .cifar100(let fine): return fine ? 100 : 20
        }
    }

    var labelBytes: Int { self == .cifar10 ? 1 : 2 }

    /// Position of the chosen label within a record: CIFAR-100 records are <coarse><fine><pixels>.
    var labelOffset: Int { self == .cifar100(fine: true) ? 1 : 0 }

    /// The name of the folder inside the official tarball, which is also what it unpacks to.
    var officialFolderName: String { self == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary" }
}

package enum DatasetSplit: Sendable {
    case train, test
}

/// CIFAR images and labels in memory, in file order.
///
/// Images are raw bytes, N×3×32×32 (channel planes R, G, B, each row-major), exactly as the
/// binary files store them; conversion to Float happens per batch (see `BatchAssembler`).
package struct CIFARDataset: Sendable {
    package static let channels = 3
    package static let side = 32
    package static let imageSize = channels * side * side

    package let variant: CIFARVariant
    package private(set) var images: [UInt8]
    package private(set) var labels: [Int32]

    package var count: Int { labels.count }
    package var classCount: Int { variant.classCount }

    package init(variant: CIFARVariant, images: [UInt8], labels: [Int32]) {
        precondition(images.count == labels.count * CIFARDataset.imageSize,
                     "CIFARDataset: \(images.count) pixel bytes for \(labels.count) images")
        self.variant = variant
        self.images = images
        self.labels = labels
    }

    /// Decodes the records of one file's contents. `file` names the file in errors.
    ///
    /// Every label byte is checked, including the CIFAR-100 label that is not used, since an
    /// invalid one means the file is damaged or of the other variant.
    package init(records bytes: [UInt8], variant: CIFARVariant, file: String) throws {
        let recordSize = variant.recordSize
        guard bytes.count % recordSize == 0 else {
            throw CIFARError.partialRecord(file: file, byteCount: bytes.count, recordSize: recordSize)
        }
        let count = bytes.count / recordSize
        let labelFields: [(name: String, classCount: Int)] = variant == .cifar10
            ? [("label", 10)] : [("coarse label", 20), ("fine label", 100)]
        var images = [UInt8](repeating: 0, count: count * CIFARDataset.imageSize)
        var labels = [Int32](repeating: 0, count: count)
        try bytes.withUnsafeBufferPointer { source in
            try images.withUnsafeMutableBufferPointer { pixels in
                for record in 0..<count {
                    let start = record * recordSize
                    for (offset, field) in labelFields.enumerated() where Int(source[start + offset]) >= field.classCount {
                        throw CIFARError.labelOutOfRange(file: file, record: record, field: field.name,
                                                         value: Int(source[start + offset]), classCount: field.classCount)
                    }
                    labels[record] = Int32(source[start + variant.labelOffset])
                    (pixels.baseAddress! + record * CIFARDataset.imageSize)
                        .update(from: source.baseAddress! + start + variant.labelBytes, count: CIFARDataset.imageSize)
                }
            }
        }
        self.init(variant: variant, images: images, labels: labels)
    }

    /// The datasets one after the other.
    package init(concatenating parts: [CIFARDataset], variant: CIFARVariant) {
        precondition(parts.allSatisfy { $0.variant == variant }, "CIFARDataset: concatenating different variants")
        var images: [UInt8] = []
        var labels: [Int32] = []
        images.reserveCapacity(parts.reduce(0) { $0 + $1.images.count })
        labels.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts {
            images += part.images
            labels += part.labels
        }
        self.init(variant: variant, images: images, labels: labels)
    }

    /// The pixels of image `index`, 3×32×32.
    package func image(at index: Int) -> ArraySlice<UInt8> {
        images[(index * CIFARDataset.imageSize)..<((index + 1) * CIFARDataset.imageSize)]
    }

    /// How many images each class has.
    package func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }
}

// MARK: - Loading

extension CIFARDataset {
    /// Loads one split from the official tarball (`cifar-10-binary.tar.gz`, `cifar-100-binary.tar.gz`,
    /// or a plain `.tar`) or from a folder of `.bin` / `.bin.gz` files.
    ///
    /// The files of a split are recognised by name, wherever they sit in the archive:
    ///
    /// | variant   | train                  | test                 |
    /// |-----------|------------------------|----------------------|
    /// | CIFAR-10  | `data_batch_*.bin[.gz]`| `test_batch.bin[.gz]`|
    /// | CIFAR-100 | `train*.bin[.gz]`      | `test.bin[.gz]`      |
    ///
    /// Files are read in name order, so a folder and an archive holding the same files give
    /// the same dataset in the same order. In a folder, `X.bin` wins over `X.bin.gz`. A folder
    /// without such files is searched one level down in `cifar-10-batches-bin` /
    /// `cifar-100-binary`, the folder the official tarball unpacks to.
    package static func load(source: String, variant: CIFARVariant, split: DatasetSplit) throws -> CIFARDataset {
        let isRecord = { isRecordFile(withoutGzipSuffix($0), of: split, variant: variant) }
        var dataset = try DatasetFiles(path: source)
        var files = try dataset.files(where: isRecord)
        var isFolder: ObjCBool = false
        let nested = source + "/" + variant.officialFolderName
        if files.isEmpty, case .folder = dataset, FileManager.default.fileExists(atPath: nested, isDirectory: &isFolder), isFolder.boolValue {
            dataset = .folder(nested)
            files = try dataset.files(where: isRecord)
        }
        // Plain name -> the file to read; a plain .bin replaces its .gz twin.
        var chosen: [String: DatasetFiles.File] = [:]
        for file in files {
            let plain = withoutGzipSuffix(file.baseName)
            if chosen[plain] == nil || file.baseName == plain { chosen[plain] = file }
        }
        guard !chosen.isEmpty else { throw CIFARError.noFiles(source: dataset.path, expected: expectedFiles(of: split, variant: variant)) }
        let parts = try chosen.keys.sorted().map { plain in
            let file = chosen[plain]!
            let bytes = switch file.contents {
            case .path(let path): try readFileMaybeGzipped(path)
            case .bytes(let bytes): file.baseName == plain ? bytes : try gunzip(bytes, sourceName: file.name)
            }
            return try CIFARDataset(records: bytes, variant: variant, file: file.name)
        }
        return parts.count == 1 ? parts[0] : CIFARDataset(concatenating: parts, variant: variant)
    }

    /// Loads record files (`.bin`, or `.bin.gz` decompressed on the fly) and joins them in the given order.
    package static func load(files: [String], variant: CIFARVariant) throws -> CIFARDataset {
        let parts = try files.map { try CIFARDataset(records: readFileMaybeGzipped($0), variant: variant, file: $0) }
        return parts.count == 1 ? parts[0] : CIFARDataset(concatenating: parts, variant: variant)
    }

    /// Whether a file name (without folders, `.gz` removed) holds records of `split`.
    static func isRecordFile(_ name: String, of split: DatasetSplit, variant: CIFARVariant) -> Bool {
        switch (variant, split) {
        case (.cifar10, .train):
            let prefix = "data_batch_", suffix = ".bin"
            guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return false }
            return name.dropFirst(prefix.count).dropLast(suffix.count).allSatisfy { $0.isASCII && $0.isNumber }
        case (.cifar10, .test): return name == "test_batch.bin"
        case (.cifar100, .train): return name.hasPrefix("train") && name.hasSuffix(".bin")
        case (.cifar100, .test): return name == "test.bin"
        }
    }

    static func expectedFiles(of split: DatasetSplit, variant: CIFARVariant) -> String {
        switch (variant, split) {
        case (.cifar10, .train): return "data_batch_*.bin[.gz] files"
        case (.cifar10, .test): return "test_batch.bin[.gz]"
        case (.cifar100, .train): return "train*.bin[.gz] files"
        case (.cifar100, .test): return "test.bin[.gz]"
        }
    }

    private static func withoutGzipSuffix(_ name: String) -> String {
        name.hasSuffix(".gz") ? String(name.dropLast(3)) : name
    }
}
