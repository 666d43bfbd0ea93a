/// Max pooling over the last axis of (rows, length) data, floor mode: trailing elements that
/// do not fill a window are dropped. Stores the winning input index of each output for backward;
/// ties go to the first maximum, as in PyTorch.
@inlinable
public func maxPool1dForward<T: BLASFloat>(x: UnsafePointer<T>, rows: Int, length: Int, kernel: Int, stride: Int,
                                           y: UnsafeMutablePointer<T>, argmax: UnsafeMutablePointer<Int32>) {
    let outLength = (length - kernel) / stride + 1
    nonisolated(unsafe) let y = y, argmax = argmax
    parallelChunks(rows) { _, range in
        for r in range {
            let xr = x + r * length
            for o in 0..<outLength {
                let start = o * stride
                var best = xr[start], at = start
                for k in 1..<max(kernel, 1) where xr[start + k] > best || xr[start + k].isNaN {
                    best = xr[start + k]
                    at = start + k
                }
                y[r * outLength + o] = best
                argmax[r * outLength + o] = Int32(at)
            }
        }
    }
}

/// Overwrites dx with the pooled gradients routed back to each window's maximum.
@inlinable
public func maxPool1dBackward<T: BLASFloat>(dy: UnsafePointer<T>, argmax: UnsafePointer<Int32>, rows: Int,
                                            length: Int, outLength: Int, dx: UnsafeMutablePointer<T>) {
    nonisolated(unsafe) let dx = dx
    parallelChunks(rows) { _, range in
        (dx + range.lowerBound * length).update(repeating: 0, count: range.count * length)
        for r in range {
            for o in 0..<outLength { dx[r * length + Int(argmax[r * outLength + o])] += dy[r * outLength + o] }
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
