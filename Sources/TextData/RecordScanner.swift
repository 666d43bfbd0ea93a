/// Byte-level record scanning shared by the readers and the preprocessor.
///
/// Scanning only finds records and their fields (byte ranges into the file), checks the
/// structure and the label, and notes whether a record is pure ASCII. Unescaping, decoding,
/// normalisation and quantisation happen later, per record, so they can run in parallel.

private let quote = UInt8(ascii: "\"")
private let comma = UInt8(ascii: ",")
private let newline = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")
private let backslash = UInt8(ascii: "\\")
private let space = UInt8(ascii: " ")

/// A field's bytes as they appear in the file, without its surrounding quotes.
struct FieldSpan {
    var start: Int
    var end: Int
    /// Inside a quoted field a doubled quote stands for one quote.
    var quoted: Bool
}

struct ScannedRecord {
    /// 1-based line where the record starts.
    var line: Int
    /// The record's bytes (line terminator excluded); offsets in errors count from `start`.
    var start: Int
    var end: Int
    /// 0-based class.
    var label: Int
    /// The text fields are `fields[firstTextField ..< firstTextField + textFieldCount]`, in file order.
    var firstTextField: Int
    var textFieldCount: Int
    var isASCII: Bool
}

/// A run of consecutive records. A structural error stops the batch: it is kept in
/// `pendingError` and raised after the records before it, so errors come out in line order.
struct RecordBatch {
    var fields: [FieldSpan] = []
    var records: [ScannedRecord] = []
    var pendingError: TextDataError?
    /// Zhang's CSV writes a newline inside text as backslash + `n`.
    var backslashNIsNewline = false

    mutating func removeAll() {
        fields.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
        pendingError = nil
    }
}

/// The structure of a Zhang et al. CSV: a 1-based class, then `textFieldCount` text fields.
package struct CSVFormat: Sendable, Equatable {
    package var classCount: Int
    package var textFieldCount: Int

    package init(classCount: Int, textFieldCount: Int) {
        precondition(classCount > 0 && classCount < 255 && textFieldCount > 0, "CSVFormat: bad class or field count")
        self.classCount = classCount
        self.textFieldCount = textFieldCount
    }
}

/// What a scanner reads: Zhang-style CSV, or one text per line with one label for the whole file (MR).
enum RecordLayout {
    case csv(CSVFormat)
    case linePerText(label: Int)
}

struct RecordScanner {
    let fileName: String
    let layout: RecordLayout
    private(set) var position = 0
    private var line = 1

    init(fileName: String, layout: RecordLayout) {
        self.fileName = fileName
        self.layout = layout
    }

