/// How a batch is convolved.
///
/// - `perSample`: the cores take samples in turn, each building its own column matrix and
///   calling a single-threaded GEMM. The default whenever there are at least as many samples
///   as cores: a sample's columns stay in its core's cache between the build, the GEMMs and the
///   scatter; outputs need no copy out of a shared product matrix; and the workspace is one
///   sample per core.
/// - `grouped(samples:)`: the columns of several samples sit side by side in one matrix, so one
///   wide GEMM (over all cores) serves them: for fewer samples than cores (batch-1 latency).
/// - `direct`: no columns; the vectorised kernels of `DirectConvolution` (Float only), for
///   skinny stride-1 "same" convolutions such as a dense block's 12-channel 3×3 layers, where
///   an im2col GEMM is too narrow to be anything but memory-bound.
public enum ConvSchedule: Sendable, Equatable {
    case grouped(samples: Int)
    case perSample
    case direct

    /// Output channels below which a convolution counts as skinny.
    static let skinnyOutputChannels = 64

    /// The schedule for `batch` samples of geometry `g` in Float; grouped samples fill a
    /// workspace of about `budget` values.
    public static func choose(_ g: ConvGeometry, batch: Int, budget: Int = 1 << 23) -> ConvSchedule {
        if g.outChannels < skinnyOutputChannels && DirectConvolution.supports(g) { return .direct }
        if batch >= parallelChunkCount && parallelChunkCount > 1 { return .perSample }
        return .grouped(samples: max(1, min(batch, budget / max(1, g.columnRows * g.columnCount))))
    }

    /// Values of the column matrix (and of the column gradient) this schedule needs; for
    /// `direct`, of each core's guarded copies of the input (and of the output gradient).
    public func columnsCount(_ g: ConvGeometry) -> Int {
        switch self {
        case .grouped(let samples): g.columnRows * g.columnCount * samples
        case .perSample: g.columnRows * g.columnCount * parallelChunkCount
        case .direct: DirectConvolution.guardedCount(g) * parallelChunkCount
        }
    }

    /// Values of the GEMM product (grouped) or of the per-chunk gradient sums (per sample,
    /// direct, which also keeps its tap masks here).
    public func scratchCount(_ g: ConvGeometry) -> Int {
        switch self {
        case .grouped(let samples): g.outChannels * g.columnCount * samples
        case .perSample: ChunkGradients<Float>.sliceSize(g) * parallelChunkCount
        case .direct: DirectConvolution.scratchCount(g)
        }
    }
}
