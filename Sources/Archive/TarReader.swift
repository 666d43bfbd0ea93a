/// One regular file in a tar archive.
package struct TarEntry: Sendable, Equatable {
    /// The full path inside the archive, after GNU long-name and pax `path` records are applied.
    package let name: String
    package let size: Int
}

/// Reads the regular files of a tar archive one after the other, without holding the archive in memory.
///
/// Understands POSIX ustar (name prefix), GNU long names (`L` entries), pax extended headers
/// (`x` entries: `path` and `size`) and GNU base-256 sizes. Directories, links and other
/// special entries are skipped, as are pax global headers (`g`), whose attributes are not
/// applied. Usage:
///
///     let tar = try TarReader(path: "cifar-10-binary.tar.gz")
///     while let entry = try tar.nextFile() {
///         if entry.name.hasSuffix(".bin") { let bytes = try tar.readContents() }
///     }
package final class TarReader {
    private static let blockSize = 512

    private let source: ByteReader
    private var sourceName: String { source.sourceName }
    private var header = [UInt8](repeating: 0, count: TarReader.blockSize)
    /// The entry returned by the last `nextFile()`, and how much of it (plus padding) is unread.
    private var current: TarEntry?
    private var unreadContents = 0
    private var unreadPadding = 0
    private var reachedEnd = false
    private var drained = false

    package init(source: ByteReader) {
        self.source = source
    }

    /// Opens a `.tar` file, or a gzip-compressed one (recognised by its magic number, whatever its name).
    package convenience init(path: String) throws {
        let file = try FileReader(path: path)
        self.init(source: try file.startsWithGzipMagic() ? GzipReader(source: file) : file)
    }

    /// Reads a tar archive held in memory, gzip-compressed or not, as `init(path:)` reads a file.
    package convenience init(bytes: [UInt8], sourceName: String) {
        let memory = MemoryReader(bytes, sourceName: sourceName)
        self.init(source: bytes.starts(with: gzipMagic) ? GzipReader(source: memory) : memory)
    }

    /// Moves to the next regular file and returns it, or nil at the end of the archive.
    /// Whatever was left unread of the previous file is skipped.
    package func nextFile() throws -> TarEntry? {
        try skip(unreadContents + unreadPadding)
        unreadContents = 0
        unreadPadding = 0
        current = nil
        // Set by GNU `L` and pax `x` entries; they apply to the entry that follows them.
        var longName: String?
        var paxPath: String?
        var paxSize: Int?
        while !reachedEnd {
            let got = try header.withUnsafeMutableBytes { try source.readFully(into: $0) }
            if got == 0 { reachedEnd = true; break }  // no end-of-archive blocks: accept, like GNU tar
            guard got == TarReader.blockSize else { throw ArchiveError.truncatedTar(path: sourceName, entry: nil) }
            if header.allSatisfy({ $0 == 0 }) { reachedEnd = true; break }
            try verifyChecksum()
            let headerSize = try number(at: 124, length: 12, field: "size")
            let type = header[156]
            switch type {
            case UInt8(ascii: "L"):
                longName = cString(try readSmallEntry(size: headerSize, what: "GNU long name")[...])
            case UInt8(ascii: "x"):
                let records = try parsePax(try readSmallEntry(size: headerSize, what: "pax header"))
                paxPath = records["path"] ?? paxPath
                if let size = records["size"] {
                    guard let value = Int(size), value >= 0 else {
                        throw ArchiveError.corruptTar(path: sourceName, reason: "pax size '\(size)' is not a number")
                    }
                    paxSize = value
                }
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):  // regular file (old style, POSIX, contiguous)
                let entry = TarEntry(name: paxPath ?? longName ?? headerName(), size: paxSize ?? headerSize)
                current = entry
                unreadContents = entry.size
                unreadPadding = TarReader.padding(after: entry.size)
                return entry
            default:
                // Directories, links, devices, pax globals, GNU long link names...: not files to return.
                try skip(headerSize + TarReader.padding(after: headerSize))
                longName = nil
                paxPath = nil
                paxSize = nil
            }
        }
        if !drained {
            try drainSource()
            drained = true
        }
        return nil
    }

    /// Reads what follows the end-of-archive blocks to the end of the source. For a `.tar.gz`
    /// this reaches the gzip trailer, where the checksum and the length are checked: without it a
    /// cut or damaged end of the file would go unnoticed, since the archive itself ended earlier.
    private func drainSource() throws {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        while try source.read(into: scratch) > 0 {}
    }

    /// The contents of the file that the last `nextFile()` returned (what is left of it).
    ///
    /// The size comes from the header, so the buffer grows with the bytes that actually arrive, a
    /// chunk at a time: a damaged or crafted size (up to 8 GiB in a few hundred bytes of archive)
    /// ends in a truncation error instead of a buffer of that size.
    package func readContents() throws -> [UInt8] {
        guard let entry = current else { preconditionFailure("TarReader.readContents() called without a current file") }
        var bytes: [UInt8] = []
        while bytes.count < unreadContents {
            let start = bytes.count
            let wanted = min(TarReader.contentsChunk, unreadContents - start)
            bytes.append(contentsOf: repeatElement(0, count: wanted))
            let got = try bytes.withUnsafeMutableBytes { try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
            guard got == wanted else { throw ArchiveError.truncatedTar(path: sourceName, entry: entry.name) }
        }
        unreadContents = 0
        return bytes
    }

    /// How much `readContents` reads (and allocates) before the data has shown it is there.
    static let contentsChunk = 1 << 22

    private static func padding(after size: Int) -> Int { (blockSize - size % blockSize) % blockSize }

    private func skip(_ count: Int) throws {
        guard count > 0 else { return }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, 1 << 16), alignment: 16)
        defer { scratch.deallocate() }
        var left = count
        while left > 0 {
            let got = try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(left, scratch.count)]))
            guard got > 0 else { throw ArchiveError.truncatedTar(path: sourceName, entry: current?.name) }
            left -= got
        }
    }

    /// The body of a metadata entry (long name, pax records), with its padding consumed.
    private func readSmallEntry(size: Int, what: String) throws -> [UInt8] {
        // Metadata entries hold a few names; a huge one means a damaged header, not a name to allocate.
        guard size <= 1 << 20 else {
            throw ArchiveError.corruptTar(path: sourceName, reason: "\(what) entry of \(size) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let got = try bytes.withUnsafeMutableBytes { try source.readFully(into: $0) }
        guard got == size else { throw ArchiveError.truncatedTar(path: sourceName, entry: what) }
        try skip(TarReader.padding(after: size))
        return bytes
    }

    /// The checksum is the sum of the header's bytes with its own 8-byte field counted as spaces.
    /// Some old tars summed signed chars, so both sums are accepted.
    private func verifyChecksum() throws {
        let stored = try number(at: 148, length: 8, field: "checksum")
        var unsigned = 0
        var signed = 0
        for (index, byte) in header.enumerated() {
            let value = (148..<156).contains(index) ? UInt8(ascii: " ") : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        guard stored == unsigned || stored == signed else {
            throw ArchiveError.corruptTar(path: sourceName, reason: "header checksum mismatch (not a tar file, or damaged)")
        }
    }

    /// A numeric header field: octal text (space or NUL terminated), or GNU base-256 when the
    /// first byte has its high bit set (sizes of 8 GiB and more).
    private func number(at offset: Int, length: Int, field: String) throws -> Int {
        let bytes = header[offset..<offset + length]
        if bytes.first! & 0x80 != 0 {
            guard bytes.first! & 0x40 == 0 else {
                throw ArchiveError.corruptTar(path: sourceName, reason: "negative base-256 \(field)")
            }
            var value = Int(bytes.first! & 0x7f)
            for byte in bytes.dropFirst() {
                guard value < Int.max >> 8 else { throw ArchiveError.corruptTar(path: sourceName, reason: "\(field) too large") }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var value = 0
        for byte in bytes.drop(while: { $0 == UInt8(ascii: " ") }) {
            if byte == 0 || byte == UInt8(ascii: " ") { break }
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) else {
                throw ArchiveError.corruptTar(path: sourceName, reason: "\(field) field is not an octal number")
            }
            value = value << 3 | Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// The name from the header itself: POSIX ustar splits long paths into prefix + "/" + name.
    /// GNU tar writes "ustar  " and uses the prefix bytes for other things, so only "ustar\0" counts.
    private func headerName() -> String {
        let name = cString(header[0..<100])
        let isPosixUstar = header[257..<263].elementsEqual("ustar\0".utf8)
        let prefix = isPosixUstar ? cString(header[345..<500]) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    private func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// pax records are "<length> <key>=<value>\n", the length counting the whole record.
    private func parsePax(_ bytes: [UInt8]) throws -> [String: String] {
        var records: [String: String] = [:]
        var start = 0
        while start < bytes.count {
            guard let space = bytes[start...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: bytes[start..<space], as: UTF8.self)),
                  length > space - start, start + length <= bytes.count,
                  bytes[start + length - 1] == UInt8(ascii: "\n"),
                  let equals = bytes[(space + 1)..<(start + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw ArchiveError.corruptTar(path: sourceName, reason: "malformed pax record at byte \(start) of a pax header")
            }
            let key = String(decoding: bytes[(space + 1)..<equals], as: UTF8.self)
            records[key] = String(decoding: bytes[(equals + 1)..<(start + length - 1)], as: UTF8.self)
            start += length
        }
        return records
    }
}
