import Foundation
import Tensor

/// The files an epoch's end writes into a run folder, and the order that lets a crash at any
/// point (kill -9, power cut) leave a folder that resumes exactly:
///
/// 1. `metrics.jsonl`, with the epoch's line;
/// 2. the model as `best.next.safetensors` when the epoch is the best so far (otherwise a
///    leftover one is removed);
/// 3. the training state as `last.optimizer.next.safetensors`;
/// 4. the model as `last.safetensors`: the commit;
/// 5. the `.next` files renamed to `best.safetensors` and `last.optimizer.safetensors`.
///
/// Every write is atomic (a complete temporary file renamed into place). Resume restarts from
/// `last.safetensors`, so whatever it says is done is on disk before it is replaced: after a
/// crash before step 4 the run resumes from the previous epoch, whose files are untouched (the
/// unfinished epoch's metrics line is dropped, its `.next` files deleted); after a crash past
/// step 4, resuming first completes step 5. The `.next` files carry the step they belong to, so
/// one from an uncommitted epoch is never put in place, and `best.safetensors` is only replaced
/// once its epoch is committed: a crash never costs a run the best checkpoint it had.
///
/// `best.safetensors` has no training state of its own: resuming always continues from `last`.
struct CheckpointFiles: Sendable {
    let folder: String

    /// The latest epoch's model, what `eval` and `classify` read; replacing it commits an epoch.
    var last: String { folder + "/last.safetensors" }
    /// The model of the epoch chosen on validation.
    var best: String { folder + "/best.safetensors" }
    /// The optimiser state (and a weight average's trained weights) of `last`'s step.
    var lastState: String { folder + "/last.optimizer.safetensors" }
    var metrics: String { folder + "/metrics.jsonl" }
    var pendingBest: String { folder + "/best.next.safetensors" }
    var pendingState: String { folder + "/last.optimizer.next.safetensors" }

    /// Writes an epoch's files in the documented order; `writeMetrics` writes `metrics`.
    /// `reached` is called with each file as it is put in place (tests stop a save there, as a crash would).
    func save(_ checkpoint: Checkpoint, state: TrainingState, isBest: Bool, writeMetrics: () throws -> Void,
              reached: ((String) throws -> Void)?) throws {
        try writeMetrics()
        try reached?(metrics)
        if isBest {
            try checkpoint.write(to: pendingBest)
            try reached?(pendingBest)
        } else {
            try AtomicFile.remove(pendingBest)
        }
        try state.write(to: pendingState)
        try reached?(pendingState)
        try checkpoint.write(to: last)
        try reached?(last)
        if isBest {
            try AtomicFile.move(pendingBest, to: best)
            try reached?(best)
        }
        try AtomicFile.move(pendingState, to: lastState)
        try reached?(lastState)
    }

    /// `last.safetensors` and the training state of the same step, after completing an
    /// interrupted save (step 5) or discarding the pending files of an uncommitted one.
    func readForResume() throws -> (checkpoint: Checkpoint, state: TrainingState) {
        let checkpoint = try Checkpoint.read(path: last)
        let committed = Progress(checkpoint.metadata)
        for pending in [pendingBest, pendingState] where FileManager.default.fileExists(atPath: pending) {
            let belongs: Bool
            if pending == pendingBest {
                belongs = (try? Progress(Checkpoint.read(path: pending).metadata)) == committed
            } else {
                belongs = (try? Progress(TrainingState.read(path: pending).metadata)) == committed
            }
            if belongs {
                try AtomicFile.move(pending, to: pending == pendingBest ? best : lastState)
            } else {
                try AtomicFile.remove(pending)
            }
        }
        guard FileManager.default.fileExists(atPath: lastState) else {
            throw TrainerError(description: "\(lastState): missing; resuming needs it beside \(last) (was the run folder copied without it?)")
        }
        let state = try TrainingState.read(path: lastState)
        guard Progress(state.metadata) == committed else {
            throw TrainerError(description: "\(lastState) is from \(Progress(state.metadata)), \(last) from \(committed): "
                               + "they are not a pair, so the run cannot resume exactly (was one of them copied from another run?)")
        }
        return (checkpoint, state)
    }

    /// The counters that pair a model file with its training state.
    struct Progress: Equatable, CustomStringConvertible {
        var epochsDone: String?
        var step: String?

        init(_ metadata: [String: String]) {
            epochsDone = metadata["epochs_done"]
            step = metadata["step"]
        }

        var description: String { "epoch \(epochsDone ?? "?"), step \(step ?? "?")" }
    }
}
