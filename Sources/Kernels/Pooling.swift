/// The window of a pooling layer over (height, width) planes: no padding, floor mode (trailing
/// rows and columns that do not fill a window are dropped). 1D pooling is height 1.
public struct PoolGeometry: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int

    public static func square(height: Int, width: Int, kernel: Int, stride: Int) -> PoolGeometry {
        PoolGeometry(height: height, width: width, kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride, strideWidth: stride)
    }

    public static func oneD(length: Int, kernel: Int, stride: Int) -> PoolGeometry {
        PoolGeometry(height: 1, width: length, kernelHeight: 1, kernelWidth: kernel, strideHeight: 1, strideWidth: stride)
    }

    @inlinable public var outHeight: Int { (height - kernelHeight) / strideHeight + 1 }
    @inlinable public var outWidth: Int { (width - kernelWidth) / strideWidth + 1 }
    public var isValid: Bool { height >= kernelHeight && width >= kernelWidth && kernelHeight > 0 && kernelWidth > 0 }
}

/// The larger of two values, NaN if either is: max pooling's running maximum. Three selects
/// and no short-circuit, so that loops over it vectorise.
@inlinable @inline(__always)
func maxPropagatingNaN<T: BLASFloat>(_ m: T, _ v: T) -> T {
    let larger = v > m ? v : m
    let withNaNFromV = v != v ? v : larger
    return m != m ? m : withNaNFromV
}

/// dst[o] = max(dst[o], src[o · stride]) for o in 0..<count. Called with a literal stride, so
/// that after inlining the loads are a constant stride the vectoriser can deinterleave.
@inlinable @inline(__always)
func accumulateMax<T: BLASFloat>(_ src: UnsafePointer<T>, stride: Int, into dst: UnsafeMutablePointer<T>, count: Int) {
    for o in 0..<count { dst[o] = maxPropagatingNaN(dst[o], src[o &* stride]) }
}

/// One tap of a row of windows in max-pool backward: where the tap's input src[o · stride]
/// holds the window's maximum y[o], it takes the gradient still pending for that window.
/// Windows that do not overlap own their taps, so the gradient is written, not `adding`.
/// Called with literal arguments, like `accumulateMax`.
@inlinable @inline(__always)
func routeToMaximum<T: BLASFloat>(_ src: UnsafePointer<T>, stride: Int, _ y: UnsafePointer<T>, _ pending: UnsafeMutablePointer<T>,
                                  into dst: UnsafeMutablePointer<T>, count: Int, adding: Bool) {
    for o in 0..<count {
        let v = src[o &* stride], best = y[o]
        let holds = v == best || (best != best && v != v)
        let taken = holds ? pending[o] : 0
        pending[o] = holds ? 0 : pending[o]
        if adding { dst[o &* stride] += taken } else { dst[o &* stride] = taken }
    }
}

/// Max pooling over `planes` planes. A NaN wins (so it propagates), as in PyTorch.
@inlinable
public func maxPoolForward<T: BLASFloat>(x: UnsafePointer<T>, planes: Int, _ g: PoolGeometry, y: UnsafeMutablePointer<T>) {
    let (outH, outW) = (g.outHeight, g.outWidth)
    nonisolated(unsafe) let y = y
    parallelChunks(planes) { _, range in
        for p in range {
            let xp = x + p * g.height * g.width, yp = y + p * outH * outW
            for oy in 0..<outH {
                let dst = yp + oy * outW, top = xp + oy * g.strideHeight * g.width
                // Seeded with each window's first tap, then one tap at a time across the whole
                // row of outputs: no branch on which tap wins, which real activations make
                // unpredictable.
                for ox in 0..<outW { dst[ox] = top[ox &* g.strideWidth] }
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth where i > 0 || j > 0 {
                        let src = top + i * g.width + j
                        switch g.strideWidth {
                        case 2: accumulateMax(src, stride: 2, into: dst, count: outW)   // 2×2 windows (VGG, ResNet)
                        case 3: accumulateMax(src, stride: 3, into: dst, count: outW)   // the char-CNN's pool of 3
                        default: accumulateMax(src, stride: g.strideWidth, into: dst, count: outW)
                        }
                    }
                }
            }
        }
    }
}

