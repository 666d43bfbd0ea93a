import NN
import Tensor

/// A model checkpoint: a safetensors file whose tensors are exactly the model's parameters and
/// buffers under their PyTorch `state_dict` names, so that
/// `model.load_state_dict(safetensors.torch.load_file(path))` takes it as it is (strict).
/// What only resuming needs (optimiser state, a weight average's trained weights) is in a
/// `TrainingState` file beside it. `__metadata__` holds the format tag, the run's config and
/// resolved settings (JSON), and the progress counters (step, epoch, seed) from which every
/// random stream is derived.
package struct Checkpoint {
    /// Version 1 also held the optimiser state and the trained weights; a reader of version 2
    /// would find them missing, so the tag changed.
    static let formatTag = "convrelu-checkpoint/2"

    package var file: Safetensors

    /// Snapshot of a model with the given metadata.
    package init(model: Layer, metadata: [String: String]) {
        file = Safetensors()
        for p in model.parameters { file.set(p.name, p.parameter.value) }
        for b in model.buffers { file.set(b.name, b.tensor) }
        file.metadata = metadata
        file.metadata["format"] = Checkpoint.formatTag
    }

    package static func read(path: String) throws -> Checkpoint {
        try checked(Safetensors.read(path: path))
    }

    /// A checkpoint's bytes already in memory; `source` names them in errors.
    package static func decode(_ bytes: [UInt8], source: String) throws -> Checkpoint {
        try checked(Safetensors.decode(bytes, source: source))
    }

    /// `file` as a checkpoint, if its format tag says it is one this reader understands.
    private static func checked(_ file: Safetensors) throws -> Checkpoint {
        let path = file.source
        switch file.metadata["format"] {
        case formatTag:
            return Checkpoint(file: file)
        case TrainingState.formatTag:
            throw SafetensorsError(path: path, message: "is the optimiser state that resuming a run reads, not a model: "
                                   + "give the run's last.safetensors or best.safetensors")
        case let tag? where tag.hasPrefix("convrelu-checkpoint/"):
            throw SafetensorsError(path: path, message: "is a checkpoint of format '\(tag)'; this convrelu reads '\(formatTag)' (retrain, or use the convrelu that wrote it)")
        default:
            throw SafetensorsError(path: path, message: "not a convrelu checkpoint (safetensors without the '\(formatTag)' format tag)")
        }
    }

    private init(file: Safetensors) { self.file = file }

    package var metadata: [String: String] { file.metadata }
    package var path: String { file.source }

    /// Writes atomically: the previous checkpoint stays intact until the new one is complete.
    package func write(to path: String) throws { try file.write(to: path) }

    /// Copies the stored parameters and buffers into `model`; every one must be present with
    /// its shape, and the file must hold nothing else (a tensor the model lacks means another
    /// architecture, e.g. ConvReLU thresholds offered to a ReLU model).
    package func restore(into model: Layer) throws {
        let buffers = model.parameters.map { NamedBuffer($0.name, $0.parameter.value) } + model.buffers
        let expected = Set(buffers.map(\.name))
        if let extra = file.names.first(where: { !expected.contains($0) }) {
            throw SafetensorsError(path: path, message: "has a tensor '\(extra)' that this model does not have")
        }
        try file.copy(into: buffers)
    }
}

extension Safetensors {
    /// Copies stored tensors into `buffers`; each must be present with its shape.
    func copy(into buffers: [NamedBuffer]) throws {
        for b in buffers {
            guard contains(b.name) else { throw SafetensorsError(path: source, message: "has no tensor '\(b.name)' for this model") }
            let stored = try tensor(b.name)
            guard stored.shape == b.tensor.shape else {
                throw SafetensorsError(path: source, message: "tensor '\(b.name)' has shape \(stored.shape), the model expects \(b.tensor.shape)")
            }
            b.tensor.copy(from: stored)
        }
    }
}
