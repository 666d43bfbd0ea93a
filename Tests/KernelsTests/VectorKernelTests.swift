import CKernels
import Kernels
import Tensor
import TestSupport
import Testing

/// The direct kernels against the im2col path (itself checked against finite differences in
/// Float64), in Float, at every instruction-set level this CPU runs: outputs and every gradient.
@Suite struct DirectConvolutionTests {
    /// `sharedThresholds`: ConvReLU whose taps of a channel share one θ (as at its zero start),
    /// which the direct path applies as it copies the input in, with the θ gradient still wanted.
    enum Input: CaseIterable { case identity, relu, sharedThresholds, thresholds }

    struct Case: CustomStringConvertible, Sendable {
        var g: ConvGeometry
        var batch: Int
        var bias: Bool
        var description: String { "\(g) batch \(batch)\(bias ? " bias" : "")" }
    }

    static let cases: [Case] = [
        // A plane that is not a multiple of the 32-position block, and output channels below one tile.
        Case(g: ConvGeometry(inChannels: 5, outChannels: 3, inHeight: 6, inWidth: 5, kernelHeight: 3, kernelWidth: 3, padding: 1),
             batch: 3, bias: true),
        // A dense-block layer: 12 output channels, one full tile of the AVX-512 build.
        Case(g: ConvGeometry(inChannels: 7, outChannels: 12, inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3, padding: 1),
             batch: 2, bias: false),
        // More output channels than a tile, and rows of two blocks.
        Case(g: ConvGeometry(inChannels: 6, outChannels: 13, inHeight: 32, inWidth: 32, kernelHeight: 3, kernelWidth: 3, padding: 1),
             batch: 2, bias: true),
        Case(g: ConvGeometry(inChannels: 3, outChannels: 4, inHeight: 7, inWidth: 6, kernelHeight: 5, kernelWidth: 5, padding: 2),
             batch: 2, bias: true),
        Case(g: ConvGeometry(inChannels: 6, outChannels: 5, inHeight: 4, inWidth: 4, kernelHeight: 1, kernelWidth: 1),
             batch: 3, bias: false),
        Case(g: .conv1d(inChannels: 4, outChannels: 3, length: 37, kernel: 3, padding: 1), batch: 2, bias: true),
        // Layer 3 of DenseNet-40's second block.
        Case(g: ConvGeometry(inChannels: 196, outChannels: 12, inHeight: 16, inWidth: 16, kernelHeight: 3, kernelWidth: 3, padding: 1),
             batch: 5, bias: false),
    ]

    /// Forward output and gradients (x, w, b, θ) of one schedule.
    static func run(_ c: Case, _ input: Input, x: [Float], w: [Float], b: [Float], theta: [Float], dy: [Float],
                    schedule: ConvSchedule, level: Int32) -> [String: [Float]] {
        let g = c.g
        var y = [Float](repeating: 0, count: c.batch * g.outputSize)
        var dx = [Float](repeating: 0, count: c.batch * g.inputSize)
        var dw = [Float](repeating: 0, count: g.weightCount), db = [Float](repeating: 0, count: g.outChannels)
        var dtheta = [Float](repeating: 0, count: g.columnRows)
        let columns = Tensor(shape: [schedule.columnsCount(g)]), gradient = Tensor(shape: [schedule.columnsCount(g)])
        let scratch = Tensor(shape: [schedule.scratchCount(g)])
        let thresholds: [Float]? = switch input {
        case .identity: nil
        case .relu: [Float](repeating: 0, count: g.columnRows)
        case .sharedThresholds: (0..<g.columnRows).map { theta[$0 / (g.columnRows / g.inChannels) * (g.columnRows / g.inChannels)] }
        case .thresholds: theta
        }
        let bias = c.bias ? b : nil
        thresholds.withOptionalPointer { tp in bias.withOptionalPointer { bp in
            y.withUnsafeMutableBufferPointer { yp in
                if schedule == .direct {
                    DirectConvolution.forward(x: x, inputStride: g.inputSize, weight: w, bias: bp, threshold: tp, g, batch: c.batch,
                                              y: yp.baseAddress!, outputStride: g.outputSize, guarded: columns.pointer,
                                              scratch: scratch.pointer, level: level)
                } else {
                    convForward(x: x, inputStride: g.inputSize, weight: w, bias: bp, threshold: tp, g, batch: c.batch,
                                y: yp.baseAddress!, outputStride: g.outputSize, schedule: schedule, columns: columns.pointer,
                                scratch: scratch.pointer)
                }
            }
            dx.withUnsafeMutableBufferPointer { dxp in dw.withUnsafeMutableBufferPointer { dwp in
                db.withUnsafeMutableBufferPointer { dbp in dtheta.withUnsafeMutableBufferPointer { dtp in
                    let dThreshold = input == .thresholds || input == .sharedThresholds ? dtp.baseAddress : nil
                    if schedule == .direct {
                        DirectConvolution.backward(x: x, inputStride: g.inputSize, weight: w, threshold: tp, g, batch: c.batch,
                                                   dy: dy, outputStride: g.outputSize, dx: dxp.baseAddress, dxStride: g.inputSize,
                                                   dWeight: dwp.baseAddress!, dBias: c.bias ? dbp.baseAddress : nil,
                                                   dThreshold: dThreshold, guardedInput: columns.pointer,
                                                   guardedGradient: gradient.pointer, scratch: scratch.pointer, level: level)
                    } else {
                        convBackward(x: x, inputStride: g.inputSize, weight: w, threshold: tp, g, batch: c.batch,
                                     dy: dy, outputStride: g.outputSize, dx: dxp.baseAddress, dxStride: g.inputSize,
                                     dWeight: dwp.baseAddress!, dBias: c.bias ? dbp.baseAddress : nil, dThreshold: dThreshold,
                                     schedule: schedule, columns: columns.pointer, scratch: scratch.pointer,
                                     columnGradient: gradient.pointer)
                    }
                } }
            } }
        } }
        return ["y": y, "dx": dx, "dw": dw, "db": db, "dtheta": dtheta]
    }

