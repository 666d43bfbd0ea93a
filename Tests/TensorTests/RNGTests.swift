import Foundation
import Tensor
import Testing

/// The generator behind exact resume: one seed fixes initialisation, data order, dropout and
/// augmentation, so the numbers below are part of every saved run. A change to any of them
/// (seeding, the stream hash, the generator, the float or integer conversions) means old
/// checkpoints no longer resume to the run they came from.
@Suite struct RNGTests {
    @Test(arguments: [
        (UInt64(0), "", [0x2138_2ef0_92ed_7068, 0x5b54_c052_757a_df62, 0xa64c_b2cf_6879_5072, 0xd35c_15d5_9620_35af] as [UInt64]),
        (42, "init/conv1.weight", [0x0d03_ac11_79cd_8f94, 0x1ed2_b5d3_950e_8ee0, 0x57c5_80de_d86f_1221, 0x6a7d_788d_e740_57bc]),
        (42, "order/3", [0x6440_7725_3bfd_a47b, 0x1f7a_eb39_30a9_a72b, 0x719d_7d65_d30b_3980, 0xf849_692b_64cf_68bb]),
    ])
    func firstOutputsArePinned(seed: UInt64, stream: String, expected: [UInt64]) {
        var rng = RNG(seed: seed, stream: stream)
        #expect((0..<4).map { _ in rng.next() } == expected)
    }

    @Test func derivedDrawsArePinned() {
        var dropout = RNG(seed: 7, stream: "dropout/2/100")
        #expect((0..<3).map { _ in dropout.uniform() } == [0.39032200548698404, 0.5113006332971961, 0.6306289174628996])
        // Box-Muller goes through log and cos, whose last bit may differ between C libraries.
        var initialisation = RNG(seed: 7, stream: "init/fc.weight")
        let normals = (0..<3).map { _ in initialisation.normal() }
        for (value, expected) in zip(normals, [0.14926857265259583, -0.29958859726442805, -2.185498325776588]) {
            #expect(abs(value - expected) <= 1e-12, "\(normals)")
        }
        var order = RNG(seed: 7, stream: "order/0")
        #expect(order.permutation(10) == [2, 5, 4, 1, 7, 3, 6, 8, 9, 0])
    }

    @Test func sameSeedAndStreamGiveTheSameNumbers() {
        var a = RNG(seed: 123, stream: "order/1"), b = RNG(seed: 123, stream: "order/1")
        #expect(a == b)
        #expect((0..<1000).map { _ in a.next() } == (0..<1000).map { _ in b.next() })
    }

    @Test func streamsAndSeedsDiffer() {
        let names = ["", "order/0", "order/1", "order/10", "init/w", "dropout/0/1", "dropout/0/10", "dropout/1/0"]
        var firsts: Set<[UInt64]> = []
        for seed: UInt64 in [0, 1, 2] {
            for name in names {
                var rng = RNG(seed: seed, stream: name)
                firsts.insert((0..<4).map { _ in rng.next() })
            }
        }
        #expect(firsts.count == 3 * names.count)
    }

    /// The generator is a value: a copy taken mid-stream (as a resume restores one) continues
    /// exactly where the original does, and drawing from one leaves the other alone.
    @Test func aCopyContinuesTheStream() {
        var rng = RNG(seed: 9, stream: "augmentation")
        for _ in 0..<17 { _ = rng.next() }
        var saved = rng
        let ahead = (0..<100).map { _ in rng.next() }
        #expect(saved != rng)
        #expect((0..<100).map { _ in saved.next() } == ahead)
        #expect(saved == rng)
    }

    @Test func uniformRangeAndMoments() {
        var rng = RNG(seed: 1, stream: "moments")
        let n = 200_000
        let u = (0..<n).map { _ in rng.uniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = u.reduce(0, +) / Double(n)
        let variance = u.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean - 0.5) < 0.005)
        #expect(abs(variance - 1.0 / 12) < 0.002)
        let scaled = (0..<10_000).map { _ in rng.uniform(-3, 5) }
        #expect(scaled.allSatisfy { $0 >= -3 && $0 < 5 })
        #expect(scaled.min()! < -2.9 && scaled.max()! > 4.9)
    }

    @Test func normalMoments() {
        var rng = RNG(seed: 2, stream: "moments")
        let n = 200_000
        let x = (0..<n).map { _ in rng.normal() }
        #expect(x.allSatisfy { $0.isFinite })
        let mean = x.reduce(0, +) / Double(n)
        let variance = x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.02)
        // About 4.55% of a normal lies beyond two standard deviations.
        let tails = Double(x.filter { abs($0) > 2 }.count) / Double(n)
        #expect(abs(tails - 0.0455) < 0.003)
    }

    @Test func integersCoverTheirRangeEvenly() {
        var rng = RNG(seed: 3, stream: "integers")
        let bound = 7, n = 70_000
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<n { counts[rng.int(below: bound)] += 1 }
        // Each count is binomial with mean 10 000 and standard deviation about 93.
        #expect(counts.allSatisfy { abs($0 - n / bound) < 500 }, "\(counts)")
        #expect((0..<100).allSatisfy { _ in rng.int(below: 1) == 0 })
        let large = (0..<1000).map { _ in rng.int(below: Int.max) }
        #expect(large.allSatisfy { $0 >= 0 } && Set(large).count == 1000)
    }

    @Test func bernoulliFrequency() {
        var rng = RNG(seed: 4, stream: "bernoulli")
        let n = 100_000
        let hits = (0..<n).filter { _ in rng.bernoulli(0.1) }.count
        #expect(abs(Double(hits) / Double(n) - 0.1) < 0.005)
        #expect((0..<1000).allSatisfy { _ in !rng.bernoulli(0) && rng.bernoulli(1) })
    }

    @Test func permutationsArePermutations() {
        var rng = RNG(seed: 5, stream: "order/0")
        for n in [0, 1, 2, 31, 1000] {
            let p = rng.permutation(n)
            #expect(p.sorted() == Array(0..<n))
        }
        // Over many shuffles of 3 items, each of the 6 orders comes up about equally often.
        var orders: [[Int]: Int] = [:]
        for _ in 0..<60_000 { orders[rng.permutation(3), default: 0] += 1 }
        #expect(orders.count == 6 && orders.values.allSatisfy { abs($0 - 10_000) < 500 }, "\(orders)")
    }
}
