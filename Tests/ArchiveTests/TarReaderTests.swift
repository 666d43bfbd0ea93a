import Archive
import Foundation
import TestSupport
import Testing

@Suite struct TarReaderTests {
    /// A path longer than the 100 bytes of a tar header's name field.
    static let longName = "data/" + String(repeating: "a_rather_long_folder_name/", count: 5) + "with_a_long_file_name.bin"
    static let files: [(name: String, bytes: [UInt8])] = [
        ("data/small.txt", Array("hello tar\n".utf8)),
        ("data/empty.bin", []),
        ("data/exactly_one_block.bin", sampleBytes(count: 512, seed: 4)),
        (longName, sampleBytes(count: 700_001, seed: 5)),
    ]

    /// Writes `files` into a fresh folder and packs them with the system tar.
    static func makeArchive(format: String, compress: Bool) throws -> (folder: TemporaryFolder, archive: String) {
        #expect(longName.utf8.count > 100)
        let folder = try TemporaryFolder(prefix: "archive-tests")
        for file in files { try folder.write("tree/" + file.name, file.bytes) }
        let archive = folder.path + "/test." + (compress ? "tar.gz" : "tar")
        try runCommand(["tar", "--format=\(format)", compress ? "-czf" : "-cf", archive, "-C", folder.path + "/tree", "data"],
                       in: folder.path)
        return (folder, archive)
    }

    static func readAll(_ path: String) throws -> [String: [UInt8]] {
        let tar = try TarReader(path: path)
        var contents: [String: [UInt8]] = [:]
        while let entry = try tar.nextFile() {
            let bytes = try tar.readContents()
            #expect(bytes.count == entry.size)
            contents[entry.name] = bytes
        }
        return contents
    }

    // ustar stores a long path as prefix + "/" + name, so it is checked alongside GNU and pax.
    @Test(arguments: ["gnu", "pax", "ustar"], [true, false])
    func readsEveryFileWithItsFullName(format: String, compress: Bool) throws {
        let (folder, archive) = try TarReaderTests.makeArchive(format: format, compress: compress)
        defer { withExtendedLifetime(folder) {} }
        let contents = try TarReaderTests.readAll(archive)
        #expect(contents.count == TarReaderTests.files.count)
        for file in TarReaderTests.files {
            #expect(contents[file.name] == file.bytes, "\(file.name) in \(format) archive")
        }
    }

    @Test func unreadFilesAreSkipped() throws {
        let (folder, archive) = try TarReaderTests.makeArchive(format: "pax", compress: true)
        defer { withExtendedLifetime(folder) {} }
        let tar = try TarReader(path: archive)
        var names: [String] = []
        var small: [UInt8]?
        while let entry = try tar.nextFile() {
            names.append(entry.name)
            if entry.name == "data/small.txt" { small = try tar.readContents() }
        }
        #expect(Set(names) == Set(TarReaderTests.files.map(\.name)))
        #expect(small == Array("hello tar\n".utf8))
    }

