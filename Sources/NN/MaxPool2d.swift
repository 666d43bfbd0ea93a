import Kernels
import Tensor

/// Max pooling with a square window over NCHW input, no padding, floor mode.
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    private var inputShape: [Int] = []
    private let output = Tensor()
    private let inputGradient = Tensor()
    private var argmax: [Int32] = []

    public init(kernelSize: Int, stride: Int? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    public func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[2] >= kernelSize && x.shape[3] >= kernelSize, "MaxPool2d: input \(x.shape)")
        inputShape = x.shape
        let (h, w) = (x.shape[2], x.shape[3])
        output.resize(to: [x.shape[0], x.shape[1], (h - kernelSize) / stride + 1, (w - kernelSize) / stride + 1])
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        argmax.withUnsafeMutableBufferPointer {
            maxPool2dForward(x: x.pointer, planes: x.shape[0] * x.shape[1], height: h, width: w,
                             kernel: kernelSize, stride: stride, y: output.pointer, argmax: $0.baseAddress!)
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: inputShape)
        argmax.withUnsafeBufferPointer {
            maxPool2dBackward(dy: dy.pointer, argmax: $0.baseAddress!, planes: inputShape[0] * inputShape[1],
                              height: inputShape[2], width: inputShape[3], outHeight: output.shape[2],
                              outWidth: output.shape[3], dx: inputGradient.pointer)
        }
        return inputGradient
    }
}
