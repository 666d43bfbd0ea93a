/// Turns one record into its quantised columns: join and unescape the text fields, decode,
/// normalise, quantise.
///
/// Pure-ASCII records take a fast path that never leaves bytes: for ASCII input NFKC and
/// Latin-ASCII (or Any-Latin) transliteration are the identity and case folding is lowercasing,
/// which the quantiser always does. So the fast path gives exactly what the ICU path would
/// (a test checks every ASCII character against ICU).
///
/// An encoder keeps scratch buffers and an ICU transliterator, so it serves one thread at a time.
final class SampleEncoder: @unchecked Sendable {  // one worker at a time; see above
    let settings: PreprocessingSettings
    let quantizer: Quantizer
    private let normalizer: TextNormalizer?
    private var joined: [UInt8] = []
    private var units: [UInt16] = []

    init(settings: PreprocessingSettings) throws {
        self.settings = settings
        quantizer = Quantizer(settings: settings.quantization)
        normalizer = settings.normalization.isOff ? nil : try TextNormalizer(settings: settings.normalization)
    }

    /// Encodes a scanned record into `columns` (`settings.quantization.length` long).
    func encode(_ record: ScannedRecord, fields: [FieldSpan], bytes: UnsafeBufferPointer<UInt8>,
                backslashNIsNewline: Bool, fileName: String,
                into columns: UnsafeMutableBufferPointer<UInt8>) throws(TextDataError) {
        try checkIsText(UnsafeBufferPointer(rebasing: bytes[record.start..<record.end]), fileName: fileName, line: record.line)
        var isLatin1 = false
        if !record.isASCII {
            switch settings.encoding {
            case .latin1:
                isLatin1 = true
            case .utf8, .auto:
                // Field separators and escapes are ASCII, so the record is valid UTF-8 exactly when
                // its text is, and an offset in the record is an offset in the line.
                let recordBytes = UnsafeBufferPointer(rebasing: bytes[record.start..<record.end])
                if let offset = firstInvalidUTF8Offset(recordBytes) {
                    guard settings.encoding == .auto else {
                        throw TextDataError(file: fileName, line: record.line, .invalidUTF8(byteOffsetInLine: offset))
                    }
                    isLatin1 = true
                }
            }
        }
        let textFields = fields[record.firstTextField..<(record.firstTextField + record.textFieldCount)]
        let capacity = joinedCapacity(textFields)
        if joined.count < capacity { joined = [UInt8](repeating: 0, count: max(capacity, 2 * joined.count)) }
        try joined.withUnsafeMutableBufferPointer { (output) throws(TextDataError) in
            let length = joinTextFields(textFields, of: bytes, order: settings.quantization.joinOrder,
                                        backslashNIsNewline: backslashNIsNewline, into: output)
            let text = UnsafeBufferPointer(rebasing: output[..<length])
            do throws(TextDataError) {
                try encode(text: text, isASCII: record.isASCII, isLatin1: isLatin1, into: columns)
            } catch {
                throw TextDataError(file: fileName, line: record.line, error.kind)
            }
        }
    }

    /// Encodes joined, unescaped text; the text must be valid UTF-8 unless `isLatin1`.
    func encode(text: UnsafeBufferPointer<UInt8>, isASCII: Bool, isLatin1: Bool,
                into columns: UnsafeMutableBufferPointer<UInt8>) throws(TextDataError) {
        if isASCII {
            quantizer.quantize(ascii: text, into: columns)
            return
        }
        units.removeAll(keepingCapacity: true)
        if isLatin1 {
            units.append(contentsOf: text.lazy.map { UInt16($0) })
        } else {
            appendUTF16(ofValidUTF8: text, to: &units)
        }
        try normalizer?.normalize(&units)
        units.withUnsafeBufferPointer { quantizer.quantize(utf16: $0, into: columns) }
    }
}

