/// Per-core gradient sums of a convolution, for schedules whose cores take samples in turn
/// (`perSample`, `direct`): each chunk of samples adds its dW, db and dθ into its own slice of a
/// scratch buffer, so no two threads write one value, and `addAll` sums the slices at the end.
@usableFromInline
struct ChunkGradients<T: BLASFloat> {
    @usableFromInline let base: UnsafeMutablePointer<T>
    @usableFromInline let g: ConvGeometry

    /// Values of one chunk's slice.
    @inlinable static func sliceSize(_ g: ConvGeometry) -> Int { g.weightCount + g.outChannels + g.columnRows }

    /// Zeroes `parallelChunkCount` slices starting at `base`.
    @inlinable init(zeroing base: UnsafeMutablePointer<T>, _ g: ConvGeometry) {
        (self.base, self.g) = (base, g)
        base.update(repeating: 0, count: Self.sliceSize(g) * parallelChunkCount)
    }

    /// One past the last slice: where a caller's further scratch can start.
    @inlinable var end: UnsafeMutablePointer<T> { base + Self.sliceSize(g) * parallelChunkCount }

    @inlinable func weight(_ chunk: Int) -> UnsafeMutablePointer<T> { base + chunk * Self.sliceSize(g) }
    @inlinable func bias(_ chunk: Int) -> UnsafeMutablePointer<T> { weight(chunk) + g.weightCount }
    @inlinable func threshold(_ chunk: Int) -> UnsafeMutablePointer<T> { bias(chunk) + g.outChannels }

    /// Adds every chunk's sums into the gradients that are wanted.
    @inlinable func addAll(dWeight: UnsafeMutablePointer<T>, dBias: UnsafeMutablePointer<T>?, dThreshold: UnsafeMutablePointer<T>?) {
        for chunk in 0..<parallelChunkCount {
            let (w, b, t) = (weight(chunk), bias(chunk), threshold(chunk))
            for i in 0..<g.weightCount { dWeight[i] += w[i] }
            if let dBias { for d in 0..<g.outChannels { dBias[d] += b[d] } }
            if let dThreshold { for r in 0..<g.columnRows { dThreshold[r] += t[r] } }
        }
    }
}
