import Kernels
import Tensor
import Testing

/// Forward and backward of convolution (plain and ConvReLU) on Double arrays.
/// `schedule`: samples grouped into one column matrix (a group of one multiplies straight into
/// y), or taken per sample by parallel workers with per-worker gradient sums. With
/// `overwritingDx`, dx starts full of garbage that the backward pass must overwrite.
private func convCheck(_ g: ConvGeometry, batch: Int, bias: Bool, thresholds: Bool, seed: UInt64,
                       schedule: ConvSchedule = .grouped(samples: 2), overwritingDx: Bool = false) -> [String] {
    let columnCount = schedule.columnsCount(g), productCount = schedule.scratchCount(g)
    var rng = RNG(seed: seed, stream: "conv")
    var inputs: GradientCheck.Values = [
        "x": randomValues(batch * g.inputSize, &rng),
        "w": randomValues(g.weightCount, &rng, scale: 0.5),
    ]
    if bias { inputs["b"] = randomValues(g.outChannels, &rng) }
    if thresholds { inputs["theta"] = randomValues(g.columnRows, &rng, scale: 0.5) }

    let forward: (GradientCheck.Values) -> [Double] = { v in
        var y = [Double](repeating: 0, count: batch * g.outputSize)
        var col = [Double](repeating: 0, count: columnCount), product = [Double](repeating: 0, count: productCount)
        let b = v["b"], theta = v["theta"]
        withPointers(&y) { yp in withPointers(&col) { cp in withPointers(&product) { pp in
            b.withOptionalPointer { bp in
                theta.withOptionalPointer { tp in
                    convForward(x: v["x"]!, inputStride: g.inputSize, weight: v["w"]!, bias: bp, threshold: tp, g,
                                batch: batch, y: yp, outputStride: g.outputSize, schedule: schedule, columns: cp, scratch: pp)
                }
            }
        } } }
        return y
    }
    let backward: (GradientCheck.Values, [Double]) -> GradientCheck.Values = { v, dy in
        var dx = [Double](repeating: overwritingDx ? 7 : 0, count: batch * g.inputSize)
        var dw = [Double](repeating: 0, count: g.weightCount)
        var db = [Double](repeating: 0, count: g.outChannels)
        var dtheta = [Double](repeating: 0, count: g.columnRows)
        var col = [Double](repeating: 0, count: columnCount), dcol = col
        var product = [Double](repeating: 0, count: productCount)
        withPointers(&dx) { dxp in withPointers(&dw) { dwp in withPointers(&db) { dbp in
            withPointers(&dtheta) { dtp in withPointers(&col) { cp in withPointers(&dcol) { dcp in withPointers(&product) { pp in
                v["theta"].withOptionalPointer { tp in
                    convBackward(x: v["x"]!, inputStride: g.inputSize, weight: v["w"]!, threshold: tp, g, batch: batch,
                                 dy: dy, outputStride: g.outputSize, dx: dxp, dxStride: g.inputSize, dWeight: dwp,
                                 dBias: bias ? dbp : nil, dThreshold: thresholds ? dtp : nil,
                                 schedule: schedule, columns: cp, scratch: pp, columnGradient: dcp,
                                 overwritingDx: overwritingDx)
                }
            } } } }
        } } }
        var grads: GradientCheck.Values = ["x": dx, "w": dw]
        if bias { grads["b"] = db }
        if thresholds { grads["theta"] = dtheta }
        return grads
    }
    return GradientCheck(inputs: inputs, differentiable: Array(inputs.keys).sorted(), forward: forward, backward: backward).run()
}

@Suite struct ConvolutionGradients {
    @Test(arguments: [ConvSchedule.grouped(samples: 1), .grouped(samples: 2), .grouped(samples: 3), .perSample])
    func conv1dWithBiasAndThresholds(schedule: ConvSchedule) {
        let g = ConvGeometry.conv1d(inChannels: 3, outChannels: 4, length: 11, kernel: 3)
        #expect(convCheck(g, batch: 3, bias: true, thresholds: true, seed: 1, schedule: schedule) == [])
    }