    /// Scans whole records until at least `byteBudget` bytes have been consumed or the input ends.
    /// Returns false once the input is used up and nothing was added.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, byteBudget: Int, into batch: inout RecordBatch) -> Bool {
        batch.removeAll()
        let stop = position + byteBudget
        while position < bytes.count && position < stop {
            do {
                switch layout {
                case .csv(let format): try scanCSVRecord(bytes, format: format, into: &batch)
                case .linePerText(let label): try scanLine(bytes, label: label, into: &batch)
                }
            } catch {
                batch.pendingError = error
                position = bytes.count
            }
        }
        if case .csv = layout { batch.backslashNIsNewline = true }
        return !batch.records.isEmpty || batch.pendingError != nil
    }

    private mutating func scanLine(_ bytes: UnsafeBufferPointer<UInt8>, label: Int, into batch: inout RecordBatch) throws(TextDataError) {
        let start = position
        var nonASCII: UInt8 = 0
        while position < bytes.count && bytes[position] != newline {
            nonASCII |= bytes[position]
            position += 1
        }
        var end = position
        if end > start && bytes[end - 1] == carriageReturn { end -= 1 }
        if position < bytes.count { position += 1 }
        let recordLine = line
        line += 1
        guard end > start else { throw TextDataError(file: fileName, line: recordLine, .emptyText) }
        batch.records.append(ScannedRecord(line: recordLine, start: start, end: end, label: label,
                                           firstTextField: batch.fields.count, textFieldCount: 1,
                                           isASCII: nonASCII < 0x80))
        batch.fields.append(FieldSpan(start: start, end: end, quoted: false))
    }

    private mutating func scanCSVRecord(_ bytes: UnsafeBufferPointer<UInt8>, format: CSVFormat,
                                        into batch: inout RecordBatch) throws(TextDataError) {
        let recordStart = position
        let recordLine = line
        let firstField = batch.fields.count
        var nonASCII: UInt8 = 0
        func fail(_ kind: TextDataError.Kind) -> TextDataError { TextDataError(file: fileName, line: recordLine, kind) }

        var recordEnd = bytes.count
        fields: while true {
            if position < bytes.count && bytes[position] == quote {
                position += 1
                let fieldStart = position
                while true {
                    guard position < bytes.count else { throw fail(.unterminatedQuote) }
                    let byte = bytes[position]
                    if byte == quote {
                        if position + 1 < bytes.count && bytes[position + 1] == quote { position += 2; continue }
                        break
                    }
                    if byte == newline { line += 1 }
                    nonASCII |= byte
                    position += 1
                }
                batch.fields.append(FieldSpan(start: fieldStart, end: position, quoted: true))
                position += 1
            } else {
                let fieldStart = position
                while position < bytes.count {
                    let byte = bytes[position]
                    if byte == comma || byte == newline { break }
                    if byte == quote {
                        throw fail(.malformedQuoting(detail: "a quote inside an unquoted field (byte \(position - recordStart + 1))"))
                    }
                    nonASCII |= byte
                    position += 1
                }
                var end = position
                if end > fieldStart && bytes[end - 1] == carriageReturn { end -= 1 }
                batch.fields.append(FieldSpan(start: fieldStart, end: end, quoted: false))
            }
            guard position < bytes.count else { break fields }
            switch bytes[position] {
            case comma:
                position += 1
            case newline:
                recordEnd = position
                position += 1
                break fields
            case carriageReturn where position + 1 < bytes.count && bytes[position + 1] == newline:
                recordEnd = position
                position += 2
                break fields
            default:
                throw fail(.malformedQuoting(detail: "text after a closing quote (byte \(position - recordStart + 1))"))
            }
        }
        line += 1

        let fieldCount = batch.fields.count - firstField
        guard fieldCount == 1 + format.textFieldCount else {
            throw fail(.wrongFieldCount(expected: 1 + format.textFieldCount, found: fieldCount))
        }
        let label = try parseLabel(batch.fields[firstField], bytes, classCount: format.classCount, fail: fail)
        let textFields = batch.fields[(firstField + 1)...]
        guard textFields.contains(where: { $0.end > $0.start }) else { throw fail(.emptyText) }
        batch.records.append(ScannedRecord(line: recordLine, start: recordStart, end: recordEnd, label: label,
                                           firstTextField: firstField + 1, textFieldCount: format.textFieldCount,
                                           isASCII: nonASCII < 0x80))
    }

    /// A 1-based decimal class number → 0-based class.
    private func parseLabel(_ field: FieldSpan, _ bytes: UnsafeBufferPointer<UInt8>, classCount: Int,
                            fail: (TextDataError.Kind) -> TextDataError) throws(TextDataError) -> Int {
        let digits = UnsafeBufferPointer(rebasing: bytes[field.start..<field.end])
        guard !digits.isEmpty else { throw fail(.nonNumericLabel("")) }
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
                throw fail(.nonNumericLabel(String(decoding: digits, as: UTF8.self)))
            }
            // Clamped so an absurdly long number cannot overflow; it is out of range either way.
            value = min(value * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000_000)
        }
        guard value >= 1 && value <= classCount else { throw fail(.labelOutOfRange(value, classCount: classCount)) }
        return value - 1
    }
}

/// Copies the text fields of a record, joined by one space in `order`, undoing the CSV escapes
/// (a doubled quote in a quoted field; backslash + `n` when `backslashNIsNewline`). Any other
/// backslash is kept: AG has stray ones such as `second\team`.
/// `output` must hold at least the sum of the field lengths plus the separators; returns the length written.
func joinTextFields(_ fields: ArraySlice<FieldSpan>, of bytes: UnsafeBufferPointer<UInt8>, order: JoinOrder,
                    backslashNIsNewline: Bool, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
    var written = 0
    var first = true
    func copy(_ field: FieldSpan) {
        if !first { output[written] = space; written += 1 }
        first = false
        var position = field.start
        while position < field.end {
            let byte = bytes[position]
            output[written] = byte
            written += 1
            if byte == quote && field.quoted {
                position += 2
            } else if byte == backslash && backslashNIsNewline && position + 1 < field.end
                        && bytes[position + 1] == UInt8(ascii: "n") {
                output[written - 1] = newline
                position += 2
            } else {
                position += 1
            }
        }
    }
    switch order {
    case .lastFieldFirst: for field in fields.reversed() { copy(field) }
    case .firstFieldFirst: for field in fields { copy(field) }
    }
    return written
}

/// Bytes a joined record needs at most.
func joinedCapacity(_ fields: ArraySlice<FieldSpan>) -> Int {
    fields.reduce(0) { $0 + $1.end - $1.start + 1 }
}
