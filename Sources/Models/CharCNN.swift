import Kernels
import NN
import Tensor

/// What follows the six convolutions.
package enum CharCNNHead: String, Sendable, CaseIterable {
    /// Zhang et al.: pool3, flatten, FC → dropout → FC → dropout → FC. The first FC holds most
    /// of the parameters (3.7 M of the small model at length 256) and is what memorises a
    /// small corpus.
    case dense
    /// A max over the whole length (the third pool), dropout, one hidden FC layer, dropout, FC:
    /// a few hundred thousand parameters in the head, independent of the input length.
    case globalMax = "global_max"
    /// The same with the mean over the length beside the max (twice the features into fc1):
    /// how much of the text shows a feature, not only whether it shows somewhere.
    case globalMaxMean = "global_max_mean"

    /// Pools conv6's whole length (one hidden FC layer after it) rather than by 3.
    var poolsGlobally: Bool { self != .dense }
}

/// Zhang, Zhao & LeCun (2015) character-level CNN: conv k7 → pool3 → conv k7 → pool3 →
/// conv k3 ×3 → conv k3 → pool3 → FC → dropout → FC → dropout → FC (the `dense` head).
///
/// There are eight activation sites (`ActivationSite.layer`), after conv1…conv6, fc1 and fc2;
/// `activation` says which use what. The paper's setting is ConvReLU at sites 1 and 2
/// (thresholds on the inputs of conv2 and conv3, `Placement.paper`); "(A)" is all eight.
package struct CharCNNConfiguration: Sendable, Equatable {
    package var alphabetSize = 70
    package var length = 1014
    package var classes = 2
    /// Convolution feature maps: 256 (small) or 1024 (large).
    package var features = 256
    /// Hidden fully connected units: 1024 (small) or 2048 (large).
    package var hiddenUnits = 1024
    package var dropout = 0.5
    /// Batch normalisation after every convolution and hidden FC layer (before the activation).
    package var batchNorm = false
    package var head: CharCNNHead = .dense
    package var activation = ActivationPlan.relu

    package init() {}

    package static func small(alphabetSize: Int = 70, length: Int = 1014, classes: Int) -> CharCNNConfiguration {
        var c = CharCNNConfiguration()
        c.alphabetSize = alphabetSize
        c.length = length
        c.classes = classes
        return c
    }

    package static func large(alphabetSize: Int = 70, length: Int = 1014, classes: Int) -> CharCNNConfiguration {
        var c = small(alphabetSize: alphabetSize, length: length, classes: classes)
        c.features = 1024
        c.hiddenUnits = 2048
        return c
    }

    /// Sites that exist: the global heads have one hidden FC layer, so no site 8.
    package var siteCount: Int { head.poolsGlobally ? 7 : 8 }

    /// Sequence length after each convolution and after its pool (if it has one); nil if the
    /// input is too short. The global heads pool conv6's whole length to 1.
    package var lengths: [(convolved: Int, pooled: Int)]? {
        var l = length
        var out: [(Int, Int)] = []
        for (i, (kernel, pools)) in CharCNNConfiguration.convolutions.enumerated() {
            let convolved = l - (kernel - 1)
            l = pools ? (i == 5 && head.poolsGlobally ? min(convolved, 1) : convolved / 3) : convolved
            guard l >= 1 else { return nil }
            out.append((convolved, l))
        }
        return out
    }

    /// Flattened features entering fc1.
    package var flattenedFeatures: Int { features * (lengths?.last?.pooled ?? 0) * (head == .globalMaxMean ? 2 : 1) }

    static let convolutions: [(kernel: Int, pools: Bool)] = [(7, true), (7, true), (3, false), (3, false), (3, false), (3, true)]

    /// A setting that makes the configuration unusable, and why.
    package struct Problem: Sendable, Equatable {
        package enum Field: Sendable { case alphabetSize, length, classes, features, hiddenUnits, dropout, placement }
        package var field: Field
        package var message: String

        package init(field: Field, message: String) {
            self.field = field
            self.message = message
        }
    }

    /// Problems with the configuration; empty when it is usable.
    package var problems: [Problem] {
        var p: [Problem] = []
        if alphabetSize < 1 { p.append(Problem(field: .alphabetSize, message: "must be positive")) }
        if classes < 2 { p.append(Problem(field: .classes, message: "must be at least 2")) }
        if features < 1 { p.append(Problem(field: .features, message: "must be positive")) }
        if hiddenUnits < 1 { p.append(Problem(field: .hiddenUnits, message: "must be positive")) }
        if lengths == nil {
            p.append(Problem(field: .length, message: "\(length) is too short for six convolutions and three pools "
                             + "(minimum \(head.poolsGlobally ? 121 : 123) with the \(head.rawValue) head)"))
        }
        if !(0..<1).contains(dropout) { p.append(Problem(field: .dropout, message: "must be in [0, 1)")) }
        p += activation.layerProblems(siteCount: siteCount).map { Problem(field: .placement, message: $0) }
        return p
    }
}

