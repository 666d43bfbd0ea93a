
/// Backward pass over a batch: accumulates into dW, db, dθ and dx (each optional but dW).
/// dx is accumulated, because in a dense block several layers read the same input channels
/// and their gradients add up in one buffer; with `overwritingDx` it is overwritten instead.
/// Taking samples per core, each sample's dx is then zeroed just before its gradient goes in,
/// while it is in that core's cache, rather than the whole tensor beforehand (a separate pass
/// of ~100 MB per char-CNN step). Workspaces and `inputAffine` as in `convForward`; with
/// `inputAffine`, dx is the gradient of the input as the kernels read it (after the map), or,
/// with `normGradient` too, the batch norm's input (see `DirectConvolution.NormGradient`).
/// `columnGradient` holds `schedule.columnsCount(g)` values.
@inlinable
public func convBackward<T: BLASFloat>(x: UnsafePointer<T>, inputStride: Int, weight: UnsafePointer<T>,
                                       threshold: UnsafePointer<T>?, inputAffine: DirectConvolution.InputAffine? = nil,
                                       normGradient: DirectConvolution.NormGradient? = nil,
                                       _ g: ConvGeometry, batch: Int,
                                       dy: UnsafePointer<T>, outputStride: Int,
                                       dx: UnsafeMutablePointer<T>?, dxStride: Int,
                                       dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
                                       dThreshold: UnsafeMutablePointer<T>?,
                                       schedule: ConvSchedule, columns: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>,
                                       columnGradient: UnsafeMutablePointer<T>, overwritingDx: Bool = false) {
    let P = g.columnCount, R = g.columnRows, D = g.outChannels
    nonisolated(unsafe) let x = x, dy = dy, dx = dx, columns = columns, scratch = scratch, threshold = threshold
    nonisolated(unsafe) let columnGradient = columnGradient, dThreshold = dThreshold, dBias = dBias
    let needsColumnGradient = dx != nil || dThreshold != nil

    /// The gradients of `width` columns whose output gradient is the (D × width) matrix `dyBlock`,
    /// accumulated into dW, db, dθ (the given targets) and dx.
    func accumulate(_ dyBlock: UnsafePointer<T>, width: Int, col: UnsafeMutablePointer<T>, dcol: UnsafeMutablePointer<T>,
                    dW: UnsafeMutablePointer<T>, db: UnsafeMutablePointer<T>?, dTheta: UnsafeMutablePointer<T>?,
                    samples: Range<Int>, parallelScatter: Bool) {
        // dW += dy (D×width) · colᵀ (width×R)
        T.gemm(transposeA: false, transposeB: true, m: D, n: R, k: width, alpha: 1, a: dyBlock, lda: width,
               b: col, ldb: width, beta: 1, c: dW, ldc: R)
        if let db {
            for d in 0..<D { db[d] += sum(dyBlock + d * width, count: width) }
        }
        guard needsColumnGradient else { return }
        // dcol = Wᵀ (R×D) · dy (D×width)
        T.gemm(transposeA: true, transposeB: false, m: R, n: width, k: D, alpha: 1, a: weight, lda: R,
               b: dyBlock, ldb: width, beta: 0, c: dcol, ldc: width)
        let scatter = { (c: Int) in
            for (s, n) in samples.enumerated() {
                scatterColumnGradient(dcol + s * P, rowStride: width, x: x + n * inputStride, channel: c, threshold: threshold, g,
                                      dx: dx.map { $0 + n * dxStride }, dThreshold: dTheta)
            }
        }
        if parallelScatter { parallelFor(g.inChannels, scatter) } else { for c in 0..<g.inChannels { scatter(c) } }
    }

    // The direct kernels write over dx themselves; per sample, each sample's dx is zeroed as its turn comes.
    let zeroesDxPerSample = overwritingDx && schedule == .perSample
    if overwritingDx && !zeroesDxPerSample && schedule != .direct, let dx {
        for n in 0..<batch { (dx + n * dxStride).update(repeating: 0, count: g.inputSize) }
    }
    if schedule == .direct {
        DirectConvolution.backward(x: asFloat(x), inputStride: inputStride, weight: asFloat(weight),
                                   threshold: threshold.map { asFloat($0) }, inputAffine: inputAffine,
                                   normGradient: normGradient, g, batch: batch,
                                   dy: asFloat(dy), outputStride: outputStride, dx: dx.map { asFloat($0) }, dxStride: dxStride,
                                   dWeight: asFloat(dWeight), dBias: dBias.map { asFloat($0) },
                                   dThreshold: dThreshold.map { asFloat($0) },
                                   overwritingDx: overwritingDx, guardedInput: asFloat(columns),
                                   guardedGradient: asFloat(columnGradient), scratch: asFloat(scratch))
        return
    }
    precondition(inputAffine == nil && normGradient == nil, "convBackward: only the direct schedule applies an input affine map")
    guard case .grouped(let groupSize) = schedule else {
        let sums = ChunkGradients(zeroing: scratch, g)
        withSingleThreadedBLAS {
            parallelChunks(batch) { chunk, samples in
                let col = columns + chunk * R * P, dcol = columnGradient + chunk * R * P
                for n in samples {
                    if zeroesDxPerSample, let dx { (dx + n * dxStride).update(repeating: 0, count: g.inputSize) }
                    buildSampleColumns(x + n * inputStride, threshold: threshold, g, into: col, rowStride: P)
                    accumulate(dy + n * outputStride, width: P, col: col, dcol: dcol, dW: sums.weight(chunk),
                               db: dBias == nil ? nil : sums.bias(chunk), dTheta: dThreshold == nil ? nil : sums.threshold(chunk),
                               samples: n..<(n + 1), parallelScatter: false)
                }
            }
        }
        sums.addAll(dWeight: dWeight, dBias: dBias, dThreshold: dThreshold)
        return
    }
    for start in stride(from: 0, to: batch, by: groupSize) {
        let samples = min(groupSize, batch - start), width = samples * P
        buildGroupColumns(x + start * inputStride, inputStride: inputStride, samples: samples, threshold: threshold, g,
                          into: columns)
        // The group's output gradient as one (D × width) matrix.
        let dyGroup: UnsafePointer<T>
        if samples == 1 {
            dyGroup = dy + start * outputStride
        } else {
            parallelFor(samples) { s in
                let src = dy + (start + s) * outputStride
                for d in 0..<D { (scratch + d * width + s * P).update(from: src + d * P, count: P) }
            }
            dyGroup = UnsafePointer(scratch)
        }
        accumulate(dyGroup, width: width, col: columns, dcol: columnGradient, dW: dWeight, db: dBias, dTheta: dThreshold,
                   samples: start..<(start + samples), parallelScatter: true)
    }
}
