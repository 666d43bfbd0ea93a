#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Archive

/// The bytes of one input file plus the name that errors use for it.
///
/// A file on disk is memory-mapped, read-only; an archive member arrives as bytes. Readers and the
/// preprocessor only ever see a `SourceFile`, so folders and archives share all parsing code.
package final class SourceFile: @unchecked Sendable {  // immutable after init
    /// A path, or `archive.tar.gz:member` for archive members.
    package let name: String
    /// The file's own name without folders (`rt-polarity.pos`): sample ids use it, so that ids
    /// are the same whether the corpus came from a folder or an archive.
    package let baseName: String
    private let bytes: [UInt8]
    private let mapping: UnsafeRawBufferPointer?

    /// Bytes already in memory; `name` is a path-like name whose last component is the file's name.
    package convenience init(name: String, bytes: [UInt8]) {
        self.init(name: name, baseName: lastPathComponent(name), bytes: bytes)
    }

    init(name: String, baseName: String, bytes: [UInt8]) {
        self.name = name
        self.baseName = baseName
        self.bytes = bytes
        self.mapping = nil
    }

    /// Maps the file at `path`.
    package init(path: String) throws {
        name = path
        baseName = lastPathComponent(path)
        bytes = []
        mapping = try mapFile(path)
    }

    deinit {
        if let mapping, let base = mapping.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), mapping.count) }
    }

    package var count: Int { mapping?.count ?? bytes.count }

    /// XXH64 of the contents: caches built from this file carry it, so a file that changed
    /// (edited, replaced, emptied) never meets a cache built from its old contents.
    package var contentDigest: UInt64 { withBytes { XXH64.hash(UnsafeRawBufferPointer($0)) } }

    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let mapping { return try body(mapping.bindMemory(to: UInt8.self)) }
        return try bytes.withUnsafeBufferPointer(body)
    }
}

func lastPathComponent(_ name: String) -> String {
    String(name.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(name))
}

/// Maps a whole file read-only. An empty file gives an empty buffer (mmap refuses length 0).
func mapFile(_ path: String) throws -> UnsafeRawBufferPointer {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
        let code = errno
        throw TextDataError(file: path, code == ENOENT ? .missingFile : .unreadableFile(reason: systemMessage(code)))
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw TextDataError(file: path, .unreadableFile(reason: systemMessage(errno))) }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw TextDataError(file: path, .unreadableFile(reason: "not a regular file")) }
    let size = Int(info.st_size)
    guard size > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
        throw TextDataError(file: path, .unreadableFile(reason: systemMessage(errno)))
    }
    return UnsafeRawBufferPointer(start: base, count: size)
}

func systemMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

extension SourceFile {
    /// The files of a dataset named by `names` (base names), in that order: a folder's mapped,
    /// an archive's read out of it. A file that is not there is a `missingFile` error naming
    /// `folder/name` or `archive:name`.
    package static func open(_ names: [String], in dataset: DatasetFiles) throws -> [SourceFile] {
        let wanted = Set(names)
        let files = try dataset.files { wanted.contains($0) }
        return try names.map { name in
            guard let file = files.first(where: { $0.baseName == name }) else {
                let separator = if case .folder = dataset { "/" } else { ":" }
                throw TextDataError(file: dataset.path + separator + name, .missingFile)
            }
            switch file.contents {
            case .path(let path): return try SourceFile(path: path)
            case .bytes(let bytes): return SourceFile(name: file.name, baseName: file.baseName, bytes: bytes)
            }
        }
    }
}
