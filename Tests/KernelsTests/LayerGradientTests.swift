import Foundation
import Kernels
import Tensor
import Testing

/// Gradient checks for every non-convolution kernel, in Float64.
@Suite struct KernelGradients {
    @Test func linear() {
        let (n, i, o) = (3, 5, 4)
        var rng = RNG(seed: 11)
        let check = GradientCheck(
            inputs: ["x": randomValues(n * i, &rng), "w": randomValues(o * i, &rng), "b": randomValues(o, &rng)],
            differentiable: ["x", "w", "b"],
            forward: { v in
                var y = [Double](repeating: 0, count: n * o)
                withPointers(&y) { linearForward(x: v["x"]!, weight: v["w"]!, bias: v["b"]!, batch: n, inFeatures: i, outFeatures: o, y: $0) }
                return y
            },
            backward: { v, dy in
                var dx = [Double](repeating: 0, count: n * i), dw = [Double](repeating: 0, count: o * i)
                var db = [Double](repeating: 0, count: o)
                withPointers(&dx) { dxp in withPointers(&dw) { dwp in withPointers(&db) { dbp in
                    linearBackward(x: v["x"]!, weight: v["w"]!, dy: dy, batch: n, inFeatures: i, outFeatures: o,
                                   dx: dxp, dWeight: dwp, dBias: dbp)
                } } }
                return ["x": dx, "w": dw, "b": db]
            })
        #expect(check.run() == [])
    }

    @Test(arguments: [(3, 3), (3, 2), (2, 2)])
    func maxPool1d(kernel: Int, stride: Int) {
        let (rows, length) = (4, 11)
        let out = (length - kernel) / stride + 1
        var rng = RNG(seed: 12)
        let check = GradientCheck(
            inputs: ["x": randomValues(rows * length, &rng)], differentiable: ["x"],
            forward: { v in
                var y = [Double](repeating: 0, count: rows * out)
                withPointers(&y) {
                    maxPoolForward(x: v["x"]!, planes: rows, .oneD(length: length, kernel: kernel, stride: stride), y: $0, winner: nil)
                }
                return y
            },
            backward: { v, dy in
                var y = [Double](repeating: 0, count: rows * out), dx = [Double](repeating: 0, count: rows * length)
                let g = PoolGeometry.oneD(length: length, kernel: kernel, stride: stride)
                var winner = y
                withPointers(&y) { yp in withPointers(&winner) { maxPoolForward(x: v["x"]!, planes: rows, g, y: yp, winner: $0) } }
                withPointers(&dx) { maxPoolBackward(dy: dy, winner: winner, planes: rows, g, dx: $0) }
                return ["x": dx]
            })
        #expect(check.run() == [])
    }

    @Test func avgPool2d() {
        let (planes, h, w) = (3, 6, 5)
        let (oh, ow) = (3, 2)
        var rng = RNG(seed: 13)
        let check = GradientCheck(
            inputs: ["x": randomValues(planes * h * w, &rng)], differentiable: ["x"],
            forward: { v in
                var y = [Double](repeating: 0, count: planes * oh * ow)
                withPointers(&y) { avgPool2dForward(x: v["x"]!, planes: planes, height: h, width: w, kernel: 2, stride: 2, y: $0) }
                return y
            },
            backward: { _, dy in
                var dx = [Double](repeating: 0, count: planes * h * w)
                withPointers(&dx) { avgPool2dBackward(dy: dy, planes: planes, height: h, width: w, kernel: 2, stride: 2, dx: $0) }
                return ["x": dx]
            })
        #expect(check.run() == [])
    }

    @Test func globalAvgPool() {
        let (planes, size) = (4, 9)
        var rng = RNG(seed: 14)
        let check = GradientCheck(
            inputs: ["x": randomValues(planes * size, &rng)], differentiable: ["x"],
            forward: { v in
                var y = [Double](repeating: 0, count: planes)
                withPointers(&y) { globalAvgPoolForward(x: v["x"]!, planes: planes, size: size, y: $0) }
                return y
            },
            backward: { _, dy in
                var dx = [Double](repeating: 0, count: planes * size)
                withPointers(&dx) { globalAvgPoolBackward(dy: dy, planes: planes, size: size, dx: $0) }
                return ["x": dx]
            })
        #expect(check.run() == [])
    }

    @Test(arguments: [true, false])
    func batchNorm(training: Bool) {
        let (n, c, s) = (3, 2, 5)
        var rng = RNG(seed: 15)
        let runningMean = randomValues(c, &rng), runningVar = randomValues(c, &rng).map { abs($0) + 0.5 }
        func run(_ v: GradientCheck.Values) -> (y: [Double], mean: [Double], inv: [Double]) {
            var y = [Double](repeating: 0, count: n * c * s)
            var rm = runningMean, rv = runningVar
            var mean = [Double](repeating: 0, count: c), inv = mean
            withPointers(&y) { yp in withPointers(&rm) { rmp in withPointers(&rv) { rvp in
                withPointers(&mean) { mp in withPointers(&inv) { ip in
                    batchNormForward(x: v["x"]!, inputStride: c * s, batch: n, channels: c, size: s, gamma: v["gamma"]!,
                                     beta: v["beta"]!, runningMean: rmp, runningVar: rvp, training: training,
                                     momentum: 0.1, epsilon: 1e-5, mean: mp, inverseStd: ip, y: yp)
                } }
            } } }
            return (y, mean, inv)
        }
        let check = GradientCheck(
            inputs: ["x": randomValues(n * c * s, &rng, scale: 2), "gamma": randomValues(c, &rng), "beta": randomValues(c, &rng)],
            differentiable: ["x", "gamma", "beta"],
            forward: { run($0).y },
            backward: { v, dy in
                let (_, mean, inv) = run(v)
                var dx = [Double](repeating: 0, count: n * c * s), dg = [Double](repeating: 0, count: c), db = dg
                withPointers(&dx) { dxp in withPointers(&dg) { dgp in withPointers(&db) { dbp in
                    batchNormBackward(x: v["x"]!, inputStride: c * s, batch: n, channels: c, size: s, gamma: v["gamma"]!,
                                      mean: mean, inverseStd: inv, training: training, dy: dy, dx: dxp, dxStride: c * s,
                                      dGamma: dgp, dBeta: dbp)
                } } }
                return ["x": dx, "gamma": dg, "beta": db]
            })
        #expect(check.run() == [])
    }

