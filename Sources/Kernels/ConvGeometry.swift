/// Convolution (1D and 2D) with the ConvReLU threshold fused into the column build.
///
/// A 1D convolution is a 2D one with height 1, so one pair of kernels serves both.
/// With thresholds θ (one per column row, i.e. per input channel and kernel offset):
///     y[n,d,p] = b[d] + Σ_{c,a} w[d,c,a] · max(x[n,c,p+a], θ[c,a])
/// Without thresholds it is a plain convolution. Zero padding pads the *activated* input:
/// a padded tap contributes 0 and no θ gradient. The columns are built per sample into a
/// workspace of `columnRows × columnCount` values, so ConvReLU costs the same GEMMs as a
/// plain convolution.
public struct ConvGeometry: Sendable, Equatable, CustomStringConvertible {
    public var inChannels: Int
    public var outChannels: Int
    public var inHeight: Int
    public var inWidth: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int
    public var padHeight: Int
    public var padWidth: Int

    public init(inChannels: Int, outChannels: Int, inHeight: Int, inWidth: Int,
                kernelHeight: Int, kernelWidth: Int, stride: Int = 1, padding: Int = 0) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = stride
        self.strideWidth = stride
        self.padHeight = padding
        self.padWidth = padding
    }

    /// A 1D convolution over NCL input, seen as height 1.
    public static func conv1d(inChannels: Int, outChannels: Int, length: Int, kernel: Int,
                              stride: Int = 1, padding: Int = 0) -> ConvGeometry {
        var g = ConvGeometry(inChannels: inChannels, outChannels: outChannels, inHeight: 1, inWidth: length,
                             kernelHeight: 1, kernelWidth: kernel, stride: stride, padding: padding)
        g.padHeight = 0
        g.strideHeight = 1
        return g
    }

    @inlinable public var outHeight: Int { (inHeight + 2 * padHeight - kernelHeight) / strideHeight + 1 }
    @inlinable public var outWidth: Int { (inWidth + 2 * padWidth - kernelWidth) / strideWidth + 1 }
    @inlinable public var inputSize: Int { inChannels * inHeight * inWidth }
    @inlinable public var outputSize: Int { outChannels * outHeight * outWidth }
    /// Rows of the column matrix: one per (input channel, kernel offset); also the θ count.
    @inlinable public var columnRows: Int { inChannels * kernelHeight * kernelWidth }
    /// Columns of the column matrix: one per output position.
    @inlinable public var columnCount: Int { outHeight * outWidth }
    @inlinable public var weightCount: Int { outChannels * columnRows }

    public var isValid: Bool {
        inChannels > 0 && outChannels > 0 && kernelHeight > 0 && kernelWidth > 0 && strideHeight > 0 &&
            strideWidth > 0 && padHeight >= 0 && padWidth >= 0 &&
            inHeight + 2 * padHeight >= kernelHeight && inWidth + 2 * padWidth >= kernelWidth
    }

    public var description: String {
        "conv \(inChannels)->\(outChannels) in \(inHeight)x\(inWidth) kernel \(kernelHeight)x\(kernelWidth) stride \(strideHeight)x\(strideWidth) pad \(padHeight)x\(padWidth)"
    }

    /// The output positions `o` whose input index `o*stride - pad + offset` lies in 0..<size.
    @inlinable
    static func validRange(size: Int, outSize: Int, stride: Int, pad: Int, offset: Int) -> Range<Int> {
        // o*stride >= pad - offset  and  o*stride <= size - 1 + pad - offset
        let lowNumerator = pad - offset
        let low = lowNumerator <= 0 ? 0 : (lowNumerator + stride - 1) / stride
        let highNumerator = size - 1 + pad - offset
        let high = highNumerator < 0 ? 0 : min(outSize, highNumerator / stride + 1)
        return low..<max(low, high)
    }
}
