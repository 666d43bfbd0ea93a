import Archive
import Foundation
import Tensor
import TextData
import Training

/// The `data` section of a text run: which corpus, where, which split and how to quantise it.
package struct TextDataConfiguration {
    package var dataset: TextDataset
    /// The dataset's folder, or its official .tar.gz (read without unpacking).
    package var path: String
    /// Where preprocessed caches (and MR's fold file) are kept and reused.
    var cacheFolder: String
    /// MR: the test fold (0-based) of a `folds`-fold stratified split drawn with `foldSeed`,
    /// which also draws the validation share, a `test_fraction` split and the `train_limit` sample.
    package var fold: Int
    package var folds: Int
    var foldSeed: UInt64
    /// Share of the training part held out for validation (early stopping, best checkpoint).
    var validationFraction: Double
    /// CSV datasets: file names inside `path`.
    var trainFile: String
    var testFile: String
    /// CSV datasets without a test file of their own (a Yelp sample): this share of the
    /// training file, stratified and drawn with `fold_seed`, is the test set; 0 reads `test_file`.
    var testFraction: Double
    /// Use at most this many training samples (quick runs and tests); nil for all.
    var trainLimit: Int?
    /// Probability that a training character is deleted or replaced (`CharacterNoise`); 0: none.
    var characterNoise: Double
    /// Probability that a training word is deleted (`WordDropout`); 0: none.
    var wordDropout: Double
    package var settings: PreprocessingSettings

    package var classes: Int { dataset.classes }
    package var alphabetSize: Int { settings.quantization.alphabet.size }
    package var length: Int { settings.quantization.length }

    package init(_ data: ConfigObject) throws {
        dataset = try data.choice("dataset")
        path = try data.string("path")
        cacheFolder = try data.string("cache", default: "cache")
        folds = try data.int("folds", default: 10, range: 2...100)
        fold = try data.int("fold", default: 0, range: 0...(folds - 1))
        foldSeed = UInt64(try data.int("fold_seed", default: 0, range: 0...Int(Int32.max)))
        validationFraction = try data.double("validation_fraction", default: 0, range: 0...0.5)
        trainFile = try data.string("train_file", default: "train.csv")
        testFile = try data.string("test_file", default: "test.csv")
        testFraction = try data.double("test_fraction", default: 0, range: 0...0.5)
        if testFraction > 0 && (dataset.testSetIsFold || data.has("test_file")) {
            throw ConfigError(file: data.file, key: "data.test_fraction",
                              message: dataset.testSetIsFold ? "MR's test set is a fold (data.fold)" : "give test_file or test_fraction, not both")
        }
        trainLimit = data.has("train_limit") ? try data.int("train_limit", range: 1...Int.max) : nil
        data.skip("train_limit")
        characterNoise = try data.double("char_noise", default: 0, range: 0...0.5)
        wordDropout = try data.double("word_dropout", default: 0, range: 0...0.5)
        let alphabet = try data.int("alphabet", default: 69, range: 69...70)
        let transliterate = try data.bool("transliterate", default: true)
        settings = PreprocessingSettings(
            encoding: dataset.encoding,
            normalization: NormalizationSettings(nfkc: try data.bool("nfkc", default: true),
                                                 caseFolding: try data.bool("case_fold", default: true),
                                                 transliteration: transliterate ? .latinToASCII : .none),
            quantization: QuantizationSettings(alphabet: alphabet == 69 ? .zhang69 : .zhang70Newline,
                                               length: try data.int("length", default: 1014, range: 1...100_000),
                                               joinOrder: try data.bool("join_last_field_first", default: true) ? .lastFieldFirst : .firstFieldFirst))
        if !dataset.testSetIsFold && (data.has("fold") || data.has("folds")) {
            throw ConfigError(file: data.file, key: "data.fold", message: "folds apply to MR only; \(dataset.rawValue) has a fixed train/test split")
        }
    }

    /// A short, stable tag of the preprocessing settings, so caches of different settings never collide.
    var settingsTag: String {
        let n = settings.normalization, q = settings.quantization
        return "l\(q.length)-a\(q.alphabet.size)-j\(q.joinOrder.rawValue)-n\(n.nfkc ? 1 : 0)\(n.caseFolding ? 1 : 0)\(n.transliteration.rawValue)"
    }
}

/// Training, validation and test sets of a text run, from preprocessed caches (built on first use).
package struct TextSplits {
    package var train: TextCacheSource
    package var validation: TextCacheSource?
    package var test: TextCacheSource
}

