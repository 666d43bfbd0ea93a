/// A 1D convolution over one-hot input, computed as a gather of weight columns.
///
/// The char-CNN's first layer reads one-hot columns (at most one 1 per position), so
/// y[n,d,p] = b[d] + Σ_a w[d, idx[n,p+a], a], where idx is the alphabet row at each position
/// or -1 for an all-zero column. This costs O(L·k·D) adds instead of a dense GEMM over the
/// alphabet: the quarter of a char-CNN step that conv1's GEMMs would take disappears.
///
/// `weightTransposed` is the weight laid out (C, k, D), so each gathered column is contiguous;
/// `outputTransposed` is a (Lout, D) workspace per sample.
@inlinable
public func transposeOneHotWeight<T: BLASFloat>(_ weight: UnsafePointer<T>, outChannels: Int, alphabet: Int, kernel: Int,
                                                into weightTransposed: UnsafeMutablePointer<T>) {
    for d in 0..<outChannels {
        for c in 0..<alphabet {
            for a in 0..<kernel { weightTransposed[(c * kernel + a) * outChannels + d] = weight[(d * alphabet + c) * kernel + a] }
        }
    }
}

@inlinable
public func oneHotConvForward<T: BLASFloat>(indices: UnsafePointer<Int32>, batch: Int, length: Int,
                                            weightTransposed: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                            outChannels: Int, kernel: Int,
                                            y: UnsafeMutablePointer<T>, outputTransposed: UnsafeMutablePointer<T>) {
    let outLength = length - kernel + 1, D = outChannels
    for n in 0..<batch {
        let idx = indices + n * length
        for p in 0..<outLength {
            let row = outputTransposed + p * D
            if let bias { row.update(from: bias, count: D) } else { row.update(repeating: 0, count: D) }
            for a in 0..<kernel {
                let c = Int(idx[p + a])
                guard c >= 0 else { continue }
                let column = weightTransposed + (c * kernel + a) * D
                for d in 0..<D { row[d] += column[d] }
            }
        }
        let yn = y + n * D * outLength
        for p in 0..<outLength {
            for d in 0..<D { yn[d * outLength + p] = outputTransposed[p * D + d] }
        }
    }
}

/// Accumulates dW and db. `weightGradientTransposed` is a (C, k, D) workspace.
@inlinable
public func oneHotConvBackward<T: BLASFloat>(indices: UnsafePointer<Int32>, batch: Int, length: Int, alphabet: Int,
                                             outChannels: Int, kernel: Int, dy: UnsafePointer<T>,
                                             dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
                                             weightGradientTransposed: UnsafeMutablePointer<T>,
                                             outputTransposed: UnsafeMutablePointer<T>) {
    let outLength = length - kernel + 1, D = outChannels
    weightGradientTransposed.update(repeating: 0, count: alphabet * kernel * D)
    for n in 0..<batch {
        let dyn = dy + n * D * outLength
        for d in 0..<D {
            var s: T = 0
            for p in 0..<outLength {
                outputTransposed[p * D + d] = dyn[d * outLength + p]
                s += dyn[d * outLength + p]
            }
            dBias?[d] += s
        }
        let idx = indices + n * length
        for p in 0..<outLength {
            let row = outputTransposed + p * D
            for a in 0..<kernel {
                let c = Int(idx[p + a])
                guard c >= 0 else { continue }
                let column = weightGradientTransposed + (c * kernel + a) * D
                for d in 0..<D { column[d] += row[d] }
            }
        }
    }
    for d in 0..<D {
        for c in 0..<alphabet {
            for a in 0..<kernel { dWeight[(d * alphabet + c) * kernel + a] += weightGradientTransposed[(c * kernel + a) * D + d] }
        }
    }
}
