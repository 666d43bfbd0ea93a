import Kernels
import Tensor

/// The reusable buffers of grouped convolution: the column matrix, the GEMM product and the
/// column gradient of one group of samples. Convolutions that run one after another (a dense
/// block's layers) can share one workspace; it grows to the largest and then stops allocating.
public final class ConvolutionWorkspace {
    public let columns = Tensor()
    public let product = Tensor()
    public let columnGradient = Tensor()

    public init() {}

    /// Sizes the buffers for `batch` samples of geometry `g` and returns the group size to use.
    public func prepare(_ g: ConvGeometry, batch: Int, backward: Bool) -> Int {
        let group = convGroupSize(g, batch: batch)
        grow(columns, g.columnRows * g.columnCount * group)
        grow(product, g.outChannels * g.columnCount * group)
        if backward { grow(columnGradient, g.columnRows * g.columnCount * group) }
        return group
    }

    private func grow(_ t: Tensor, _ count: Int) {
        if t.count < count { t.resize(to: [count]) }
    }
}
