import Kernels
import Tensor

/// The spatial rank of a layer: NCL (1D) or NCHW (2D) input.
package enum SpatialDimensions: Int, Sendable { case one = 1, two = 2 }

/// Max pooling over the length of NCL input or a square window of NCHW input, floor mode.
package final class MaxPool: Layer {
    let dimensions: SpatialDimensions
    package let kernelSize: Int
    package let stride: Int
    private var inputShape: [Int] = []
    private let output = Tensor()
    /// The winning tap of each window, recorded by a training forward for backward.
    private let winner = Tensor()
    private let inputGradient = Tensor()

    package init(_ dimensions: SpatialDimensions, kernelSize: Int, stride: Int? = nil) {
        self.dimensions = dimensions
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    private func geometry(_ shape: [Int]) -> PoolGeometry {
        precondition(shape.count == dimensions.rawValue + 2, "MaxPool: input \(shape) is not \(dimensions.rawValue)D")
        let g = dimensions == .one
            ? PoolGeometry.oneD(length: shape[2], kernel: kernelSize, stride: stride)
            : PoolGeometry.square(height: shape[2], width: shape[3], kernel: kernelSize, stride: stride)
        precondition(g.isValid, "MaxPool: input \(shape) is smaller than the window \(kernelSize)")
        return g
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        let g = geometry(x.shape)
        inputShape = x.shape
        output.resize(to: dimensions == .one ? [x.shape[0], x.shape[1], g.outWidth] : [x.shape[0], x.shape[1], g.outHeight, g.outWidth])
        if context.training { winner.resize(to: output.shape) }
        maxPoolForward(x: x.pointer, planes: x.shape[0] * x.shape[1], g, y: output.pointer,
                       winner: context.training ? winner.pointer : nil)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        precondition(winner.shape == dy.shape, "MaxPool: backward needs a training forward first")
        inputGradient.resize(to: inputShape)
        maxPoolBackward(dy: dy.pointer, winner: winner.pointer, planes: inputShape[0] * inputShape[1], geometry(inputShape),
                        dx: inputGradient.pointer)
        return inputGradient
    }
}

/// Average pooling with a square window over NCHW input, no padding.
package final class AvgPool2d: Layer {
    package let kernelSize: Int
    package let stride: Int
    private var inputShape: [Int] = []
    private let output = Tensor()
    private let inputGradient = Tensor()

    package init(kernelSize: Int, stride: Int? = nil) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 4, "AvgPool2d: input \(x.shape)")
        inputShape = x.shape
        let (h, w) = (x.shape[2], x.shape[3])
        output.resize(to: [x.shape[0], x.shape[1], (h - kernelSize) / stride + 1, (w - kernelSize) / stride + 1])
        avgPool2dForward(x: x.pointer, planes: x.shape[0] * x.shape[1], height: h, width: w,
                         kernel: kernelSize, stride: stride, y: output.pointer)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: inputShape)
        avgPool2dBackward(dy: dy.pointer, planes: inputShape[0] * inputShape[1], height: inputShape[2],
                          width: inputShape[3], kernel: kernelSize, stride: stride, dx: inputGradient.pointer)
        return inputGradient
    }
}

/// Global average pooling: (N, C, H, W) -> (N, C).
package final class GlobalAvgPool2d: Layer {
    private var inputShape: [Int] = []
    private let output = Tensor()
    private let inputGradient = Tensor()

    package init() {}

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        precondition(x.shape.count == 4, "GlobalAvgPool2d: input \(x.shape)")
        inputShape = x.shape
        output.resize(to: [x.shape[0], x.shape[1]])
        globalAvgPoolForward(x: x.pointer, planes: x.shape[0] * x.shape[1], size: x.shape[2] * x.shape[3], y: output.pointer)
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(to: inputShape)
        globalAvgPoolBackward(dy: dy.pointer, planes: inputShape[0] * inputShape[1], size: inputShape[2] * inputShape[3],
                              dx: inputGradient.pointer)
        return inputGradient
    }
}
