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
public final class SourceFile: @unchecked Sendable {  // immutable after init
    /// A path, or `archive.tar.gz:member` for archive members.
    public let name: String
    /// The file's own name without folders (`rt-polarity.pos`): sample ids use it, so that ids
    /// are the same whether the corpus came from a folder or an archive.
    public let baseName: String
    private let bytes: [UInt8]
    private let mapping: UnsafeRawBufferPointer?

    /// Bytes already in memory; `name` is a path-like name whose last component is the file's name.
    public convenience init(name: String, bytes: [UInt8]) {
        self.init(name: name, baseName: lastPathComponent(name), bytes: bytes)
    }

    init(name: String, baseName: String, bytes: [UInt8]) {
        self.name = name
        self.baseName = baseName
        self.bytes = bytes
        self.mapping = nil
    }

    /// Maps the file at `path`.
    public init(path: String) throws {
        name = path
        baseName = lastPathComponent(path)
        bytes = []
        mapping = try mapFile(path)
    }

    deinit {
        if let mapping, let base = mapping.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), mapping.count) }
    }

    public var count: Int { mapping?.count ?? bytes.count }

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

/// Picks the files a reader needs out of an archive's entries.
///
/// Feed it every `(name, bytes)` pair an archive reader produces, then ask for the files by
/// base name; members not asked for are dropped as they go by, so only the wanted ones stay in
/// memory. A member that was never offered is a `missingFile` error naming `archive:member`.
public struct ArchiveMemberPicker {
    public let archiveName: String
    public let wanted: Set<String>
    private var found: [String: SourceFile] = [:]

    public init(archiveName: String, wanted: [String]) {
        self.archiveName = archiveName
        self.wanted = Set(wanted)
    }

    /// Whether `offer` would keep a member of this name: lets a reader skip the others unread.
    public func wants(_ memberName: String) -> Bool {
        let base = lastPathComponent(memberName)
        return wanted.contains(base) && found[base] == nil
    }

    /// Keeps the member if its base name is wanted (the first one, should an archive hold two).
    public mutating func offer(name: String, bytes: [UInt8]) {
        guard wants(name) else { return }
        let base = lastPathComponent(name)
        found[base] = SourceFile(name: "\(archiveName):\(name)", baseName: base, bytes: bytes)
    }

    /// Picks `wanted` (base names) out of a `.tar` or `.tar.gz` archive, e.g. `ag_news_csv.tar.gz`
    /// with `["train.csv", "test.csv"]` or `rt-polaritydata.tar.gz` with the two MR files.
    /// Members not wanted are skipped without being held in memory.
    public static func pick(_ wanted: [String], fromArchive path: String) throws -> ArchiveMemberPicker {
        guard access(path, F_OK) == 0 else { throw TextDataError(file: path, .missingFile) }
        var picker = ArchiveMemberPicker(archiveName: path, wanted: wanted)
        let tar = try TarReader(path: path)
        while let entry = try tar.nextFile() {
            if picker.wants(entry.name) { picker.offer(name: entry.name, bytes: try tar.readContents()) }
        }
        return picker
    }

    public func source(_ baseName: String) throws -> SourceFile {
        guard let file = found[baseName] else { throw TextDataError(file: "\(archiveName):\(baseName)", .missingFile) }
        return file
    }
}
