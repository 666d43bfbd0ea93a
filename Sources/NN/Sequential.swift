import Tensor

/// Layers applied in order. Named entries contribute their parameters as "name.local";
/// unnamed ones (pools, fixed activations) must have none.
package final class Sequential: Layer {
    package private(set) var layers: [(name: String?, layer: Layer)]
    /// No layers: forward and backward pass their input through.
    package var isEmpty: Bool { layers.isEmpty }

    package init(_ layers: [(name: String?, layer: Layer)] = []) {
        self.layers = layers
    }

    package func append(_ layer: Layer, name: String? = nil) {
        precondition(name != nil || layer.parameters.isEmpty && layer.buffers.isEmpty,
                     "Sequential: a layer with parameters needs a name")
        layers.append((name, layer))
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        layers.reduce(x) { $1.layer.forward($0, context) }
    }

    package func backward(_ dy: Tensor) -> Tensor {
        backward(dy, afterEachLayer: { _ in })
    }

    /// Backward that calls `finished` after each layer, whose parameter gradients are then
    /// complete: data-parallel training starts sending them while the earlier layers still run.
    package func backward(_ dy: Tensor, afterEachLayer finished: (Layer) -> Void) -> Tensor {
        layers.reversed().reduce(dy) { gradient, entry in
            let dx = entry.layer.backward(gradient)
            finished(entry.layer)
            return dx
        }
    }

    package var parameters: [NamedParameter] {
        layers.flatMap { entry in
            entry.layer.parameters.map { NamedParameter(prefixed(entry.name, $0.name), $0.parameter) }
        }
    }

    package var buffers: [NamedBuffer] {
        layers.flatMap { entry in
            entry.layer.buffers.map { NamedBuffer(prefixed(entry.name, $0.name), $0.tensor) }
        }
    }

    /// The activations of the named entries (an unnamed one has no name to report them under).
    package var activations: [NamedActivation] {
        layers.flatMap { entry in
            entry.name.map { prefix in entry.layer.activations.map { NamedActivation(prefixed(prefix, $0.name), $0.layer) } } ?? []
        }
    }

    private func prefixed(_ prefix: String?, _ name: String) -> String {
        guard let prefix else { return name }
        return name.isEmpty ? prefix : "\(prefix).\(name)"
    }
}
