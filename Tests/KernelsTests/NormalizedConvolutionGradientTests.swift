import Kernels
import Tensor
import Testing

/// A batch norm over the channel prefix of a wider buffer, feeding a ConvReLU convolution, its
/// input gradient accumulated back into a buffer as wide: the composition `NormalizedConvolution`
/// runs for a dense layer, in Float64 (the direct kernels, which apply the batch norm as they read,
/// are checked against this column path in `DirectConvolutionTests`).
@Suite struct NormalizedConvolutionGradients {
    @Test(arguments: [true, false])
    func batchNormIntoConvolutionOverChannelPrefix(training: Bool) {
        let g = ConvGeometry(inChannels: 3, outChannels: 2, inHeight: 4, inWidth: 5, kernelHeight: 3, kernelWidth: 3, padding: 1)
        let (batch, wideChannels, plane) = (2, 5, 4 * 5)
        let wideStride = wideChannels * plane
        let schedule = ConvSchedule.grouped(samples: batch)
        var rng = RNG(seed: 17, stream: "normalized-convolution")
        let runningMean = randomValues(g.inChannels, &rng), runningVar = randomValues(g.inChannels, &rng).map { abs($0) + 0.5 }

        /// The convolution's output and what backward needs of the forward pass.
        func run(_ v: GradientCheck.Values) -> (y: [Double], normalized: [Double], mean: [Double], inv: [Double]) {
            var normalized = [Double](repeating: 0, count: batch * g.inputSize)
            var rm = runningMean, rv = runningVar
            var mean = [Double](repeating: 0, count: g.inChannels), inv = mean
            var y = [Double](repeating: 0, count: batch * g.outputSize)
            var columns = [Double](repeating: 0, count: schedule.columnsCount(g))
            var product = [Double](repeating: 0, count: schedule.scratchCount(g))
            withPointers(&normalized) { np in withPointers(&rm) { rmp in withPointers(&rv) { rvp in
                withPointers(&mean) { mp in withPointers(&inv) { ip in
                    batchNormForward(x: v["x"]!, inputStride: wideStride, batch: batch, channels: g.inChannels, size: plane,
                                     gamma: v["gamma"]!, beta: v["beta"]!, runningMean: rmp, runningVar: rvp,
                                     training: training, momentum: 0.1, epsilon: 1e-5, mean: mp, inverseStd: ip, y: np)
                } }
            } } }
            withPointers(&y) { yp in withPointers(&columns) { cp in withPointers(&product) { pp in
                convForward(x: normalized, inputStride: g.inputSize, weight: v["w"]!, bias: nil, threshold: v["theta"]!, g,
                            batch: batch, y: yp, outputStride: g.outputSize, schedule: schedule, columns: cp, scratch: pp)
            } } }
            return (y, normalized, mean, inv)
        }

        let check = GradientCheck(
            inputs: ["x": randomValues(batch * wideStride, &rng, scale: 2), "gamma": randomValues(g.inChannels, &rng),
                     "beta": randomValues(g.inChannels, &rng), "w": randomValues(g.weightCount, &rng, scale: 0.5),
                     "theta": randomValues(g.columnRows, &rng, scale: 0.5)],
            differentiable: ["x", "gamma", "beta", "w", "theta"],
            forward: { run($0).y },
            backward: { v, dy in
                let (_, normalized, mean, inv) = run(v)
                var dNormalized = [Double](repeating: 7, count: batch * g.inputSize)
                var dw = [Double](repeating: 0, count: g.weightCount), dtheta = [Double](repeating: 0, count: g.columnRows)
                var columns = [Double](repeating: 0, count: schedule.columnsCount(g)), columnGradient = columns
                var product = [Double](repeating: 0, count: schedule.scratchCount(g))
                withPointers(&dNormalized) { dnp in withPointers(&dw) { dwp in withPointers(&dtheta) { dtp in
                    withPointers(&columns) { cp in withPointers(&columnGradient) { dcp in withPointers(&product) { pp in
                        convBackward(x: normalized, inputStride: g.inputSize, weight: v["w"]!, threshold: v["theta"]!, g,
                                     batch: batch, dy: dy, outputStride: g.outputSize, dx: dnp, dxStride: g.inputSize,
                                     dWeight: dwp, dBias: nil, dThreshold: dtp, schedule: schedule, columns: cp, scratch: pp,
                                     columnGradient: dcp, overwritingDx: true)
                    } } }
                } } }
                // Channels past the prefix are not read: their gradient stays 0.
                var dx = [Double](repeating: 0, count: batch * wideStride)
                var dgamma = [Double](repeating: 0, count: g.inChannels), dbeta = dgamma
                withPointers(&dx) { dxp in withPointers(&dgamma) { dgp in withPointers(&dbeta) { dbp in
                    batchNormBackward(x: v["x"]!, inputStride: wideStride, batch: batch, channels: g.inChannels, size: plane,
                                      gamma: v["gamma"]!, mean: mean, inverseStd: inv, training: training, dy: dNormalized,
                                      dx: dxp, dxStride: wideStride, dGamma: dgp, dBeta: dbp)
                } } }
                return ["x": dx, "gamma": dgamma, "beta": dbeta, "w": dw, "theta": dtheta]
            })
        #expect(check.run() == [])
    }
}
