import NN

/// Trainable parameter counts of a network, per layer and in total, as PyTorch's
/// `parameters()` counts them: batch-norm γ and β count, running statistics do not.
package struct ParameterCounts: Sendable, Equatable {
    package struct Entry: Sendable, Equatable {
        /// The layer's dotted name: a parameter name without its last component ("block1.layer0.conv").
        package var layer: String
        package var count: Int
        /// The layer's tensors with their shapes ("weight [16, 3, 3, 3]"), for the table.
        package var tensors: [String]

        package init(layer: String, count: Int, tensors: [String] = []) {
            self.layer = layer
            self.count = count
            self.tensors = tensors
        }
    }

    /// One entry per layer that has parameters, in the network's order.
    package let layers: [Entry]
    package let total: Int

    package init(of network: Layer) {
        var layers: [Entry] = []
        for named in network.parameters {
            let parts = named.name.split(separator: ".")
            let layer = parts.dropLast().joined(separator: ".")
            let tensor = "\(parts.last ?? "") \(named.parameter.value.shape)"
            if layers.last?.layer == layer {
                layers[layers.count - 1].count += named.parameter.count
                layers[layers.count - 1].tensors.append(tensor)
            } else {
                layers.append(Entry(layer: layer, count: named.parameter.count, tensors: [tensor]))
            }
        }
        self.layers = layers
        total = layers.reduce(0) { $0 + $1.count }
    }

    /// The sum over the layers whose name starts with `prefix` ("block1." for a whole block).
    package func count(under prefix: String) -> Int {
        layers.filter { $0.layer.hasPrefix(prefix) }.reduce(0) { $0 + $1.count }
    }

    /// One line per layer (its tensors' shapes, its count) and the total, as `convrelu params`
    /// prints them.
    package var table: String {
        let rows = layers.map { ($0.layer, $0.tensors.joined(separator: ", "), $0.count) } + [("total", "", total)]
        let nameWidth = rows.map(\.0.count).max() ?? 0, shapeWidth = rows.map(\.1.count).max() ?? 0
        return rows.map { name, shapes, count in
            name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  " + shapes.padding(toLength: shapeWidth, withPad: " ", startingAt: 0)
                + String(repeating: " ", count: max(1, 12 - String(count).count)) + String(count)
        }.joined(separator: "\n")
    }
}
