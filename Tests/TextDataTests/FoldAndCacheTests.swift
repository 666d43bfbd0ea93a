import Foundation
import Tensor
import TestSupport
import Testing
@testable import TextData

@Suite struct FoldTests {
    /// 23 negatives and 17 positives, so neither class divides evenly into 10 folds.
    static let samples = (0..<40).map { LabeledText(id: "f:\($0 + 1)", label: $0 < 23 ? 0 : 1, fields: ["s"]) }

    @Test func foldsAreBalancedPerClass() {
        let folds = FoldAssignment.stratified(Self.samples, foldCount: 10, seed: 7)
        for label in 0...1 {
            var perFold = [Int](repeating: 0, count: 10)
            for (index, sample) in Self.samples.enumerated() where sample.label == label { perFold[folds.folds[index]] += 1 }
            #expect(perFold.max()! - perFold.min()! <= 1)
        }
        let sizes = (0..<10).map { fold in folds.folds.filter { $0 == fold }.count }
        #expect(sizes.max()! - sizes.min()! <= 1)
        let (train, test) = folds.split(testFold: 3)
        #expect(Set(train).isDisjoint(with: test) && train.count + test.count == 40)
    }

    @Test func foldsDependOnTheSeedOnly() {
        let a = FoldAssignment.stratified(Self.samples, seed: 7)
        #expect(a == FoldAssignment.stratified(Self.samples, seed: 7))
        #expect(a.folds != FoldAssignment.stratified(Self.samples, seed: 8).folds)
    }

    @Test func foldFileRoundTrip() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let path = folder.path + "/folds.tsv"
        let folds = FoldAssignment.stratified(Self.samples, seed: 11)
        try folds.write(to: path)
        let back = try FoldAssignment.read(from: path)
        #expect(back == folds)
        #expect(try back.folds(for: Self.samples) == folds.folds)
        // Reading it against another corpus fails clearly.
        var other = Self.samples
        other[5].label = 1
        expectError(.foldsDoNotMatchSamples(detail: "sample f:6 has class 1, the fold file says 0"), file: path, line: nil) {
            _ = try back.folds(for: other, file: path)
        }
    }

    @Test func malformedFoldFiles() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let header = "# ConvReLU stratified folds folds=10 seed=1 samples=2\nid\tlabel\tfold\n"
        let badFold = try folder.write("a.tsv", header + "x:1\t0\t3\nx:2\t1\t10\n")
        expectError(.malformedFoldFile(detail: "expected id<TAB>class<TAB>fold with a fold in 0..<10"), file: badFold, line: 4) {
            _ = try FoldAssignment.read(from: badFold)
        }
        let short = try folder.write("b.tsv", header + "x:1\t0\t3\n")
        expectError(.malformedFoldFile(detail: "the header says 2 samples, the file lists 1"), file: short, line: nil) {
            _ = try FoldAssignment.read(from: short)
        }
        let noHeader = try folder.write("c.tsv", "id\tlabel\tfold\n")
        expectError(.malformedFoldFile(detail: "the first line must start with \"# ConvReLU stratified folds\""),
                    file: noHeader, line: 1) {
            _ = try FoldAssignment.read(from: noHeader)
        }
    }
}

@Suite struct CacheTests {
    static let csv = #"""
        "3","Wall St. Bears Claw Back","Reuters - Short-sellers, Wall Street's dwindling\band of ultra-cynics"
        "1","Café ﬁnance","second\team\nwins ""big"""
        "4","ＡＢＣ news","Any text - with dashes"
        "2","x","y"

