/// Everything that can go wrong while reading compressed files and tar archives.
///
/// Every case carries the path of the file at fault, so a message read in a training log says
/// which file to look at without a stack trace.
package enum ArchiveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or, for `readFileMaybeGzipped`, neither it nor its `.gz` twin) does not exist.
    case missingFile(path: String)
    /// The operating system refused to open or read the file.
    case readFailed(path: String, reason: String)
    /// The gzip or zlib stream is damaged (bad header, bad checksum, invalid deflate data, junk after the last member).
    case corruptCompressedData(path: String, reason: String)
    /// The gzip or zlib stream stops before its end.
    case truncatedCompressedData(path: String)
    /// A tar header is unreadable (bad checksum, bad number field, bad pax record).
    case corruptTar(path: String, reason: String)
    /// The tar archive ends in the middle of a header or of an entry's contents.
    case truncatedTar(path: String, entry: String?)

    package var path: String {
        switch self {
        case .missingFile(let path), .readFailed(let path, _), .corruptCompressedData(let path, _),
             .truncatedCompressedData(let path), .corruptTar(let path, _), .truncatedTar(let path, _):
            return path
        }
    }

    package var description: String {
        switch self {
        case .missingFile(let path):
            return "\(path): no such file"
        case .readFailed(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .corruptCompressedData(let path, let reason):
            return "\(path): corrupt gzip/zlib data: \(reason)"
        case .truncatedCompressedData(let path):
            return "\(path): gzip/zlib data ends before the end of the stream (truncated file)"
        case .corruptTar(let path, let reason):
            return "\(path): corrupt tar archive: \(reason)"
        case .truncatedTar(let path, let entry):
            if let entry { return "\(path): tar archive is truncated inside entry '\(entry)'" }
            return "\(path): tar archive is truncated inside a header"
        }
    }
}
