/// One labelled text of a corpus, decoded and unescaped but not normalised.
package struct LabeledText: Sendable, Equatable {
    /// `file:line`, with the file's base name: stable across folders and archives (fold files use it).
    package var id: String
    /// 0-based class.
    package var label: Int
    /// The text fields in file order (AG: title, description).
    package var fields: [String]

    package init(id: String, label: Int, fields: [String]) {
        self.id = id
        self.label = label
        self.fields = fields
    }
}

/// Readers for the original distributions, giving `LabeledText`s. Preprocessing into a cache
/// (`TextPreprocessor`) reads the same way, without building Strings.
package enum CorpusReader {
    /// A Zhang et al. CSV (AG's News, Yelp Review Full, ...): RFC-4180 quoting with doubled
    /// quotes; backslash + `n` in text means a newline, and no other escape exists.
    package static func readCSV(_ source: SourceFile, format: CSVFormat,
                               encoding: TextEncoding = .auto) throws -> [LabeledText] {
        try read(source, layout: .csv(format), encoding: encoding)
    }

    /// One text per line, one file per class (`TextLayout.filePerClass`; MR: negative = class 0,
    /// positive = class 1, latin-1, hence the default). Samples come in file order, each file in
    /// line order.
    package static func readClassFiles(_ files: [SourceFile], encoding: TextEncoding = .latin1) throws -> [LabeledText] {
        try files.enumerated().flatMap { label, file in try read(file, layout: .linePerText(label: label), encoding: encoding) }
    }

    static func read(_ source: SourceFile, layout: RecordLayout, encoding: TextEncoding) throws -> [LabeledText] {
        var scanner = RecordScanner(fileName: source.name, layout: layout)
        var batch = RecordBatch()
        let baseName = source.baseName
        return try source.withBytes { bytes in
            _ = scanner.scan(bytes, byteBudget: bytes.count, into: &batch)
            var samples: [LabeledText] = []
            samples.reserveCapacity(batch.records.count)
            for record in batch.records {
                let fields = try decodeTextFields(of: record, batch: batch, bytes: bytes, encoding: encoding,
                                                  fileName: source.name)
                samples.append(LabeledText(id: "\(baseName):\(record.line)", label: record.label, fields: fields))
            }
            if let error = batch.pendingError { throw error }
            return samples
        }
    }

    private static func decodeTextFields(of record: ScannedRecord, batch: RecordBatch,
                                         bytes: UnsafeBufferPointer<UInt8>, encoding: TextEncoding,
                                         fileName: String) throws -> [String] {
        try checkIsText(UnsafeBufferPointer(rebasing: bytes[record.start..<record.end]), fileName: fileName, line: record.line)
        var isLatin1 = encoding == .latin1
        if !record.isASCII && encoding != .latin1,
           let offset = firstInvalidUTF8Offset(UnsafeBufferPointer(rebasing: bytes[record.start..<record.end])) {
            guard encoding == .auto else {
                throw TextDataError(file: fileName, line: record.line, .invalidUTF8(byteOffsetInLine: offset))
            }
            isLatin1 = true
        }
        let spans = batch.fields[record.firstTextField..<(record.firstTextField + record.textFieldCount)]
        return spans.map { span in
            var unescaped = [UInt8](repeating: 0, count: span.end - span.start)
            let length = unescaped.withUnsafeMutableBufferPointer {
                joinTextFields([span][...], of: bytes, order: .firstFieldFirst,
                               backslashNIsNewline: batch.backslashNIsNewline, into: $0)
            }
            let text = unescaped[..<length]
            guard isLatin1 else { return String(decoding: text, as: UTF8.self) }
            return String(String.UnicodeScalarView(text.map { Unicode.Scalar($0) }))
        }
    }
}
