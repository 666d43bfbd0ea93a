import Dispatch

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