    @Test(arguments: cases)
    func matchesColumnPath(_ c: Case) {
        var rng = RNG(seed: 5, stream: "direct")
        let g = c.g
        func values(_ n: Int, _ scale: Double = 1) -> [Float] { (0..<n).map { _ in Float(rng.normal() * scale) } }
        let x = values(c.batch * g.inputSize), w = values(g.weightCount, 0.5), b = values(g.outChannels)
        let theta = values(g.columnRows, 0.5), dy = values(c.batch * g.outputSize)
        #expect(ConvSchedule.choose(g, batch: c.batch) == .direct)
        for input in Input.allCases {
            let expected = Self.run(c, input, x: x, w: w, b: b, theta: theta, dy: dy, schedule: .grouped(samples: c.batch),
                                    level: 0)
            for level in Int32(DC_LEVEL_GENERIC)...VectorKernels.level {
                let actual = Self.run(c, input, x: x, w: w, b: b, theta: theta, dy: dy, schedule: .direct, level: level)
                for name in expected.keys.sorted() {
                    #expect(mismatch(actual[name]!, expected[name]!, Tolerance(absolute: 1e-4, relative: 1e-4),
                                     "\(name) (\(input), level \(level))") == nil)
                }
            }
        }
    }

    /// With an input affine map (a batch norm), the direct kernels read x · scale + shift per
    /// channel: they must give the column path's output, weight and θ gradients on the mapped
    /// input, and its input gradient, which is that of the mapped input.
    @Test(arguments: [cases[1], cases[4], cases[6]])
    func inputAffineMatchesColumnsOnMappedInput(_ c: Case) {
        var rng = RNG(seed: 6, stream: "direct-affine")
        let g = c.g
        func values(_ n: Int, _ scale: Double = 1) -> [Float] { (0..<n).map { _ in Float(rng.normal() * scale) } }
        let x = values(c.batch * g.inputSize), w = values(g.weightCount, 0.5), theta = values(g.columnRows, 0.5)
        let scale = values(g.inChannels), shift = values(g.inChannels), dy = values(c.batch * g.outputSize)
        let plane = g.inHeight * g.inWidth
        let mapped = x.indices.map { i in x[i] * scale[i / plane % g.inChannels] + shift[i / plane % g.inChannels] }

        func run(_ x: [Float], _ affine: DirectConvolution.InputAffine?, _ schedule: ConvSchedule, theta: [Float],
                 thetaGradient: Bool) -> [String: [Float]] {
            // dx starts as garbage: both paths must write over it (`overwritingDx`).
            var y = [Float](repeating: 0, count: c.batch * g.outputSize), dx = [Float](repeating: 7, count: x.count)
            var dw = [Float](repeating: 0, count: g.weightCount), dtheta = [Float](repeating: 0, count: g.columnRows)
            let columns = Tensor(shape: [schedule.columnsCount(g)]), gradient = Tensor(shape: [schedule.columnsCount(g)])
            let scratch = Tensor(shape: [schedule.scratchCount(g)])
            convForward(x: x, inputStride: g.inputSize, weight: w, bias: nil, threshold: theta, inputAffine: affine, g,
                        batch: c.batch, y: &y, outputStride: g.outputSize, schedule: schedule, columns: columns.pointer,
                        scratch: scratch.pointer)
            dtheta.withUnsafeMutableBufferPointer { dtp in
                convBackward(x: x, inputStride: g.inputSize, weight: w, threshold: theta, inputAffine: affine, g, batch: c.batch,
                             dy: dy, outputStride: g.outputSize, dx: &dx, dxStride: g.inputSize, dWeight: &dw, dBias: nil,
                             dThreshold: thetaGradient ? dtp.baseAddress : nil, schedule: schedule, columns: columns.pointer,
                             scratch: scratch.pointer, columnGradient: gradient.pointer, overwritingDx: true)
            }
            return ["y": y, "dx": dx, "dw": dw, "dtheta": dtheta]
        }
        // ConvReLU with a θ per tap; ConvReLU at its zero start and a ReLU, whose shared
        // thresholds the direct path applies as it copies the mapped input in.
        let zero = [Float](repeating: 0, count: g.columnRows)
        for (thresholds, thetaGradient, label) in [(theta, true, "thresholds"), (zero, true, "zero θ"), (zero, false, "relu")] {
            let expected = run(mapped, nil, .grouped(samples: c.batch), theta: thresholds, thetaGradient: thetaGradient)
            let actual = scale.withUnsafeBufferPointer { sp in shift.withUnsafeBufferPointer { hp in
                run(x, DirectConvolution.InputAffine(scale: sp.baseAddress!, shift: hp.baseAddress!), .direct,
                    theta: thresholds, thetaGradient: thetaGradient)
            } }
            for name in expected.keys.sorted() {
                #expect(mismatch(actual[name]!, expected[name]!, Tolerance(absolute: 1e-4, relative: 1e-4), "\(name) (\(label))") == nil)
            }
        }
    }

    /// With a batch norm's gradient taken in the input-gradient pass, the kernels add γ/σ · g
    /// into dx (g: the gradient of the mapped input, as `overwritingDx` writes it) and return
    /// Σ g and Σ g · (x − μ) per channel, at every level and for each kind of threshold; the
    /// weight and θ gradients stay as they were.
    @Test(arguments: [cases[0], cases[2], cases[6]])
    func normGradientMatchesSeparatePass(_ c: Case) {
        var rng = RNG(seed: 7, stream: "direct-norm")
        let g = c.g, plane = g.inHeight * g.inWidth
        func values(_ n: Int, _ scale: Double = 1) -> [Float] { (0..<n).map { _ in Float(rng.normal() * scale) } }
        let x = values(c.batch * g.inputSize), w = values(g.weightCount, 0.5), theta = values(g.columnRows, 0.5)
        let scale = values(g.inChannels), shift = values(g.inChannels), mean = values(g.inChannels)
        let dy = values(c.batch * g.outputSize), dx0 = values(x.count)
        let zero = [Float](repeating: 0, count: g.columnRows)

        func run(_ thresholds: [Float], thetaGradient: Bool, norm: Bool, level: Int32) -> [String: [Float]] {
            var dx = norm ? dx0 : [Float](repeating: 7, count: x.count)
            var dw = [Float](repeating: 0, count: g.weightCount), dtheta = [Float](repeating: 0, count: g.columnRows)
            var sums = [Float](repeating: 0, count: 2 * g.inChannels)
            let columns = Tensor(shape: [ConvSchedule.direct.columnsCount(g)])
            let gradient = Tensor(shape: [ConvSchedule.direct.columnsCount(g)])
            let scratch = Tensor(shape: [ConvSchedule.direct.scratchCount(g)])
            scale.withUnsafeBufferPointer { sp in shift.withUnsafeBufferPointer { hp in mean.withUnsafeBufferPointer { mp in
                sums.withUnsafeMutableBufferPointer { sums in dtheta.withUnsafeMutableBufferPointer { dtp in
                    let normGradient = DirectConvolution.NormGradient(mean: mp.baseAddress!, sumGradient: sums.baseAddress!,
                                                                      sumCenteredGradient: sums.baseAddress! + g.inChannels)
                    DirectConvolution.backward(x: x, inputStride: g.inputSize, weight: w, threshold: thresholds,
                                               inputAffine: DirectConvolution.InputAffine(scale: sp.baseAddress!, shift: hp.baseAddress!),
                                               normGradient: norm ? normGradient : nil, g, batch: c.batch,
                                               dy: dy, outputStride: g.outputSize, dx: &dx, dxStride: g.inputSize, dWeight: &dw,
                                               dBias: nil, dThreshold: thetaGradient ? dtp.baseAddress : nil, overwritingDx: !norm,
                                               guardedInput: columns.pointer, guardedGradient: gradient.pointer,
                                               scratch: scratch.pointer, level: level)
                } }
            } } }
            return ["dx": dx, "dw": dw, "dtheta": dtheta, "sums": sums]
        }
        for (thresholds, thetaGradient, label) in [(theta, true, "thresholds"), (zero, true, "zero θ"), (zero, false, "relu")] {
            for level in Int32(DC_LEVEL_GENERIC)...VectorKernels.level {
                let separate = run(thresholds, thetaGradient: thetaGradient, norm: false, level: level)
                let gradient = separate["dx"]!
                var expectedDx = dx0, expectedSums = [Float](repeating: 0, count: 2 * g.inChannels)
                for i in x.indices {
                    let channel = i / plane % g.inChannels
                    expectedDx[i] += scale[channel] * gradient[i]
                    expectedSums[channel] += gradient[i]
                    expectedSums[g.inChannels + channel] += gradient[i] * (x[i] - mean[channel])
                }
                let fused = run(thresholds, thetaGradient: thetaGradient, norm: true, level: level)
                let tolerance = Tolerance(absolute: 1e-4, relative: 1e-4)
                #expect(mismatch(fused["dx"]!, expectedDx, tolerance, "dx (\(label), level \(level))") == nil)
                #expect(mismatch(fused["sums"]!, expectedSums, Tolerance(absolute: 1e-3, relative: 1e-4),
                                 "sums (\(label), level \(level))") == nil)
                for name in ["dw", "dtheta"] {
                    #expect(mismatch(fused[name]!, separate[name]!, tolerance, "\(name) (\(label), level \(level))") == nil)
                }
            }
        }
    }

    /// Strided or unevenly padded convolutions stay on the column path.
    @Test func unsupportedShapesKeepColumns() {
        let strided = ConvGeometry(inChannels: 4, outChannels: 12, inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3,
                                   stride: 2, padding: 1)
        let unpadded = ConvGeometry(inChannels: 4, outChannels: 12, inHeight: 8, inWidth: 8, kernelHeight: 3, kernelWidth: 3)
        #expect(!DirectConvolution.supports(strided) && !DirectConvolution.supports(unpadded))
        #expect(ConvSchedule.choose(unpadded, batch: 4) != .direct)
    }
}

