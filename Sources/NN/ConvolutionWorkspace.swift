import Kernels
import Tensor

/// The reusable buffers of a convolution: the column matrix, the GEMM product or per-thread
/// gradient sums, the column gradient, and the gradient of its input where a caller passes that
/// straight on (a `NormalizedConvolution` to its batch norm). Convolutions that run one after
/// another (a dense block's layers) can share one workspace; it grows to the largest and then
/// stops allocating.
package final class ConvolutionWorkspace {
    let columns = Tensor()
    let scratch = Tensor()
    let columnGradient = Tensor()
    let inputGradient = Tensor()

    package init() {}

    /// Sizes the buffers for `batch` samples of geometry `g` and returns the schedule to use.
    func prepare(_ g: ConvGeometry, batch: Int, backward: Bool) -> ConvSchedule {
        let schedule = ConvSchedule.choose(g, batch: batch)
        grow(columns, schedule.columnsCount(g))
        grow(scratch, schedule.scratchCount(g))
        if backward { grow(columnGradient, schedule.columnsCount(g)) }
        return schedule
    }

    private func grow(_ t: Tensor, _ count: Int) {
        if t.count < count { t.resize(to: [count]) }
    }
}
