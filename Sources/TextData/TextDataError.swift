/// Everything that can go wrong while reading a corpus, a fold file or a cache.
/// Every error names the file (a path, or `archive:member`) and, for text inputs, the line.
package struct TextDataError: Error, CustomStringConvertible, Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case missingFile
        case unreadableFile(reason: String)
        /// A quoted CSV field that never closes; `line` is where the row starts.
        case unterminatedQuote
        /// A quote in the middle of an unquoted field, or text right after a closing quote.
        case malformedQuoting(detail: String)
        case wrongFieldCount(expected: Int, found: Int)
        case nonNumericLabel(String)
        case labelOutOfRange(Int, classCount: Int)
        case emptyText
        /// The line is not valid UTF-8 and the reader was told the input is UTF-8.
        case invalidUTF8(byteOffsetInLine: Int)
        /// A control byte no latin-1 or UTF-8 text has (a UTF-16 or binary file is full of them).
        case notText(byte: UInt8, byteOffsetInLine: Int)
        case icuFailure(operation: String, status: String)
        /// Shorter than its header says (truncated), or longer (trailing bytes).
        case wrongCacheSize(expectedBytes: Int, actualBytes: Int)
        case wrongMagic
        case unsupportedVersion(UInt32)
        case checksumMismatch(stored: UInt64, computed: UInt64)
        case settingsMismatch(setting: String, inFile: String, expected: String)
        case malformedFoldFile(detail: String)
        case foldsDoNotMatchSamples(detail: String)
    }

    package var file: String
    /// 1-based line for text inputs; nil for whole-file problems.
    package var line: Int?
    package var kind: Kind

    package init(file: String, line: Int? = nil, _ kind: Kind) {
        self.file = file
        self.line = line
        self.kind = kind
    }

    package var description: String {
        let place = line.map { "\(file), line \($0)" } ?? file
        return "\(place): \(message)"
    }

    package var message: String {
        switch kind {
        case .missingFile: "file not found"
        case .unreadableFile(let reason): "cannot read the file: \(reason)"
        case .unterminatedQuote: "malformed CSV row: a quoted field is never closed"
        case .malformedQuoting(let detail): "malformed CSV row: \(detail)"
        case .wrongFieldCount(let expected, let found): "malformed CSV row: expected \(expected) fields, found \(found)"
        case .nonNumericLabel(let text): "the class label \"\(text)\" is not a number"
        case .labelOutOfRange(let label, let classCount): "class label \(label) is outside 1...\(classCount)"
        case .emptyText: "empty text"
        case .invalidUTF8(let offset):
            "not valid UTF-8 at line \(line.map(String.init) ?? "?") (byte \(offset + 1) of the line)"
        case .notText(let byte, let offset):
            String(format: "not latin-1 or UTF-8 text: control byte 0x%02X (byte %d of the line)", byte, offset + 1)
        case .icuFailure(let operation, let status): "ICU \(operation) failed: \(status)"
        case .wrongCacheSize(let expected, let actual) where actual < expected:
            "truncated cache: expected \(expected) bytes, the file has \(actual)"
        case .wrongCacheSize(let expected, let actual):
            "damaged cache: expected \(expected) bytes, the file has \(actual) (trailing bytes)"
        case .wrongMagic: "not a ConvReLU text cache (wrong magic bytes)"
        case .unsupportedVersion(let version):
            "text cache format version \(version), this build reads version \(TextCache.version): delete the file and preprocess again"
        case .checksumMismatch(let stored, let computed):
            "cache checksum mismatch (header says \(hex(stored)), payload gives \(hex(computed))): the file is corrupt"
        case .settingsMismatch(let setting, let inFile, let expected):
            "cache was built with \(setting) = \(inFile), but \(expected) was asked for; preprocess again"
        case .malformedFoldFile(let detail): "malformed fold file: \(detail)"
        case .foldsDoNotMatchSamples(let detail): "the fold file does not match the corpus: \(detail)"
        }
    }
}

private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
}