/// Overwrites dx with each output's gradient routed to the first tap of its window (row-major)
/// that holds the window's maximum y, as PyTorch routes ties; overlapping windows that share a
/// maximum add up. Finding the tap again from x and y costs less than storing it forward.
@inlinable
public func maxPoolBackward<T: BLASFloat>(x: UnsafePointer<T>, y: UnsafePointer<T>, dy: UnsafePointer<T>, planes: Int,
                                          _ g: PoolGeometry, dx: UnsafeMutablePointer<T>) {
    let inSize = g.height * g.width, (outH, outW) = (g.outHeight, g.outWidth)
    let overlapping = g.strideHeight < g.kernelHeight || g.strideWidth < g.kernelWidth
    nonisolated(unsafe) let dx = dx
    parallelChunks(planes) { _, range in
        (dx + range.lowerBound * inSize).update(repeating: 0, count: range.count * inSize)
        withUnsafeTemporaryAllocation(of: T.self, capacity: outW) { pendingBuffer in
            let pending = pendingBuffer.baseAddress!
            for p in range {
                let xp = x + p * inSize, dxp = dx + p * inSize
                for oy in 0..<outH {
                    let o = p * outH * outW + oy * outW, top = oy * g.strideHeight * g.width
                    // Each row's gradients wait in `pending` until a tap holding the maximum takes
                    // them; taps are visited in row-major order, so the first one does. (A zero
                    // gradient may be taken by a later tap: it adds nothing either way.)
                    pending.update(from: dy + o, count: outW)
                    for i in 0..<g.kernelHeight {
                        for j in 0..<g.kernelWidth {
                            let src = xp + top + i * g.width + j, dst = dxp + top + i * g.width + j
                            switch (g.strideWidth, overlapping) {
                            case (2, false): routeToMaximum(src, stride: 2, y + o, pending, into: dst, count: outW, adding: false)
                            case (3, false): routeToMaximum(src, stride: 3, y + o, pending, into: dst, count: outW, adding: false)
                            default: routeToMaximum(src, stride: g.strideWidth, y + o, pending, into: dst, count: outW,
                                                    adding: overlapping)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Average pooling over (rows, height, width) planes with a square window, no padding, floor mode.
@inlinable
public func avgPool2dForward<T: BLASFloat>(x: UnsafePointer<T>, planes: Int, height: Int, width: Int,
                                           kernel: Int, stride: Int, y: UnsafeMutablePointer<T>) {
    let outH = (height - kernel) / stride + 1, outW = (width - kernel) / stride + 1
    let scale = 1 / T(kernel * kernel)
    for p in 0..<planes {
        let xp = x + p * height * width, yp = y + p * outH * outW
        for oy in 0..<outH {
            for ox in 0..<outW {
                var s: T = 0
                for i in 0..<kernel {
                    let row = xp + (oy * stride + i) * width + ox * stride
                    for j in 0..<kernel { s += row[j] }
                }
                yp[oy * outW + ox] = s * scale
            }
        }
    }
}

/// Overwrites dx: each output's gradient spread evenly over its window.
@inlinable
public func avgPool2dBackward<T: BLASFloat>(dy: UnsafePointer<T>, planes: Int, height: Int, width: Int,
                                            kernel: Int, stride: Int, dx: UnsafeMutablePointer<T>) {
    let outH = (height - kernel) / stride + 1, outW = (width - kernel) / stride + 1
    let scale = 1 / T(kernel * kernel)
    dx.update(repeating: 0, count: planes * height * width)
    for p in 0..<planes {
        let dxp = dx + p * height * width, dyp = dy + p * outH * outW
        for oy in 0..<outH {
            for ox in 0..<outW {
                let g = dyp[oy * outW + ox] * scale
                for i in 0..<kernel {
                    let row = dxp + (oy * stride + i) * width + ox * stride
                    for j in 0..<kernel { row[j] += g }
                }
            }
        }
    }
}

/// Global average pooling: (planes, size) -> (planes).
@inlinable
public func globalAvgPoolForward<T: BLASFloat>(x: UnsafePointer<T>, planes: Int, size: Int, y: UnsafeMutablePointer<T>) {
    let scale = 1 / T(size)
    for p in 0..<planes {
        var s: T = 0
        for i in 0..<size { s += x[p * size + i] }
        y[p] = s * scale
    }
}

@inlinable
public func globalAvgPoolBackward<T: BLASFloat>(dy: UnsafePointer<T>, planes: Int, size: Int, dx: UnsafeMutablePointer<T>) {
    let scale = 1 / T(size)
    for p in 0..<planes { (dx + p * size).update(repeating: dy[p] * scale, count: size) }
}