/// The column-row kernels of the im2col path against a scalar loop, at every level, with
/// lengths that leave a tail after the last full vector.
@Suite struct ColumnRowKernelTests {
    @Test(arguments: [1, 15, 37, 200])
    func matchScalarLoops(count: Int) {
        var rng = RNG(seed: UInt64(count), stream: "rows")
        let x = (0..<count).map { _ in Float(rng.normal()) }, gradient = (0..<count).map { _ in Float(rng.normal()) }
        let threshold: Float = 0.3
        let expectedRow = x.map { max($0, threshold) }
        var expectedDx = [Float](repeating: 1, count: count), expectedClamped: Float = 0
        for i in 0..<count {
            if x[i] > threshold { expectedDx[i] += gradient[i] } else { expectedClamped += gradient[i] }
        }
        for level in Int32(DC_LEVEL_GENERIC)...VectorKernels.level {
            var row = [Float](repeating: 0, count: count), dx = [Float](repeating: 1, count: count)
            cr_build_row(level, x, threshold, &row, Int64(count))
            let clamped = cr_scatter_row(level, x, threshold, gradient, &dx, Int64(count))
            let clampedOnly = cr_scatter_row(level, x, threshold, gradient, nil, Int64(count))
            #expect(row == expectedRow, "level \(level)")
            #expect(dx == expectedDx, "level \(level)")
            #expect(abs(clamped - expectedClamped) <= 1e-5 * max(1, abs(expectedClamped)) && clamped == clampedOnly, "level \(level)")
        }
    }
}

