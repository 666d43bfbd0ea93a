#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Tensor

/// The binary cache of a quantised corpus, written by `TextPreprocessor`.
///
/// Layout (all integers little-endian):
///
///     0   8 bytes  magic "CRLTEXTQ"
///     8   UInt32   format version (2)
///     12  UInt32   header size in bytes (a multiple of 8; the payload starts there)
///     16  UInt64   sample count N
///     24  UInt64   checksum: XXH64 (seed 0) of everything from byte 32 to the end; the bytes
///                  before it (magic, version, sizes) are checked against the file size instead
///     32  UInt32   length l0
///     36  UInt32   class count
///     40  UInt8    alphabet, 41 join order, 42 encoding (0 auto, 1 utf8, 2 latin1),
///     43  UInt8    NFKC, 44 case folding, 45 transliteration, 46 fold count (0: no folds), 47 zero
///     48  UInt16   dataset name length, then the name in UTF-8, zero padding to the header size
///     payload: N × l0 column bytes (sample after sample), N labels, then N folds if any.
///
/// The columns come first so that they start 8-byte aligned. Opening maps the file read-only.
package final class TextCache: @unchecked Sendable {  // immutable after open
    package let path: String
    package let dataset: String
    package let settings: PreprocessingSettings
    package let classCount: Int
    package let count: Int
    /// 0 when the cache has no fold assignment.
    package let foldCount: Int
    private let mapping: UnsafeRawBufferPointer
    private let columnsStart: UnsafePointer<UInt8>
    private let labelBytes: UnsafePointer<UInt8>
    private let foldBytes: UnsafePointer<UInt8>?

    static let magic = Array("CRLTEXTQ".utf8)
    static let version: UInt32 = 2
    static let fixedHeaderSize = 50
    static let checksummedFrom = 32

    /// Opens and checks a cache. With `expecting`, every setting must match (and the dataset name
    /// when given), so a run never trains on a cache built with other settings.
    package init(path: String, expecting expected: PreprocessingSettings? = nil, dataset expectedDataset: String? = nil,
                verifyChecksum: Bool = true) throws {
        self.path = path
        let mapping = try mapFile(path)
        do {
            let header = try CacheHeader.decode(mapping, file: path)
            if verifyChecksum {
                let computed = cacheChecksum(mapping)
                guard computed == header.checksum else {
                    throw TextDataError(file: path, .checksumMismatch(stored: header.checksum, computed: computed))
                }
            }
            if let expected { try header.settings.check(against: expected, file: path) }
            if let expectedDataset, expectedDataset != header.dataset {
                throw TextDataError(file: path, .settingsMismatch(setting: "dataset", inFile: header.dataset,
                                                                  expected: expectedDataset))
            }
            self.mapping = mapping
            dataset = header.dataset
            settings = header.settings
            classCount = header.classCount
            count = header.sampleCount
            foldCount = header.foldCount
            let base = mapping.baseAddress!.assumingMemoryBound(to: UInt8.self)
            columnsStart = base + header.headerSize
            labelBytes = columnsStart + count * settings.quantization.length
            foldBytes = foldCount > 0 ? labelBytes + count : nil
        } catch {
            if let base = mapping.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), mapping.count) }
            throw error
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress!), mapping.count) }

    package var length: Int { settings.quantization.length }
    package var quantizer: Quantizer { Quantizer(settings: settings.quantization) }

    /// 0-based class of sample `index`.
    package func label(_ index: Int) -> Int {
        precondition(index >= 0 && index < count, "TextCache: sample \(index) outside 0..<\(count)")
        return Int(labelBytes[index])
    }

    package var labels: [Int] { (0..<count).map { Int(labelBytes[$0]) } }

    /// The fold of sample `index`, or nil if the cache has no folds.
    package func fold(_ index: Int) -> Int? {
        precondition(index >= 0 && index < count, "TextCache: sample \(index) outside 0..<\(count)")
        return foldBytes.map { Int($0[index]) }
    }

    /// Sample indices of fold `fold` (test) and of the other folds (train).
    package func split(testFold fold: Int) -> (train: [Int], test: [Int]) {
        precondition(foldBytes != nil, "TextCache: \(path) has no folds")
        precondition(fold >= 0 && fold < foldCount, "TextCache: fold \(fold) outside 0..<\(foldCount)")
        let folds = foldBytes!
        return ((0..<count).filter { folds[$0] != fold }, (0..<count).filter { folds[$0] == fold })
    }

    /// The columns of sample `index` (alphabet rows, `Quantizer.emptyColumn` for an all-zero column).
    package func columns(_ index: Int) -> [UInt8] {
        precondition(index >= 0 && index < count, "TextCache: sample \(index) outside 0..<\(count)")
        return Array(UnsafeBufferPointer(start: columnsStart + index * length, count: length))
    }

    /// Copies the columns of `samples` one after another into `output` (samples.count × length bytes).
    package func gather(_ samples: [Int], into output: UnsafeMutableBufferPointer<UInt8>) {
        precondition(output.count >= samples.count * length, "TextCache.gather: output too small")
        for (slot, index) in samples.enumerated() {
            precondition(index >= 0 && index < count, "TextCache: sample \(index) outside 0..<\(count)")
            (output.baseAddress! + slot * length).update(from: columnsStart + index * length, count: length)
        }
    }

    /// One-hot Float32 [samples.count, alphabetSize, length], for reference and tests.
    package func oneHot(_ samples: [Int]) -> Tensor { quantizer.oneHot(samples.map(columns)) }
}

