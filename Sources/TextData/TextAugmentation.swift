import Tensor

/// What a training row of quantised text goes through before the model sees it: word dropout
/// on the clean text, then character noise (so a typo never decides where a word ends). Each
/// has its own random stream of the batch's augmentation seed, so turning one on leaves the
/// other's draws as they were.
package struct TextAugmentation: Sendable, Equatable {
    package var characterNoise: CharacterNoise?
    package var wordDropout: WordDropout?

    /// nil when both probabilities are 0: nothing to do.
    package init?(characterNoise: Double, wordDropout: Double, alphabetSize: Int) {
        guard characterNoise > 0 || wordDropout > 0 else { return nil }
        self.characterNoise = characterNoise > 0 ? CharacterNoise(probability: characterNoise, alphabetSize: alphabetSize) : nil
        self.wordDropout = wordDropout > 0 ? WordDropout(probability: wordDropout) : nil
    }

    /// Augments `rows` rows of `length` columns each, laid out one after another in `columns`.
    package func apply(to columns: UnsafeMutableBufferPointer<UInt8>, rows: Int, length: Int, seed: UInt64) {
        func row(_ r: Int) -> UnsafeMutableBufferPointer<UInt8> {
            UnsafeMutableBufferPointer(rebasing: columns[(r * length)..<((r + 1) * length)])
        }
        if let wordDropout {
            var rng = RNG(seed: seed, stream: "word-dropout")
            for r in 0..<rows { wordDropout.apply(to: row(r), rng: &rng) }
        }
        if let characterNoise {
            var rng = RNG(seed: seed, stream: "char-noise")
            for r in 0..<rows { characterNoise.apply(to: row(r), rng: &rng) }
        }
    }
}