extension TextDataConfiguration {
    /// Opens (or builds) the caches and splits them. `progress` reports preprocessing.
    package func prepare(threads: Int, progress: TextPreprocessor.Progress? = nil, log: (String) -> Void = { _ in }) throws -> TextSplits {
        try Folder.create(cacheFolder)
        var trainIndices: [Int], testIndices: [Int]
        let trainCache: TextCache, testCache: TextCache
        switch dataset.layout {
        case .filePerClass(let names):
            let name = dataset.rawValue
            let files = try sourceFiles(names)
            let tag = sourceTag(files)
            let cache = try openOrBuild(name: "\(name)-k\(folds)-s\(foldSeed)", sourceTag: tag, log: log) { cachePath in
                // The folds are drawn from the sample ids, so they are kept per source too.
                let foldFile = "\(cacheFolder)/\(name)-folds-k\(folds)-s\(foldSeed)-\(tag).tsv"
                let assignment: FoldAssignment
                if FileManager.default.fileExists(atPath: foldFile) {
                    assignment = try FoldAssignment.read(from: foldFile)
                } else {
                    let samples = try CorpusReader.readClassFiles(files, encoding: settings.encoding)
                    assignment = FoldAssignment.stratified(samples, foldCount: folds, seed: foldSeed)
                    try assignment.write(to: foldFile)
                    log("wrote the fold assignment to \(foldFile)")
                }
                _ = try TextPreprocessor.preprocessClassFiles(files, folds: assignment, dataset: name, settings: settings,
                                                              to: cachePath, threads: threads, progress: progress)
            }
            (trainIndices, testIndices) = cache.split(testFold: fold)
            (trainCache, testCache) = (cache, cache)
        case .csv(let format):
            func build(_ file: String, _ split: String) throws -> TextCache {
                let source = try sourceFiles([file])[0]
                return try openOrBuild(name: "\(dataset.rawValue)-\(split)-\((file as NSString).deletingPathExtension)",
                                       sourceTag: sourceTag([source]), log: log) { cachePath in
                    _ = try TextPreprocessor.preprocessCSV(source, format: format,
                                                           dataset: dataset.rawValue, settings: settings, to: cachePath,
                                                           threads: threads, progress: progress)
                }
            }
            trainCache = try build(trainFile, "train")
            if testFraction > 0 {
                let all = Array(0..<trainCache.count)
                var testRNG = RNG(seed: foldSeed, stream: "test_fraction")
                let cache = trainCache
                testIndices = stratifiedSample(all, count: Int((Double(all.count) * testFraction).rounded()),
                                               label: { cache.label($0) }, rng: &testRNG)
                let held = Set(testIndices)
                trainIndices = all.filter { !held.contains($0) }
                testCache = trainCache
            } else {
                testCache = try build(testFile, "test")
                trainIndices = Array(0..<trainCache.count)
                testIndices = Array(0..<testCache.count)
            }
        }
        // Validation comes out of the training part, drawn with the data seed so that every run
        // seed sees the same split.
        var rng = RNG(seed: foldSeed, stream: "validation")
        rng.shuffle(&trainIndices)
        let validationCount = Int((Double(trainIndices.count) * validationFraction).rounded())
        let validation = Array(trainIndices.prefix(validationCount)).sorted()
        var train = Array(trainIndices.dropFirst(validationCount)).sorted()
        if let trainLimit {
            var limitRNG = RNG(seed: foldSeed, stream: "train_limit")
            train = stratifiedSample(train, count: trainLimit, label: { trainCache.label($0) }, rng: &limitRNG)
        }
        let augmentation = TextAugmentation(characterNoise: characterNoise, wordDropout: wordDropout, alphabetSize: alphabetSize)
        return TextSplits(train: TextCacheSource(trainCache, samples: train, augmentation: augmentation),
                          validation: validation.isEmpty ? nil : TextCacheSource(trainCache, samples: validation),
                          test: TextCacheSource(testCache, samples: testIndices))
    }

    /// The named files from the dataset folder, or from inside its archive.
    func sourceFiles(_ names: [String]) throws -> [SourceFile] { try SourceFile.open(names, in: DatasetFiles(path: path)) }

    /// A short tag of where the sources are and what they hold (path, then each file's name,
    /// size and content digest): another copy of the data, or the same file with other contents,
    /// never reuses a cache built from different bytes. The content decides, not the file's time
    /// stamp, so touching or copying a file keeps its cache.
    private func sourceTag(_ files: [SourceFile]) -> String {
        var text = URL(fileURLWithPath: path).standardizedFileURL.path
        for file in files { text += "|\(file.baseName)|\(file.count)|\(file.contentDigest)" }
        let digest = text.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
        return String(digest >> 16, radix: 16)
    }

    /// Caches are named by dataset, split, settings and `sourceTag`.
    private func openOrBuild(name: String, sourceTag: String, log: (String) -> Void, build: (String) throws -> Void) throws -> TextCache {
        let cachePath = "\(cacheFolder)/\(name)-\(settingsTag)-\(sourceTag).crtext"
        if !FileManager.default.fileExists(atPath: cachePath) {
            log("preprocessing \(dataset.rawValue) into \(cachePath)")
            try build(cachePath)
        }
        return try TextCache(path: cachePath, expecting: settings, dataset: dataset.rawValue)
    }
}
