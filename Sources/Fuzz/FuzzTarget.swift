import Archive
import Experiments
import ImageData
import Tensor
import TextData
import Training

/// The parsers that take untrusted bytes, one fuzz target each. `convrelu-fuzz replay` and the
/// libFuzzer entry point both select a target by its raw value.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// A checkpoint as `eval` and `classify` read it: safetensors, format tag, tensors, stored config.
    case checkpoint
    /// The Zhang et al. CSV readers (AG's News and Yelp layouts) and the sample encoder.
    case textCSV = "text-csv"
    /// The one-text-per-line reader of MR's class files and the sample encoder.
    case textClasses = "text-classes"
    /// A tar archive, plain or gzip-compressed, member by member; and gzip alone.
    case archive
    /// CIFAR-10 and CIFAR-100 binary record files.
    case cifar
    /// A run configuration file.
    case config
    /// `convrelu classify`'s standard input: its lines through the encoder, the answers formatted.
    case classify
}

/// A target with what it builds once (encoder, model), ready to take inputs.
///
/// `run` throws the parser's own error for input it rejects; that is a clean outcome. Anything
/// else (a trap, a sanitizer report, a hang, runaway memory) is a bug the fuzzer reports.
final class FuzzHarness {
    let target: FuzzTarget
    private let encoder: TextEncoder
    private let classifier: SentenceClassifier?

    /// A charcnn as small as the config allows, so that a line costs microseconds: the line
    /// handling is the same whatever the model's size and weights.
    static let classifyConfig = """
        {"task": "text",
         "data": {"dataset": "mr", "path": "/nonexistent", "cache": "/nonexistent", "length": 130},
         "model": {"name": "charcnn", "features": 8, "hidden_units": 16, "activation": "convrelu"},
         "optimizer": {"name": "adam", "lr": 0.001}, "batch_size": 16, "epochs": 1, "seed": 1,
         "output": "/nonexistent"}
        """

    init(_ target: FuzzTarget) throws {
        self.target = target
        encoder = try TextEncoder()
        classifier = target == .classify
            ? try SentenceClassifier(untrained: RunConfiguration.parse(FuzzHarness.classifyConfig, file: "classify-fuzz.json"))
            : nil
    }

    /// Runs one input; `name` stands for it in error messages.
    func run(_ bytes: [UInt8], name: String) throws {
        switch target {
        case .checkpoint:
            let checkpoint = try Checkpoint.decode(bytes, source: name)
            for entryName in checkpoint.file.names {
                switch try checkpoint.file.entry(entryName).dtype {
                case .f32, .f64: _ = try checkpoint.file.floats(entryName)
                case .i64, .i32, .u8: _ = try checkpoint.file.int64s(entryName)
                }
            }
            if let config = checkpoint.metadata["config"] { _ = try RunConfiguration.parse(config, file: name) }
        case .textCSV, .textClasses:
            let datasets = TextDataset.allCases.filter { dataset in
                if case .csv = dataset.layout { target == .textCSV } else { target == .textClasses }
            }
            try anyAccepts(datasets.map { dataset in { try self.readText(bytes, name: name, as: dataset) } })
        case .archive:
            try anyAccepts([
                {
                    let tar = TarReader(bytes: bytes, sourceName: name)
                    while try tar.nextFile() != nil { _ = try tar.readContents() }
                },
                { _ = try gunzip(bytes, sourceName: name) },
            ])
        case .cifar:
            try anyAccepts([CIFARVariant.cifar10, .cifar100(fine: true)].map { variant in
                { _ = try CIFARDataset(records: bytes, variant: variant, file: name) }
            })
        case .config:
            _ = try RunConfiguration.parse(String(decoding: bytes, as: UTF8.self), file: name)
        case .classify:
            // All of classify that depends on the line's bytes: the model's forward pass sees a
            // tensor of one shape whatever the line, and would cut the executions per second a
            // hundredfold. An answer's formatting depends on the bytes only when it is an error.
            for line in standardInputLines(bytes) {
                do { _ = try classifier!.columns(for: line) } catch {
                    let prediction = SentenceClassifier.Prediction.rejected(error)
                    _ = prediction.formatted(json: true)
                    _ = prediction.formatted(json: false)
                }
            }
        }
    }
}

extension FuzzHarness {
    /// Reads `bytes` as a file of `dataset` (the first class file, for a corpus of class files)
    /// and encodes every sample, as preprocessing does.
    private func readText(_ bytes: [UInt8], name: String, as dataset: TextDataset) throws {
        let file = SourceFile(name: name, bytes: bytes)
        let samples = switch dataset.layout {
        case .csv(let format): try CorpusReader.readCSV(file, format: format, encoding: dataset.encoding)
        case .filePerClass: try CorpusReader.readClassFiles([file], encoding: dataset.encoding)
        }
        for sample in samples { _ = try encoder.encode(sample) }
    }
}

/// Runs every reader (so one rejecting the input does not hide a crash in the next); throws the
/// first reader's error when none accepts the input.
private func anyAccepts(_ readers: [() throws -> Void]) throws {
    var first: Error?
    var accepted = false
    for reader in readers {
        do { try reader(); accepted = true } catch { first = first ?? error }
    }
    if !accepted, let first { throw first }
}

/// The lines `readLine(strippingNewline: true)` gives for these bytes on standard input: split
/// at line feeds, a carriage return before a line feed dropped, invalid UTF-8 repaired.
func standardInputLines(_ bytes: [UInt8]) -> [String] {
    var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let lastIsTerminated = lines.last?.isEmpty == true
    if lastIsTerminated { lines.removeLast() }
    return lines.enumerated().map { index, line in
        let terminated = index < lines.count - 1 || lastIsTerminated
        return String(decoding: terminated && line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
    }
}
