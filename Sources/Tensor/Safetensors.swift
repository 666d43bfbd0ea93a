import Foundation

/// The safetensors format: an 8-byte little-endian header length, a JSON header
/// (name -> dtype, shape, data_offsets, plus an optional `__metadata__` of string values)
/// and the raw little-endian data. Fixtures and checkpoints both use it, so a checkpoint
/// loads in PyTorch with `safetensors.torch.load_file`.
package struct Safetensors: Sendable {
    package enum DType: String, Sendable { case f32 = "F32", f64 = "F64", i64 = "I64", i32 = "I32", u8 = "U8" }

    package struct Entry: Sendable {
        package var dtype: DType
        package var shape: [Int]
        package var bytes: [UInt8]
        var elementSize: Int {
            switch dtype { case .f32, .i32: 4; case .f64, .i64: 8; case .u8: 1 }
        }
    }

    package var entries: [String: Entry] = [:]
    package var metadata: [String: String] = [:]
    /// Where the file was read from, for error messages.
    package var source: String = "<memory>"

    package init() {}

    package var names: [String] { entries.keys.sorted() }

    // MARK: adding

    package mutating func set(_ name: String, _ tensor: Tensor) {
        set(name, shape: tensor.shape, floats: Array(tensor.buffer))
    }

    package mutating func set(_ name: String, shape: [Int], floats: [Float]) {
        precondition(Tensor.elementCount(shape) == floats.count)
        entries[name] = Entry(dtype: .f32, shape: shape, bytes: floats.withUnsafeBytes { Array($0) })
    }

    package mutating func set(_ name: String, shape: [Int], int64s: [Int64]) {
        precondition(Tensor.elementCount(shape) == int64s.count)
        entries[name] = Entry(dtype: .i64, shape: shape, bytes: int64s.withUnsafeBytes { Array($0) })
    }

    // MARK: reading values

    package func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw SafetensorsError(path: source, message: "no tensor named '\(name)'") }
        return e
    }

    package func contains(_ name: String) -> Bool { entries[name] != nil }

    /// A tensor as Float32 (F32 as is; F64 rounded).
    package func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        let t = Tensor(shape: e.shape)
        try e.bytes.withUnsafeBytes { raw in
            switch e.dtype {
            case .f32: for i in 0..<t.count { t[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
            case .f64: for i in 0..<t.count { t[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            default: throw SafetensorsError(path: source, message: "tensor '\(name)' is \(e.dtype.rawValue), expected a float type")
            }
        }
        return t
    }

    package func floats(_ name: String) throws -> [Float] { try tensor(name).array }

    package func int64s(_ name: String) throws -> [Int64] {
        let e = try entry(name)
        return try e.bytes.withUnsafeBytes { raw in
            let n = Tensor.elementCount(e.shape)
            switch e.dtype {
            case .i64: return (0..<n).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
            case .i32: return (0..<n).map { Int64(raw.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
            case .u8: return (0..<n).map { Int64(raw[$0]) }
            default: throw SafetensorsError(path: source, message: "tensor '\(name)' is \(e.dtype.rawValue), expected an integer type")
            }
        }
    }

    /// `__metadata__.spec` (or another key) parsed as a JSON object.
    package func metadataJSON(_ key: String = "spec") throws -> [String: Any] {
        guard let text = metadata[key] else { throw SafetensorsError(path: source, message: "no '\(key)' in __metadata__") }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw SafetensorsError(path: source, message: "__metadata__.\(key) is not a JSON object")
        }
        return obj
    }

    // MARK: file I/O

    package static func read(path: String) throws -> Safetensors {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SafetensorsError(path: path, message: "cannot read the file (missing or unreadable)")
        }
        return try decode([UInt8](data), source: path)
    }

    package static func decode(_ bytes: [UInt8], source: String) throws -> Safetensors {
        func fail(_ m: String) -> SafetensorsError { SafetensorsError(path: source, message: m) }
        guard bytes.count >= 8 else { throw fail("not a safetensors file: \(bytes.count) bytes, shorter than the 8-byte header length") }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength >= 2, headerLength <= UInt64(bytes.count - 8), headerLength < 100_000_000 else {
            throw fail("not a safetensors file (header length \(headerLength) for a \(bytes.count)-byte file), or it is truncated")
        }
        let headerBytes = bytes[8..<(8 + Int(headerLength))]
        guard headerBytes.first == UInt8(ascii: "{"),
              let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any] else {
            throw fail("not a safetensors file: the header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataLength = bytes.count - dataStart
        var file = Safetensors()
        file.source = source
        var spans: [(name: String, begin: Int, end: Int)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let md = value as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
                file.metadata = md
                continue
            }
            guard let info = value as? [String: Any],
                  let dtypeName = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int],
                  let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)': malformed header entry")
            }
            guard let dtype = DType(rawValue: dtypeName) else { throw fail("tensor '\(name)': unsupported dtype \(dtypeName)") }
            var entry = Entry(dtype: dtype, shape: shape, bytes: [])
            // Every size below comes from the file, so each is checked before any arithmetic
            // that could overflow: a hostile header must end in this error, not in a trap.
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)': negative dimension in shape \(shape)") }
            guard let count = Tensor.checkedElementCount(shape) else {
                throw fail("tensor '\(name)': shape \(shape) has more elements than fit in memory")
            }
            let (byteCount, byteOverflow) = count.multipliedReportingOverflow(by: entry.elementSize)
            guard !byteOverflow else { throw fail("tensor '\(name)': shape \(shape) of \(dtypeName) has more bytes than fit in memory") }
            guard offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw fail("tensor '\(name)': data_offsets \(offsets) are not an ordered pair of non-negative numbers")
            }
            guard offsets[1] <= dataLength else {
                throw fail("tensor '\(name)': data_offsets \(offsets) reach past the \(dataLength)-byte data section (file truncated?)")
            }
            guard offsets[1] - offsets[0] == byteCount else {
                throw fail("tensor '\(name)': \(offsets[1] - offsets[0]) bytes for shape \(shape) of \(dtypeName), which needs \(byteCount)")
            }
            let begin = dataStart + offsets[0], end = dataStart + offsets[1]
            entry.bytes = Array(bytes[begin..<end])
            file.entries[name] = entry
            spans.append((name, offsets[0], offsets[1]))
        }
        // As in the reference implementation, the tensors must tile the data section: tensors
        // sharing bytes, or bytes that belong to no tensor, mean a corrupt or crafted file.
        spans.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        for (index, span) in spans.enumerated() {
            if span.begin < covered {
                let other = spans[index - 1]
                throw fail("tensor '\(span.name)': data_offsets [\(span.begin), \(span.end)] overlap tensor '\(other.name)' at [\(other.begin), \(other.end)]")
            }
            if span.begin > covered {
                throw fail("tensor '\(span.name)': data_offsets [\(span.begin), \(span.end)] leave bytes \(covered)..<\(span.begin) of the data section unused")
            }
            covered = span.end
        }
        guard covered == dataLength else { throw fail("bytes \(covered)..<\(dataLength) of the data section belong to no tensor") }
        return file
    }

    package func encode() -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let order = names
        for name in order {
            let e = entries[name]!
            header[name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]] as [String: Any]
            offset += e.bytes.count
        }
        var json = [UInt8](try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }  // keeps the data 8-byte aligned
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        for name in order { out.append(contentsOf: entries[name]!.bytes) }
        return out
    }

    /// Writes atomically: a temporary file beside the target, fsync, rename, fsync of the folder.
    /// A crash at any point leaves either the old file or the new one, never a torn one.
    package func write(to path: String) throws {
        try AtomicFile.write(encode(), to: path)
    }
}

package struct SafetensorsError: Error, CustomStringConvertible, Sendable {
    package var path: String
    package var message: String
    package init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    package var description: String { "\(path): \(message)" }
}
