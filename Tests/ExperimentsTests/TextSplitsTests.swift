import Experiments
import Foundation
import Tensor
import TestSupport
import Testing
import Training

/// MR's splits as a run sees them: a `train_limit` subset keeps both classes, and character
/// noise reaches training batches only, seeded, with labels untouched.
@Suite struct TextSplitsTests {
    static func splits(_ data: String, cache: String) throws -> TextSplits {
        let text = """
        {"task": "text", "data": {"dataset": "mr", "path": "\(Fixtures.dataFolder)/mr", "cache": "\(cache)", "length": 128,
         "validation_fraction": 0.1, \(data)},
         "model": {"features": 4, "hidden_units": 4}, "optimizer": {"lr": 0.01}, "epochs": 1, "output": "\(cache)/run"}
        """
        return try prepare(text)
    }

    /// The splits of a text config.
    static func prepare(_ config: String) throws -> TextSplits {
        guard case .text(let data) = try RunConfiguration.parse(config, file: "test.json").workload else {
            throw ConfigError(file: "test.json", key: "task", message: "not a text config")
        }
        return try data.prepare(threads: 1)
    }

    func batch(_ source: BatchSource, _ indices: Range<Int>, seed: UInt64?) -> (input: [Float], labels: [Int32]) {
        let batch = Batch()
        source.fill(batch, indices: Array(indices)[...], augmentationSeed: seed)
        return (batch.input.array, batch.labels)
    }

    @Test func trainLimitKeepsBothClasses() throws {
        let folder = try TemporaryFolder(prefix: "convrelu-splits")
        let splits = try Self.splits("\"train_limit\": 512", cache: folder.path)
        #expect(splits.train.sampleCount == 512)
        let all = batch(splits.train, 0..<512, seed: nil).labels
        let positive = all.filter { $0 == 1 }.count
        #expect(abs(positive - 256) <= 1, "\(positive) of 512 positive")
    }

    @Test func noiseIsSeededAndOnlyInTraining() throws {
        let folder = try TemporaryFolder(prefix: "convrelu-splits")
        let noisy = try Self.splits("\"char_noise\": 0.1", cache: folder.path)
        let clean = try Self.splits("\"char_noise\": 0", cache: folder.path)
        let plain = batch(clean.train, 0..<64, seed: 5)
        let a = batch(noisy.train, 0..<64, seed: 5), b = batch(noisy.train, 0..<64, seed: 5)
        #expect(a.input == b.input && a.labels == b.labels)
        #expect(a.input != plain.input && a.labels == plain.labels)
        #expect(batch(noisy.train, 0..<64, seed: 6).input != a.input)
        #expect(batch(noisy.train, 0..<64, seed: nil).input == plain.input, "no seed (evaluation): no noise")
        #expect(batch(noisy.test, 0..<64, seed: 5).input == batch(clean.test, 0..<64, seed: 5).input)
        #expect(batch(noisy.validation!, 0..<64, seed: 5).input == batch(clean.validation!, 0..<64, seed: 5).input)
    }

    /// Yelp's sample has no test file: a stratified, seeded fifth of it is the test set.
    @Test func testFractionHoldsOutAStratifiedShare() throws {
        let folder = try TemporaryFolder(prefix: "convrelu-splits")
        func yelp(_ seed: Int) throws -> TextSplits {
            let text = """
            {"task": "text", "data": {"dataset": "yelp_full", "path": "\(Fixtures.dataFolder)/yelp_review_full_csv",
             "train_file": "train_olora_4500.csv", "test_fraction": 0.2, "fold_seed": \(seed), "cache": "\(folder.path)", "length": 128},
             "model": {"features": 4, "hidden_units": 4}, "optimizer": {"lr": 0.01}, "epochs": 1, "output": "\(folder.path)/run"}
            """
            return try Self.prepare(text)
        }
        let splits = try yelp(0)
        #expect(splits.test.sampleCount == 900 && splits.train.sampleCount == 3_600)
        let train = splits.train as! TextCacheSource, test = splits.test as! TextCacheSource
        #expect(Set(train.samples).isDisjoint(with: test.samples))
        let perClass = (0..<5).map { c in test.samples.filter { test.cache.label($0) == c }.count }
        let all = (0..<5).map { c in (0..<train.cache.count).filter { train.cache.label($0) == c }.count }
        for c in 0..<5 { #expect(abs(Double(perClass[c]) - 0.2 * Double(all[c])) <= 1, "class \(c): \(perClass[c]) of \(all[c])") }
        #expect((try yelp(0).test as! TextCacheSource).samples == test.samples)
        #expect((try yelp(1).test as! TextCacheSource).samples != test.samples)
        let both = configError("""
            {"task": "text", "data": {"dataset": "yelp_full", "path": ".", "test_file": "t.csv", "test_fraction": 0.2},
             "optimizer": {"lr": 0.01}, "epochs": 1, "output": "x"}
            """)
        #expect(both?.key == "data.test_fraction")
    }
}
