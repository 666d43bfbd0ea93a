import Dispatch
import Foundation
import Tensor

/// What a preprocessing run did, for logs.
package struct PreprocessSummary: Sendable, Equatable {
    package var sampleCount: Int
    package var samplesPerClass: [Int]
    /// Samples with non-ASCII bytes, which went through decoding and ICU instead of the ASCII fast path.
    package var nonASCIISampleCount: Int
    package var inputBytes: Int
}

/// Reads a corpus once and writes its quantised form to a `TextCache` file.
///
/// The input is scanned sequentially in batches of whole records; each batch is then encoded
/// in parallel, every worker taking a contiguous slice with its own encoder (and ICU
/// transliterator). Rows land at their record's position, so the output does not depend on the
/// number of workers. Errors come out in line order: the first failing record of a batch wins,
/// and a structural error found while scanning is raised after the records before it.
package enum TextPreprocessor {
    /// Progress: bytes of input done, and the total.
    package typealias Progress = (_ bytesDone: Int, _ bytesTotal: Int) -> Void

    /// Input bytes scanned per batch: large enough to amortise the thread hand-off,
    /// small enough for a progress bar that moves.
    static let batchBytes = 4 << 20

    /// Preprocesses a Zhang et al. CSV (e.g. AG's News `train.csv`) into `cachePath`.
    @discardableResult
    package static func preprocessCSV(_ source: SourceFile, format: CSVFormat, dataset: String,
                                     settings: PreprocessingSettings = PreprocessingSettings(), to cachePath: String,
                                     threads: Int? = nil, progress: Progress? = nil) throws -> PreprocessSummary {
        try run(inputs: [(source, .csv(format))], classCount: format.classCount, folds: nil, dataset: dataset,
                settings: settings, cachePath: cachePath, threads: threads, progress: progress)
    }

    /// Preprocesses a corpus of one file per class (MR): all texts, in the order
    /// `CorpusReader.readClassFiles` gives them, plus their folds, so training can pick a fold
    /// from the cache alone.
    @discardableResult
    package static func preprocessClassFiles(_ files: [SourceFile], folds: FoldAssignment, dataset: String = "mr",
                                            settings: PreprocessingSettings = PreprocessingSettings(encoding: .latin1),
                                            to cachePath: String, threads: Int? = nil,
                                            progress: Progress? = nil) throws -> PreprocessSummary {
        try run(inputs: files.enumerated().map { ($1, .linePerText(label: $0)) }, classCount: files.count,
                folds: folds, dataset: dataset, settings: settings, cachePath: cachePath, threads: threads,
                progress: progress)
    }

    private static func run(inputs: [(SourceFile, RecordLayout)], classCount: Int, folds: FoldAssignment?,
                            dataset: String, settings: PreprocessingSettings, cachePath: String, threads: Int?,
                            progress: Progress?) throws -> PreprocessSummary {
        let workerCount = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let encoders = try (0..<workerCount).map { _ in try SampleEncoder(settings: settings) }
        let length = settings.quantization.length
        var header = CacheHeader(dataset: dataset, settings: settings, classCount: classCount, sampleCount: 0,
                                 foldCount: folds?.foldCount ?? 0)
        // The cache is written in place through a map sized for the most samples the input can
        // hold (a record takes at least one line), then cut to size: rows after the header,
        // then labels, then folds.
        let headerSize = header.headerSize
        let sampleBound = inputs.reduce(0) { $0 + $1.0.withBytes(countLines) }
        let file = try MappedOutputFile(path: cachePath, capacity: headerSize + sampleBound * (length + (folds == nil ? 1 : 2)))
        var rowsEnd = headerSize
        var labels: [UInt8] = []
        var sampleIDs: [String] = []
        var nonASCII = 0
        let totalBytes = inputs.reduce(0) { $0 + $1.0.count }
        var bytesBefore = 0

        for (source, layout) in inputs {
            var scanner = RecordScanner(fileName: source.name, layout: layout)
            var batch = RecordBatch()
            let baseName = source.baseName
            try source.withBytes { bytes in
                while scanner.scan(bytes, byteBudget: batchBytes, into: &batch) {
                    let rows = UnsafeMutableRawBufferPointer(rebasing: file.bytes[rowsEnd..<(rowsEnd + batch.records.count * length)])
                    try encode(batch, bytes: bytes, fileName: source.name, encoders: encoders,
                               into: rows.bindMemory(to: UInt8.self))
                    rowsEnd += rows.count
                    for record in batch.records {
                        labels.append(UInt8(record.label))
                        if !record.isASCII { nonASCII += 1 }
                        if folds != nil { sampleIDs.append("\(baseName):\(record.line)") }
                    }
                    if let error = batch.pendingError { throw error }
                    progress?(bytesBefore + scanner.position, totalBytes)
                }
            }
            bytesBefore += source.count
        }

        var tail = labels
        if let folds {
            let sampleFolds = try folds.folds(forIDs: sampleIDs, labels: labels.map(Int.init), file: cachePath)
            tail += sampleFolds.map(UInt8.init)
        }
        let size = rowsEnd + tail.count
        UnsafeMutableRawBufferPointer(rebasing: file.bytes[rowsEnd..<size]).copyBytes(from: tail)
        header.sampleCount = labels.count
        file.bytes.copyBytes(from: header.encode())
        header.checksum = cacheChecksum(UnsafeRawBufferPointer(rebasing: file.bytes[0..<size]))
        file.bytes.copyBytes(from: header.encode())
        try file.commit(size: size)

        var perClass = [Int](repeating: 0, count: classCount)
        for label in labels { perClass[Int(label)] += 1 }
        return PreprocessSummary(sampleCount: labels.count, samplesPerClass: perClass, nonASCIISampleCount: nonASCII,
                                 inputBytes: totalBytes)
    }

    /// Encodes every record of `batch` into `output` (record r at r × length), in parallel.
    private static func encode(_ batch: RecordBatch, bytes: UnsafeBufferPointer<UInt8>, fileName: String,
                               encoders: [SampleEncoder], into output: UnsafeMutableBufferPointer<UInt8>) throws {
        let records = batch.records, fields = batch.fields, backslashNIsNewline = batch.backslashNIsNewline
        let length = encoders[0].settings.quantization.length
        // Workers write disjoint rows of `output` and only read `bytes`.
        nonisolated(unsafe) let input = bytes, rows = output
        let failures = FirstFailures(slots: encoders.count)
        let workers = min(encoders.count, max(1, records.count / 64))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let slice = (worker * records.count / workers)..<((worker + 1) * records.count / workers)
            for index in slice {
                do throws(TextDataError) {
                    try encoders[worker].encode(records[index], fields: fields, bytes: input,
                                                backslashNIsNewline: backslashNIsNewline, fileName: fileName,
                                                into: UnsafeMutableBufferPointer(rebasing: rows[(index * length)..<((index + 1) * length)]))
                } catch {
                    failures.record(error, at: index, slot: worker)
                    return
                }
            }
        }
        if let error = failures.earliest { throw error }
    }
}

/// Newlines, plus one for a last line without its newline.
private func countLines(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    var count = 0
    for byte in bytes where byte == UInt8(ascii: "\n") { count += 1 }
    return count + (bytes.last.map { $0 == UInt8(ascii: "\n") ? 0 : 1 } ?? 0)
}

/// Each worker's first error, kept by record index so the earliest one in the file is reported.
private final class FirstFailures: @unchecked Sendable {  // each slot is written by one worker only
    private var failures: [(index: Int, error: TextDataError)?]

    init(slots: Int) { failures = Array(repeating: nil, count: slots) }

    func record(_ error: TextDataError, at index: Int, slot: Int) { failures[slot] = (index, error) }

    var earliest: TextDataError? { failures.compactMap { $0 }.min { $0.index < $1.index }?.error }
}
