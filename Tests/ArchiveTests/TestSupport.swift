import Foundation

/// Bytes that compress a little but not completely, like real data.
func sampleBytes(count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { index in
        state = state &* 1_664_525 &+ 1_013_904_223
        return index % 3 == 0 ? UInt8(truncatingIfNeeded: index / 7) : UInt8(truncatingIfNeeded: state >> 24)
    }
}
