import Foundation

/// What a finished run reports, written as `result.json` in its run folder once training and
/// the final test evaluation are done. Its presence marks the run as finished (`convrelu cv`
/// never trains such a run again).
///
/// The test split is evaluated once per checkpoint at the end, not during training: the
/// reported `testAccuracy` is that of the checkpoint chosen on the validation split (`best`),
/// so nothing is picked by looking at the test set. Without a validation split it is the last
/// epoch's. `testAccuracyLast` is the last epoch's, beside it.
struct RunResult: Codable, Equatable, Sendable {
    /// Which checkpoint `testAccuracy` belongs to.
    enum Selection: String, Codable, Sendable {
        /// `best.safetensors`, chosen on validation accuracy.
        case best
        /// `last.safetensors`: the run had no validation split to choose on.
        case last
    }

    static let fileName = "result.json"

    /// The MR test fold (nil for corpora with a fixed train/test split).
    var fold: Int?
    var seed: UInt64
    /// Epochs trained (fewer than configured after early stopping).
    var epochs: Int
    /// The epoch whose checkpoint `testAccuracy` belongs to.
    var selectedEpoch: Int
    var selection: Selection
    var validationAccuracy: Double?
    var testAccuracy: Double
    var testAccuracyLast: Double
    var trainAccuracyLast: Double
    var trainSeconds: Double

    static func path(inRun folder: String) -> String { folder + "/" + fileName }

    func write(toRun folder: String) throws { try JSONFile.write(self, to: RunResult.path(inRun: folder)) }

    /// The result of a finished run, or nil when the run has not finished.
    static func read(fromRun folder: String) throws -> RunResult? {
        try JSONFile.read(RunResult.self, from: RunResult.path(inRun: folder), describe: "a run result")
    }
}
