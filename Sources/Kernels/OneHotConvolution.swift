import CKernels

// A 1D convolution over one-hot input, computed as a gather of weight columns.
//
// The char-CNN's first layer reads one-hot columns (at most one 1 per position), so
// y[n,d,p] = b[d] + Σ_a w[d, idx[n,p+a], a], where idx is the alphabet row at each position
// or -1 for an all-zero column. This costs O(L·k·D) adds instead of a dense GEMM over the
// alphabet: the quarter of a char-CNN step that conv1's GEMMs would take disappears.
//
// The weight is gathered from a transposed copy holding one contiguous column of D floats per
// (character, tap), `oneHotColumnStride` apart; the vectorised C kernels (`one_hot.h`) build
// and read the (D, positions) rows through blocks transposed in registers.

/// Floats from one (character, tap) column of a transposed one-hot weight to the next: D in
/// whole 16-float vectors, plus two vectors, so that reading one vector of every column does
/// not pile into a few of L1's sets, as it does at a stride of 1 KB (D = 256).
public func oneHotColumnStride(outChannels: Int) -> Int { (outChannels + 15) / 16 * 16 + 32 }

/// Copies the (D, alphabet, k) weight into (alphabet, k) columns of D floats, `oneHotColumnStride`
/// apart. Every forward pass does this (the weight may have changed), so the cores share it,
/// each taking whole 16-channel blocks.
public func transposeOneHotWeight(_ weight: UnsafePointer<Float>, outChannels: Int, alphabet: Int, kernel: Int,
                                  into weightTransposed: UnsafeMutablePointer<Float>) {
    let columns = alphabet * kernel, stride = oneHotColumnStride(outChannels: outChannels)
    nonisolated(unsafe) let weightTransposed = weightTransposed
    parallelBlocks(outChannels, block: 16) { channels in
        oh_transpose(VectorKernels.level, weight + channels.lowerBound * columns, Int64(columns), Int64(channels.count),
                     Int64(columns), weightTransposed + channels.lowerBound, Int64(stride), 0)
    }
}

/// Outputs per sample of a one-hot convolution of `kernel` over `length` positions, followed by
/// a max pool of window and stride `pool` (1: none) in floor mode.
public func oneHotOutputLength(length: Int, kernel: Int, pool: Int) -> Int { (length - kernel + 1) / pool }

/// y (N, D, outputs) from the (N, L) indices, with `oneHotOutputLength` outputs per sample: the
/// convolution, max-pooled over windows of `pool` when pool > 1, the winning offset of each window
/// going to `winner` (same shape as y; nil at inference). Samples are split across the cores;
/// with fewer samples than cores (batch-1 latency), each sample's outputs are.
public func oneHotConvForward(indices: UnsafePointer<Int32>, batch: Int, length: Int, pool: Int,
                              weightTransposed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                              outChannels: Int, kernel: Int, y: UnsafeMutablePointer<Float>,
                              winner: UnsafeMutablePointer<Float>?) {
    let outputs = oneHotOutputLength(length: length, kernel: kernel, pool: pool), D = outChannels
    let stride = Int64(oneHotColumnStride(outChannels: outChannels))
    nonisolated(unsafe) let y = y, winner = winner
    let gather = { (n: Int, range: Range<Int>) in
        let offset = n * D * outputs + range.lowerBound
        oh_forward(VectorKernels.level, indices + n * length + range.lowerBound * pool, Int64(range.count), Int32(pool),
                   weightTransposed, stride, bias, Int32(D), Int32(kernel), y + offset, winner.map { $0 + offset },
                   Int64(outputs))
    }
    guard batch >= parallelChunkCount else {
        // Split at whole vector blocks, so that each core's rows start on a cache line and only
        // the last chunk has outputs left over for the scalar loop.
        for n in 0..<batch { parallelBlocks(outputs, block: 16) { range in gather(n, range) } }
        return
    }
    parallelChunks(batch) { _, samples in
        for n in samples { gather(n, 0..<outputs) }
    }
}

/// Values of the per-core weight-gradient blocks `oneHotConvBackward` needs.
public func oneHotGradientScratchCount(outChannels: Int, alphabet: Int, kernel: Int) -> Int {
    alphabet * kernel * oneHotColumnStride(outChannels: outChannels) * parallelChunkCount
}

/// Accumulates dW and db from the gradient of `oneHotConvForward`'s y (and its `winner`, when
/// pool > 1). Each parallel chunk of samples sums into its own transposed block of
/// `weightGradientTransposed` (`oneHotGradientScratchCount` values); the blocks are then added
/// into dW.
public func oneHotConvBackward(indices: UnsafePointer<Int32>, batch: Int, length: Int, pool: Int, alphabet: Int,
                               outChannels: Int, kernel: Int, dy: UnsafePointer<Float>, winner: UnsafePointer<Float>?,
                               dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
                               weightGradientTransposed: UnsafeMutablePointer<Float>) {
    let outputs = oneHotOutputLength(length: length, kernel: kernel, pool: pool), D = outChannels
    let stride = oneHotColumnStride(outChannels: outChannels), blockSize = alphabet * kernel * stride
    // One block per chunk that `parallelChunks(batch)` makes: fewer than the cores at batch 1.
    let chunks = min(batch, parallelChunkCount)
    weightGradientTransposed.update(repeating: 0, count: blockSize * chunks)
    if let dBias {
        for n in 0..<batch {
            for d in 0..<D { dBias[d] += sum(dy + (n * D + d) * outputs, count: outputs) }
        }
    }
    nonisolated(unsafe) let blocks = weightGradientTransposed
    parallelChunks(batch) { chunk, samples in
        for n in samples {
            let offset = n * D * outputs
            oh_backward(VectorKernels.level, indices + n * length, Int64(outputs), Int32(pool), dy + offset,
                        winner.map { $0 + offset }, Int64(outputs), Int32(D), Int32(kernel), blocks + chunk * blockSize,
                        Int64(stride))
        }
    }
    let columns = alphabet * kernel
    for chunk in 0..<chunks {
        oh_transpose(VectorKernels.level, weightGradientTransposed + chunk * blockSize, Int64(stride), Int64(columns), Int64(D),
                     dWeight, Int64(columns), 1)
    }
}
