import Foundation

/// The time of one MPI_Allreduce (sum of floats) by message size, as osu_allreduce measures it:
/// warm-up calls, then the mean of `repetitions` calls, the slowest rank's time counting. It is
/// what the scaling model in BENCHMARKS.md is fitted to.
package enum AllreduceBenchmark {
    package struct Result: Codable, Sendable {
        package var bytes: Int
        package var microseconds: Double
        /// bytes / time, as osu reports it (not the bus bandwidth of a ring).
        package var megabytesPerSecond: Double
    }

    /// 4 KiB to 64 MiB by factors of 4: the char-CNN's 11 M parameters are 44 MB, DenseNet-40's 4 MB.
    package static let defaultSizes = (0...7).map { 4096 << (2 * $0) }

    package static func run(_ communicator: Communicator, sizes: [Int] = defaultSizes, repetitions: Int = 20) -> [Result] {
        sizes.map { bytes in
            let count = bytes / MemoryLayout<Float>.stride
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 1, count: count)
            // Fewer repetitions for large messages, so a sweep stays within a minute.
            let reps = max(3, min(repetitions, (64 << 20) / bytes * 2))
            for _ in 0..<2 { communicator.sum(buffer, count: count, "allreduce benchmark") }
            communicator.barrier("allreduce benchmark")
            let started = Date()
            for _ in 0..<reps { communicator.sum(buffer, count: count, "allreduce benchmark") }
            let seconds = communicator.maximum([Date().timeIntervalSince(started) / Double(reps)], "allreduce benchmark")[0]
            return Result(bytes: bytes, microseconds: seconds * 1e6, megabytesPerSecond: Double(bytes) / seconds / 1e6)
        }
    }
}
