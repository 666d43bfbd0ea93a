/// A 1D convolution over one-hot input, computed as a gather of weight columns.
///
/// The char-CNN's first layer reads one-hot columns (at most one 1 per position), so
/// y[n,d,p] = b[d] + Σ_a w[d, idx[n,p+a], a], where idx is the alphabet row at each position
/// or -1 for an all-zero column. This costs O(L·k·D) adds instead of a dense GEMM over the
/// alphabet: the quarter of a char-CNN step that conv1's GEMMs would take disappears.
///
/// `weightTransposed` is the weight laid out (C, k, D), so each gathered column is contiguous;
/// `outputTransposed` is a workspace of one (Lout, D) block per parallel chunk
/// (`parallelChunkCount` of them): samples are split across the cores.
@inlinable
public func transposeOneHotWeight<T: BLASFloat>(_ weight: UnsafePointer<T>, outChannels: Int, alphabet: Int, kernel: Int,
                                                into weightTransposed: UnsafeMutablePointer<T>) {
    for d in 0..<outChannels {
        for c in 0..<alphabet {
            for a in 0..<kernel { weightTransposed[(c * kernel + a) * outChannels + d] = weight[(d * alphabet + c) * kernel + a] }
        }
    }
}

/// dst = srcᵀ for a row-major src (rows × columns): dst[c · dstStride + r] = src[r · columns + c].
/// In square tiles small enough that the tile's source rows and destination rows both stay in
/// L1: a plain loop writes (or reads) one element per cache line across the whole matrix.
@inlinable
func transposeMatrix<T: BLASFloat>(_ src: UnsafePointer<T>, rows: Int, columns: Int, into dst: UnsafeMutablePointer<T>,
                                   dstStride: Int) {
    let tile = 32
    for r0 in stride(from: 0, to: rows, by: tile) {
        let r1 = min(rows, r0 + tile)
        for c0 in stride(from: 0, to: columns, by: tile) {
            let c1 = min(columns, c0 + tile)
            for c in c0..<c1 {
                let row = dst + c &* dstStride
                for r in r0..<r1 { row[r] = src[r &* columns &+ c] }
            }
        }
    }
}

@inlinable
public func oneHotConvForward<T: BLASFloat>(indices: UnsafePointer<Int32>, batch: Int, length: Int,
                                            weightTransposed: UnsafePointer<T>, bias: UnsafePointer<T>?,
                                            outChannels: Int, kernel: Int,
                                            y: UnsafeMutablePointer<T>, outputTransposed: UnsafeMutablePointer<T>) {
    let outLength = length - kernel + 1, D = outChannels
    nonisolated(unsafe) let y = y, scratch = outputTransposed
    guard batch >= parallelChunkCount else {
        // Fewer samples than cores (batch-1 latency): the cores split each sample's positions,
        // sharing the first chunk's workspace, whose rows they fill disjointly.
        for n in 0..<batch {
            let idx = indices + n * length, yn = y + n * D * outLength
            parallelChunks(outLength) { _, positions in
                let rows = scratch + positions.lowerBound * D
                gatherColumns(idx + positions.lowerBound, outLength: positions.count, weightTransposed: weightTransposed,
                              bias: bias, outChannels: D, kernel: kernel, into: rows)
                transposeMatrix(rows, rows: positions.count, columns: D, into: yn + positions.lowerBound, dstStride: outLength)
            }
        }
        return
    }
    parallelChunks(batch) { chunk, samples in
        let transposed = scratch + chunk * outLength * D
        for n in samples {
            gatherColumns(indices + n * length, outLength: outLength, weightTransposed: weightTransposed, bias: bias,
                          outChannels: D, kernel: kernel, into: transposed)
            transposeMatrix(transposed, rows: outLength, columns: D, into: y + n * D * outLength, dstStride: outLength)
        }
    }
}

/// One sample's output, position-major: row p = b + Σ_a (weight column of the character at p+a).
@inlinable
func gatherColumns<T: BLASFloat>(_ idx: UnsafePointer<Int32>, outLength: Int, weightTransposed: UnsafePointer<T>,
                                 bias: UnsafePointer<T>?, outChannels D: Int, kernel: Int,
                                 into transposed: UnsafeMutablePointer<T>) {
    for p in 0..<outLength {
        let row = transposed + p * D
        if let bias { row.update(from: bias, count: D) } else { row.update(repeating: 0, count: D) }
        for a in 0..<kernel {
            let c = Int(idx[p + a])
            guard c >= 0 else { continue }
            let column = weightTransposed + (c * kernel + a) * D
            for d in 0..<D { row[d] += column[d] }
        }
    }
}

/// Accumulates dW and db. Each parallel chunk of samples sums into its own (C, k, D) block of
/// `weightGradientTransposed` using its own (Lout, D) block of `outputTransposed`; the chunks'
/// sums are then added into dW.
@inlinable
public func oneHotConvBackward<T: BLASFloat>(indices: UnsafePointer<Int32>, batch: Int, length: Int, alphabet: Int,
                                             outChannels: Int, kernel: Int, dy: UnsafePointer<T>,
                                             dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?,
                                             weightGradientTransposed: UnsafeMutablePointer<T>,
                                             outputTransposed: UnsafeMutablePointer<T>) {
    let outLength = length - kernel + 1, D = outChannels, blockSize = alphabet * kernel * D
    weightGradientTransposed.update(repeating: 0, count: blockSize * parallelChunkCount)
    if let dBias {
        for n in 0..<batch {
            for d in 0..<D { dBias[d] += sum(dy + (n * D + d) * outLength, count: outLength) }
        }
    }
    nonisolated(unsafe) let gradientScratch = weightGradientTransposed, transposeScratch = outputTransposed
    parallelChunks(batch) { chunk, samples in
        let gradient = gradientScratch + chunk * blockSize
        let transposed = transposeScratch + chunk * outLength * D
        for n in samples {
            transposeMatrix(dy + n * D * outLength, rows: D, columns: outLength, into: transposed, dstStride: D)
            let idx = indices + n * length
            for p in 0..<outLength {
                let row = transposed + p * D
                for a in 0..<kernel {
                    let c = Int(idx[p + a])
                    guard c >= 0 else { continue }
                    let column = gradient + (c * kernel + a) * D
                    for d in 0..<D { column[d] += row[d] }
                }
            }
        }
    }
    for chunk in 1..<parallelChunkCount {
        let block = weightGradientTransposed + chunk * blockSize
        for i in 0..<blockSize { weightGradientTransposed[i] += block[i] }
    }
    for d in 0..<D {
        for c in 0..<alphabet {
            for a in 0..<kernel { dWeight[(d * alphabet + c) * kernel + a] += weightGradientTransposed[(c * kernel + a) * D + d] }
        }
    }
}
