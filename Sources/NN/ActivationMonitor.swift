/// A layer that applies an activation, standing alone or as it reads its input, and lets an
/// `ActivationProbe` watch that activation's input.
package protocol ObservableActivation: AnyObject {
    var probe: ActivationProbe? { get set }
}

/// An activation of a network under its name: the layer path of what applies it, or the
/// network's own name for the site (the char-CNN's `site1`…`site8`).
package struct NamedActivation {
    package var name: String
    package var layer: ObservableActivation
    package init(_ name: String, _ layer: ObservableActivation) {
        self.name = name
        self.layer = layer
    }
}

/// Probes on every activation of a network for the passes it watches: dead units and input
/// values per activation. Attached only around a watched pass, so other passes pay nothing.
package final class ActivationMonitor {
    package let probes: [(name: String, probe: ActivationProbe)]
    private let layers: [ObservableActivation]

    package init(_ activations: [NamedActivation], sampleCapacity: Int = 16_384) {
        probes = activations.map { ($0.name, ActivationProbe(sampleCapacity: sampleCapacity)) }
        layers = activations.map(\.layer)
    }

    /// Runs `pass` with the probes attached and reset first, so they see exactly this pass.
    package func watch<T>(_ pass: () throws -> T) rethrows -> T {
        for ((_, probe), layer) in zip(probes, layers) {
            probe.reset()
            layer.probe = probe
        }
        defer { for layer in layers { layer.probe = nil } }
        return try pass()
    }

    /// Dead-unit fractions of the last watched pass, by activation in network order; the
    /// activations whose units cannot die (LeakyReLU, PReLU) are left out.
    package var deadFractions: [(name: String, fraction: Double)] {
        probes.compactMap { name, probe in probe.deadFraction.map { (name, $0) } }
    }
}