/// The checksum of a whole cache file (see the layout above).
func cacheChecksum(_ file: UnsafeRawBufferPointer) -> UInt64 {
    XXH64.hash(UnsafeRawBufferPointer(rebasing: file[TextCache.checksummedFrom...]))
}

struct CacheHeader {
    var dataset: String
    var settings: PreprocessingSettings
    var classCount: Int
    var sampleCount: Int
    var foldCount: Int
    var checksum: UInt64 = 0

    var headerSize: Int { (TextCache.fixedHeaderSize + dataset.utf8.count + 7) / 8 * 8 }

    func payloadSize(length: Int) -> Int { sampleCount * length + sampleCount + (foldCount > 0 ? sampleCount : 0) }

    func encode() -> [UInt8] {
        var bytes = TextCache.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        let normalization = settings.normalization, quantization = settings.quantization
        put(TextCache.version)
        put(UInt32(headerSize))
        put(UInt64(sampleCount))
        put(checksum)
        put(UInt32(quantization.length))
        put(UInt32(classCount))
        bytes += [quantization.alphabet.rawValue, quantization.joinOrder.rawValue, settings.encoding.code,
                  normalization.nfkc ? 1 : 0, normalization.caseFolding ? 1 : 0, normalization.transliteration.rawValue,
                  UInt8(foldCount), 0]
        put(UInt16(dataset.utf8.count))
        bytes += dataset.utf8
        bytes += repeatElement(0, count: headerSize - bytes.count)
        return bytes
    }

    static func decode(_ file: UnsafeRawBufferPointer, file path: String) throws -> CacheHeader {
        func fail(_ kind: TextDataError.Kind) -> TextDataError { TextDataError(file: path, kind) }
        guard file.count >= TextCache.magic.count else {
            // A file cut inside the magic is truncated; anything else this short is not a cache.
            throw fail(TextCache.magic.starts(with: file) ? .wrongCacheSize(expectedBytes: TextCache.fixedHeaderSize,
                                                                           actualBytes: file.count) : .wrongMagic)
        }
        guard Array(file[0..<TextCache.magic.count]) == TextCache.magic else { throw fail(.wrongMagic) }
        guard file.count >= TextCache.fixedHeaderSize else {
            throw fail(.wrongCacheSize(expectedBytes: TextCache.fixedHeaderSize, actualBytes: file.count))
        }
        func get<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T { T(littleEndian: file.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        let version = get(8, UInt32.self)
        guard version == TextCache.version else { throw fail(.unsupportedVersion(version)) }
        let nameLength = Int(get(48, UInt16.self))
        guard file.count >= TextCache.fixedHeaderSize + nameLength else {
            throw fail(.wrongCacheSize(expectedBytes: TextCache.fixedHeaderSize + nameLength, actualBytes: file.count))
        }
        let dataset = String(decoding: file[TextCache.fixedHeaderSize..<(TextCache.fixedHeaderSize + nameLength)], as: UTF8.self)
        guard let alphabet = Alphabet(rawValue: file[40]), let joinOrder = JoinOrder(rawValue: file[41]),
              let encoding = TextEncoding(code: file[42]), let transliteration = Transliteration(rawValue: file[45]),
              file[43] <= 1, file[44] <= 1, get(32, UInt32.self) > 0 else {
            throw fail(.unreadableFile(reason: "the cache header holds unknown setting values"))
        }
        let settings = PreprocessingSettings(
            encoding: encoding,
            normalization: NormalizationSettings(nfkc: file[43] == 1, caseFolding: file[44] == 1, transliteration: transliteration),
            quantization: QuantizationSettings(alphabet: alphabet, length: Int(get(32, UInt32.self)), joinOrder: joinOrder))
        let header = CacheHeader(dataset: dataset, settings: settings, classCount: Int(get(36, UInt32.self)),
                                 sampleCount: Int(get(16, UInt64.self)), foldCount: Int(file[46]),
                                 checksum: get(24, UInt64.self))
        guard Int(get(12, UInt32.self)) == header.headerSize else {
            throw fail(.unreadableFile(reason: "the header size field does not match the dataset name"))
        }
        let expected = header.headerSize + header.payloadSize(length: settings.quantization.length)
        guard expected == file.count else { throw fail(.wrongCacheSize(expectedBytes: expected, actualBytes: file.count)) }
        return header
    }
}

extension TextEncoding {
    var code: UInt8 {
        switch self {
        case .auto: 0
        case .utf8: 1
        case .latin1: 2
        }
    }

    init?(code: UInt8) {
        guard let match = TextEncoding.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }
}

extension PreprocessingSettings {
    /// Throws `settingsMismatch` naming the first setting that differs.
    func check(against expected: PreprocessingSettings, file: String) throws {
        func compare<T: Equatable>(_ name: String, _ inFile: T, _ wanted: T) throws {
            guard inFile == wanted else {
                throw TextDataError(file: file, .settingsMismatch(setting: name, inFile: "\(inFile)", expected: "\(wanted)"))
            }
        }
        try compare("encoding", encoding, expected.encoding)
        try compare("NFKC", normalization.nfkc, expected.normalization.nfkc)
        try compare("case folding", normalization.caseFolding, expected.normalization.caseFolding)
        try compare("transliteration", normalization.transliteration, expected.normalization.transliteration)
        try compare("alphabet", quantization.alphabet, expected.quantization.alphabet)
        try compare("length", quantization.length, expected.quantization.length)
        try compare("join order", quantization.joinOrder, expected.quantization.joinOrder)
    }
}