/// The full pipeline for text held in Strings (tests, inspection, single samples at run time).
/// It runs the same code as the preprocessor, so it gives the same columns as the cache.
package final class TextEncoder {
    package let settings: PreprocessingSettings
    private let encoder: SampleEncoder

    package init(settings: PreprocessingSettings = PreprocessingSettings()) throws {
        self.settings = settings
        encoder = try SampleEncoder(settings: settings)
    }

    /// Columns of the text fields (in file order), joined as the settings say.
    package func encode(fields: [String]) throws -> [UInt8] {
        let ordered = settings.quantization.joinOrder == .lastFieldFirst ? Array(fields.reversed()) : fields
        let text = Array(ordered.joined(separator: " ").utf8)
        var columns = [UInt8](repeating: 0, count: settings.quantization.length)
        try text.withUnsafeBufferPointer { source in
            try columns.withUnsafeMutableBufferPointer { output in
                try encoder.encode(text: source, isASCII: !source.contains { $0 >= 0x80 }, isLatin1: false, into: output)
            }
        }
        return columns
    }

    package func encode(_ sample: LabeledText) throws -> [UInt8] { try encode(fields: sample.fields) }
}

/// Rejects a record holding NUL or a C0 control byte other than tab, line feed and carriage
/// return: no latin-1 or UTF-8 text has them, while UTF-16 and binary files are full of them.
func checkIsText(_ bytes: UnsafeBufferPointer<UInt8>, fileName: String, line: Int) throws(TextDataError) {
    for (offset, byte) in bytes.enumerated() where byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D {
        throw TextDataError(file: fileName, line: line, .notText(byte: byte, byteOffsetInLine: offset))
    }
}

/// Offset of the first byte that does not start a well-formed UTF-8 sequence, or nil if all is valid.
/// Rejects overlong forms, surrogates and code points above U+10FFFF, as the Unicode standard requires.
func firstInvalidUTF8Offset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    var position = 0
    while position < bytes.count {
        let lead = bytes[position]
        if lead < 0x80 { position += 1; continue }
        let continuationCount: Int
        var lowestSecond: UInt8 = 0x80, highestSecond: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: continuationCount = 1
        case 0xE0: continuationCount = 2; lowestSecond = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: continuationCount = 2
        case 0xED: continuationCount = 2; highestSecond = 0x9F
        case 0xF0: continuationCount = 3; lowestSecond = 0x90
        case 0xF1...0xF3: continuationCount = 3
        case 0xF4: continuationCount = 3; highestSecond = 0x8F
        default: return position
        }
        guard position + continuationCount < bytes.count else { return position }
        let second = bytes[position + 1]
        guard second >= lowestSecond && second <= highestSecond else { return position }
        for k in stride(from: 2, through: continuationCount, by: 1) where bytes[position + k] & 0xC0 != 0x80 {
            return position
        }
        position += continuationCount + 1
    }
    return nil
}

/// Appends the UTF-16 form of text already checked by `firstInvalidUTF8Offset`.
func appendUTF16(ofValidUTF8 bytes: UnsafeBufferPointer<UInt8>, to units: inout [UInt16]) {
    var position = 0
    while position < bytes.count {
        let lead = UInt32(bytes[position])
        var scalar: UInt32
        switch lead {
        case ..<0x80:
            scalar = lead
            position += 1
        case ..<0xE0:
            scalar = (lead & 0x1F) << 6 | UInt32(bytes[position + 1] & 0x3F)
            position += 2
        case ..<0xF0:
            scalar = (lead & 0x0F) << 12 | UInt32(bytes[position + 1] & 0x3F) << 6 | UInt32(bytes[position + 2] & 0x3F)
            position += 3
        default:
            scalar = (lead & 0x07) << 18 | UInt32(bytes[position + 1] & 0x3F) << 12
                | UInt32(bytes[position + 2] & 0x3F) << 6 | UInt32(bytes[position + 3] & 0x3F)
            position += 4
        }
        if scalar < 0x1_0000 {
            units.append(UInt16(scalar))
        } else {
            scalar -= 0x1_0000
            units.append(UInt16(0xD800 | (scalar >> 10)))
            units.append(UInt16(0xDC00 | (scalar & 0x3FF)))
        }
    }
}
