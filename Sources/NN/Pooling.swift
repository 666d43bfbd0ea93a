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

/// The maximum and the mean of each channel over the whole length: (N, C, L) -> (N, 2C, 1),
/// the C maxima first, then the C means. A max says whether a feature occurs somewhere; a mean
/// says how much of the text has it, which is what a bag-of-n-grams classifier counts.
package final class GlobalMaxMeanPool1d: Layer {
    private var inputShape: [Int] = []
    private let output = Tensor()
    private let maxima = Tensor()
    private let means = Tensor()
    /// The winning position of each channel's maximum, recorded by a training forward for backward.
    private let winner = Tensor()
    private let meanGradient = Tensor()
    private let inputGradient = Tensor()

    package init() {}

    private func geometry(_ shape: [Int]) -> PoolGeometry {
        precondition(shape.count == 3 && shape[2] >= 1, "GlobalMaxMeanPool1d: input \(shape) is not (N, C, L)")
        return PoolGeometry.oneD(length: shape[2], kernel: shape[2], stride: shape[2])
    }

    package func forward(_ x: Tensor, _ context: RunContext) -> Tensor {
        let g = geometry(x.shape)
        inputShape = x.shape
        let (n, c) = (x.shape[0], x.shape[1])
        maxima.resize(to: [n, c, 1])
        means.resize(to: [n, c])
        if context.training { winner.resize(to: maxima.shape) }
        maxPoolForward(x: x.pointer, planes: n * c, g, y: maxima.pointer, winner: context.training ? winner.pointer : nil)
        globalAvgPoolForward(x: x.pointer, planes: n * c, size: x.shape[2], y: means.pointer)
        output.resize(to: [n, 2 * c, 1])
        for sample in 0..<n {
            (output.pointer + sample * 2 * c).update(from: maxima.pointer + sample * c, count: c)
            (output.pointer + sample * 2 * c + c).update(from: means.pointer + sample * c, count: c)
        }
        return output
    }

    package func backward(_ dy: Tensor) -> Tensor {
        precondition(winner.shape == maxima.shape && dy.count == 2 * maxima.count,
                     "GlobalMaxMeanPool1d: backward needs a training forward first")
        let (n, c) = (inputShape[0], inputShape[1])
        for sample in 0..<n {
            (maxima.pointer + sample * c).update(from: dy.pointer + sample * 2 * c, count: c)
            (means.pointer + sample * c).update(from: dy.pointer + sample * 2 * c + c, count: c)
        }
        meanGradient.resize(to: inputShape)
        globalAvgPoolBackward(dy: means.pointer, planes: n * c, size: inputShape[2], dx: meanGradient.pointer)
        inputGradient.resize(to: inputShape)
        maxPoolBackward(dy: maxima.pointer, winner: winner.pointer, planes: n * c, geometry(inputShape), dx: inputGradient.pointer)
        for i in 0..<inputGradient.count { inputGradient[i] += meanGradient[i] }
        return inputGradient
    }
}
