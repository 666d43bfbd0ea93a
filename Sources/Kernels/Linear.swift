/// Fully connected layer: y = x·Wᵀ + b with x (N, in), W (out, in), b (out).
@inlinable
public func linearForward<T: BLASFloat>(x: UnsafePointer<T>, weight: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                        batch: Int, inFeatures: Int, outFeatures: Int, y: UnsafeMutablePointer<T>) {
    if let bias {
        for n in 0..<batch { (y + n * outFeatures).update(from: bias, count: outFeatures) }
    }
    if batch == 1 {
        // One sample is a matrix-vector product: GEMM would first copy (pack) the whole weight
        // matrix, which for the char-CNN's first FC layer is 35 MB per call.
        T.gemv(m: outFeatures, n: inFeatures, alpha: 1, a: weight, lda: inFeatures, x: x, beta: bias == nil ? 0 : 1, y: y)
        return
    }
    T.gemm(transposeA: false, transposeB: true, m: batch, n: outFeatures, k: inFeatures, alpha: 1,
           a: x, lda: inFeatures, b: weight, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: y, ldc: outFeatures)
}

/// Accumulates dW += dyᵀ·x and db += Σₙ dy; overwrites dx = dy·W (if given).
@inlinable
public func linearBackward<T: BLASFloat>(x: UnsafePointer<T>, weight: UnsafePointer<T>, dy: UnsafePointer<T>,
                                         batch: Int, inFeatures: Int, outFeatures: Int,
                                         dx: UnsafeMutablePointer<T>?, dWeight: UnsafeMutablePointer<T>,
                                         dBias: UnsafeMutablePointer<T>?) {
    T.gemm(transposeA: true, transposeB: false, m: outFeatures, n: inFeatures, k: batch, alpha: 1,
           a: dy, lda: outFeatures, b: x, ldb: inFeatures, beta: 1, c: dWeight, ldc: inFeatures)
    if let dBias {
        for n in 0..<batch {
            let row = dy + n * outFeatures
            for o in 0..<outFeatures { dBias[o] += row[o] }
        }
    }
    if let dx {
        T.gemm(transposeA: false, transposeB: false, m: batch, n: inFeatures, k: outFeatures, alpha: 1,
               a: dy, lda: outFeatures, b: weight, ldb: inFeatures, beta: 0, c: dx, ldc: inFeatures)
    }
}
