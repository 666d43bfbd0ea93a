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