    @Test func truncatedArchiveNamesTheFileAndTheEntry() throws {
        let (folder, archive) = try TarReaderTests.makeArchive(format: "gnu", compress: false)
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: archive)))
        try folder.write("cut.tar", Array(whole.prefix(whole.count / 2)))
        let cut = folder.path + "/cut.tar"
        let error = #expect(throws: ArchiveError.self) { _ = try TarReaderTests.readAll(cut) }
        guard case .truncatedTar(cut, let entry)? = error else {
            Issue.record("expected a truncated tar error, got \(String(describing: error))")
            return
        }
        #expect(entry != nil)
        #expect(error!.description.hasPrefix(cut + ": tar archive is truncated"))
    }

    /// The archive's own end comes before the gzip trailer; a cut or damaged trailer is still an
    /// error (issue 15, row 7), for every cut of 1 to 20 bytes and for a flipped checksum.
    @Test func damagedGzipEndOfATarGzIsAnError() throws {
        let (folder, archive) = try TarReaderTests.makeArchive(format: "gnu", compress: true)
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: archive)))
        #expect(try TarReaderTests.readAll(archive).count == TarReaderTests.files.count)
        for cut in 1...20 {
            let path = try folder.write("cut-\(cut).tar.gz", Array(whole.dropLast(cut)))
            let error = #expect(throws: ArchiveError.self, "cut by \(cut)") { _ = try TarReaderTests.readAll(path) }
            #expect(error?.path == path)
        }
        var flipped = whole
        flipped[flipped.count - 8] ^= 0xFF  // the first byte of the trailer's CRC-32
        let path = try folder.write("flipped.tar.gz", flipped)
        let error = #expect(throws: ArchiveError.self) { _ = try TarReaderTests.readAll(path) }
        guard case .corruptCompressedData(path, let reason)? = error else {
            Issue.record("expected corrupt gzip data, got \(String(describing: error))")
            return
        }
        #expect(reason == "incorrect data check")
    }

    @Test func aFileThatIsNotATarIsReportedAsCorrupt() throws {
        let folder = try TemporaryFolder(prefix: "archive-tests")
        try folder.write("noise.tar.gz", gzip(sampleBytes(count: 5000)))
        let path = folder.path + "/noise.tar.gz"
        let error = #expect(throws: ArchiveError.self) { _ = try TarReaderTests.readAll(path) }
        guard case .corruptTar(path, _)? = error else {
            Issue.record("expected a corrupt tar error, got \(String(describing: error))")
            return
        }
    }

    /// A header that claims 256 MiB over 100 bytes of data: a truncation error, and the reader
    /// never asks its source for more than a chunk. It used to allocate and zero the claimed size
    /// first: Fuzz/crashers/archive/tar-size-8GiB.tar, 612 bytes that claim 8 GiB, took 8.4 GB
    /// resident and 197 s (found looking into the archive target's slow executions).
    @Test func aHugeClaimedSizeIsATruncationNotAnAllocation() throws {
        let claimed = 256 << 20
        let source = LargestRequest(MemoryReader(ustarHeader(name: "big.bin", size: claimed) + Array(repeating: 0x78, count: 100),
                                                 sourceName: "big.tar"))
        let tar = TarReader(source: source)
        let entry = try #require(try tar.nextFile())
        #expect(entry.name == "big.bin" && entry.size == claimed)
        #expect(throws: ArchiveError.truncatedTar(path: "big.tar", entry: "big.bin")) { try tar.readContents() }
        #expect(source.largest <= 4 << 20, "asked for \(source.largest) bytes at once")
    }

    @Test func missingArchive() throws {
        #expect(throws: ArchiveError.missingFile(path: "/nonexistent/x.tar.gz")) { try TarReader(path: "/nonexistent/x.tar.gz") }
    }
}

/// Passes reads through and records the largest buffer it was asked to fill.
private final class LargestRequest: ByteReader {
    let inner: ByteReader
    private(set) var largest = 0
    var sourceName: String { inner.sourceName }
    init(_ inner: ByteReader) { self.inner = inner }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        largest = max(largest, buffer.count)
        return try inner.read(into: buffer)
    }
}

/// A POSIX ustar header for a regular file of `size` bytes (octal, so below 8 GiB), checksummed.
private func ustarHeader(name: String, size: Int) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 512)
    func put(_ text: String, at offset: Int) { header.replaceSubrange(offset..<offset + text.utf8.count, with: text.utf8) }
    put(name, at: 0)
    put("0000644", at: 100)
    put(String(size, radix: 8).leftPadded(to: 11), at: 124)
    put("00000000000", at: 136)
    put("0", at: 156)
    put("ustar\u{0}00", at: 257)
    put("        ", at: 148)
    put(String(header.reduce(0) { $0 + Int($1) }, radix: 8).leftPadded(to: 6) + "\u{0} ", at: 148)
    return header
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
