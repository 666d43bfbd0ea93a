import Testing
@testable import TextData

@Suite struct QuantizerTests {
    @Test func alphabetMatchesTheReferenceCode() {
        #expect(Alphabet.zhang69.size == 69)
        #expect(Alphabet.zhang70Newline.size == 70)
        let characters = Array(Alphabet.zhang69.characters)
        #expect(characters[36] == "-" && characters[59] == "-")
        #expect(characters.filter { $0 == "-" }.count == 2)
        #expect(characters[57] == "`" && characters[68] == "}")
    }

    @Test func duplicateDashMapsToItsSecondPositionAndRow36StaysEmpty() {
        let quantizer = Quantizer()
        #expect(quantizer.row(of: "-") == 59)
        #expect(quantizer.row(of: ",") == 37)
        // No character at all reaches row 36.
        for value in 0..<128 { #expect(quantizer.row(of: Unicode.Scalar(UInt8(value))) != 36) }
        let everything = quantizer.quantize(Alphabet.zhang69.characters)
        let tensor = quantizer.oneHot([everything])
        let rowSums = (0..<69).map { row in (0..<1014).reduce(Float(0)) { $0 + tensor[row * 1014 + $1] } }
        #expect(rowSums[36] == 0)
        #expect(rowSums[59] == 2)  // both dashes
        #expect(rowSums.enumerated().allSatisfy { $0.offset == 36 || $0.offset == 59 || $0.element == 1 })
    }

    @Test func textIsReadBackwardsWithEmptyColumnsAfterItsStart() {
        let quantizer = Quantizer(settings: QuantizationSettings(length: 6))
        #expect(quantizer.quantize("ab c") == [row("c"), empty, row("b"), row("a"), empty, empty])
        #expect(quantizer.quantize("") == [UInt8](repeating: empty, count: 6))
    }

    @Test func truncationKeepsTheTail() {
        let quantizer = Quantizer(settings: QuantizationSettings(length: 4))
        #expect(quantizer.quantize("abcdefgh") == [row("h"), row("g"), row("f"), row("e")])
    }

    @Test func asciiLettersAreAlwaysLowercased() {
        let quantizer = Quantizer(settings: QuantizationSettings(length: 3))
        #expect(quantizer.quantize("AbZ") == quantizer.quantize("abz"))
    }

    @Test func charactersOutsideTheAlphabetAreEmptyColumns() {
        let quantizer = Quantizer(settings: QuantizationSettings(length: 5))
        // Space, tab, "é" and an emoji (a surrogate pair: still one column).
        #expect(quantizer.quantize("a \té😀") == [empty, empty, empty, empty, row("a")])
    }

    @Test func newlineHasARowOnlyInThe70CharacterAlphabet() {
        let q69 = Quantizer(settings: QuantizationSettings(alphabet: .zhang69, length: 3))
        let q70 = Quantizer(settings: QuantizationSettings(alphabet: .zhang70Newline, length: 3))
        #expect(q69.quantize("a\nb") == [row("b"), empty, row("a")])
        #expect(q70.quantize("a\nb") == [row("b"), 69, row("a")])
        #expect(q70.oneHot([q70.quantize("a")]).shape == [1, 70, 3])
        #expect(q70.row(of: "-") == 59)
    }

    @Test func oneHotHasOneOnePerFilledColumn() {
        let quantizer = Quantizer(settings: QuantizationSettings(length: 4))
        let tensor = quantizer.oneHot([quantizer.quantize("ab"), quantizer.quantize("-é")])
        #expect(tensor.shape == [2, 69, 4])
        #expect(tensor.array.reduce(0, +) == 3)
        #expect(tensor[0 * 69 * 4 + 1 * 4 + 0] == 1)  // sample 0, row "b", column 0
        #expect(tensor[0 * 69 * 4 + 0 * 4 + 1] == 1)  // sample 0, row "a", column 1
        #expect(tensor[1 * 69 * 4 + 59 * 4 + 1] == 1)  // sample 1, row of "-", column 1 ("é" is column 0, empty)
    }
}

@Suite struct NormalizationTests {
    @Test func latinLettersLoseTheirAccents() throws {
        let encoder = try TextEncoder(settings: PreprocessingSettings(quantization: QuantizationSettings(length: 4)))
        #expect(try encoder.encode(fields: ["Café"]) == [row("e"), row("f"), row("a"), row("c")])
        #expect(try TextNormalizer().normalize("Crème Brûlée Æ") == "creme brulee ae")
    }

