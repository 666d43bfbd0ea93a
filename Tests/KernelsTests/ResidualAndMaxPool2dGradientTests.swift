import Kernels
import Tensor
import Testing

/// Gradient checks, in Float64, for the kernels the CIFAR VGG and ResNet add:
/// 2D max pooling and the elementwise sum of a residual connection.
@Suite struct ImageNetworkKernelGradients {
    /// Non-overlapping (VGG's 2×2) and overlapping windows, with a ragged edge dropped by floor mode.
    @Test(arguments: [(2, 2), (3, 2), (2, 1)])
    func maxPool2d(kernel: Int, stride: Int) {
        let (planes, h, w) = (3, 7, 6)
        let (oh, ow) = ((h - kernel) / stride + 1, (w - kernel) / stride + 1)
        var rng = RNG(seed: 21)
        func pool(_ x: UnsafePointer<Double>, _ y: inout [Double]) -> [Int32] {
            var arg = [Int32](repeating: 0, count: planes * oh * ow)
            withPointers(&y) { yp in arg.withUnsafeMutableBufferPointer {
                maxPoolForward(x: x, planes: planes, .square(height: h, width: w, kernel: kernel, stride: stride),
                               y: yp, argmax: $0.baseAddress!)
            } }
            return arg
        }
        let check = GradientCheck(
            inputs: ["x": randomValues(planes * h * w, &rng)], differentiable: ["x"],
            forward: { v in
                var y = [Double](repeating: 0, count: planes * oh * ow)
                _ = pool(v["x"]!, &y)
                return y
            },
            backward: { v, dy in
                var y = [Double](repeating: 0, count: planes * oh * ow), dx = [Double](repeating: 0, count: planes * h * w)
                let arg = pool(v["x"]!, &y)
                withPointers(&dx) {
                    maxPoolBackward(dy: dy, argmax: arg, planes: planes, .square(height: h, width: w, kernel: kernel, stride: stride),
                                    dx: $0)
                }
                return ["x": dx]
            })
        #expect(check.run() == [])
    }

    @Test func maxPool2dPicksTheWindowMaximum() {
        let x: [Double] = [1, 5, 2, 0,
                           3, 4, 9, 8,
                           -1, -2, 7, 7,
                           -3, -4, 6, 7]
        var y = [Double](repeating: 0, count: 4)
        var arg = [Int32](repeating: 0, count: 4)
        withPointers(&y) { yp in arg.withUnsafeMutableBufferPointer {
            maxPoolForward(x: x, planes: 1, .square(height: 4, width: 4, kernel: 2, stride: 2), y: yp, argmax: $0.baseAddress!)
        } }
        #expect(y == [5, 9, -1, 7])
        #expect(arg == [1, 6, 8, 10], "ties go to the first maximum")
    }

    /// y = a + b: each term receives dy; the same kernel sums the two paths' gradients.
    @Test func residualSum() {
        let count = 10
        var rng = RNG(seed: 22)
        let check = GradientCheck(
            inputs: ["a": randomValues(count, &rng), "b": randomValues(count, &rng)], differentiable: ["a", "b"],
            forward: { v in
                var y = [Double](repeating: 0, count: count)
                withPointers(&y) { addElementwise(v["a"]!, v["b"]!, count: count, into: $0) }
                return y
            },
            backward: { _, dy in ["a": dy, "b": dy] })
        #expect(check.run() == [])
    }
}