        """#

    @Test func roundTripGivesTheEncoderColumns() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let source = try SourceFile(path: folder.write("train.csv", Self.csv))
        let settings = PreprocessingSettings(quantization: QuantizationSettings(alphabet: .zhang70Newline, length: 64))
        var reports: [(Int, Int)] = []
        let summary = try TextPreprocessor.preprocessCSV(source, format: TextDataset.agNews.csvFormat!, dataset: "ag_news/train",
                                                         settings: settings, to: folder.path + "/train.cache") {
            reports.append(($0, $1))
        }
        #expect(summary == PreprocessSummary(sampleCount: 4, samplesPerClass: [1, 1, 1, 1], nonASCIISampleCount: 2,
                                             inputBytes: source.count))
        #expect(reports.last! == (source.count, source.count))

        let cache = try TextCache(path: folder.path + "/train.cache", expecting: settings, dataset: "ag_news/train")
        #expect(cache.count == 4 && cache.classCount == 4 && cache.foldCount == 0 && cache.length == 64)
        #expect(cache.labels == [2, 0, 3, 1])
        let samples = try CorpusReader.readCSV(source, format: TextDataset.agNews.csvFormat!)
        let encoder = try TextEncoder(settings: settings)
        for index in 0..<4 { #expect(cache.columns(index) == (try encoder.encode(samples[index]))) }
        // "wins \"big\" Cafe finance": the newline has its own row in this alphabet.
        #expect(cache.columns(1).prefix(4) == [row("e"), row("c"), row("n"), row("a")])
        #expect(cache.columns(1)[23 ... 24] == [69, row("m")])

        var gathered = [UInt8](repeating: 0, count: 128)
        gathered.withUnsafeMutableBufferPointer { cache.gather([3, 0], into: $0) }
        #expect(Array(gathered[0..<64]) == cache.columns(3) && Array(gathered[64...]) == cache.columns(0))
        #expect(cache.oneHot([0, 1]).shape == [2, 70, 64])
    }

    @Test func badCachesAreRefused() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let path = folder.path + "/c.cache"
        let settings = PreprocessingSettings(quantization: QuantizationSettings(length: 32))
        try TextPreprocessor.preprocessCSV(SourceFile(path: folder.write("t.csv", Self.csv)), format: TextDataset.agNews.csvFormat!,
                                           dataset: "ag", settings: settings, to: path)
        let good = [UInt8](FileManager.default.contents(atPath: path)!)
        _ = try TextCache(path: path, expecting: settings)

        var other = settings
        other.quantization.length = 1014
        expectError(.settingsMismatch(setting: "length", inFile: "32", expected: "1014"), file: path, line: nil) {
            _ = try TextCache(path: path, expecting: other)
        }
        other = settings
        other.normalization.transliteration = .none
        expectError(.settingsMismatch(setting: "transliteration", inFile: "Latin-ASCII", expected: "none"), file: path, line: nil) {
            _ = try TextCache(path: path, expecting: other)
        }
        expectError(.settingsMismatch(setting: "dataset", inFile: "ag", expected: "yelp"), file: path, line: nil) {
            _ = try TextCache(path: path, dataset: "yelp")
        }

        let truncated = try folder.write("truncated.cache", Array(good.dropLast(5)))
        expectError(.wrongCacheSize(expectedBytes: good.count, actualBytes: good.count - 5), file: truncated, line: nil) {
            _ = try TextCache(path: truncated)
        }
        let cutInMagic = try folder.write("tiny.cache", Array(good.prefix(3)))
        expectError(.wrongCacheSize(expectedBytes: TextCache.fixedHeaderSize, actualBytes: 3), file: cutInMagic, line: nil) {
            _ = try TextCache(path: cutInMagic)
        }
        var magic = good
        magic[0] = UInt8(ascii: "X")
        let wrongMagic = try folder.write("magic.cache", magic)
        expectError(.wrongMagic, file: wrongMagic, line: nil) { _ = try TextCache(path: wrongMagic) }

        var oldVersion = good
        oldVersion[8] = 1
        let versionOne = try folder.write("v1.cache", oldVersion)
        expectError(.unsupportedVersion(1), file: versionOne, line: nil) { _ = try TextCache(path: versionOne) }

        var flipped = good
        flipped[good.count - 10] ^= 1
        let corrupt = try folder.write("corrupt.cache", flipped)
        let error = #expect(throws: TextDataError.self) { _ = try TextCache(path: corrupt) }
        guard case .checksumMismatch = error?.kind else { Issue.record("expected a checksum mismatch, got \(String(describing: error))"); return }
        #expect(error?.file == corrupt)
        expectError(.missingFile, file: folder.path + "/none.cache", line: nil) { _ = try TextCache(path: folder.path + "/none.cache") }
    }

    @Test func movieReviewCacheKeepsTheFolds() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let positive = try SourceFile(path: folder.write("rt-polarity.pos", (1...12).map { "good film \($0) .\n" }.joined()))
        let negative = try SourceFile(path: folder.write("rt-polarity.neg", Array((1...12).map { "bad film \($0) .\n" }.joined().utf8)
                                                              + Array("clich".utf8) + [0xE9, 0x0A]))
        let samples = try CorpusReader.readClassFiles([negative, positive])
        let folds = FoldAssignment.stratified(samples, foldCount: 5, seed: 3)
        try folds.write(to: folder.path + "/folds.tsv")
        let settings = PreprocessingSettings(encoding: .latin1, quantization: QuantizationSettings(length: 16))
        let summary = try TextPreprocessor.preprocessClassFiles([negative, positive], folds: try FoldAssignment.read(from: folder.path + "/folds.tsv"),
                                                                settings: settings, to: folder.path + "/mr.cache")
        #expect(summary.samplesPerClass == [13, 12] && summary.nonASCIISampleCount == 1)

        let cache = try TextCache(path: folder.path + "/mr.cache", expecting: settings, dataset: "mr")
        #expect(cache.foldCount == 5)
        #expect((0..<cache.count).map { cache.fold($0)! } == folds.folds)
        #expect(cache.split(testFold: 2) == folds.split(testFold: 2))
        #expect(cache.labels == samples.map(\.label))
        #expect(cache.columns(12).prefix(7) == [row("e"), row("h"), row("c"), row("i"), row("l"), row("c"), empty])

        // Folds made for another corpus are refused.
        let shorter = FoldAssignment.stratified(Array(samples.dropLast()), foldCount: 5, seed: 3)
        expectError(.foldsDoNotMatchSamples(detail: "24 ids for 25 samples"), file: folder.path + "/x.cache", line: nil) {
            try TextPreprocessor.preprocessClassFiles([negative, positive], folds: shorter, settings: settings, to: folder.path + "/x.cache")
        }
    }

    /// A cache the disk cannot hold is an error naming it (not a SIGBUS half-way through
    /// writing it) and leaves no temporary file behind.
    @Test func cacheOnAFullDiskIsAnErrorNamingIt() throws {
        guard let disk = try TinyFileSystem(bytes: 256 << 10) else { try Test.cancel("mounting a tmpfs needs root") }
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        // 1 000 samples of 1 014 columns take about 1 MB.
        let source = try SourceFile(path: folder.write("train.csv", String(repeating: "\"1\",\"title\",\"text\"\n", count: 1000)))
        let cachePath = disk.path + "/train.cache"
        let error = #expect(throws: AtomicFile.WriteError.self) {
            try TextPreprocessor.preprocessCSV(source, format: TextDataset.agNews.csvFormat!, dataset: "ag", to: cachePath)
        }
        #expect(error?.path == cachePath)
        #expect(error?.description.contains("No space left on device") == true, "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).isEmpty)
    }
}

@Suite struct ChecksumTests {
    /// Reference values from Python's `xxhash.xxh64(bytes(i * 7 % 256 for i in range(n)))`,
    /// covering every tail length the algorithm distinguishes.
    @Test(arguments: [
        (0, 0xef46db3751d8e999), (1, 0xe934a84adb052768), (4, 0xae5acdc00a55ac41), (7, 0xd734a6b26f3da63e),
        (8, 0x87116b3365b924eb), (12, 0x14b8433b9a14e611), (31, 0x0f187c62b1e722b7), (32, 0x91b0cb0931a8c629),
        (36, 0xff889616afdd68c2), (45, 0x9364e111a6602f43), (100, 0x8e2272c08247d5db), (771, 0xaad89520c05fc497),
    ] as [(Int, UInt64)])
    func xxh64MatchesTheReference(length: Int, expected: UInt64) {
        let bytes = (0..<length).map { UInt8($0 * 7 % 256) }
        #expect(bytes.withUnsafeBytes(XXH64.hash) == expected)
    }
}