    @Test func withoutTransliterationAnAccentedLetterIsOneEmptyColumn() throws {
        let settings = PreprocessingSettings(normalization: NormalizationSettings(transliteration: .none),
                                             quantization: QuantizationSettings(length: 3))
        // "e" + combining acute: NFKC composes it into one character, "é".
        #expect(try TextEncoder(settings: settings).encode(fields: ["Ce\u{301}"]) == [empty, row("c"), empty])
        #expect(try TextEncoder(settings: settings).encode(fields: ["é"]) == [empty, empty, empty])
    }

    @Test func compatibilityCharactersBecomeTheirPlainForms() throws {
        let encoder = try TextEncoder(settings: PreprocessingSettings(quantization: QuantizationSettings(length: 6)))
        // The "ﬁ" ligature is two columns after NFKC; full-width letters are ASCII.
        #expect(try encoder.encode(fields: ["ﬁＡＢ"]) == [row("b"), row("a"), row("i"), row("f"), empty, empty])
        #expect(try encoder.encode(fields: ["①"]) == [row("1"), empty, empty, empty, empty, empty])
    }

    @Test func caseFoldingHandlesMoreThanASCII() throws {
        #expect(try TextNormalizer(settings: NormalizationSettings(transliteration: .none)).normalize("Straße ΣΊΣΥΦΟΣ")
                == "strasse σίσυφοσ")
    }

    @Test func anyLatinRomanisesOtherScripts() throws {
        let normalizer = try TextNormalizer(settings: NormalizationSettings(transliteration: .anyToLatinToASCII))
        #expect(try normalizer.normalize("Привет café") == "privet cafe")
        #expect(try TextNormalizer().normalize("Привет") == "привет")  // Latin-ASCII leaves Cyrillic alone
    }

    @Test func growthBeyondTheFirstBufferIsHandled() throws {
        // Both outgrow the first buffer guess (twice the input): U+FDFA is 18 characters after
        // NFKC, and Latin-ASCII writes "…" as three dots.
        let nfkcOnly = NormalizationSettings(caseFolding: false, transliteration: .none)
        let expanded = try TextNormalizer(settings: nfkcOnly).normalize(String(repeating: "\u{FDFA}", count: 50))
        #expect(expanded.unicodeScalars.count == 50 * 18)
        let transliterationOnly = NormalizationSettings(nfkc: false, caseFolding: false, transliteration: .latinToASCII)
        #expect(try TextNormalizer(settings: transliterationOnly).normalize(String(repeating: "…", count: 200))
                == String(repeating: "...", count: 200))
    }

    /// The ASCII fast path must give what ICU gives: check every ASCII character, with every
    /// transliteration, against the ICU path forced on.
    @Test(arguments: Transliteration.allCases)
    func asciiFastPathEqualsTheICUPath(transliteration: Transliteration) throws {
        let settings = PreprocessingSettings(normalization: NormalizationSettings(transliteration: transliteration),
                                             quantization: QuantizationSettings(alphabet: .zhang70Newline, length: 140))
        let encoder = try SampleEncoder(settings: settings)
        let text = (0..<128).map(UInt8.init)
        var fast = [UInt8](repeating: 0, count: 140), slow = fast
        try text.withUnsafeBufferPointer { input in
            try fast.withUnsafeMutableBufferPointer {
                try encoder.encode(text: input, isASCII: true, isLatin1: false, into: $0)
            }
            try slow.withUnsafeMutableBufferPointer {
                try encoder.encode(text: input, isASCII: false, isLatin1: false, into: $0)
            }
        }
        #expect(fast == slow)
        let ascii = String(decoding: text, as: UTF8.self)
        #expect(try TextNormalizer(settings: NormalizationSettings(transliteration: transliteration)).normalize(ascii)
                == ascii.lowercased())
    }

    @Test func fieldsAreJoinedLastFirstByDefault() throws {
        let short = QuantizationSettings(length: 5)
        let lastFirst = try TextEncoder(settings: PreprocessingSettings(quantization: short))
        #expect(try lastFirst.encode(fields: ["ab", "cd"]) == [row("b"), row("a"), empty, row("d"), row("c")])
        var firstFirst = short
        firstFirst.joinOrder = .firstFieldFirst
        #expect(try TextEncoder(settings: PreprocessingSettings(quantization: firstFirst)).encode(fields: ["ab", "cd"])
                == [row("d"), row("c"), empty, row("b"), row("a")])
    }
}
