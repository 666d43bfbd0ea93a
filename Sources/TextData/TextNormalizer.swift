import CICUShim

/// NFKC, case folding and transliteration through ICU (via the `CICUShim` C target).
///
/// The transliterator is opened once per normaliser and reused. ICU transliterators must not be
/// used by two threads at once, so a normaliser belongs to one thread: the preprocessor gives
/// each worker its own.
package final class TextNormalizer {
    package let settings: NormalizationSettings
    private let transliterator: UnsafeMutableRawPointer?
    // Reused UTF-16 buffers: normalisation ping-pongs between them.
    private var front: [UInt16] = []
    private var back: [UInt16] = []

    package init(settings: NormalizationSettings = NormalizationSettings()) throws(TextDataError) {
        self.settings = settings
        if let id = settings.transliteration.icuID {
            let units = Array(id.utf16)
            var status: Int32 = 0
            let handle = units.withUnsafeBufferPointer {
                icushim_transliterator_open($0.baseAddress, Int32($0.count), &status)
            }
            guard let handle, status <= 0 else {
                throw TextDataError(file: "<ICU>", .icuFailure(operation: "opening transliterator \"\(id)\"",
                                                                status: errorName(status)))
            }
            transliterator = handle
        } else {
            transliterator = nil
        }
    }

    deinit { icushim_transliterator_close(transliterator) }

    /// The normalised text.
    package func normalize(_ text: String) throws(TextDataError) -> String {
        var units = Array(text.utf16)
        try normalize(&units)
        return String(decoding: units, as: UTF16.self)
    }

    /// Normalises UTF-16 text in place (the array is resized to the result).
    func normalize(_ units: inout [UInt16]) throws(TextDataError) {
        if settings.nfkc { try apply(&units, "NFKC normalisation") { icushim_nfkc($0, $1, $2, $3, $4) } }
        if settings.caseFolding { try apply(&units, "case folding") { icushim_fold_case($0, $1, $2, $3, $4) } }
        if let transliterator { try transliterate(&units, with: transliterator) }
    }

    /// Runs one source-to-destination ICU call, growing the destination when ICU asks for more room.
    private func apply(_ units: inout [UInt16], _ operation: String,
                       _ call: (UnsafePointer<UInt16>, Int32, UnsafeMutablePointer<UInt16>, Int32,
                                UnsafeMutablePointer<Int32>) -> Int32) throws(TextDataError) {
        // Room for typical growth (ligatures, ß → ss) so that the retry is rare.
        var capacity = units.count * 2 + 16
        while true {
            if back.count < capacity { back = [UInt16](repeating: 0, count: capacity) }
            var status: Int32 = 0
            let written = units.withUnsafeBufferPointer { source in
                back.withUnsafeMutableBufferPointer { destination in
                    // A zero-length Array may have no storage; ICU accepts any pointer with length 0.
                    call(source.baseAddress ?? UnsafePointer(destination.baseAddress!), Int32(source.count),
                         destination.baseAddress!, Int32(destination.count), &status)
                }
            }
            if status == Int32(ICUSHIM_BUFFER_OVERFLOW) { capacity = Int(written); continue }
            guard status <= 0 else {
                throw TextDataError(file: "<ICU>", .icuFailure(operation: operation, status: errorName(status)))
            }
            swap(&front, &back)
            front.removeSubrange(Int(written)...)
            swap(&units, &front)
            return
        }
    }

    private func transliterate(_ units: inout [UInt16], with transliterator: UnsafeMutableRawPointer) throws(TextDataError) {
        // ICU transliterates in place and may leave the buffer half-done on overflow,
        // so each attempt starts from an untouched copy of the input.
        var capacity = units.count * 2 + 16
        while true {
            front.removeAll(keepingCapacity: true)
            front.append(contentsOf: units)
            front.append(contentsOf: repeatElement(0, count: capacity - units.count))
            var length = Int32(units.count)
            var status: Int32 = 0
            front.withUnsafeMutableBufferPointer {
                icushim_transliterate(transliterator, $0.baseAddress!, &length, Int32($0.count), &status)
            }
            if status == Int32(ICUSHIM_BUFFER_OVERFLOW) { capacity = Int(length); continue }
            guard status <= 0 else {
                throw TextDataError(file: "<ICU>", .icuFailure(operation: "transliteration", status: errorName(status)))
            }
            front.removeSubrange(Int(length)...)
            swap(&units, &front)
            return
        }
    }
}

private func errorName(_ status: Int32) -> String {
    icushim_error_name(status).map { String(cString: $0) } ?? "ICU error \(status)"
}
