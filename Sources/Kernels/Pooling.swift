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

/// Max pooling over `planes` planes. Stores the winning index inside its plane for each output,
/// so backward routes each gradient to exactly one input; ties go to the first maximum in
/// row-major order and a NaN wins (so it propagates), as in PyTorch.
@inlinable
public func maxPoolForward<T: BLASFloat>(x: UnsafePointer<T>, planes: Int, _ g: PoolGeometry,
                                         y: UnsafeMutablePointer<T>, argmax: UnsafeMutablePointer<Int32>) {
    let (outH, outW) = (g.outHeight, g.outWidth)
    nonisolated(unsafe) let y = y, argmax = argmax
    parallelChunks(planes) { _, range in
        for p in range {
            let xp = x + p * g.height * g.width
            let yp = y + p * outH * outW, ap = argmax + p * outH * outW
            for oy in 0..<outH {
                for ox in 0..<outW {
                    let first = oy * g.strideHeight * g.width + ox * g.strideWidth
                    var best = xp[first], at = first
                    for i in 0..<g.kernelHeight {
                        let row = first + i * g.width
                        for j in 0..<g.kernelWidth where xp[row + j] > best || (xp[row + j].isNaN && !best.isNaN) {
                            best = xp[row + j]
                            at = row + j
                        }
                    }
                    yp[oy * outW + ox] = best
                    ap[oy * outW + ox] = Int32(at)
                }
            }
        }
    }
}

/// Overwrites dx with each output's gradient routed back to its window's maximum
/// (overlapping windows that share a maximum add up).
@inlinable
public func maxPoolBackward<T: BLASFloat>(dy: UnsafePointer<T>, argmax: UnsafePointer<Int32>, planes: Int, _ g: PoolGeometry,
                                          dx: UnsafeMutablePointer<T>) {
    let inSize = g.height * g.width, outSize = g.outHeight * g.outWidth
    nonisolated(unsafe) let dx = dx
    parallelChunks(planes) { _, range in
        (dx + range.lowerBound * inSize).update(repeating: 0, count: range.count * inSize)
        for p in range {
            let dxp = dx + p * inSize
            for o in 0..<outSize { dxp[Int(argmax[p * outSize + o])] += dy[p * outSize + o] }
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
