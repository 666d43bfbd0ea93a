import Foundation

/// Settings given on the command line (or by `cv`, per job) in place of the config file's.
/// They are applied to the parsed configuration, checked like the file's own values, and stored
/// in checkpoints beside the config text, so a restored run is the run that was trained.
package struct RunOverrides: Codable, Equatable, Sendable {
    /// `data.path`.
    package var dataPath: String?
    package var epochs: Int?
    package var threads: Int?
    /// The run folder.
    package var output: String?
    package var seed: UInt64?
    /// `data.fold` (MR).
    package var fold: Int?

    package init(dataPath: String? = nil, epochs: Int? = nil, threads: Int? = nil, output: String? = nil,
                seed: UInt64? = nil, fold: Int? = nil) {
        (self.dataPath, self.epochs, self.threads, self.output, self.seed, self.fold) = (dataPath, epochs, threads, output, seed, fold)
    }

    /// The values of `other` where it has them, these elsewhere.
    func merging(_ other: RunOverrides) -> RunOverrides {
        RunOverrides(dataPath: other.dataPath ?? dataPath, epochs: other.epochs ?? epochs, threads: other.threads ?? threads,
                     output: other.output ?? output, seed: other.seed ?? seed, fold: other.fold ?? fold)
    }

    /// Applies the overrides; a value out of range is an error naming the option that gave it.
    func apply(to c: inout RunConfiguration) throws {
        func fail(_ option: String, _ message: String) -> ConfigError { ConfigError(file: "command line", key: option, message: message) }
        if let dataPath { c.workload.path = dataPath }
        if let epochs {
            guard (1...100_000).contains(epochs) else { throw fail("--epochs", "\(epochs) is outside 1...100000") }
            c.epochs = epochs
        }
        if let threads {
            guard (1...256).contains(threads) else { throw fail("--threads", "\(threads) is outside 1...256") }
            c.threads = threads
        }
        if let output { c.output = output }
        if let seed { c.seed = seed }
        if let fold {
            guard case .text(var data) = c.workload, data.dataset.testSetIsFold else {
                throw fail("data.fold", "\(c.workload.datasetName) has a fixed train/test split and no folds")
            }
            guard (0..<data.folds).contains(fold) else { throw fail("data.fold", "\(fold) is outside 0...\(data.folds - 1)") }
            data.fold = fold
            c.workload = .text(data)
        }
        c.overrides = c.overrides.merging(self)
    }
}

extension RunOverrides {
    /// The overrides as a checkpoint stores them (`{}` when there are none).
    func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads what `jsonText()` wrote; `source` names the checkpoint in the error.
    init(jsonText: String, source: String) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { self = try decoder.decode(RunOverrides.self, from: Data(jsonText.utf8)) } catch {
            throw ConfigError(file: source, key: "overrides", message: "not the command-line settings of a run (\(error))")
        }
    }
}
