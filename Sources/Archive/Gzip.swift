import CZlib

/// The first two bytes of every gzip member.
let gzipMagic: [UInt8] = [0x1f, 0x8b]

/// Streaming decompressor for gzip and zlib data (the format is detected from the header).
///
/// Like `gzip -d`, it accepts several gzip members one after the other and yields their
/// concatenated contents, and it ignores zero bytes after the last member (tape padding).
/// Anything else after a member is reported as corrupt data rather than silently dropped.
package final class Inflater {
    private enum Phase {
        /// Inside a member (or waiting for the first one): bytes go to zlib.
        case inMember
        /// A member has just ended: the next byte starts another member or the zero padding.
        case betweenMembers
        /// Zero padding after the last member: only zero bytes may follow.
        case trailingZeros
    }

    // zlib keeps a pointer back to its z_stream and checks it on every call, so the stream
    // lives at a fixed heap address rather than inside this object.
    private let stream: UnsafeMutablePointer<z_stream>
    private var phase = Phase.inMember
    private var completedMembers = 0
    /// The file the data comes from; only used in error messages.
    package let sourceName: String

    package init(sourceName: String) {
        self.sourceName = sourceName
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 32: largest window, and detect a gzip or zlib header automatically.
        let code = czlib_inflate_init2(stream, 15 + 32)
        precondition(code == Z_OK, "inflateInit2 failed with code \(code) (out of memory)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// True when the data seen so far is one or more complete members, so that the end of the
    /// input here is a proper end of the compressed file.
    var isAtEndOfStream: Bool { completedMembers > 0 && phase != .inMember }

    /// Decompresses as much of `input` into `output` as fits.
    ///
    /// Returns how many input bytes were used and how many output bytes were written. Call
    /// again with the unused input (and more) while output space is left; zlib may hold back
    /// output even when all input is used, so call with empty input at end of file until
    /// nothing more comes, then check `isAtEndOfStream`.
    func inflate(from input: UnsafeRawBufferPointer,
                        into output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, produced: Int) {
        var consumed = 0
        var produced = 0
        while produced < output.count {
            switch phase {
            case .inMember:
                let inputLeft = min(input.count - consumed, Int(UInt32.max))
                let outputLeft = min(output.count - produced, Int(UInt32.max))
                // zlib never writes through next_in; the mutable pointer type is an artefact of its C API.
                stream.pointee.next_in = inputLeft > 0
                    ? UnsafeMutablePointer(mutating: (input.baseAddress! + consumed).assumingMemoryBound(to: Bytef.self))
                    : nil
                stream.pointee.avail_in = uInt(inputLeft)
                stream.pointee.next_out = (output.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(outputLeft)
                let code = CZlib.inflate(stream, Z_NO_FLUSH)
                consumed += inputLeft - Int(stream.pointee.avail_in)
                produced += outputLeft - Int(stream.pointee.avail_out)
                stream.pointee.next_in = nil
                stream.pointee.next_out = nil
                switch code {
                case Z_STREAM_END:
                    completedMembers += 1
                    phase = .betweenMembers
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: the input is used up.
                    return (consumed, produced)
                case Z_NEED_DICT:
                    throw ArchiveError.corruptCompressedData(path: sourceName, reason: "zlib stream needs a preset dictionary")
                default:
                    let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(code)"
                    throw ArchiveError.corruptCompressedData(path: sourceName, reason: reason)
                }
            case .betweenMembers:
                guard consumed < input.count else { return (consumed, produced) }
                if input[consumed] == 0 {
                    phase = .trailingZeros
                } else {
                    guard inflateReset(stream) == Z_OK else {
                        throw ArchiveError.corruptCompressedData(path: sourceName, reason: "cannot restart after member \(completedMembers)")
                    }
                    phase = .inMember
                }
            case .trailingZeros:
                while consumed < input.count {
                    guard input[consumed] == 0 else {
                        throw ArchiveError.corruptCompressedData(path: sourceName, reason: "non-zero bytes after the zero padding that follows the last member")
                    }
                    consumed += 1
                }
                return (consumed, produced)
            }
        }
        return (consumed, produced)
    }
}

/// Decompresses a whole gzip or zlib buffer (concatenated gzip members included).
/// `sourceName` names the data in error messages.
package func gunzip(_ bytes: [UInt8], sourceName: String = "<memory>") throws -> [UInt8] {
    let inflater = Inflater(sourceName: sourceName)
    // One spare byte: output that fills the buffer exactly would otherwise trigger a needless doubling.
    var output = [UInt8](repeating: 0, count: decompressedSizeGuess(compressedSize: bytes.count,
                                                                    header: bytes.prefix(2), trailer: bytes.suffix(4)) + 1)
    var consumed = 0
    var produced = 0
    try bytes.withUnsafeBytes { input in
        while true {
            if produced == output.count { output.append(contentsOf: repeatElement(0, count: output.count)) }
            let step = try output.withUnsafeMutableBytes { out in
                try inflater.inflate(from: UnsafeRawBufferPointer(rebasing: input[consumed...]),
                                     into: UnsafeMutableRawBufferPointer(rebasing: out[produced...]))
            }
            consumed += step.consumed
            produced += step.produced
            if produced < output.count { break }
        }
    }
    guard inflater.isAtEndOfStream else { throw ArchiveError.truncatedCompressedData(path: sourceName) }
    output.removeLast(output.count - produced)
    return output
}

/// A first guess at the decompressed size, to size the output buffer once in the common case;
/// the buffer doubles as inflating goes past it.
///
/// A gzip trailer ends with ISIZE, the last member's size modulo 2^32 (little-endian). A cut or
/// damaged file has other bytes there, so the guess is capped at 8× the compressed size (our
/// data compresses far less than that; a file that does costs a few doublings): a bad trailer
/// cannot make the reader allocate gigabytes before it finds the damage. A zlib stream ends with
/// a checksum instead, so its guess is twice the input.
func decompressedSizeGuess(compressedSize: Int, header: some Collection<UInt8>, trailer: some Collection<UInt8>) -> Int {
    let fallback = 2 * compressedSize
    guard header.elementsEqual(gzipMagic), trailer.count == 4 else { return fallback }
    let isize = trailer.reversed().reduce(0) { $0 << 8 | Int($1) }
    return isize > 0 ? min(isize, 8 * compressedSize) : fallback
}

/// Compresses `bytes` into a single gzip member (no stored name, mtime 0), at zlib `level` 0–9.
package func gzip(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
    precondition((0...9).contains(level), "gzip: level \(level) is not in 0...9")
    // zlib's avail_in is 32 bits; a single deflate call with Z_FINISH keeps this simple.
    precondition(bytes.count < Int(UInt32.max), "gzip: input of \(bytes.count) bytes exceeds 4 GiB")
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deinitialize(count: 1); stream.deallocate() }
    // 15 + 16: largest window, gzip wrapper.
    let initCode = czlib_deflate_init2(stream, level, 15 + 16)
    precondition(initCode == Z_OK, "deflateInit2 failed with code \(initCode) (out of memory)")
    defer { deflateEnd(stream) }
    // With deflateBound bytes of output space, one Z_FINISH call always completes.
    let bound = Int(deflateBound(stream, uLong(bytes.count)))
    var output = [UInt8](repeating: 0, count: bound)
    let produced = bytes.withUnsafeBytes { input in
        output.withUnsafeMutableBytes { out in
            stream.pointee.next_in = input.isEmpty ? nil
                : UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(input.count)
            stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(out.count)
            let code = deflate(stream, Z_FINISH)
            precondition(code == Z_STREAM_END, "deflate did not finish (code \(code))")
            return out.count - Int(stream.pointee.avail_out)
        }
    }
    output.removeLast(bound - produced)
    return output
}
