/// How input bytes become characters.
package enum TextEncoding: String, Sendable, CaseIterable {
    /// UTF-8 where a line is valid UTF-8, latin-1 (ISO-8859-1) for a line that is not.
    /// The choice is made per line, so one stray latin-1 line does not change how the rest is read.
    case auto
    /// Strict UTF-8: an invalid line is an error naming the file and line.
    case utf8
    /// ISO-8859-1: every byte is the code point of the same value (MR's encoding).
    case latin1
}

/// The character alphabets of Zhang, Zhao & LeCun (2015).
package enum Alphabet: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The paper's 69 characters. `-` is listed twice; see `Quantizer` for what that means.
    case zhang69 = 0
    /// The same followed by the newline character, 70 rows (the paper's variant with `\n`).
    case zhang70Newline = 1

    /// The alphabet string exactly as the reference code lists it, duplicate `-` included.
    package var characters: String {
        let base = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{}"
        switch self {
        case .zhang69: return base
        case .zhang70Newline: return base + "\n"
        }
    }

    /// Rows of the one-hot matrix: one per listed character, the unused duplicate included.
    package var size: Int { characters.unicodeScalars.count }

    package var description: String { self == .zhang69 ? "zhang69" : "zhang70-newline" }
}

/// Which text field comes first when a row has several (AG: title, description).
package enum JoinOrder: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Zhang's order: the last field first, "description title" for AG.
    case lastFieldFirst = 0
    case firstFieldFirst = 1

    package var description: String { self == .lastFieldFirst ? "last-field-first" : "first-field-first" }
}

/// Which ICU transliteration runs after NFKC and case folding.
package enum Transliteration: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    /// ICU "Latin-ASCII": "é" → "e", "æ" → "ae"; other scripts are left alone.
    case latinToASCII = 1
    /// ICU "Any-Latin; Latin-ASCII": also romanises Greek, Cyrillic, CJK, ... (slower to open and run).
    case anyToLatinToASCII = 2

    /// The ICU transliterator id.
    var icuID: String? {
        switch self {
        case .none: nil
        case .latinToASCII: "Latin-ASCII"
        case .anyToLatinToASCII: "Any-Latin; Latin-ASCII"
        }
    }

    package var description: String { icuID ?? "none" }
}

/// Unicode normalisation applied before quantisation, in this order: NFKC, case folding,
/// transliteration. ASCII text is not affected by any of them (apart from case folding, which
/// the quantiser does for ASCII anyway), which is why ASCII lines skip ICU entirely.
package struct NormalizationSettings: Sendable, Equatable {
    package var nfkc: Bool
    package var caseFolding: Bool
    package var transliteration: Transliteration

    package init(nfkc: Bool = true, caseFolding: Bool = true, transliteration: Transliteration = .latinToASCII) {
        self.nfkc = nfkc
        self.caseFolding = caseFolding
        self.transliteration = transliteration
    }

    /// No ICU at all; the quantiser still lowercases ASCII letters.
    package static let off = NormalizationSettings(nfkc: false, caseFolding: false, transliteration: .none)

    var isOff: Bool { !nfkc && !caseFolding && transliteration == .none }
}

/// The shape of a quantised sample.
package struct QuantizationSettings: Sendable, Equatable {
    package var alphabet: Alphabet
    /// l0: characters kept per sample (the tail of the text); 1014 in the paper.
    package var length: Int
    package var joinOrder: JoinOrder

    package init(alphabet: Alphabet = .zhang69, length: Int = 1014, joinOrder: JoinOrder = .lastFieldFirst) {
        precondition(length > 0, "QuantizationSettings: length must be positive")
        self.alphabet = alphabet
        self.length = length
        self.joinOrder = joinOrder
    }
}

/// Everything that decides the bytes of a quantised sample; a cache records all of it.
package struct PreprocessingSettings: Sendable, Equatable {
    package var encoding: TextEncoding
    package var normalization: NormalizationSettings
    package var quantization: QuantizationSettings

    package init(encoding: TextEncoding = .auto, normalization: NormalizationSettings = NormalizationSettings(),
                quantization: QuantizationSettings = QuantizationSettings()) {
        self.encoding = encoding
        self.normalization = normalization
        self.quantization = quantization
    }
}