/// The char-CNN as a layer from (N, L) alphabet indices (-1 for no character) to (N, classes) logits.
package final class CharCNN: Classifier {
    package let configuration: CharCNNConfiguration
    private let network = Sequential()
    /// The site each activation-applying layer serves: `site<k>` for a convolution that applies
    /// site k's activation as it reads, or for site k's own layer `act<k>`.
    private var siteNames: [String: String] = [:]

    package init(_ configuration: CharCNNConfiguration) {
        precondition(configuration.problems.isEmpty, "CharCNN: \(configuration.problems)")
        self.configuration = configuration
        let c = configuration
        let lengths = c.lengths!

        // Convolutions: conv1 gathers weight columns for its one-hot input; conv2..conv6 apply
        // the activation of the site before them as they read their input where the plan fuses it.
        let plan = c.activation
        for (i, spec) in CharCNNConfiguration.convolutions.enumerated() {
            let index = i + 1
            if index == 1 {
                // When nothing stands between conv1 and its pool (no batch norm, and site 1's
                // activation applied by conv2), conv1 pools as it gathers.
                let pools = spec.pools && !c.batchNorm && plan.fusedInput(at: .layer(1)) != nil
                network.append(OneHotConvolution(alphabetSize: c.alphabetSize, outChannels: c.features, kernelSize: spec.kernel,
                                                 poolSize: pools ? 3 : 1), name: "conv1")
                if pools { continue }
            } else {
                network.append(Convolution(.one, inChannels: c.features, outChannels: c.features, kernelSize: spec.kernel,
                                           input: plan.fusedInput(at: .layer(index - 1)) ?? .identity), name: "conv\(index)")
                siteNames["conv\(index)"] = "site\(index - 1)"
            }
            if c.batchNorm { network.append(BatchNorm(channels: c.features), name: "bn\(index)") }
            // The pool after conv6: pool3, or the global max over the length.
            let poolSize = index == 6 && c.head.poolsGlobally ? lengths[i].convolved : 3
            if index == 6 && c.head == .globalMaxMean {
                // A ReLU does not commute with the mean: the activation runs before the pool.
                appendActivation(site: index, channels: c.features, size: lengths[i].convolved)
                network.append(GlobalMaxMeanPool1d())
            } else if spec.pools {
                if index == 6 && [.convReLU, .relu].contains(plan.activation(at: .layer(6))) {
                    // In front of fc1, after the pool: ConvReLU is one threshold per flattened
                    // feature there. A ReLU commutes with the max pool (outputs and gradients
                    // alike), so it runs on a third of the values (one per channel for global max).
                    network.append(MaxPool(.one, kernelSize: poolSize))
                    appendActivation(site: index, channels: c.features, size: lengths[i].pooled)
                    continue
                }
                appendActivation(site: index, channels: c.features, size: lengths[i].convolved)
                network.append(MaxPool(.one, kernelSize: poolSize))
            } else {
                appendActivation(site: index, channels: c.features, size: lengths[i].convolved)
            }
        }
        switch c.head {
        case .dense:
            network.append(Linear(inFeatures: c.flattenedFeatures, outFeatures: c.hiddenUnits), name: "fc1")
            for site in [7, 8] {
                if c.batchNorm { network.append(BatchNorm(channels: c.hiddenUnits), name: "bn\(site)") }
                appendActivation(site: site, channels: c.hiddenUnits, size: 1)
                network.append(Dropout(probability: c.dropout, id: "dropout\(site - 6)"))
                if site == 7 {
                    network.append(Linear(inFeatures: c.hiddenUnits, outFeatures: c.hiddenUnits), name: "fc2")
                }
            }
            network.append(Linear(inFeatures: c.hiddenUnits, outFeatures: c.classes), name: "fc3")
        case .globalMax, .globalMaxMean:
            network.append(Dropout(probability: c.dropout, id: "dropout1"))
            network.append(Linear(inFeatures: c.flattenedFeatures, outFeatures: c.hiddenUnits), name: "fc1")
            if c.batchNorm { network.append(BatchNorm(channels: c.hiddenUnits), name: "bn7") }
            appendActivation(site: 7, channels: c.hiddenUnits, size: 1)
            network.append(Dropout(probability: c.dropout, id: "dropout2"))
            network.append(Linear(inFeatures: c.hiddenUnits, outFeatures: c.classes), name: "fc2")
        }
    }

    /// Adds the activation of a site, unless the convolution after it applies it (sites 1–5).
    private func appendActivation(site: Int, channels: Int, size: Int) {
        let plan = configuration.activation
        if site < 6 && plan.fusedInput(at: .layer(site)) != nil { return }
        network.appendActivation(plan.elementwiseLayer(at: .layer(site), channels: channels, size: size), name: "act\(site)")
        siteNames["act\(site)"] = "site\(site)"
    }

    package var classes: Int { configuration.classes }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor { network.forward(x, context) }
    package func backward(_ dy: Tensor) -> Tensor { network.backward(dy) }
    package func backward(_ dy: Tensor, afterEachLayer finished: (Layer) -> Void) -> Tensor {
        network.backward(dy, afterEachLayer: finished)
    }
    package var parameters: [NamedParameter] { network.parameters }
    package var buffers: [NamedBuffer] { network.buffers }
    /// Named by site: `site1`…`site8`.
    package var activations: [NamedActivation] {
        network.activations.map { NamedActivation(siteNames[$0.name] ?? $0.name, $0.layer) }
    }
}
