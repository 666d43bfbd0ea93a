import Kernels
import Tensor

/// Max pooling over the length of NCL input, floor mode.
public final class MaxPool1d: Layer {
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
        precondition(x.shape.count == 3 && x.shape[2] >= kernelSize, "MaxPool1d: input \(x.shape)")
        inputShape = x.shape
        let outLength = (x.shape[2] - kernelSize) / stride + 1
        output.resize(to: [x.shape[0], x.shape[1], outLength])
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        argmax.withUnsafeMutableBufferPointer {
            maxPool1dForward(x: x.pointer, rows: x.shape[0] * x.shape[1], length: x.shape[2], kernel: kernelSize,
                             stride: stride, y: output.pointer, argmax: $0.baseAddress!)
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: inputShape)
        argmax.withUnsafeBufferPointer {
            maxPool1dBackward(dy: dy.pointer, argmax: $0.baseAddress!, rows: inputShape[0] * inputShape[1],
                              length: inputShape[2], outLength: output.shape[2], dx: inputGradient.pointer)
        }
        return inputGradient
    }
}

/// Average pooling with a square window over NCHW input, no padding.
public final class AvgPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    private var inputShape: [Int] = []
    private let output = Tensor()
    private let inputGradient = Tensor()

    public init(kernelSize: Int, stride: Int? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    public func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 4, "AvgPool2d: input \(x.shape)")
        inputShape = x.shape
        let (h, w) = (x.shape[2], x.shape[3])
        output.resize(to: [x.shape[0], x.shape[1], (h - kernelSize) / stride + 1, (w - kernelSize) / stride + 1])
        avgPool2dForward(x: x.pointer, planes: x.shape[0] * x.shape[1], height: h, width: w,
                         kernel: kernelSize, stride: stride, y: output.pointer)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: inputShape)
        avgPool2dBackward(dy: dy.pointer, planes: inputShape[0] * inputShape[1], height: inputShape[2],
                          width: inputShape[3], kernel: kernelSize, stride: stride, dx: inputGradient.pointer)
        return inputGradient
    }
}

/// Global average pooling: (N, C, H, W) -> (N, C).
public final class GlobalAvgPool2d: Layer {
    private var inputShape: [Int] = []
    private let output = Tensor()
    private let inputGradient = Tensor()

    public init() {}

    public func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 4, "GlobalAvgPool2d: input \(x.shape)")
        inputShape = x.shape
        output.resize(to: [x.shape[0], x.shape[1]])
        globalAvgPoolForward(x: x.pointer, planes: x.shape[0] * x.shape[1], size: x.shape[2] * x.shape[3], y: output.pointer)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: inputShape)
        globalAvgPoolBackward(dy: dy.pointer, planes: inputShape[0] * inputShape[1], size: inputShape[2] * inputShape[3],
                              dx: inputGradient.pointer)
        return inputGradient
    }
}
