import Archive
import CZlib
import Foundation
import TestSupport
import Testing

@Suite struct GzipTests {
    @Test(arguments: [0, 1, 1000, 300_000])
    func roundTrip(count: Int) throws {
        let original = sampleBytes(count: count)
        let compressed = gzip(original)
        #expect(compressed.prefix(2) == [0x1f, 0x8b])
        #expect(try gunzip(compressed) == original)
    }

    @Test func concatenatedMembersDecompressToTheirConcatenation() throws {
        let first = sampleBytes(count: 70_000, seed: 1)
        let second = sampleBytes(count: 5, seed: 2)
        let third = sampleBytes(count: 123_456, seed: 3)
        let joined = gzip(first) + gzip(second, level: 9) + gzip(third, level: 1)
        #expect(try gunzip(joined) == first + second + third)
    }

    @Test func zeroPaddingAfterTheLastMemberIsIgnored() throws {
        let original = sampleBytes(count: 4096)
        #expect(try gunzip(gzip(original) + [UInt8](repeating: 0, count: 700)) == original)
    }

    @Test func junkAfterTheLastMemberIsAnError() throws {
        let data = gzip(sampleBytes(count: 100)) + Array("junk".utf8)
        #expect(throws: ArchiveError.self) { try gunzip(data) }
    }

    @Test func zlibStreamsAreDetected() throws {
        let original = sampleBytes(count: 50_000)
        var compressed = [UInt8](repeating: 0, count: Int(compressBound(uLong(original.count))))
        var compressedSize = uLong(compressed.count)
        let code = compressed.withUnsafeMutableBufferPointer { out in
            original.withUnsafeBufferPointer { compress2(out.baseAddress, &compressedSize, $0.baseAddress, uLong(original.count), 6) }
        }
        #expect(code == Z_OK)
        #expect(try gunzip(Array(compressed.prefix(Int(compressedSize)))) == original)
    }

    @Test func corruptDataNamesTheFile() throws {
        let folder = try TemporaryFolder(prefix: "archive-tests")
        var data = gzip(sampleBytes(count: 20_000))
        for index in 20..<60 { data[index] ^= 0x5a }
        try folder.write("broken.bin.gz", data)
        let path = folder.path + "/broken.bin.gz"
        let error = #expect(throws: ArchiveError.self) { try readFileMaybeGzipped(path) }
        guard case .corruptCompressedData(path, _)? = error else {
            Issue.record("expected corrupt data error, got \(String(describing: error))")
            return
        }
        #expect(error!.description.hasPrefix(path + ": corrupt gzip"))
    }

    @Test func truncatedDataNamesTheFile() throws {
        let folder = try TemporaryFolder(prefix: "archive-tests")
        let data = gzip(sampleBytes(count: 20_000))
        try folder.write("short.gz", Array(data.dropLast(9)))
        let path = folder.path + "/short.gz"
        #expect(throws: ArchiveError.truncatedCompressedData(path: path)) { try readFileMaybeGzipped(path) }
        #expect(throws: ArchiveError.truncatedCompressedData(path: "<memory>")) { try gunzip([]) }
    }

    @Test func readFileMaybeGzippedFindsThePlainOrTheCompressedFile() throws {
        let folder = try TemporaryFolder(prefix: "archive-tests")
        let plain = sampleBytes(count: 3000, seed: 7)
        let packed = sampleBytes(count: 200_000, seed: 8)
        try folder.write("plain.bin", plain)
        try folder.write("packed.bin.gz", gzip(packed))
        #expect(try readFileMaybeGzipped(folder.path + "/plain.bin") == plain)
        #expect(try readFileMaybeGzipped(folder.path + "/packed.bin") == packed)
        #expect(try readFileMaybeGzipped(folder.path + "/packed.bin.gz") == packed)
        let missing = folder.path + "/absent.bin"
        #expect(throws: ArchiveError.missingFile(path: missing)) { try readFileMaybeGzipped(missing) }
    }

    @Test func agreesWithTheSystemGzipTool() throws {
        let folder = try TemporaryFolder(prefix: "archive-tests")
        let original = sampleBytes(count: 100_000, seed: 9)
        try folder.write("tool.bin", original)
        try runCommand(["gzip", "-9", "tool.bin"], in: folder.path)
        #expect(try readFileMaybeGzipped(folder.path + "/tool.bin") == original)
        // And the other way: `gzip -d` accepts what `gzip(_:)` writes.
        try folder.write("ours.bin.gz", gzip(original))
        try runCommand(["gzip", "-d", "ours.bin.gz"], in: folder.path)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: folder.path + "/ours.bin"))) == original)
    }
}
