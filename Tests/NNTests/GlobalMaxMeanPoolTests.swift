import NN
import Tensor
import Testing

/// The max-and-mean pool: forward against values computed here, backward against a central
/// finite difference of Σ dy·y in Float64 terms (the layer is piecewise linear, so with distinct
/// values the difference is exact up to rounding).
@Suite struct GlobalMaxMeanPoolTests {
    static func input() -> Tensor {
        var rng = RNG(seed: 4)
        let x = Tensor(shape: [3, 4, 7])
        for i in 0..<x.count { x[i] = Float(rng.normal()) }
        return x
    }

    @Test func forwardHoldsMaximaThenMeans() {
        let x = Self.input(), values = x.array
        let y = GlobalMaxMeanPool1d().forward(x, RunContext(training: false))
        #expect(y.shape == [3, 8, 1])
        for n in 0..<3 {
            for c in 0..<4 {
                let row = values[(n * 4 + c) * 7..<(n * 4 + c + 1) * 7]
                #expect(y[n * 8 + c] == row.max()!)
                #expect(abs(y[n * 8 + 4 + c] - row.reduce(0, +) / 7) < 1e-6)
            }
        }
    }

    @Test func backwardMatchesFiniteDifference() {
        let x = Self.input()
        var rng = RNG(seed: 9)
        let dy = Tensor(shape: [3, 8, 1])
        for i in 0..<dy.count { dy[i] = Float(rng.normal()) }
        let pool = GlobalMaxMeanPool1d()
        _ = pool.forward(x, RunContext(training: true))
        let dx = pool.backward(dy).array
        func objective(_ input: Tensor) -> Double {
            let y = GlobalMaxMeanPool1d().forward(input, RunContext(training: false)).array
            return zip(y, dy.array).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        let epsilon: Float = 1e-3
        for i in 0..<x.count {
            let saved = x[i]
            x[i] = saved + epsilon
            let up = objective(x)
            x[i] = saved - epsilon
            let down = objective(x)
            x[i] = saved
            #expect(abs((up - down) / Double(2 * epsilon) - Double(dx[i])) < 2e-3, "element \(i)")
        }
    }
}
