import Dispatch
import Foundation

/// Runs `body(i)` for every i in 0..<count across the cores. Each i must write only what it
/// owns (its own rows, channels or samples), so no locking is needed. BLAS calls are made
/// between such loops, never inside them: one level of parallelism at a time.
@inlinable
public func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    guard count > 1 else {
        if count == 1 { body(0) }
        return
    }
    withoutActuallyEscaping(body) { work in
        nonisolated(unsafe) let work = work
        DispatchQueue.concurrentPerform(iterations: count) { work($0) }
    }
}

/// The number of chunks `parallelChunks` splits work into: one per core.
public let parallelChunkCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

/// Splits 0..<count into at most `parallelChunkCount` contiguous ranges and runs
/// `body(chunk, range)` for each in parallel. A chunk index lets each chunk use its own slice
/// of a scratch buffer (partial sums, transposes) without locks.
@inlinable
public func parallelChunks(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
    let chunks = min(count, parallelChunkCount)
    guard chunks > 1 else {
        if count > 0 { body(0, 0..<count) }
        return
    }
    parallelFor(chunks) { k in body(k, (count * k / chunks)..<(count * (k + 1) / chunks)) }
}

/// `parallelChunks` over 0..<count in whole blocks of `block`: every chunk starts at a multiple
/// of `block` (a vector or cache-line boundary in the caller's rows), and only the last chunk
/// can end short.
@inlinable
public func parallelBlocks(_ count: Int, block: Int, _ body: (Range<Int>) -> Void) {
    parallelChunks((count + block - 1) / block) { _, blocks in
        body((blocks.lowerBound * block)..<min(count, blocks.upperBound * block))
    }
}
