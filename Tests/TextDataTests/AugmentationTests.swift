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

    func dropped(_ row: [UInt8], probability: Double, seed: UInt64) -> [UInt8] {
        var out = row
        var rng = RNG(seed: seed, stream: "test")
        out.withUnsafeMutableBufferPointer { WordDropout(probability: probability).apply(to: $0, rng: &rng) }
        return out
    }

    /// The words of a row (runs between empty columns), in order.
    func words(_ row: [UInt8]) -> [[UInt8]] { row.split(separator: empty).map(Array.init) }

    /// Word dropout deletes whole words, keeps the others in order with their separators,
    /// moves the rest up and leaves padding alone; it is seeded, and never empties a row.
    @Test func wordDropoutDeletesWholeWords() {
        let row: [UInt8] = [1, 2, empty, 3, empty, 4, 5, 6, empty, 7, 8, empty, 9] + [UInt8](repeating: empty, count: 6)
        let all = words(row)
        var seen = Set<[[UInt8]]>()
        for seed in 0..<200 as Range<UInt64> {
            let out = dropped(row, probability: 0.4, seed: seed)
            #expect(out == dropped(row, probability: 0.4, seed: seed))
            #expect(out.count == row.count && out.suffix(6).allSatisfy { $0 == empty })
            let kept = words(out)
            #expect(!kept.isEmpty, "a row keeps at least one word")
            // The kept words are a subsequence of the original words, whole.
            var i = all.startIndex
            for w in kept {
                while i < all.endIndex && all[i] != w { i += 1 }
                #expect(i < all.endIndex, "\(w) is not a whole word of the row, in order")
                i += 1
            }
            // Moved up: one separator between kept words, none in front, then only empties.
            let text = kept.map { $0 }.joined(separator: [empty]).map { $0 }
            #expect(Array(out.prefix(text.count)) == text && out.dropFirst(text.count).allSatisfy { $0 == empty })
            seen.insert(kept)
        }
        #expect(seen.count > 10, "different seeds drop different words")
        #expect(dropped(row, probability: 0, seed: 1) == row)
        #expect(dropped(row, probability: 1, seed: 1) == row, "dropping every word would leave nothing: the row stays")
    }

    /// Turning word dropout on does not change the character noise's draws, and an augmentation
    /// with both off is nil (evaluation rows and old configs see nothing new).
    @Test func augmentationStreamsAreIndependent() {
        #expect(TextAugmentation(characterNoise: 0, wordDropout: 0, alphabetSize: 10) == nil)
        let row = Self.text + [UInt8](repeating: empty, count: 16)
        func augmented(_ a: TextAugmentation) -> [UInt8] {
            var out = row
            out.withUnsafeMutableBufferPointer { a.apply(to: $0, rows: 1, length: row.count, seed: 5) }
            return out
        }
        let noiseOnly = augmented(TextAugmentation(characterNoise: 0.3, wordDropout: 0, alphabetSize: 10)!)
        var rng = RNG(seed: 5, stream: "char-noise")
        var expected = row
        expected.withUnsafeMutableBufferPointer { CharacterNoise(probability: 0.3, alphabetSize: 10).apply(to: $0, rng: &rng) }
        #expect(noiseOnly == expected, "character noise draws from its own stream, as before word dropout existed")
        let dropOnly = augmented(TextAugmentation(characterNoise: 0, wordDropout: 0.5, alphabetSize: 10)!)
        var dropRNG = RNG(seed: 5, stream: "word-dropout")
        var expectedDrop = row
        expectedDrop.withUnsafeMutableBufferPointer { WordDropout(probability: 0.5).apply(to: $0, rng: &dropRNG) }
        #expect(dropOnly == expectedDrop)
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
