import CKernels

/// The C kernels of CKernels, compiled for AVX-512, AVX2 and baseline x86-64: Swift builds its
/// own loops for baseline x86-64 only, so the hot Float loops that must vectorise live there.
public enum VectorKernels {
    /// The instruction-set level the C kernels run at: the best this CPU has (`DC_LEVEL_AVX512`,
    /// `DC_LEVEL_AVX2` or `DC_LEVEL_GENERIC`). Kernels take a level so tests can run the lower ones.
    public static let level = dc_best_level()
}

/// `pointer` as a Float pointer, for the Float-only C kernels called from generic code.
@inlinable
func asFloat<T: BLASFloat>(_ pointer: UnsafePointer<T>) -> UnsafePointer<Float> {
    precondition(T.self == Float.self, "the C kernels are Float only")
    return UnsafeRawPointer(pointer).assumingMemoryBound(to: Float.self)
}

@inlinable
func asFloat<T: BLASFloat>(_ pointer: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
    precondition(T.self == Float.self, "the C kernels are Float only")
    return UnsafeMutableRawPointer(pointer).assumingMemoryBound(to: Float.self)
}

/// dst[i] = max(src[i], threshold): a column row of the im2col path.
@inlinable
func activateRow<T: BLASFloat>(_ src: UnsafePointer<T>, threshold: T, into dst: UnsafeMutablePointer<T>, count: Int) {
    if T.self == Float.self {
        cr_build_row(VectorKernels.level, asFloat(src), unsafeBitCast(threshold, to: Float.self), asFloat(dst), Int64(count))
    } else {
        for i in 0..<count { dst[i] = max(src[i], threshold) }
    }
}

/// The gradient of a column row: where src[i] > threshold it goes to dx (when given), elsewhere
/// it is summed into the returned threshold gradient.
@inlinable
func scatterRow<T: BLASFloat>(_ src: UnsafePointer<T>, threshold: T, gradient: UnsafePointer<T>,
                              into dx: UnsafeMutablePointer<T>?, count: Int) -> T {
    if T.self == Float.self {
        let clamped = cr_scatter_row(VectorKernels.level, asFloat(src), unsafeBitCast(threshold, to: Float.self),
                                     asFloat(gradient), dx.map { asFloat($0) }, Int64(count))
        return unsafeBitCast(clamped, to: T.self)
    }
    var clamped: T = 0
    for i in 0..<count {
        if src[i] > threshold { dx?[i] += gradient[i] } else { clamped += gradient[i] }
    }
    return clamped
}

/// Σ x[i] (batch-norm statistics).
@inlinable
func sum<T: BLASFloat>(_ x: UnsafePointer<T>, count: Int) -> T {
    if T.self == Float.self { return unsafeBitCast(vk_sum(VectorKernels.level, asFloat(x), Int64(count)), to: T.self) }
    var s: T = 0
    for i in 0..<count { s += x[i] }
    return s
}

/// Σ (x[i] - mean)².
@inlinable
func sumOfSquaredDeviations<T: BLASFloat>(_ x: UnsafePointer<T>, mean: T, count: Int) -> T {
    if T.self == Float.self {
        let s = vk_sum_squared_deviations(VectorKernels.level, asFloat(x), unsafeBitCast(mean, to: Float.self), Int64(count))
        return unsafeBitCast(s, to: T.self)
    }
    var s: T = 0
    for i in 0..<count { s += (x[i] - mean) * (x[i] - mean) }
    return s
}

/// (Σ dy[i], Σ dy[i] · (x[i] - mean)) added to `sums` (batch-norm backward).
@inlinable
func accumulateGradientSums<T: BLASFloat>(_ dy: UnsafePointer<T>, _ x: UnsafePointer<T>, mean: T, count: Int,
                                          into sums: inout (dy: T, dyCentered: T)) {
    if T.self == Float.self {
        var a = unsafeBitCast(sums.dy, to: Float.self), b = unsafeBitCast(sums.dyCentered, to: Float.self)
        vk_sum_gradients(VectorKernels.level, asFloat(dy), asFloat(x), unsafeBitCast(mean, to: Float.self), Int64(count), &a, &b)
        sums = (unsafeBitCast(a, to: T.self), unsafeBitCast(b, to: T.self))
        return
    }
    for i in 0..<count {
        sums.dy += dy[i]
        sums.dyCentered += dy[i] * (x[i] - mean)
    }
}
