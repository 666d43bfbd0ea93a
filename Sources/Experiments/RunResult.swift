import Foundation
import Tensor

/// What a finished run reports, written as `result.json` in its run folder once training and
/// the final test evaluation are done. Its presence marks the run as finished (`convrelu cv`
/// never trains such a run again).
///
/// The test split is evaluated once per checkpoint at the end, not during training: the
/// reported `testAccuracy` is that of the checkpoint chosen on the validation split (`best`),
/// so nothing is picked by looking at the test set. Without a validation split it is the last
/// epoch's. `testAccuracyLast` is the last epoch's, beside it.
struct RunResult: Codable, Equatable, Sendable {
    static let fileName = "result.json"

    /// The MR test fold (nil for corpora with a fixed train/test split).
    var fold: Int?
    var seed: UInt64
    /// Epochs trained (fewer than configured after early stopping).
    var epochs: Int
    /// The epoch whose checkpoint `testAccuracy` belongs to.
    var selectedEpoch: Int
    /// "best" (by validation accuracy) or "last" (no validation split).
    var selection: String
    var validationAccuracy: Double?
    var testAccuracy: Double
    var testAccuracyLast: Double
    var trainAccuracyLast: Double
    var trainSeconds: Double

    static func path(inRun folder: String) -> String { folder + "/" + fileName }

    func write(toRun folder: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(self)) + [0x0A], to: RunResult.path(inRun: folder))
    }

    /// The result of a finished run, or nil when the run has not finished.
    static func read(fromRun folder: String) throws -> RunResult? {
        let path = RunResult.path(inRun: folder)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(RunResult.self, from: data) } catch {
            throw ConfigError(file: path, key: nil, message: "not a run result (\(error))")
        }
    }
}
