/// Forward pass over a batch. `x` holds `batch` samples `inputStride` apart (a sample may
/// be a channel prefix of a wider buffer, as in a dense block), `y` samples `outputStride`
/// apart. `weight` is (out, in, kh, kw), `bias` (out) or nil, `threshold` (in, kh, kw) or nil.
/// `columns` and `scratch` hold `schedule.columnsCount(g)` and `schedule.scratchCount(g)` values.
/// `inputAffine` (a batch norm the input has not been through yet) is applied by the direct
/// kernels as they copy each sample in, so it needs the `direct` schedule.
@inlinable
public func convForward<T: BLASFloat>(x: UnsafePointer<T>, inputStride: Int, weight: UnsafePointer<T>,
                                      bias: UnsafePointer<T>?, threshold: UnsafePointer<T>?,
                                      inputAffine: DirectConvolution.InputAffine? = nil, _ g: ConvGeometry, batch: Int,
                                      y: UnsafeMutablePointer<T>, outputStride: Int,
                                      schedule: ConvSchedule, columns: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>) {
    let P = g.columnCount, R = g.columnRows, D = g.outChannels
    nonisolated(unsafe) let x = x, y = y, columns = columns, product = scratch, threshold = threshold, bias = bias
    /// y_n = W · columns (+ b), straight into the sample's output.
    func multiply(_ n: Int, _ col: UnsafeMutablePointer<T>) {
        let yn = y + n * outputStride
        if let bias { for d in 0..<D { (yn + d * P).update(repeating: bias[d], count: P) } }
        T.gemm(transposeA: false, transposeB: false, m: D, n: P, k: R, alpha: 1, a: weight, lda: R,
               b: col, ldb: P, beta: bias == nil ? 0 : 1, c: yn, ldc: P)
    }
    if schedule == .direct {
        DirectConvolution.forward(x: asFloat(x), inputStride: inputStride, weight: asFloat(weight),
                                  bias: bias.map { asFloat($0) }, threshold: threshold.map { asFloat($0) },
                                  inputAffine: inputAffine, g, batch: batch,
                                  y: asFloat(y), outputStride: outputStride, guarded: asFloat(columns), scratch: asFloat(scratch))
        return
    }
    precondition(inputAffine == nil, "convForward: only the direct schedule applies an input affine map")
    guard case .grouped(let groupSize) = schedule else {
        withSingleThreadedBLAS {
            parallelChunks(batch) { chunk, samples in
                let col = columns + chunk * R * P
                for n in samples {
                    buildSampleColumns(x + n * inputStride, threshold: threshold, g, into: col, rowStride: P)
                    multiply(n, col)
                }
            }
        }
        return
    }
    for start in stride(from: 0, to: batch, by: groupSize) {
        let samples = min(groupSize, batch - start), width = samples * P
        buildGroupColumns(x + start * inputStride, inputStride: inputStride, samples: samples, threshold: threshold, g,
                          into: columns)
        if samples == 1 {
            multiply(start, columns)
            continue
        }
        T.gemm(transposeA: false, transposeB: false, m: D, n: width, k: R, alpha: 1, a: weight, lda: R,
               b: columns, ldb: width, beta: 0, c: product, ldc: width)
        parallelFor(samples) { s in
            let yn = y + (start + s) * outputStride
            for d in 0..<D {
                let src = product + d * width + s * P, dst = yn + d * P
                let b = bias?[d] ?? 0
                for q in 0..<P { dst[q] = src[q] + b }
            }
        }
    }
}
