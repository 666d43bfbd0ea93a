import Distributed
import NN
import Tensor

/// What data-parallel training asks of the ranks besides gradient sums.
extension Communicator {
    /// This rank's contiguous share of a global batch (positions `range` of the epoch order):
    /// rank r of N takes the r-th of N nearly equal parts, so the ranks' shares concatenated
    /// are the batch one process would take.
    package func share(of range: Range<Int>) -> Range<Int> {
        let n = range.count
        return (range.lowerBound + n * rank / size)..<(range.lowerBound + n * (rank + 1) / size)
    }

    /// The seed of this rank's dropout masks and augmentation: the run's seed on rank 0, so
    /// one process draws what it always drew, and a stream of (seed, rank) on the others, so
    /// no two ranks repeat each other's masks.
    package func streamSeed(_ seed: UInt64) -> UInt64 {
        guard rank > 0 else { return seed }
        var rng = RNG(seed: seed, stream: "rank/\(rank)")
        return rng.next()
    }

    /// Rank 0's parameters and buffers on every rank: the ranks start from one model.
    package func replicate(_ model: Layer) {
        for p in model.parameters {
            broadcast(p.parameter.value.pointer, bytes: p.parameter.count * MemoryLayout<Float>.stride, "broadcast of \(p.name)")
        }
        for b in model.buffers {
            broadcast(b.tensor.pointer, bytes: b.tensor.count * MemoryLayout<Float>.stride, "broadcast of \(b.name)")
        }
    }

    /// Replaces every rank's buffers (batch-norm running statistics, which per-rank batch norm
    /// moves with each rank's own batches) by their mean over the ranks, before an evaluation
    /// or a checkpoint: evaluations split over ranks then see one model, and a checkpoint does
    /// not depend on the rank count beyond that mean.
    package func averageBuffers(_ model: Layer) {
        guard isDistributed else { return }
        for b in model.buffers {
            sum(b.tensor.pointer, count: b.tensor.count, "allreduce of \(b.name)")
            let scale = 1 / Float(size), pointer = b.tensor.pointer
            for i in 0..<b.tensor.count { pointer[i] *= scale }
        }
    }
}
