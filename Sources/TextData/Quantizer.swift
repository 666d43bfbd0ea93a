import Tensor

/// Character quantisation as in Zhang, Zhao & LeCun (2015) and their reference code (crepe).
///
/// A sample is `length` columns. Column 0 holds the LAST character of the text, column 1 the one
/// before it, and so on: the text is read backwards, so a long text keeps its tail and a short
/// one ends in empty columns. A column holds the alphabet row of its character, or
/// `Quantizer.emptyColumn` when the character is outside the alphabet or the text is used up;
/// in one-hot form that is an all-zero column.
///
/// The alphabet lists `-` twice. The reference code builds its character → row table by walking
/// the alphabet and assigning, so the second `-` (row 59) overwrites the first: `-` maps to row
/// 59 and row 36 is never set, a row that is always zero. This is kept, so the one-hot matrix
/// has 69 rows (70 with the newline variant) like the paper's.
///
/// One column is one Unicode scalar. ASCII letters are always lowercased here (the reference
/// code lowercases every text), whether or not case folding is on; other characters are
/// expected to have been normalised already.
package struct Quantizer: Sendable {
    /// The column value for "no character in the alphabet": an all-zero one-hot column.
    package static let emptyColumn: UInt8 = 255

    package let settings: QuantizationSettings
    /// ASCII byte → alphabet row (or `emptyColumn`), with A-Z mapped like a-z.
    let asciiRows: [UInt8]

    package init(settings: QuantizationSettings = QuantizationSettings()) {
        self.settings = settings
        var rows = [UInt8](repeating: Quantizer.emptyColumn, count: 128)
        // Assignment in alphabet order: a later duplicate overwrites an earlier one, as in the reference.
        for (row, scalar) in settings.alphabet.characters.unicodeScalars.enumerated() {
            rows[Int(scalar.value)] = UInt8(row)
        }
        for upper in UInt8(ascii: "A")...UInt8(ascii: "Z") { rows[Int(upper)] = rows[Int(upper | 0x20)] }
        asciiRows = rows
    }

    package var alphabetSize: Int { settings.alphabet.size }
    package var length: Int { settings.length }

    /// The alphabet row of a character, or nil if it has none. Only ASCII characters have rows.
    package func row(of scalar: Unicode.Scalar) -> Int? {
        guard scalar.isASCII else { return nil }
        let row = asciiRows[Int(scalar.value)]
        return row == Quantizer.emptyColumn ? nil : Int(row)
    }

    /// The columns of already-normalised text (no ICU here: see `TextEncoder` for the full pipeline).
    package func quantize(_ text: String) -> [UInt8] {
        let units = Array(text.utf16)
        var columns = [UInt8](repeating: 0, count: length)
        units.withUnsafeBufferPointer { source in
            columns.withUnsafeMutableBufferPointer { quantize(utf16: source, into: $0) }
        }
        return columns
    }

    /// Fills `columns` (exactly `length` long) from ASCII bytes, last byte first.
    @inline(__always)
    func quantize(ascii text: UnsafeBufferPointer<UInt8>, into columns: UnsafeMutableBufferPointer<UInt8>) {
        let kept = min(text.count, length)
        asciiRows.withUnsafeBufferPointer { rows in
            let last = text.count - 1
            for column in 0..<kept { columns[column] = rows[Int(text[last - column] & 0x7F)] }
        }
        if kept < length { columns.baseAddress!.advanced(by: kept).update(repeating: Quantizer.emptyColumn, count: length - kept) }
    }

    /// Fills `columns` from UTF-16 text, last scalar first; a surrogate pair is one (empty) column.
    func quantize(utf16 text: UnsafeBufferPointer<UInt16>, into columns: UnsafeMutableBufferPointer<UInt8>) {
        var column = 0
        var position = text.count
        while position > 0 && column < length {
            position -= 1
            let unit = text[position]
            if unit < 0x80 {
                columns[column] = asciiRows[Int(unit)]
            } else {
                if UTF16.isTrailSurrogate(unit) && position > 0 && UTF16.isLeadSurrogate(text[position - 1]) {
                    position -= 1
                }
                columns[column] = Quantizer.emptyColumn
            }
            column += 1
        }
        while column < length {
            columns[column] = Quantizer.emptyColumn
            column += 1
        }
    }

    /// One-hot Float32 tensor [samples.count, alphabetSize, length] for a batch of column rows.
    /// For reference and tests: models gather on the indices instead.
    package func oneHot(_ samples: [[UInt8]]) -> Tensor {
        let tensor = Tensor(shape: [samples.count, alphabetSize, length])
        for (n, sample) in samples.enumerated() {
            precondition(sample.count == length, "Quantizer.oneHot: sample \(n) has \(sample.count) columns, expected \(length)")
            let base = n * alphabetSize * length
            for (column, row) in sample.enumerated() where row != Quantizer.emptyColumn {
                precondition(Int(row) < alphabetSize, "Quantizer.oneHot: row \(row) outside the alphabet")
                tensor[base + Int(row) * length + column] = 1
            }
        }
        return tensor
    }
}
