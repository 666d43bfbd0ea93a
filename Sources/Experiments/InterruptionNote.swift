import Foundation
import Training

/// What an interrupted `train` or `cv` leaves and how to go on, read from the run folder at the
/// moment of the interruption: checkpoints are only ever replaced by renames, so whatever is
/// there is whole.
package enum InterruptionNote {
    /// For a run folder: the last finished epoch kept in `last.safetensors`, or that none was.
    package static func forRun(folder: String, resume: String) -> String {
        let last = folder + "/last.safetensors"
        guard let checkpoint = try? Checkpoint.read(path: last), let epochs = checkpoint.metadata["epochs_done"] else {
            return "interrupted before the first epoch ended: nothing to resume in \(folder); start again with: \(resume)"
        }
        return "interrupted: \(last) keeps epoch \(epochs) (the epoch under way is lost); continue with: \(resume)"
    }

    /// For a sweep folder: finished jobs are kept and the running one resumes from its last epoch.
    package static func forSweep(folder: String, again: String) -> String {
        let finished = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            FileManager.default.fileExists(atPath: "\(folder)/\($0)/\(RunResult.fileName)")
        }
        return "interrupted: \(folder) keeps \(finished.count) finished job\(finished.count == 1 ? "" : "s"), and the running one "
            + "resumes from its last finished epoch; continue with: \(again)"
    }
}