/// Max pooling in Float runs the C row loops; in Float64, Swift's. Both must pick the same
/// maxima and route gradients to the same taps, ties and NaN included.
@Suite struct PoolRowKernelTests {
    @Test(arguments: [(1, 3, 3, 40), (1, 3, 2, 40), (2, 2, 2, 9), (3, 3, 2, 8)])
    func floatMatchesDouble(kernel: (height: Int, width: Int, stride: Int, size: Int)) {
        let (kh, kw, stride, size) = kernel
        let height = kh == 1 ? 1 : size
        let g = PoolGeometry(height: height, width: size, kernelHeight: kh, kernelWidth: kw,
                             strideHeight: kh == 1 ? 1 : stride, strideWidth: stride)
        let planes = 3, outCount = planes * g.outHeight * g.outWidth
        var rng = RNG(seed: 3, stream: "pool")
        // Few distinct values, so windows tie, and one NaN.
        var x = (0..<(planes * height * size)).map { _ in Double(rng.int(below: 5)) }
        x[7] = .nan
        let dy = (0..<outCount).map { _ in rng.normal() }
        var y64 = [Double](repeating: 0, count: outCount), winner64 = y64, dx64 = [Double](repeating: 0, count: x.count)
        y64.withUnsafeMutableBufferPointer { yp in winner64.withUnsafeMutableBufferPointer { wp in
            maxPoolForward(x: x, planes: planes, g, y: yp.baseAddress!, winner: wp.baseAddress!)
        } }
        dx64.withUnsafeMutableBufferPointer { maxPoolBackward(dy: dy, winner: winner64, planes: planes, g, dx: $0.baseAddress!) }

        let x32 = x.map(Float.init), dy32 = dy.map(Float.init)
        var y32 = [Float](repeating: 0, count: outCount), winner32 = y32, dx32 = [Float](repeating: 0, count: x.count)
        y32.withUnsafeMutableBufferPointer { yp in winner32.withUnsafeMutableBufferPointer { wp in
            maxPoolForward(x: x32, planes: planes, g, y: yp.baseAddress!, winner: wp.baseAddress!)
        } }
        dx32.withUnsafeMutableBufferPointer { maxPoolBackward(dy: dy32, winner: winner32, planes: planes, g, dx: $0.baseAddress!) }

        #expect(y32.map { $0.isNaN } == y64.map { $0.isNaN })
        #expect(zip(y32, y64).allSatisfy { $0.isNaN || Double($0) == $1 })
        #expect(winner32.map(Double.init) == winner64)
        #expect(zip(dx32, dx64).allSatisfy { abs(Double($0) - $1) <= 1e-6 * max(1, abs($1)) })
    }
}

