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
        let g = PoolGeometry.square(height: h, width: w, kernel: kernel, stride: stride)
        let check = GradientCheck(
            inputs: ["x": randomValues(planes * h * w, &rng)], differentiable: ["x"],
            forward: { v in
                var y = [Double](repeating: 0, count: planes * oh * ow)
                withPointers(&y) { maxPoolForward(x: v["x"]!, planes: planes, g, y: $0, winner: nil) }
                return y
            },
            backward: { v, dy in
                var y = [Double](repeating: 0, count: planes * oh * ow), dx = [Double](repeating: 0, count: planes * h * w)
                var winner = y
                withPointers(&y) { yp in withPointers(&winner) { maxPoolForward(x: v["x"]!, planes: planes, g, y: yp, winner: $0) } }
                withPointers(&dx) { maxPoolBackward(dy: dy, winner: winner, planes: planes, g, dx: $0) }
                return ["x": dx]
            })
        #expect(check.run() == [])
    }

    /// The maximum of each window, a NaN winning; the gradient goes to the first tap holding it.
    @Test func maxPool2dPicksTheWindowMaximum() {
        let x: [Double] = [1, 5, 2, 0,
                           3, 4, 9, 8,
                           -1, -2, 7, 7,
                           -3, -4, .nan, 7]
        let g = PoolGeometry.square(height: 4, width: 4, kernel: 2, stride: 2)
        var y = [Double](repeating: 0, count: 4), dx = [Double](repeating: 0, count: 16), winner = y
        withPointers(&y) { yp in withPointers(&winner) { maxPoolForward(x: x, planes: 1, g, y: yp, winner: $0) } }
        #expect(Array(y[0..<3]) == [5, 9, -1] && y[3].isNaN)
        #expect(winner == [1, 2, 0, 2], "the winning tap of each window, ties to the first")
        withPointers(&dx) { maxPoolBackward(dy: [1, 2, 3, 4], winner: winner, planes: 1, g, dx: $0) }
        #expect(dx == [0, 1, 0, 0,
                       0, 0, 2, 0,
                       3, 0, 0, 0,
                       0, 0, 4, 0], "the gradient goes to the first maximum; a NaN is its window's maximum")
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
