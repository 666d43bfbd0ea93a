import NN
import Tensor

/// A network from a batch of inputs to (N, classes) logits.
package protocol Classifier: Layer {
    var classes: Int { get }
    func backward(_ dy: Tensor, afterEachLayer finished: (Layer) -> Void) -> Tensor
}

extension Classifier {
    /// Backward that reports each part of the network whose parameter gradients are complete,
    /// last part first (see `Sequential`). A network without such parts reports itself at the end.
    package func backward(_ dy: Tensor, afterEachLayer finished: (Layer) -> Void) -> Tensor {
        let dx = backward(dy)
        finished(self)
        return dx
    }
}
