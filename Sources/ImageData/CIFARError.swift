/// Problems with CIFAR data; each names the file at fault. Damaged compressed files and
/// archives are reported by `Archive.ArchiveError`, which names the file too.
package enum CIFARError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file's size is not a whole number of records.
    case partialRecord(file: String, byteCount: Int, recordSize: Int)
    /// A record's label is not a class of the dataset. `field` says which label byte: "label",
    /// "coarse label" or "fine label"; `record` counts from 0 within the file.
    case labelOutOfRange(file: String, record: Int, field: String, value: Int, classCount: Int)
    /// No file of the requested split was found in a folder or archive.
    case noFiles(source: String, expected: String)

    package var description: String {
        switch self {
        case .partialRecord(let file, let byteCount, let recordSize):
            return "\(file): \(byteCount) bytes is not a whole number of \(recordSize)-byte records"
                + " (\(byteCount / recordSize) records and \(byteCount % recordSize) bytes left over)"
        case .labelOutOfRange(let file, let record, let field, let value, let classCount):
            return "\(file): record \(record) has \(field) \(value), outside 0..<\(classCount)"
        case .noFiles(let source, let expected):
            return "\(source): no \(expected) found"
        }
    }
}
