import Tensor
import Testing
import TextData

/// Character noise and the stratified training subset.
@Suite struct AugmentationTests {
    static let text: [UInt8] = [3, 1, 4, 1, 5, 9, 2, 6, empty, 5, 3, 5, 8, 9, 7, 9]

    func noisy(_ row: [UInt8], probability: Double, seed: UInt64) -> [UInt8] {
        var out = row
        var rng = RNG(seed: seed, stream: "test")
        out.withUnsafeMutableBufferPointer { CharacterNoise(probability: probability, alphabetSize: 10).apply(to: $0, rng: &rng) }
        return out
    }

    @Test func isSeededAndLeavesPaddingAlone() {
        let row = Self.text + [UInt8](repeating: empty, count: 16)
        let a = noisy(row, probability: 0.3, seed: 1), b = noisy(row, probability: 0.3, seed: 1)
        #expect(a == b)
        #expect(a != noisy(row, probability: 0.3, seed: 2))
        #expect(a != row)
        #expect(noisy(row, probability: 0, seed: 1) == row)
        #expect(a.suffix(16).allSatisfy { $0 == empty }, "padding after the text stays empty")
        #expect(a.allSatisfy { $0 == empty || $0 < 10 })
    }

    /// Over many characters about p/2 are deleted (the row shortens by that much); the text
    /// that remains still differs from the original's prefix (replacements).
    @Test func deletesAboutHalfTheRequestedShare() {
        let length = 20_000
        let row = (0..<length).map { UInt8($0 % 10) }
        let out = noisy(row, probability: 0.1, seed: 7)
        let kept = out.firstIndex(of: empty) ?? length
        #expect(abs(Double(length - kept) / Double(length) - 0.05) < 0.006, "deleted \(length - kept)")
        #expect(out[kept...].allSatisfy { $0 == empty })
    }

    @Test func stratifiedSampleKeepsTheClasses() {
        // Sorted by class, as MR's rows are: the first 512 would all be class 0.
        let labels = [Int](repeating: 0, count: 4_700) + [Int](repeating: 1, count: 4_700) + [Int](repeating: 2, count: 600)
        var rng = RNG(seed: 3, stream: "train_limit")
        let sample = stratifiedSample(Array(0..<labels.count), count: 512, label: { labels[$0] }, rng: &rng)
        #expect(sample.count == 512 && Set(sample).count == 512 && sample == sample.sorted())
        let counts = (0..<3).map { c in sample.filter { labels[$0] == c }.count }
        #expect(counts == [241, 240, 31] || counts == [240, 241, 31], "\(counts)")
        var again = RNG(seed: 3, stream: "train_limit")
        #expect(stratifiedSample(Array(0..<labels.count), count: 512, label: { labels[$0] }, rng: &again) == sample)
        var tiny = RNG(seed: 3)
        let two = stratifiedSample(Array(0..<labels.count), count: 3, label: { labels[$0] }, rng: &tiny)
        #expect(Set(two.map { labels[$0] }) == [0, 1, 2], "every class gets one when the count allows")
        var all = RNG(seed: 3)
        #expect(stratifiedSample([5, 1, 3], count: 10, label: { _ in 0 }, rng: &all) == [1, 3, 5])
    }
}
