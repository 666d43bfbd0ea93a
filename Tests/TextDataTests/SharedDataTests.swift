import Foundation
import TestSupport
import Testing
@testable import TextData

/// Checks against the real datasets in the shared data folder (see its README for the counts).
@Suite(.enabled(if: sharedDataAvailable, "needs the shared data folder ($CONVRELU_DATA or ../shared/data)"))
struct SharedDataTests {
    @Test func agNewsFiles() throws {
        let train = try CorpusReader.readCSV(SourceFile(path: Fixtures.dataFolder + "/ag_news_csv/train_combined.csv"), format: TextDataset.agNews.csvFormat!)
        #expect(train.count == 4559)
        #expect((0..<4).map { label in train.filter { $0.label == label }.count } == [1126, 1166, 1134, 1133])
        #expect(train[0].fields[1] == "Reuters - Short-sellers, Wall Street's dwindling\\band of ultra-cynics, are seeing green again.")
        let test = try CorpusReader.readCSV(SourceFile(path: Fixtures.dataFolder + "/ag_news_csv/test.csv"), format: TextDataset.agNews.csvFormat!)
        #expect((0..<4).map { label in test.filter { $0.label == label }.count } == [1775, 1775, 1775, 1775])
    }

    @Test func yelpFiles() throws {
        let train = try CorpusReader.readCSV(SourceFile(path: Fixtures.dataFolder + "/yelp_review_full_csv/train_olora_4500.csv"),
                                             format: TextDataset.yelpFull.csvFormat!)
        #expect((0..<5).map { label in train.filter { $0.label == label }.count } == [936, 886, 882, 916, 880])
        let head = try CorpusReader.readCSV(SourceFile(path: Fixtures.dataFolder + "/yelp_review_full_csv/train_head5.csv"),
                                            format: TextDataset.yelpFull.csvFormat!)
        #expect(head.map(\.label) == [4, 1, 3, 3, 0])
        #expect(head[0].fields[0].hasPrefix("dr. goldberg offers everything"))
    }

    @Test func movieReviewsPreprocessLikeTheEncoder() throws {
        let files = try SourceFile.open(["rt-polarity.pos", "rt-polarity.neg"], in: .folder(Fixtures.dataFolder + "/mr"))
        let (positive, negative) = (files[0], files[1])
        let samples = try CorpusReader.readClassFiles([negative, positive])
        #expect(samples.count == 10462 && samples.filter { $0.label == 1 }.count == 5231)
        let folds = FoldAssignment.stratified(samples, seed: 1)
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let settings = PreprocessingSettings(encoding: .latin1)
        let summary = try TextPreprocessor.preprocessClassFiles([negative, positive], folds: folds, settings: settings,
                                                                to: folder.path + "/mr.cache")
        #expect(summary.nonASCIISampleCount == 198)
        let cache = try TextCache(path: folder.path + "/mr.cache", expecting: settings)
        let encoder = try TextEncoder(settings: settings)
        // Every non-ASCII sentence plus every 50th one: the cache must equal the String pipeline.
        for index in samples.indices where index % 50 == 0 || samples[index].fields[0].unicodeScalars.contains(where: { !$0.isASCII }) {
            #expect(cache.columns(index) == (try encoder.encode(samples[index])), "sample \(samples[index].id)")
        }
        let (train, test) = cache.split(testFold: 0)
        #expect(train.count + test.count == 10462 && test.count >= 1046 && test.count <= 1047)
    }

    @Test func agNewsCacheIsTheSameWithOneOrTwoThreads() throws {
        let source = try SourceFile(path: Fixtures.dataFolder + "/ag_news_csv/train_partial.csv")
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        try TextPreprocessor.preprocessCSV(source, format: TextDataset.agNews.csvFormat!, dataset: "ag", to: folder.path + "/1.cache", threads: 1)
        try TextPreprocessor.preprocessCSV(source, format: TextDataset.agNews.csvFormat!, dataset: "ag", to: folder.path + "/2.cache", threads: 2)
        #expect(FileManager.default.contents(atPath: folder.path + "/1.cache") == FileManager.default.contents(atPath: folder.path + "/2.cache"))
        let cache = try TextCache(path: folder.path + "/2.cache")
        let samples = try CorpusReader.readCSV(source, format: TextDataset.agNews.csvFormat!)
        let encoder = try TextEncoder()
        for index in samples.indices { #expect(cache.columns(index) == (try encoder.encode(samples[index]))) }
    }
}
