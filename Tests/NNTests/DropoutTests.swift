import NN
import Tensor
import Testing

@Suite struct DropoutTests {
    static func input(_ n: Int) -> Tensor {
        var rng = RNG(seed: 2)
        let x = Tensor(shape: [4, n])
        for i in 0..<x.count { x[i] = Float(rng.normal()) }
        return x
    }

    /// y = x·mask is linear in x, so the gradient of Σ dy·y is dy·mask: backward(dy) must
    /// equal forward(dy) under the same mask (the same seed, layer and step).
    @Test func backwardAppliesTheForwardMask() {
        let dropout = Dropout(probability: 0.3, id: "d")
        let context = RunContext(training: true, seed: 11, step: 5)
        let x = Self.input(250), dy = Self.input(250)
        let y = dropout.forward(x, context).array
        let dx = dropout.backward(dy).array
        let replay = Dropout(probability: 0.3, id: "d").forward(dy, context).array
        #expect(dx == replay)
        for i in 0..<x.count { #expect(y[i] == 0 || abs(y[i] - x[i] / 0.7) < 1e-6) }
        let dropped = y.filter { $0 == 0 }.count
        #expect(dropped > 200 && dropped < 400, "about 30% of 1000 dropped, got \(dropped)")
    }

    @Test func masksDependOnSeedLayerAndStep() {
        let x = Self.input(100)
        func mask(_ seed: UInt64, _ id: String, _ step: Int) -> [Bool] {
            Dropout(probability: 0.5, id: id).forward(x, RunContext(training: true, seed: seed, step: step)).array.map { $0 == 0 }
        }
        #expect(mask(1, "a", 0) == mask(1, "a", 0))
        #expect(mask(1, "a", 0) != mask(1, "a", 1))
        #expect(mask(1, "a", 0) != mask(1, "b", 0))
        #expect(mask(1, "a", 0) != mask(2, "a", 0))
    }

    @Test func identityInEvaluation() {
        let x = Self.input(50)
        let dropout = Dropout(probability: 0.5, id: "d")
        #expect(dropout.forward(x, .inference).array == x.array)
        #expect(dropout.backward(x).array == x.array)
    }
}

@Suite struct BatchNormRecalibrationTests {
    /// With momentum 1/(k+1) at the k-th pass, the running mean becomes the plain average of
    /// the batch means and the running variance the average of the unbiased batch variances.
    @Test func momentumOverrideAveragesBatchStatistics() {
        let norm = BatchNorm(channels: 1)
        var rng = RNG(seed: 4)
        var means: [Double] = [], variances: [Double] = []
        for k in 0..<5 {
            let x = Tensor(shape: [6, 1])
            for i in 0..<6 { x[i] = Float(rng.normal() * Double(k + 1) + Double(k)) }
            let values = x.array.map(Double.init)
            let mean = values.reduce(0, +) / 6
            means.append(mean)
            variances.append(values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5)
            _ = norm.forward(x, RunContext(training: true, dropout: false, batchNormMomentum: 1 / Float(k + 1)))
        }
        #expect(abs(Double(norm.runningMean[0]) - means.reduce(0, +) / 5) < 1e-4)
        #expect(abs(Double(norm.runningVar[0]) - variances.reduce(0, +) / 5) < 1e-3)
    }
}