/// The batch-norm reductions against Float64 sums, at every level.
@Suite struct ReductionKernelTests {
    @Test(arguments: [1, 15, 64, 1000])
    func matchFloat64Sums(count: Int) {
        var rng = RNG(seed: UInt64(count), stream: "sums")
        let x = (0..<count).map { _ in Float(rng.normal() + 0.5) }, dy = (0..<count).map { _ in Float(rng.normal()) }
        let mean: Float = 0.25
        let sum = x.reduce(0.0) { $0 + Double($1) }
        let squares = x.reduce(0.0) { $0 + (Double($1) - 0.25) * (Double($1) - 0.25) }
        let sumDy = dy.reduce(0.0) { $0 + Double($1) }
        let centered = zip(dy, x).reduce(0.0) { $0 + Double($1.0) * (Double($1.1) - 0.25) }
        func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-5 * max(1, abs(b)) * Double(count).squareRoot() }
        for level in Int32(DC_LEVEL_GENERIC)...VectorKernels.level {
            #expect(close(vk_sum(level, x, Int64(count)), sum), "level \(level)")
            #expect(close(vk_sum_squared_deviations(level, x, mean, Int64(count)), squares), "level \(level)")
            var a: Float = 1, b: Float = 2
            vk_sum_gradients(level, dy, x, mean, Int64(count), &a, &b)
            #expect(close(a, sumDy + 1) && close(b, centered + 2), "level \(level)")
        }
    }
}

