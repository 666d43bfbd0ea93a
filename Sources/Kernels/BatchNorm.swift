/// Batch normalisation over (N, C, S) data, per channel. Training mode normalises with the
/// biased batch variance and moves the running statistics toward the batch ones (running
/// variance with the unbiased estimate), as PyTorch does; evaluation mode uses the running
/// statistics. `x` samples are `inputStride` apart, so a dense block's channel prefix can be
/// normalised in place without copying; `y` is contiguous (N, C, S).
///
/// `mean` and `inverseStd` receive the statistics used, which backward needs. Without `y` only
/// the statistics are computed, for a consumer that applies the normalisation as it reads (a
/// dense layer's direct convolution).
@inlinable
public func batchNormForward<T: BLASFloat>(x: UnsafePointer<T>, inputStride: Int, batch: Int, channels: Int, size: Int,
                                           gamma: UnsafePointer<T>, beta: UnsafePointer<T>,
                                           runningMean: UnsafeMutablePointer<T>, runningVar: UnsafeMutablePointer<T>,
                                           training: Bool, momentum: T, epsilon: T,
                                           mean: UnsafeMutablePointer<T>, inverseStd: UnsafeMutablePointer<T>,
                                           y: UnsafeMutablePointer<T>?) {
    let m = T(batch * size)
    nonisolated(unsafe) let runningMean = runningMean, runningVar = runningVar, mean = mean, inverseStd = inverseStd, y = y
    parallelFor(channels) { c in
        var mu: T, variance: T
        if training {
            var s: T = 0
            for n in 0..<batch { s += sum(x + n * inputStride + c * size, count: size) }
            mu = s / m
            var v: T = 0
            for n in 0..<batch { v += sumOfSquaredDeviations(x + n * inputStride + c * size, mean: mu, count: size) }
            variance = v / m
            runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mu
            let unbiased = batch * size > 1 ? v / (m - 1) : variance
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
}

/// Accumulates dγ, dβ and dx (dx samples `dxStride` apart). In training mode the gradient
/// flows through the batch statistics as well.
@inlinable
public func batchNormBackward<T: BLASFloat>(x: UnsafePointer<T>, inputStride: Int, batch: Int, channels: Int, size: Int,
                                            gamma: UnsafePointer<T>, mean: UnsafePointer<T>, inverseStd: UnsafePointer<T>,
                                            training: Bool, dy: UnsafePointer<T>,
                                            dx: UnsafeMutablePointer<T>?, dxStride: Int,
                                            dGamma: UnsafeMutablePointer<T>, dBeta: UnsafeMutablePointer<T>) {
    let m = T(batch * size)
    nonisolated(unsafe) let dx = dx, dGamma = dGamma, dBeta = dBeta
    parallelFor(channels) { c in
        let mu = mean[c], inv = inverseStd[c]
        var sums: (dy: T, dyCentered: T) = (0, 0)
        for n in 0..<batch {
            accumulateGradientSums(dy + (n * channels + c) * size, x + n * inputStride + c * size, mean: mu, count: size,
                                   into: &sums)
        }
        let sumDy = sums.dy, sumDyXhat = sums.dyCentered * inv
        dGamma[c] += sumDyXhat
        dBeta[c] += sumDy
        guard let dx else { return }
        let scale = gamma[c] * inv
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
}
