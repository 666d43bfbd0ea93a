#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A forward-only source of bytes: a file, or the decompressed contents of one.
package protocol ByteReader: AnyObject {
    /// The file the bytes come from, for error messages.
    var sourceName: String { get }
    /// Fills the start of `buffer` and returns how many bytes it wrote; 0 means the end of the data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteReader {
    /// Reads until `buffer` is full or the data ends; returns the number of bytes read.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Reads everything that is left. `expectedSize`, when right, makes this a single allocation.
    func readToEnd(expectedSize: Int = 1 << 16) throws -> [UInt8] {
        // One spare byte: data that fills the buffer exactly would otherwise trigger a needless doubling.
        var bytes = [UInt8](repeating: 0, count: max(expectedSize, 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let count = try bytes.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}

/// Reads a file through a POSIX descriptor.
package final class FileReader: ByteReader {
    package let sourceName: String
    private let descriptor: Int32

    package init(path: String) throws {
        sourceName = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw ArchiveError.missingFile(path: path) }
            throw ArchiveError.readFailed(path: path, reason: String(cString: strerror(code)))
        }
    }

    deinit { close(descriptor) }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            let count = readDescriptor(descriptor, buffer.baseAddress!, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw ArchiveError.readFailed(path: sourceName, reason: String(cString: strerror(errno))) }
        }
    }

    /// The file's size in bytes.
    package func size() throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ArchiveError.readFailed(path: sourceName, reason: String(cString: strerror(errno)))
        }
        return Int(status.st_size)
    }

    /// Reads `count` bytes at `offset` without moving the read position (fewer at end of file).
    package func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, count, off_t(offset)) }
        guard got >= 0 else { throw ArchiveError.readFailed(path: sourceName, reason: String(cString: strerror(errno))) }
        return Array(bytes.prefix(got))
    }

    /// True when the file starts with the gzip magic number.
    func startsWithGzipMagic() throws -> Bool {
        try bytes(at: 0, count: 2) == gzipMagic
    }

    /// A guess at the decompressed size of this gzip file, for `readToEnd(expectedSize:)`.
    func decompressedSizeGuess() throws -> Int {
        let size = try self.size()
        return Archive.decompressedSizeGuess(compressedSize: size, header: try bytes(at: 0, count: 2),
                                             trailer: try bytes(at: max(size - 4, 0), count: 4))
    }
}

/// `read(2)`, which the `read(into:)` method hides inside `FileReader`.
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(descriptor, buffer, count)
    #else
    Darwin.read(descriptor, buffer, count)
    #endif
}

/// The decompressed contents of a gzip or zlib `ByteReader`, produced as they are read.
package final class GzipReader: ByteReader {
    package var sourceName: String { source.sourceName }
    private let source: ByteReader
    private let inflater: Inflater
    private let input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var sourceEnded = false

    package init(source: ByteReader, inputBufferSize: Int = 1 << 18) {
        self.source = source
        inflater = Inflater(sourceName: source.sourceName)
        input = .allocate(byteCount: inputBufferSize, alignment: 16)
    }

    deinit { input.deallocate() }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            if inputStart == inputEnd && !sourceEnded {
                inputStart = 0
                inputEnd = try source.read(into: input)
                sourceEnded = inputEnd == 0
            }
            let step = try inflater.inflate(from: UnsafeRawBufferPointer(rebasing: input[inputStart..<inputEnd]), into: buffer)
            inputStart += step.consumed
            if step.produced > 0 { return step.produced }
            // Nothing came out although input was used (a header, a member boundary): go on.
            if step.consumed > 0 || !sourceEnded { continue }
            guard inflater.isAtEndOfStream else { throw ArchiveError.truncatedCompressedData(path: sourceName) }
            return 0
        }
    }
}

/// The bytes of the file at `path`, decompressed when it is gzip.
///
/// - `X.gz` (any path ending in `.gz`) is decompressed;
/// - otherwise `X` is read as it is when it exists, and `X.gz` decompressed when only that exists.
///
/// The name decides, not the contents: raw binary data may start with the gzip magic bytes.
package func readFileMaybeGzipped(_ path: String) throws -> [UInt8] {
    if path.hasSuffix(".gz") { return try readGzipFile(path) }
    do {
        let file = try FileReader(path: path)
        return try file.readToEnd(expectedSize: try file.size())
    } catch ArchiveError.missingFile {
        do {
            return try readGzipFile(path + ".gz")
        } catch ArchiveError.missingFile {
            throw ArchiveError.missingFile(path: path)
        }
    }
}

private func readGzipFile(_ path: String) throws -> [UInt8] {
    let file = try FileReader(path: path)
    let expectedSize = try file.decompressedSizeGuess()
    return try GzipReader(source: file).readToEnd(expectedSize: expectedSize)
}
