import NN
import Tensor

/// A training checkpoint: a safetensors file whose tensors are the model's parameters and
/// buffers under their PyTorch `state_dict` names (so `safetensors.torch.load_file` and
/// `load_state_dict` read it), plus the optimiser state under "optimizer.<name>.<slot>".
/// `__metadata__` holds the format tag, the model and run configuration (JSON), and the
/// progress counters (step, epoch, seed) from which every random stream is derived.
public struct Checkpoint {
    public static let formatTag = "convrelu-checkpoint/1"
    static let optimizerPrefix = "optimizer."

    public var file: Safetensors

    /// Snapshot of a model (and optimiser, and further named state such as a weight average's
    /// trained weights) with the given metadata.
    public init(model: Layer, optimizer: Optimizer?, extra: [NamedBuffer] = [], metadata: [String: String]) {
        file = Safetensors()
        for p in model.parameters { file.set(p.name, p.parameter.value) }
        for b in model.buffers { file.set(b.name, b.tensor) }
        for e in extra { file.set(e.name, e.tensor) }
        if let optimizer {
            for s in optimizer.state { file.set(Checkpoint.optimizerPrefix + s.name, s.tensor) }
            file.metadata["optimizer_steps"] = String(optimizer.stepCount)
        }
        file.metadata.merge(metadata) { _, new in new }
        file.metadata["format"] = Checkpoint.formatTag
    }

    public static func read(path: String) throws -> Checkpoint {
        let file = try Safetensors.read(path: path)
        guard file.metadata["format"] == formatTag else {
            throw SafetensorsError(path: path, message: "not a convrelu checkpoint (safetensors without the '\(formatTag)' format tag)")
        }
        return Checkpoint(file: file)
    }

    private init(file: Safetensors) { self.file = file }

    public var metadata: [String: String] { file.metadata }
    public var path: String { file.source }

    /// Writes atomically: the previous checkpoint stays intact until the new one is complete.
    public func write(to path: String) throws { try file.write(to: path) }

    /// Copies the stored parameters and buffers into `model`; every one must be present with its shape.
    public func restore(into model: Layer) throws {
        try restore(model.parameters.map { NamedBuffer($0.name, $0.parameter.value) } + model.buffers)
    }

    /// Copies stored tensors into `buffers` (each must be present with its shape).
    public func restore(_ buffers: [NamedBuffer]) throws {
        for b in buffers {
            guard file.contains(b.name) else { throw SafetensorsError(path: path, message: "has no tensor '\(b.name)' for this model") }
            let stored = try file.tensor(b.name)
            guard stored.shape == b.tensor.shape else {
                throw SafetensorsError(path: path, message: "tensor '\(b.name)' has shape \(stored.shape), the model expects \(b.tensor.shape)")
            }
            b.tensor.copy(from: stored)
        }
    }

    /// Restores the optimiser's state for the model's parameters.
    public func restore(optimizer: Optimizer, parameters: [NamedParameter]) throws {
        optimizer.prepare(parameters)
        for s in optimizer.state {
            let name = Checkpoint.optimizerPrefix + s.name
            guard file.contains(name) else { throw SafetensorsError(path: path, message: "has no optimiser state '\(name)'") }
            s.tensor.copy(from: try file.tensor(name))
        }
        optimizer.stepCount = Int(metadata["optimizer_steps"] ?? "0") ?? 0
    }
}
