import NN
import Tensor

/// What resuming a run needs beside its model checkpoint, in a safetensors file of its own so
/// the checkpoint stays a plain `state_dict`: the optimiser's state under
/// "optimizer.<parameter>.<slot>", and, with a weight average, the trained weights under
/// "training.<parameter>" (the checkpoint's model is then the average). `__metadata__` holds
/// the format tag, the optimiser's step count and the progress counters of the checkpoint it
/// belongs to, so a pair from different epochs is recognised.
package struct TrainingState {
    static let formatTag = "convrelu-training-state/1"
    static let optimizerPrefix = "optimizer."

    package var file: Safetensors

    /// Snapshot of the optimiser's state and of further named state (`extra`, already named
    /// as stored, such as a weight average's trained weights).
    package init(optimizer: Optimizer, extra: [NamedBuffer] = [], metadata: [String: String]) {
        file = Safetensors()
        for s in optimizer.state { file.set(TrainingState.optimizerPrefix + s.name, s.tensor) }
        for e in extra { file.set(e.name, e.tensor) }
        file.metadata = metadata
        file.metadata["optimizer_steps"] = String(optimizer.stepCount)
        file.metadata["format"] = TrainingState.formatTag
    }

    package static func read(path: String) throws -> TrainingState {
        let file = try Safetensors.read(path: path)
        guard file.metadata["format"] == formatTag else {
            throw SafetensorsError(path: path, message: "not a convrelu training state (safetensors without the '\(formatTag)' format tag)")
        }
        return TrainingState(file: file)
    }

    private init(file: Safetensors) { self.file = file }

    package var metadata: [String: String] { file.metadata }
    package var path: String { file.source }

    /// Writes atomically, like a checkpoint.
    package func write(to path: String) throws { try file.write(to: path) }

    /// Restores the optimiser's state for `parameters` and the `extra` tensors (named as
    /// stored). The file must hold exactly these, with their shapes: anything else is state of
    /// another run's set-up (say, trained weights beside an average this run does not keep).
    package func restore(optimizer: Optimizer, parameters: [NamedParameter], extra: [NamedBuffer] = []) throws {
        optimizer.prepare(parameters)
        let buffers = optimizer.state.map { NamedBuffer(TrainingState.optimizerPrefix + $0.name, $0.tensor) } + extra
        let expected = Set(buffers.map(\.name))
        if let unexpected = file.names.first(where: { !expected.contains($0) }) {
            throw SafetensorsError(path: path, message: "has a tensor '\(unexpected)' that this run does not use")
        }
        try file.copy(into: buffers)
        optimizer.stepCount = Int(metadata["optimizer_steps"] ?? "0") ?? 0
    }
}
