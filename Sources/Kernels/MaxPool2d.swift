/// Max pooling over (planes, height, width) data with a square window, no padding, floor mode.
/// Stores the winning index inside its plane for each output, so backward routes each gradient
/// to exactly one input; ties go to the first maximum in row-major order, as in PyTorch.
@inlinable
public func maxPool2dForward<T: BLASFloat>(x: UnsafePointer<T>, planes: Int, height: Int, width: Int,
                                           kernel: Int, stride: Int,
                                           y: UnsafeMutablePointer<T>, argmax: UnsafeMutablePointer<Int32>) {
    let outH = (height - kernel) / stride + 1, outW = (width - kernel) / stride + 1
    for p in 0..<planes {
        let xp = x + p * height * width
        let yp = y + p * outH * outW, ap = argmax + p * outH * outW
        for oy in 0..<outH {
            for ox in 0..<outW {
                let first = oy * stride * width + ox * stride
                var best = xp[first], at = first
                for i in 0..<kernel {
                    let row = (oy * stride + i) * width + ox * stride
                    // A NaN wins, as in PyTorch, so it propagates instead of vanishing.
                    for j in 0..<kernel where xp[row + j] > best || (xp[row + j].isNaN && !best.isNaN) {
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

/// Overwrites dx with each output's gradient routed back to its window's maximum
/// (overlapping windows that share a maximum add up).
@inlinable
public func maxPool2dBackward<T: BLASFloat>(dy: UnsafePointer<T>, argmax: UnsafePointer<Int32>, planes: Int,
                                            height: Int, width: Int, outHeight: Int, outWidth: Int,
                                            dx: UnsafeMutablePointer<T>) {
    let inSize = height * width, outSize = outHeight * outWidth
    dx.update(repeating: 0, count: planes * inSize)
    for p in 0..<planes {
        let dxp = dx + p * inSize
        for o in 0..<outSize { dxp[Int(argmax[p * outSize + o])] += dy[p * outSize + o] }
    }
}
