/// Which activations of a network a replacement applies to; the others stay ReLU. The raw
/// values of the block placements are the paper's strategy names (Section 4.3).
package enum Placement: String, CaseIterable, Sendable {
    /// The paper's partial replacement: in the char-CNN the inputs of conv2 and conv3 (sites 1
    /// and 2); in an image network the first block, as R1.
    case paper
    /// R1: the activations of the first block (dense block, VGG or ResNet stage).
    case firstBlock = "R1"
    /// R2: the activations of the last block.
    case lastBlock = "R2"
    /// R3: the activations of every block.
    case everyBlock = "R3"
    /// (A): every activation, between blocks too, except a DenseNet's head.
    case everywhere = "A"

    /// Whether the activation at `site` is replaced.
    func selects(_ site: ActivationSite) -> Bool {
        switch (self, site) {
        case (.everywhere, _): true
        case (.paper, .layer(let number)): number <= 2
        case (.firstBlock, .layer), (.lastBlock, .layer), (.everyBlock, .layer): false
        case (.everyBlock, .block): true
        case (.paper, .block(let index, _)), (.firstBlock, .block(let index, _)): index == 0
        case (.lastBlock, .block(let index, let count)): index == count - 1
        case (_, .betweenBlocks): false
        }
    }

    /// Whether the placement means anything for a network without blocks (the char-CNN).
    var appliesToLayers: Bool { ![.firstBlock, .lastBlock, .everyBlock].contains(self) }
}
