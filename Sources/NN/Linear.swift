import Kernels
import Tensor

/// Fully connected layer on (N, in) input; any (N, ...) input is read flattened in
/// channel-major order, as `torch.flatten(x, 1)` does. Parameters `weight` (out, in), `bias` (out).
package final class Linear: Layer {
    package let inFeatures: Int
    package let outFeatures: Int
    package let weight: Parameter
    package let bias: Parameter?

    private var input = Tensor()
    private let output = Tensor()
    private let inputGradient = Tensor()

    package init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(shape: [outFeatures, inFeatures], group: .weight)
        self.bias = bias ? Parameter(shape: [outFeatures], group: .bias) : nil
    }

    package var parameters: [NamedParameter] {
        [NamedParameter("weight", weight)] + (bias.map { [NamedParameter("bias", $0)] } ?? [])
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        let n = x.shape[0]
        precondition(x.count == n * inFeatures, "Linear: input \(x.shape) does not have \(inFeatures) features")
        input = x
        output.resize(to: [n, outFeatures])
        linearForward(x: x.pointer, weight: weight.value.pointer, bias: bias?.value.pointer,
                      batch: n, inFeatures: inFeatures, outFeatures: outFeatures, y: output.pointer)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: input.shape)
        linearBackward(x: input.pointer, weight: weight.value.pointer, dy: dy.pointer, batch: input.shape[0],
                       inFeatures: inFeatures, outFeatures: outFeatures, dx: inputGradient.pointer,
                       dWeight: weight.grad.pointer, dBias: bias?.grad.pointer)
        return inputGradient
    }
}
