/// Batch normalisation over (N, C, S) data, per channel. Training mode normalises with the
/// biased batch variance and moves the running statistics toward the batch ones (running
/// variance with the unbiased estimate), as PyTorch does; evaluation mode uses the running
/// statistics. `x` samples are `inputStride` apart, so a dense block's channel prefix can be
/// normalised in place without copying; `y` is contiguous (N, C, S).
///
/// `mean` and `inverseStd` receive the statistics used, which backward needs. Without `y` only
/// the statistics are computed, for a consumer that applies the normalisation as it reads (a
/// dense layer's direct convolution).
///
/// `sumOverReplicas` synchronises batch norm over data-parallel ranks: it sums a buffer over
/// them in place, and the statistics become those of the global batch (channel sums and the
/// sample count first, then the squared deviations from the global mean). Without it each
/// channel is done in one task, whose data stays in cache between its passes.
///
/// `statistics`, in training mode without replicas: the batch statistics of `x`, taken
/// beforehand by `batchStatistics` (a dense block takes each channel's once, for every layer
/// that normalises it). They are the same numbers this function would take.
@inlinable
public func batchNormForward<T: BLASFloat>(x: UnsafePointer<T>, inputStride: Int, batch: Int, channels: Int, size: Int,
                                           gamma: UnsafePointer<T>, beta: UnsafePointer<T>,
                                           runningMean: UnsafeMutablePointer<T>, runningVar: UnsafeMutablePointer<T>,
                                           training: Bool, momentum: T, epsilon: T,
                                           mean: UnsafeMutablePointer<T>, inverseStd: UnsafeMutablePointer<T>,
                                           y: UnsafeMutablePointer<T>?,
                                           statistics: BatchStatistics<T>? = nil,
                                           sumOverReplicas: ((UnsafeMutablePointer<T>, Int) -> Void)? = nil) {
    precondition(statistics == nil || (training && sumOverReplicas == nil),
                 "batchNormForward: statistics taken beforehand are a training pass's on one rank")
    nonisolated(unsafe) let runningMean = runningMean, runningVar = runningVar, mean = mean, inverseStd = inverseStd, y = y
    func channelSum(_ c: Int) -> T { batchChannelSum(x, inputStride: inputStride, batch: batch, size: size, channel: c) }
    func squaredDeviations(_ c: Int, from mu: T) -> T {
        batchSquaredDeviations(x, inputStride: inputStride, batch: batch, size: size, channel: c, from: mu)
    }
    /// Channel c given its statistics over m values (training) or the running ones.
    func normalize(_ c: Int, mu: T, squaredDeviations v: T, m: T) {
        var mu = mu, variance: T
        if training {
            variance = v / m
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mu
            let unbiased = m > 1 ? v / (m - 1) : variance
            runningVar[c] = (1 - momentum) * runningVar[c] + momentum * unbiased
        } else {
            mu = runningMean[c]
            variance = runningVar[c]
        }
        let inv = 1 / (variance + epsilon).squareRoot()
        mean[c] = mu
        inverseStd[c] = inv
        guard let y else { return }
        let scale = gamma[c] * inv, shift = beta[c]
        for n in 0..<batch {
            let xc = x + n * inputStride + c * size
            let yc = y + (n * channels + c) * size
            for i in 0..<size { yc[i] = (xc[i] - mu) * scale + shift }
        }
    }
    guard training, let sumOverReplicas else {
        let m = T(batch * size)
        func normalizeChannel(_ c: Int) {
            guard training else { return normalize(c, mu: 0, squaredDeviations: 0, m: m) }
            if let statistics { return normalize(c, mu: statistics.mean[c], squaredDeviations: statistics.squaredDeviations[c], m: m) }
            let mu = channelSum(c) / m
            normalize(c, mu: mu, squaredDeviations: squaredDeviations(c, from: mu), m: m)
        }
        // With the statistics at hand and nothing to write per value, a channel is a few scalar
        // operations: not worth the workers.
        if statistics != nil && y == nil {
            for c in 0..<channels { normalizeChannel(c) }
        } else {
            parallelFor(channels) { c in normalizeChannel(c) }
        }
        return
    }
    let sums = UnsafeMutablePointer<T>.allocate(capacity: channels + 1)
    defer { sums.deallocate() }
    nonisolated(unsafe) let shared = sums
    parallelFor(channels) { c in shared[c] = channelSum(c) }
    sums[channels] = T(batch * size)
    sumOverReplicas(sums, channels + 1)
    let m = sums[channels]
    for c in 0..<channels { mean[c] = sums[c] / m }
    parallelFor(channels) { c in shared[c] = squaredDeviations(c, from: mean[c]) }
    sumOverReplicas(sums, channels)
    parallelFor(channels) { c in normalize(c, mu: mean[c], squaredDeviations: shared[c], m: m) }
}

