/// Builds all column rows of one sample (rows `rowStride` apart).
@inlinable
func buildSampleColumns<T: BLASFloat>(_ x: UnsafePointer<T>, threshold: UnsafePointer<T>?, _ g: ConvGeometry,
                                      into col: UnsafeMutablePointer<T>, rowStride: Int) {
    for c in 0..<g.inChannels { buildColumns(x, channel: c, threshold: threshold, g, into: col, rowStride: rowStride) }
}

/// Builds the column rows of input channel `c` of one sample: col[r, q] = max(x[c, iy, ix], θ[r])
/// for the tap of row r = (c, i, j) at output position q, or 0 where the tap falls in the
/// padding. Rows are `rowStride` apart, so several samples can sit side by side in one matrix.
@inlinable
public func buildColumns<T: BLASFloat>(_ x: UnsafePointer<T>, channel c: Int, threshold: UnsafePointer<T>?,
                                       _ g: ConvGeometry, into col: UnsafeMutablePointer<T>, rowStride: Int) {
    let outH = g.outHeight, outW = g.outWidth
    let kh = g.kernelHeight, kw = g.kernelWidth
    let xc = x + c * g.inHeight * g.inWidth
    for i in 0..<kh {
        let ys = ConvGeometry.validRange(size: g.inHeight, outSize: outH, stride: g.strideHeight, pad: g.padHeight, offset: i)
        for j in 0..<kw {
            let r = (c * kh + i) * kw + j
            let t = threshold?[r] ?? -T.infinity
            let row = col + r * rowStride
            let xs = ConvGeometry.validRange(size: g.inWidth, outSize: outW, stride: g.strideWidth, pad: g.padWidth, offset: j)
            for oy in 0..<outH {
                let dst = row + oy * outW
                guard ys.contains(oy), !xs.isEmpty else {
                    dst.update(repeating: 0, count: outW)
                    continue
                }
                let src = xc + (oy * g.strideHeight - g.padHeight + i) * g.inWidth - g.padWidth + j
                if xs.lowerBound > 0 { dst.update(repeating: 0, count: xs.lowerBound) }
                if g.strideWidth == 1 {
                    activateRow(src + xs.lowerBound, threshold: t, into: dst + xs.lowerBound, count: xs.count)
                } else {
                    for ox in xs { dst[ox] = max(src[ox * g.strideWidth], t) }
                }
                if xs.upperBound < outW { (dst + xs.upperBound).update(repeating: 0, count: outW - xs.upperBound) }
            }
        }
    }
}

/// The inverse of `buildColumns` for gradients, for input channel `c` of one sample: each
/// column gradient goes to x where the tap passed x through (x > θ) and to θ where it was
/// clamped (x <= θ). Padded taps give nothing. Accumulates into `dx` and `dThreshold`.
@inlinable
public func scatterColumnGradient<T: BLASFloat>(_ dcol: UnsafePointer<T>, rowStride: Int, x: UnsafePointer<T>, channel c: Int,
                                                threshold: UnsafePointer<T>?, _ g: ConvGeometry,
                                                dx: UnsafeMutablePointer<T>?, dThreshold: UnsafeMutablePointer<T>?) {
    let outH = g.outHeight, outW = g.outWidth
    let kh = g.kernelHeight, kw = g.kernelWidth
    let offset = c * g.inHeight * g.inWidth
    for i in 0..<kh {
        let ys = ConvGeometry.validRange(size: g.inHeight, outSize: outH, stride: g.strideHeight, pad: g.padHeight, offset: i)
        for j in 0..<kw {
            let r = (c * kh + i) * kw + j
            let row = dcol + r * rowStride
            let xs = ConvGeometry.validRange(size: g.inWidth, outSize: outW, stride: g.strideWidth, pad: g.padWidth, offset: j)
            var clamped: T = 0
            for oy in ys {
                let base = offset + (oy * g.strideHeight - g.padHeight + i) * g.inWidth - g.padWidth + j
                let src = x + base
                let grow = row + oy * outW
                if let threshold {
                    let t = threshold[r]
                    if let dx {
                        let dst = dx + base
                        if g.strideWidth == 1 {
                            clamped += scatterRow(src + xs.lowerBound, threshold: t, gradient: grow + xs.lowerBound,
                                                  into: dst + xs.lowerBound, count: xs.count)
                        } else {
                            for ox in xs {
                                let k = ox &* g.strideWidth
                                if src[k] > t { dst[k] += grow[ox] } else { clamped += grow[ox] }
                            }
                        }
                    } else if g.strideWidth == 1 {
                        clamped += scatterRow(src + xs.lowerBound, threshold: t, gradient: grow + xs.lowerBound, into: nil,
                                              count: xs.count)
                    } else {
                        for ox in xs where src[ox &* g.strideWidth] <= t { clamped += grow[ox] }
                    }
                } else if let dx {
                    let dst = dx + base
                    for ox in xs { dst[ox &* g.strideWidth] += grow[ox] }
                }
            }
            if let dThreshold { dThreshold[r] += clamped }
        }
    }
}

/// The column matrix of `samples` consecutive samples, side by side: sample s fills columns
/// s·P ..< (s+1)·P of every row. Parallel over input channels, which own disjoint rows.
@inlinable
func buildGroupColumns<T: BLASFloat>(_ x: UnsafePointer<T>, inputStride: Int, samples: Int, threshold: UnsafePointer<T>?,
                                     _ g: ConvGeometry, into columns: UnsafeMutablePointer<T>) {
    let P = g.columnCount, width = samples * P
    nonisolated(unsafe) let columns = columns
    parallelFor(g.inChannels) { c in
        for s in 0..<samples {
            buildColumns(x + s * inputStride, channel: c, threshold: threshold, g, into: columns + s * P, rowStride: width)
        }
    }
}
