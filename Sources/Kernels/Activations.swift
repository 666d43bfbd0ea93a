/// How many values a learnable activation parameter (θ of AdaReLU, α of PReLU) has for
/// (N, C, S) data: one per element of a sample (C·S), per channel (C) or per layer (1).
public enum ParameterSharing: String, Sendable, CaseIterable {
    case element, channel, layer

    public func parameterCount(channels: Int, size: Int) -> Int {
        switch self {
        case .element: channels * size
        case .channel: channels
        case .layer: 1
        }
    }

    /// Index of channel c's first parameter, and the step between spatial positions.
    @inlinable func layout(channel c: Int, size: Int) -> (base: Int, step: Int) {
        switch self {
        case .element: (c * size, 1)
        case .channel: (c, 0)
        case .layer: (0, 0)
        }
    }
}

/// AdaReLU: y = max(x, θ). ReLU is θ = 0 with sharing `.layer`.
@inlinable
public func thresholdForward<T: BLASFloat>(x: UnsafePointer<T>, batch: Int, channels: Int, size: Int,
                                           theta: UnsafePointer<T>, sharing: ParameterSharing,
                                           y: UnsafeMutablePointer<T>) {
    nonisolated(unsafe) let y = y
    parallelChunks(batch * channels) { _, rows in
        for row in rows {
            let (base, step) = sharing.layout(channel: row % channels, size: size)
            let o = row * size
            if step == 0 {
                let t = theta[base]
                for i in 0..<size { y[o + i] = max(x[o + i], t) }
            } else {
                for i in 0..<size { y[o + i] = max(x[o + i], theta[base + i]) }
            }
        }
    }
}

/// Runs `body(c, base, step, gradient)` for each channel in parallel: the channel's parameters
/// are `base + i·step` for spatial position i, and `gradient` (if any) receives the channel's
/// parameter gradients at offsets `i·step`. With per-element or per-channel sharing a channel
/// owns its parameters and writes their gradient directly; with one parameter for the layer
/// each channel sums into its own partial, added up afterwards, so no two threads write one value.
@inlinable
func forEachChannel<T: BLASFloat>(channels: Int, size: Int, sharing: ParameterSharing, gradient: UnsafeMutablePointer<T>?,
                                  _ body: (_ c: Int, _ base: Int, _ step: Int, _ gradient: UnsafeMutablePointer<T>?) -> Void) {
    guard let gradient, sharing == .layer else {
        nonisolated(unsafe) let gradient = gradient
        parallelFor(channels) { c in
            let (base, step) = sharing.layout(channel: c, size: size)
            body(c, base, step, gradient.map { $0 + base })
        }
        return
    }
    withUnsafeTemporaryAllocation(of: T.self, capacity: channels) { partials in
        nonisolated(unsafe) let partials = partials.baseAddress!
        partials.initialize(repeating: 0, count: channels)
        parallelFor(channels) { c in body(c, 0, 0, partials + c) }
        for c in 0..<channels { gradient[0] += partials[c] }
    }
}

/// The gradient goes to x where x > θ and to θ where x <= θ. Overwrites dx, accumulates dθ.
@inlinable
public func thresholdBackward<T: BLASFloat>(x: UnsafePointer<T>, dy: UnsafePointer<T>, batch: Int, channels: Int, size: Int,
                                            theta: UnsafePointer<T>, sharing: ParameterSharing,
                                            dx: UnsafeMutablePointer<T>?, dTheta: UnsafeMutablePointer<T>?) {
    nonisolated(unsafe) let dx = dx
    forEachChannel(channels: channels, size: size, sharing: sharing, gradient: dTheta) { c, base, step, gradient in
        for n in 0..<batch {
            let o = (n * channels + c) * size
            for i in 0..<size {
                let passes = x[o + i] > theta[base + i * step]
                dx?[o + i] = passes ? dy[o + i] : 0
                if !passes { gradient?[i * step] += dy[o + i] }
            }
        }
    }
}

/// PReLU: y = x for x > 0, α·x otherwise. LeakyReLU is a fixed α shared by the layer.
@inlinable
public func slopeForward<T: BLASFloat>(x: UnsafePointer<T>, batch: Int, channels: Int, size: Int,
                                       alpha: UnsafePointer<T>, sharing: ParameterSharing,
                                       y: UnsafeMutablePointer<T>) {
    nonisolated(unsafe) let y = y
    parallelChunks(batch * channels) { _, rows in
        for row in rows {
            let (base, step) = sharing.layout(channel: row % channels, size: size)
            let o = row * size
            for i in 0..<size {
                let v = x[o + i]
                y[o + i] = v > 0 ? v : alpha[base + i * step] * v
            }
        }
    }
}

/// Overwrites dx; accumulates dα (Σ dy·x over x <= 0).
@inlinable
public func slopeBackward<T: BLASFloat>(x: UnsafePointer<T>, dy: UnsafePointer<T>, batch: Int, channels: Int, size: Int,
                                        alpha: UnsafePointer<T>, sharing: ParameterSharing,
                                        dx: UnsafeMutablePointer<T>?, dAlpha: UnsafeMutablePointer<T>?) {
    nonisolated(unsafe) let dx = dx
    forEachChannel(channels: channels, size: size, sharing: sharing, gradient: dAlpha) { c, base, step, gradient in
        for n in 0..<batch {
            let o = (n * channels + c) * size
            for i in 0..<size {
                let v = x[o + i], g = dy[o + i]
                if v > 0 {
                    dx?[o + i] = g
                } else {
                    dx?[o + i] = alpha[base + i * step] * g
                    gradient?[i * step] += g * v
                }
            }
        }
    }
}

/// Elementwise y = x·mask (dropout with a precomputed mask of 0 and 1/(1-p)); also its backward.
@inlinable
public func multiplyElementwise<T: BLASFloat>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, count: Int,
                                              into y: UnsafeMutablePointer<T>) {
    for i in 0..<count { y[i] = a[i] * b[i] }
}
