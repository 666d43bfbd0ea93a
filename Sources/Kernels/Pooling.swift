import CKernels

/// The window of a pooling layer over (height, width) planes: no padding, floor mode (trailing
/// rows and columns that do not fill a window are dropped). 1D pooling is height 1.
public struct PoolGeometry: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int

    public init(height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int) {
        (self.height, self.width, self.kernelHeight, self.kernelWidth) = (height, width, kernelHeight, kernelWidth)
        (self.strideHeight, self.strideWidth) = (strideHeight, strideWidth)
    }

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

/// One tap across a row of windows: dst[o] = max(dst[o], src[o · stride]), a NaN winning, and
/// winner[o] = tap where src wins. Float rows run the C loop (pool_rows.h), which vectorises.
@inlinable
func accumulateMax<T: BLASFloat>(_ src: UnsafePointer<T>, stride: Int, into dst: UnsafeMutablePointer<T>, count: Int,
                                 tap: T, winner: UnsafeMutablePointer<T>?) {
    if T.self == Float.self {
        mp_accumulate_row(asFloat(src), Int64(stride), asFloat(dst), winner.map { asFloat($0) }, unsafeBitCast(tap, to: Float.self),
                          Int64(count))
        return
    }
    for o in 0..<count {
        let m = dst[o], v = src[o * stride]
        if !m.isNaN && !(v <= m) {
            dst[o] = v
            winner?[o] = tap
        }
    }
}

/// One tap across a row of windows, backward: dst[o · stride] = dy[o] where winner[o] is `tap`,
/// else 0; added instead for overlapping windows.
@inlinable
func routeToWinner<T: BLASFloat>(_ dy: UnsafePointer<T>, _ winner: UnsafePointer<T>, tap: T, into dst: UnsafeMutablePointer<T>,
                                 stride: Int, count: Int, adding: Bool) {
    if T.self == Float.self {
        mp_route_row(asFloat(dy), asFloat(winner), unsafeBitCast(tap, to: Float.self), asFloat(dst), Int64(stride), Int64(count),
                     adding ? 1 : 0)
        return
    }
    for o in 0..<count {
        let taken = winner[o] == tap ? dy[o] : 0
        dst[o * stride] = adding ? dst[o * stride] + taken : taken
    }
}

/// Max pooling over `planes` planes. A NaN wins (so it propagates) and ties go to the first tap
/// in row-major order, as in PyTorch. For training, `winner` receives the winning tap of each
/// window (i · kernelWidth + j, as a value of T so that it is chosen with the same selects).
@inlinable
public func maxPoolForward<T: BLASFloat>(x: UnsafePointer<T>, planes: Int, _ g: PoolGeometry, y: UnsafeMutablePointer<T>,
                                         winner: UnsafeMutablePointer<T>?) {
    let (outH, outW) = (g.outHeight, g.outWidth)
    nonisolated(unsafe) let y = y, winner = winner
    parallelChunks(planes) { _, range in
        for p in range {
            let xp = x + p * g.height * g.width, yp = y + p * outH * outW
            for oy in 0..<outH {
                let dst = yp + oy * outW, top = xp + oy * g.strideHeight * g.width
                let win = winner.map { $0 + p * outH * outW + oy * outW }
                // Seeded with each window's first tap, then one tap at a time across the whole row.
                for ox in 0..<outW { dst[ox] = top[ox &* g.strideWidth] }
                win?.update(repeating: 0, count: outW)
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth where i > 0 || j > 0 {
                        accumulateMax(top + i * g.width + j, stride: g.strideWidth, into: dst, count: outW,
                                      tap: T(i * g.kernelWidth + j), winner: win)
                    }
                }
            }
        }
    }
}

/// Overwrites dx with each output's gradient routed to its window's winning tap, as recorded by
/// the forward pass; overlapping windows that share a maximum add up.
@inlinable
public func maxPoolBackward<T: BLASFloat>(dy: UnsafePointer<T>, winner: UnsafePointer<T>, planes: Int, _ g: PoolGeometry,
                                          dx: UnsafeMutablePointer<T>) {
    let inSize = g.height * g.width, (outH, outW) = (g.outHeight, g.outWidth)
    let overlapping = g.strideHeight < g.kernelHeight || g.strideWidth < g.kernelWidth
    // Windows that tile the input write every tap they own; only the floor-mode remainder
    // (trailing columns and rows no window reaches) needs zeros, not the whole plane.
    let tiling = g.strideHeight == g.kernelHeight && g.strideWidth == g.kernelWidth
    let (coveredRows, coveredColumns) = (outH * g.kernelHeight, outW * g.kernelWidth)
    nonisolated(unsafe) let dx = dx
    parallelChunks(planes) { _, range in
        if !tiling { (dx + range.lowerBound * inSize).update(repeating: 0, count: range.count * inSize) }
        for p in range {
            let dxp = dx + p * inSize
            if tiling {
                if coveredColumns < g.width {
                    for row in 0..<coveredRows { (dxp + row * g.width + coveredColumns).update(repeating: 0, count: g.width - coveredColumns) }
                }
                (dxp + coveredRows * g.width).update(repeating: 0, count: (g.height - coveredRows) * g.width)
            }
            for oy in 0..<outH {
                let o = p * outH * outW + oy * outW, top = dxp + oy * g.strideHeight * g.width
                for i in 0..<g.kernelHeight {
                    for j in 0..<g.kernelWidth {
                        routeToWinner(dy + o, winner + o, tap: T(i * g.kernelWidth + j), into: top + i * g.width + j,
                                      stride: g.strideWidth, count: outW, adding: overlapping)
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