    @Test(arguments: ParameterSharing.allCases)
    func adaptiveThreshold(sharing: ParameterSharing) {
        let (n, c, s) = (2, 3, 4)
        var rng = RNG(seed: 16)
        let check = GradientCheck(
            inputs: ["x": randomValues(n * c * s, &rng), "theta": randomValues(sharing.parameterCount(channels: c, size: s), &rng)],
            differentiable: ["x", "theta"],
            forward: { v in
                var y = [Double](repeating: 0, count: n * c * s)
                withPointers(&y) { thresholdForward(x: v["x"]!, batch: n, channels: c, size: s, theta: v["theta"]!, sharing: sharing, y: $0) }
                return y
            },
            backward: { v, dy in
                var dx = [Double](repeating: 0, count: n * c * s)
                var dt = [Double](repeating: 0, count: v["theta"]!.count)
                withPointers(&dx) { dxp in withPointers(&dt) { dtp in
                    thresholdBackward(x: v["x"]!, dy: dy, batch: n, channels: c, size: s, theta: v["theta"]!, sharing: sharing,
                                      dx: dxp, dTheta: dtp)
                } }
                return ["x": dx, "theta": dt]
            })
        #expect(check.run() == [])
    }

    @Test(arguments: ParameterSharing.allCases)
    func parametricSlope(sharing: ParameterSharing) {
        let (n, c, s) = (2, 3, 4)
        var rng = RNG(seed: 17)
        let check = GradientCheck(
            inputs: ["x": randomValues(n * c * s, &rng), "alpha": randomValues(sharing.parameterCount(channels: c, size: s), &rng)],
            differentiable: ["x", "alpha"],
            forward: { v in
                var y = [Double](repeating: 0, count: n * c * s)
                withPointers(&y) { slopeForward(x: v["x"]!, batch: n, channels: c, size: s, alpha: v["alpha"]!, sharing: sharing, y: $0) }
                return y
            },
            backward: { v, dy in
                var dx = [Double](repeating: 0, count: n * c * s)
                var da = [Double](repeating: 0, count: v["alpha"]!.count)
                withPointers(&dx) { dxp in withPointers(&da) { dap in
                    slopeBackward(x: v["x"]!, dy: dy, batch: n, channels: c, size: s, alpha: v["alpha"]!, sharing: sharing,
                                  dx: dxp, dAlpha: dap)
                } }
                return ["x": dx, "alpha": da]
            })
        #expect(check.run() == [])
    }

    @Test(arguments: [0.0, 0.1]) func softmaxCrossEntropyLoss(smoothing: Double) {
        let (n, k) = (4, 5)
        var rng = RNG(seed: 18)
        let targets: [Int32] = [0, 3, 4, 1]
        func loss(_ v: GradientCheck.Values, _ d: UnsafeMutablePointer<Double>?) -> Double {
            var p = [Double](repeating: 0, count: n * k)
            return withPointers(&p) {
                softmaxCrossEntropy(logits: v["z"]!, targets: targets, batch: n, classes: k, probabilities: $0, dLogits: d,
                                    labelSmoothing: smoothing)
            }
        }
        let check = GradientCheck(
            inputs: ["z": randomValues(n * k, &rng, scale: 3)], differentiable: ["z"],
            forward: { [loss($0, nil)] },
            backward: { v, dy in
                var d = [Double](repeating: 0, count: n * k)
                _ = withPointers(&d) { loss(v, $0) }
                return ["z": d.map { $0 * dy[0] }]
            })
        #expect(check.run() == [])
    }

    /// torch.nn.functional.cross_entropy(z, t, label_smoothing=ε) = (1 − ε)·NLL + ε·mean_k(−log p_k).
    @Test func labelSmoothingMatchesTheClosedForm() {
        let z: [Double] = [2, -1, 0.5], epsilon = 0.2
        let logSum = log(z.map(exp).reduce(0, +))
        let logP = z.map { $0 - logSum }
        let expected = (1 - epsilon) * -logP[1] + epsilon * -logP.reduce(0, +) / 3
        var p = [Double](repeating: 0, count: 3)
        let value = p.withUnsafeMutableBufferPointer {
            softmaxCrossEntropy(logits: z, targets: [Int32(1)], batch: 1, classes: 3, probabilities: $0.baseAddress!,
                                dLogits: nil, labelSmoothing: epsilon)
        }
        #expect(abs(value - expected) < 1e-12)
    }

    @Test func crossEntropyIsStableForLargeLogits() {
        var p = [Float](repeating: 0, count: 3)
        let l = p.withUnsafeMutableBufferPointer {
            softmaxCrossEntropy(logits: [Float(1000), 0, -1000], targets: [Int32(0)], batch: 1, classes: 3,
                                probabilities: $0.baseAddress!, dLogits: nil)
        }
        #expect(l.isFinite && l < 1e-6)
        #expect(abs(p.reduce(0, +) - 1) < 1e-6)
    }
}
