import NN
import Tensor

/// A network from a batch of inputs to (N, classes) logits.
package protocol Classifier: Layer {
    var classes: Int { get }
}