/// Per-channel batch statistics of (N, C, S) data, as training-mode batch norm takes them: each
/// channel's mean and the sum of its squared deviations from it.
public struct BatchStatistics<T: BLASFloat>: @unchecked Sendable {  // read-only pointers, shared by the workers
    public var mean: UnsafePointer<T>
    public var squaredDeviations: UnsafePointer<T>
    public init(mean: UnsafePointer<T>, squaredDeviations: UnsafePointer<T>) {
        (self.mean, self.squaredDeviations) = (mean, squaredDeviations)
    }
}

/// Writes the batch statistics of `channels` channels of `x` (samples `inputStride` apart) into
/// `mean` and `squaredDeviations`, one task per channel, as `batchNormForward` takes them.
@inlinable
public func batchStatistics<T: BLASFloat>(x: UnsafePointer<T>, inputStride: Int, batch: Int, channels: Int, size: Int,
                                          mean: UnsafeMutablePointer<T>, squaredDeviations: UnsafeMutablePointer<T>) {
    nonisolated(unsafe) let mean = mean, squaredDeviations = squaredDeviations
    let m = T(batch * size)
    parallelFor(channels) { c in
        let mu = batchChannelSum(x, inputStride: inputStride, batch: batch, size: size, channel: c) / m
        mean[c] = mu
        squaredDeviations[c] = batchSquaredDeviations(x, inputStride: inputStride, batch: batch, size: size, channel: c, from: mu)
    }
}

/// The sum of channel c over the batch.
@inlinable
func batchChannelSum<T: BLASFloat>(_ x: UnsafePointer<T>, inputStride: Int, batch: Int, size: Int, channel c: Int) -> T {
    var s: T = 0
    for n in 0..<batch { s += sum(x + n * inputStride + c * size, count: size) }
    return s
}

/// The sum of squared deviations of channel c from `mu` over the batch.
@inlinable
func batchSquaredDeviations<T: BLASFloat>(_ x: UnsafePointer<T>, inputStride: Int, batch: Int, size: Int, channel c: Int,
                                          from mu: T) -> T {
    var v: T = 0
    for n in 0..<batch { v += sumOfSquaredDeviations(x + n * inputStride + c * size, mean: mu, count: size) }
    return v
}

/// Accumulates dγ, dβ and dx (dx samples `dxStride` apart). In training mode the gradient
/// flows through the batch statistics as well; with `sumOverReplicas` (synchronised batch norm,
/// see `batchNormForward`) through those of the global batch, whose sums of dy and dy·x̂ over
/// all ranks it takes. dγ and dβ stay this rank's own, as every parameter gradient is, until
/// the gradient allreduce. (Like PyTorch's SyncBatchNorm, this assumes the ranks' shares of a
/// batch are equal, so their losses weigh the same.)
@inlinable
public func batchNormBackward<T: BLASFloat>(x: UnsafePointer<T>, inputStride: Int, batch: Int, channels: Int, size: Int,
                                            gamma: UnsafePointer<T>, mean: UnsafePointer<T>, inverseStd: UnsafePointer<T>,
                                            training: Bool, dy: UnsafePointer<T>,
                                            dx: UnsafeMutablePointer<T>?, dxStride: Int,
                                            dGamma: UnsafeMutablePointer<T>, dBeta: UnsafeMutablePointer<T>,
                                            sumOverReplicas: ((UnsafeMutablePointer<T>, Int) -> Void)? = nil) {
    nonisolated(unsafe) let dx = dx, dGamma = dGamma, dBeta = dBeta
    func gradientSums(_ c: Int) -> (dy: T, dyXhat: T) {
        var sums: (dy: T, dyCentered: T) = (0, 0)
        for n in 0..<batch {
            accumulateGradientSums(dy + (n * channels + c) * size, x + n * inputStride + c * size, mean: mean[c], count: size,
                                   into: &sums)
        }
        return (sums.dy, sums.dyCentered * inverseStd[c])
    }
    /// dx of channel c, given the sums of dy and dy·x̂ over the m values the statistics came from.
    func inputGradient(_ c: Int, sumDy: T, sumDyXhat: T, m: T) {
        guard let dx else { return }
        let mu = mean[c], inv = inverseStd[c], scale = gamma[c] * inv
        let meanDy = training ? sumDy / m : 0, meanDyXhat = training ? sumDyXhat / m : 0
        for n in 0..<batch {
            let xc = x + n * inputStride + c * size
            let dyc = dy + (n * channels + c) * size
            let dxc = dx + n * dxStride + c * size
            for i in 0..<size {
                let xhat = (xc[i] - mu) * inv
                dxc[i] += scale * (dyc[i] - meanDy - xhat * meanDyXhat)
            }
        }
    }
    guard training, let sumOverReplicas else {
        let m = T(batch * size)
        parallelFor(channels) { c in
            let (sumDy, sumDyXhat) = gradientSums(c)
            dGamma[c] += sumDyXhat
            dBeta[c] += sumDy
            inputGradient(c, sumDy: sumDy, sumDyXhat: sumDyXhat, m: m)
        }
        return
    }
    // [sum dy per channel, sum dy·x̂ per channel, sample count], summed over the ranks.
    let sums = UnsafeMutablePointer<T>.allocate(capacity: 2 * channels + 1)
    defer { sums.deallocate() }
    nonisolated(unsafe) let shared = sums
    parallelFor(channels) { c in
        let local = gradientSums(c)
        dGamma[c] += local.dyXhat
        dBeta[c] += local.dy
        (shared[c], shared[channels + c]) = local
    }
    sums[2 * channels] = T(batch * size)
    sumOverReplicas(sums, 2 * channels + 1)
    let m = sums[2 * channels]
    parallelFor(channels) { c in inputGradient(c, sumDy: shared[c], sumDyXhat: shared[channels + c], m: m) }
}

