import Foundation
import NN
import Tensor
import TestSupport
import Testing
import Training

@Suite struct OptimizerTests {
    /// Three SGD steps from `param0` with `grads[i]`, against PyTorch, with and without Nesterov.
    @Test(arguments: ["sgd_momentum", "sgd_nesterov"])
    func sgdMatchesPyTorch(name: String) throws {
        let file = try Fixtures.load(name), spec = try Fixtures.spec(file)
        let lr = Float(spec["lr"] as! Double), decay = Float(spec["weight_decay"] as! Double)
        let sgd = SGD(momentum: Float(spec["momentum"] as! Double), nesterov: spec["nesterov"] as! Bool,
                      weightDecay: WeightDecay(weight: decay))
        let param0 = try file.tensor("param0"), grads = try file.tensor("grads"), expected = try file.tensor("param_after")
        let p = Parameter(shape: param0.shape, group: .weight)
        p.value.copy(from: param0)
        let n = param0.count
        for s in 0..<grads.shape[0] {
            for i in 0..<n { p.grad[i] = grads[s * n + i] }
            sgd.step([NamedParameter("p", p)], learningRate: lr)
            let after = Array(expected.buffer[(s * n)..<((s + 1) * n)])
            #expect(mismatch(p.value.array, after, Fixtures.layerTolerance, "\(name) step \(s + 1)") == nil)
            #expect(p.grad.array.allSatisfy { $0 == 0 }, "the step zeroes the gradient")
        }
    }

    @Test func weightDecayIsPerGroup() {
        let sgd = SGD(momentum: 0, weightDecay: WeightDecay(weight: 0.5, threshold: 0))
        let w = Parameter(shape: [1], group: .weight, value: 2), theta = Parameter(shape: [1], group: .threshold, value: 2)
        sgd.step([NamedParameter("w", w), NamedParameter("theta", theta)], learningRate: 0.1)
        #expect(abs(w.value[0] - (2 - 0.1 * 0.5 * 2)) < 1e-6)
        #expect(theta.value[0] == 2)
    }

    /// Adam's first step moves every parameter by about lr against the sign of its gradient.
    @Test func adamFirstStep() {
        let adam = Adam()
        let p = Parameter(shape: [3], group: .weight, value: 1)
        p.grad.copy(from: Tensor(shape: [3], values: [0.5, -2, 1e-3]))
        adam.step([NamedParameter("p", p)], learningRate: 0.01)
        #expect(mismatch(p.value.array, [0.99, 1.01, 0.99], Tolerance(absolute: 1e-4, relative: 0), "adam") == nil)
    }

    /// AdamW, two steps by hand: p ← p·(1 − lr·λ), then Adam on the raw gradient; the decay
    /// never enters the moments (torch.optim.AdamW). Thresholds take their own λ.
    @Test func adamWDecouplesTheDecay() {
        let (lr, lambda, b1, b2, eps) = (0.1, 0.5, 0.9, 0.999, 1e-8)
        let adam = Adam(weightDecay: WeightDecay(weight: Float(lambda), threshold: 0), decoupled: true)
        let w = Parameter(shape: [1], group: .weight, value: 2), theta = Parameter(shape: [1], group: .threshold, value: 2)
        var p = 2.0, q = 2.0, m = 0.0, v = 0.0
        for (t, g) in [0.3, -0.2].enumerated() {
            w.grad[0] = Float(g)
            theta.grad[0] = Float(g)
            adam.step([NamedParameter("w", w), NamedParameter("theta", theta)], learningRate: Float(lr))
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            let update = lr / (1 - pow(b1, Double(t + 1))) * m / ((v / (1 - pow(b2, Double(t + 1)))).squareRoot() + eps)
            p = p * (1 - lr * lambda) - update
            q -= update
            #expect(abs(Double(w.value[0]) - p) < 1e-5, "step \(t + 1)")
            #expect(abs(Double(theta.value[0]) - q) < 1e-5, "step \(t + 1)")
        }
    }

    @Test func warmupThenDecay() {
        let cosine = LearningRateSchedule.cosine(rate: 1, warmupSteps: 4, totalSteps: 104)
        #expect(cosine.rate(epoch: 0, step: 0) == 0.25)
        #expect(cosine.rate(epoch: 0, step: 3) == 1)
        #expect(cosine.rate(epoch: 0, step: 4) == 1)
        #expect(abs(cosine.rate(epoch: 0, step: 54) - 0.5) < 1e-6)
        #expect(abs(cosine.rate(epoch: 0, step: 104)) < 1e-7)
        #expect(abs(cosine.rate(epoch: 0, step: 200)) < 1e-7, "stays at 0 past the end")
        let linear = LearningRateSchedule.linear(rate: 2, warmupSteps: 0, totalSteps: 10)
        #expect(linear.rate(epoch: 0, step: 0) == 2)
        #expect(abs(linear.rate(epoch: 0, step: 5) - 1) < 1e-6)
        #expect(linear.rate(epoch: 0, step: 10) == 0)
    }

    @Test func schedules() {
        let multi = LearningRateSchedule.multiStep(rate: 0.1, milestones: [150, 250], factor: 0.1)
        #expect(multi.rate(epoch: 149, step: 0) == 0.1)
        #expect(abs(multi.rate(epoch: 150, step: 0) - 0.01) < 1e-9)
        #expect(abs(multi.rate(epoch: 299, step: 0) - 0.001) < 1e-9)
        let halving = LearningRateSchedule.halving(rate: 0.01, steps: 100, times: 2)
        #expect(halving.rate(epoch: 0, step: 99) == 0.01)
        #expect(halving.rate(epoch: 0, step: 100) == 0.005)
        #expect(halving.rate(epoch: 0, step: 10_000) == 0.0025)
    }
}