/// The one-hot gather kernels against Float64 loops, at every level, plain and with a max pool
/// of 3 fused in: channel counts and lengths that fill whole LANES × LANES blocks and leave
/// channels and outputs over.
@Suite struct OneHotKernelTests {
    @Test(arguments: [(32, 40, 1), (37, 53, 1), (3, 9, 1), (32, 100, 3), (37, 60, 3)])
    func matchFloat64Loops(shape: (channels: Int, length: Int, pool: Int)) {
        let (D, length, pool, alphabet, kernel) = (shape.channels, shape.length, shape.pool, 5, 3)
        let outputs = (length - kernel + 1) / pool, stride = oneHotColumnStride(outChannels: D)
        var rng = RNG(seed: UInt64(D * pool), stream: "one-hot")
        let idx = (0..<length).map { _ in Int32(rng.int(below: alphabet + 1) - 1) }
        let weightT = (0..<(alphabet * kernel * stride)).map { _ in Float(rng.normal()) }
        let bias = (0..<D).map { _ in Float(rng.normal()) }
        let dy = (0..<(D * outputs)).map { _ in Float(rng.normal()) }
        // The convolution at every position in Float64; then each window's maximum (first on a
        // tie) and the gradient routed to it.
        func convolution(_ d: Int, _ p: Int) -> Double {
            (0..<kernel).reduce(Double(bias[d])) { sum, a in
                idx[p + a] < 0 ? sum : sum + Double(weightT[(Int(idx[p + a]) * kernel + a) * stride + d])
            }
        }
        var expectedY = [Double](repeating: 0, count: D * outputs), expectedWinner = [Float](repeating: 0, count: D * outputs)
        var expectedGradient = [Double](repeating: 0.5, count: weightT.count)
        for d in 0..<D {
            for o in 0..<outputs {
                let values = (0..<pool).map { convolution(d, o * pool + $0) }
                let w = values.firstIndex(of: values.max()!)!
                expectedY[d * outputs + o] = values[w]
                expectedWinner[d * outputs + o] = Float(w)
                for a in 0..<kernel where idx[o * pool + w + a] >= 0 {
                    expectedGradient[(Int(idx[o * pool + w + a]) * kernel + a) * stride + d] += Double(dy[d * outputs + o])
                }
            }
        }
        func close(_ a: [Float], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { abs(Double($0) - $1) <= 1e-5 * max(1, abs($1)) } }
        for level in Int32(DC_LEVEL_GENERIC)...VectorKernels.level {
            var y = [Float](repeating: .nan, count: D * outputs), winner = [Float](repeating: -1, count: D * outputs)
            var gradient = [Float](repeating: 0.5, count: weightT.count)
            winner.withUnsafeMutableBufferPointer { wp in
                oh_forward(level, idx, Int64(outputs), Int32(pool), weightT, Int64(stride), bias, Int32(D), Int32(kernel), &y,
                           pool > 1 ? wp.baseAddress : nil, Int64(outputs))
            }
            winner.withUnsafeBufferPointer { wp in
                oh_backward(level, idx, Int64(outputs), Int32(pool), dy, pool > 1 ? wp.baseAddress : nil, Int64(outputs), Int32(D),
                            Int32(kernel), &gradient, Int64(stride))
            }
            #expect(close(y, expectedY), "y, level \(level)")
            if pool > 1 { #expect(winner == expectedWinner, "winner, level \(level)") }
            #expect(close(gradient, expectedGradient), "gradient, level \(level)")
        }
    }
}

extension OneHotKernelTests {
    /// The register-block transpose, writing and adding, with rows and columns left over.
    @Test(arguments: [(16, 32), (37, 21), (3, 5)])
    func transposeMatchesLoop(shape: (rows: Int, columns: Int)) {
        let (rows, columns) = shape, (srcStride, dstStride) = (columns + 3, rows + 5)
        var rng = RNG(seed: UInt64(rows), stream: "transpose")
        let src = (0..<(rows * srcStride)).map { _ in Float(rng.normal()) }
        let start = (0..<(columns * dstStride)).map { _ in Float(rng.normal()) }
        for level in Int32(DC_LEVEL_GENERIC)...VectorKernels.level {
            var written = start, added = start
            oh_transpose(level, src, Int64(srcStride), Int64(rows), Int64(columns), &written, Int64(dstStride), 0)
            oh_transpose(level, src, Int64(srcStride), Int64(rows), Int64(columns), &added, Int64(dstStride), 1)
            var expectedWritten = start, expectedAdded = start
            for r in 0..<rows {
                for c in 0..<columns {
                    expectedWritten[c * dstStride + r] = src[r * srcStride + c]
                    expectedAdded[c * dstStride + r] += src[r * srcStride + c]
                }
            }
            #expect(written == expectedWritten && added == expectedAdded, "level \(level)")
        }
    }
}