/// The part of training-mode batch norms' input gradients that flows through their batch
/// statistics, per channel: dx −= shift + (x − μ) · slope. When a convolution's kernels take a
/// batch norm's backward in their own pass (`DirectConvolution.NormGradient`), they add only
/// γ/σ · g into dx; `batchNormGradient(fromSums:)` adds the rest here. The batch norms of a dense
/// block that normalise one channel share its statistics, so their corrections add up into one
/// pair, applied once by `applyBatchNormCorrections` when the channel's gradient is otherwise
/// complete: one pass per channel instead of one per layer that reads it.
public struct BatchNormCorrections<T: BLASFloat>: @unchecked Sendable {  // written between the passes that read them
    public var shift: UnsafeMutablePointer<T>
    public var slope: UnsafeMutablePointer<T>
    public init(shift: UnsafeMutablePointer<T>, slope: UnsafeMutablePointer<T>) { (self.shift, self.slope) = (shift, slope) }
}

/// Batch-norm backward (training mode, one rank) from the sums over its m values of g, the
/// gradient of its output, and of g · (x − μ): accumulates dγ and dβ, and adds the statistics'
/// part of the input gradient, −γ/σ · (mean(g) + x̂ · mean(g · x̂)), into `corrections`.
@inlinable
public func batchNormGradient<T: BLASFloat>(fromSums sumGradient: UnsafePointer<T>, sumCenteredGradient: UnsafePointer<T>,
                                            count m: T, channels: Int, gamma: UnsafePointer<T>, inverseStd: UnsafePointer<T>,
                                            dGamma: UnsafeMutablePointer<T>, dBeta: UnsafeMutablePointer<T>,
                                            corrections: BatchNormCorrections<T>) {
    for c in 0..<channels {
        let inv = inverseStd[c], scale = gamma[c] * inv
        let sumGradientXhat = sumCenteredGradient[c] * inv
        dGamma[c] += sumGradientXhat
        dBeta[c] += sumGradient[c]
        corrections.shift[c] += scale * sumGradient[c] / m
        corrections.slope[c] += scale * inv * sumGradientXhat / m
    }
}

/// dx −= shift + (x − mean) · slope for `channels` channels (samples `inputStride` and
/// `dxStride` apart): the corrections gathered by `batchNormGradient(fromSums:)`, whose batch
/// norms normalised x with these means.
@inlinable
public func applyBatchNormCorrections<T: BLASFloat>(x: UnsafePointer<T>, inputStride: Int, batch: Int, channels: Int,
                                                    size: Int, mean: UnsafePointer<T>, corrections: BatchNormCorrections<T>,
                                                    dx: UnsafeMutablePointer<T>, dxStride: Int) {
    nonisolated(unsafe) let dx = dx
    parallelFor(channels) { c in
        let mu = mean[c], shift = corrections.shift[c], slope = corrections.slope[c]
        for n in 0..<batch {
            let xc = x + n * inputStride + c * size, dxc = dx + n * dxStride + c * size
            for i in 0..<size { dxc[i] -= shift + (xc[i] - mu) * slope }
        }
    }
}