    /// The layers' backward overwrites dx: per sample as each core reaches it, or all at once.
    @Test(arguments: [ConvSchedule.grouped(samples: 2), .perSample])
    func overwritesInputGradient(schedule: ConvSchedule) {
        let g = ConvGeometry.conv1d(inChannels: 3, outChannels: 4, length: 11, kernel: 3)
        #expect(convCheck(g, batch: 3, bias: true, thresholds: true, seed: 3, schedule: schedule, overwritingDx: true) == [])
    }

    /// A skinny convolution the direct kernels do not take (no padding) goes per sample.
    @Test func conv2dSkinnyPerSample() {
        let g = ConvGeometry(inChannels: 5, outChannels: 3, inHeight: 6, inWidth: 5, kernelHeight: 3, kernelWidth: 3)
        #expect(ConvSchedule.choose(g, batch: 4) == .perSample)
        #expect(convCheck(g, batch: 4, bias: true, thresholds: true, seed: 8, schedule: .perSample) == [])
        #expect(convCheck(g, batch: 3, bias: false, thresholds: false, seed: 9, schedule: .perSample) == [])
    }

    @Test func conv1dPaddedStridedThresholds() {
        let g = ConvGeometry.conv1d(inChannels: 2, outChannels: 3, length: 10, kernel: 4, stride: 2, padding: 2)
        #expect(convCheck(g, batch: 2, bias: true, thresholds: true, seed: 2) == [])
    }

    @Test func conv1dPlain() {
        let g = ConvGeometry.conv1d(inChannels: 3, outChannels: 2, length: 9, kernel: 7)
        #expect(convCheck(g, batch: 3, bias: true, thresholds: false, seed: 3) == [])
    }

    @Test func conv2dThresholdsPadded() {
        let g = ConvGeometry(inChannels: 2, outChannels: 3, inHeight: 5, inWidth: 4, kernelHeight: 3, kernelWidth: 3, padding: 1)
        #expect(convCheck(g, batch: 2, bias: false, thresholds: true, seed: 4) == [])
    }

    @Test func conv2dStridedPlain() {
        let g = ConvGeometry(inChannels: 2, outChannels: 2, inHeight: 7, inWidth: 6, kernelHeight: 3, kernelWidth: 3,
                             stride: 2, padding: 1)
        #expect(convCheck(g, batch: 2, bias: true, thresholds: false, seed: 5) == [])
    }

    @Test func conv2dOneByOneThresholds() {
        let g = ConvGeometry(inChannels: 3, outChannels: 2, inHeight: 3, inWidth: 3, kernelHeight: 1, kernelWidth: 1)
        #expect(convCheck(g, batch: 2, bias: false, thresholds: true, seed: 6) == [])
    }

    /// A sample may be the channel prefix of a wider buffer (a dense block): reading it with
    /// a larger input stride must give what a contiguous copy gives.
    @Test func channelPrefixInput() {
        let g = ConvGeometry(inChannels: 2, outChannels: 3, inHeight: 4, inWidth: 4, kernelHeight: 3, kernelWidth: 3, padding: 1)
        var rng = RNG(seed: 9)
        let wide = 5 * 16, batch = 2
        let buffer = randomValues(batch * wide, &rng)
        let compact = (0..<batch).flatMap { n in buffer[(n * wide)..<(n * wide + g.inputSize)] }
        let w = randomValues(g.weightCount, &rng), theta = randomValues(g.columnRows, &rng)
        func run(_ x: [Double], stride: Int) -> [Double] {
            var y = [Double](repeating: 0, count: batch * g.outputSize)
            let schedule = ConvSchedule.grouped(samples: batch)
            var col = [Double](repeating: 0, count: schedule.columnsCount(g))
            var product = [Double](repeating: 0, count: schedule.scratchCount(g))
            withPointers(&y) { yp in withPointers(&col) { cp in withPointers(&product) { pp in
                convForward(x: x, inputStride: stride, weight: w, bias: nil, threshold: theta, g, batch: batch,
                            y: yp, outputStride: g.outputSize, schedule: schedule, columns: cp, scratch: pp)
            } } }
            return y
        }
        #expect(run(buffer, stride: wide) == run(compact, stride: g.inputSize))
    }
}
