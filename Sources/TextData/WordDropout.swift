import Tensor

/// Seeded word dropout for training rows of quantised text: each word (a run of characters
/// between empty columns; the space is outside Zhang's alphabet, so words are separated by
/// empty columns) is deleted with probability p, together with the empty column after it, and
/// the rest of the row moves up. Columns after the last character are padding and stay as they
/// are. Where character noise teaches a model to read through typos, this teaches it not to rest
/// its decision on any one word; a row never loses all its words.
package struct WordDropout: Sendable, Equatable {
    /// Probability that a word is deleted.
    package var probability: Double

    package init(probability: Double) {
        precondition((0...1).contains(probability))
        self.probability = probability
    }

    /// Applies the dropout to one row of columns in place.
    package func apply(to row: UnsafeMutableBufferPointer<UInt8>, rng: inout RNG) {
        guard probability > 0 else { return }
        let empty = Quantizer.emptyColumn
        var end = row.count
        while end > 0 && row[end - 1] == empty { end -= 1 }
        // One draw per word, made before anything moves, so the draws do not depend on the deletions.
        var words: [(start: Int, end: Int)] = []
        var position = 0
        while position < end {
            while position < end && row[position] == empty { position += 1 }
            let start = position
            while position < end && row[position] != empty { position += 1 }
            if position > start { words.append((start, position)) }
        }
        let dropped = words.map { _ in rng.uniform() < probability }
        guard dropped.contains(false) else { return }
        var write = 0, read = 0
        for (word, drop) in zip(words, dropped) {
            if drop {
                // Skip the word and the separators after it.
                read = word.end
                while read < end && row[read] == empty { read += 1 }
                continue
            }
            while read < word.end { row[write] = row[read]; write += 1; read += 1 }
            while read < end && row[read] == empty { row[write] = row[read]; write += 1; read += 1 }
        }
        for p in write..<end { row[p] = empty }
    }
}
