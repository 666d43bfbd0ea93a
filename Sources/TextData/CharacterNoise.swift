import Tensor

/// Seeded character noise for training rows of quantised text: each character of the text is
/// deleted with probability p/2 (the rest of the row moves up and an empty column fills the
/// end) or replaced by a random alphabet character with probability p/2. Columns after the last
/// character are padding and stay as they are. A model that sees each sentence with a few
/// typos cannot memorise exact character sequences as easily.
package struct CharacterNoise: Sendable, Equatable {
    /// Probability that a character is changed (deleted or replaced).
    package var probability: Double
    package var alphabetSize: Int

    package init(probability: Double, alphabetSize: Int) {
        precondition((0...1).contains(probability) && alphabetSize > 0 && alphabetSize < Int(Quantizer.emptyColumn))
        self.probability = probability
        self.alphabetSize = alphabetSize
    }

    /// Applies the noise to one row of columns in place.
    package func apply(to row: UnsafeMutableBufferPointer<UInt8>, rng: inout RNG) {
        guard probability > 0 else { return }
        var end = row.count
        while end > 0 && row[end - 1] == Quantizer.emptyColumn { end -= 1 }
        var read = 0, write = 0
        while read < end {
            let u = rng.uniform()
            if u < probability / 2 {
                read += 1
                continue
            }
            row[write] = u < probability ? UInt8(rng.int(below: alphabetSize)) : row[read]
            read += 1
            write += 1
        }
        for p in write..<end { row[p] = Quantizer.emptyColumn }
    }
}
