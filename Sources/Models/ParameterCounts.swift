import NN

/// Trainable parameter counts of a network, per layer and in total, as PyTorch's
/// `parameters()` counts them: batch-norm γ and β count, running statistics do not.
public struct ParameterCounts: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// The layer's dotted name: a parameter name without its last component ("block1.layer0.conv").
        public var layer: String
        public var count: Int

        public init(layer: String, count: Int) {
            self.layer = layer
            self.count = count
        }
    }

    /// One entry per layer that has parameters, in the network's order.
    public let layers: [Entry]
    public let total: Int

    public init(of network: Layer) {
        var layers: [Entry] = []
        for named in network.parameters {
            let layer = named.name.split(separator: ".").dropLast().joined(separator: ".")
            if layers.last?.layer == layer {
                layers[layers.count - 1].count += named.parameter.count
            } else {
                layers.append(Entry(layer: layer, count: named.parameter.count))
            }
        }
        self.layers = layers
        total = layers.reduce(0) { $0 + $1.count }
    }

    /// The sum over the layers whose name starts with `prefix` ("block1." for a whole block).
    public func count(under prefix: String) -> Int {
        layers.filter { $0.layer.hasPrefix(prefix) }.reduce(0) { $0 + $1.count }
    }
}
