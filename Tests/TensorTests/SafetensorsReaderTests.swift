import Foundation
import Tensor
import TestSupport
import Testing

/// A safetensors file with `header` as its JSON header, followed by `data`.
func safetensorsFile(header: [UInt8], data: [UInt8]) -> [UInt8] {
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + data
}

/// Reads `bytes` from a file and returns the error the reader throws, nil if it reads it.
func readingError(_ bytes: [UInt8]) throws -> (path: String, error: SafetensorsError?) {
    let folder = try TemporaryFolder(prefix: "convrelu-safetensors")
    let path = try folder.write("hostile.safetensors", bytes)
    do {
        _ = try Safetensors.read(path: path)
        return (path, nil)
    } catch let error as SafetensorsError {
        return (path, error)
    }
}

/// Hostile headers end in a `SafetensorsError` naming the file and the tensor, never in a trap.
@Suite struct SafetensorsReaderTests {
    @Test(arguments: [
        // The end offset overflows when added to the start of the data section.
        ("[2]", "[0, 9223372036854775807]", "reach past the 8-byte data section"),
        // 2^62 × 4 elements overflow Int.
        ("[4611686018427387904, 4]", "[0, 8]", "more elements than fit in memory"),
        // 2^62 elements fit, 2^62 × 4 bytes do not.
        ("[4611686018427387904]", "[0, 8]", "more bytes than fit in memory"),
        ("[-2, -1]", "[0, 8]", "negative dimension in shape [-2, -1]"),
        ("[2]", "[8, 0]", "not an ordered pair"),
        ("[2]", "[-8, 0]", "not an ordered pair"),
        ("[3]", "[0, 8]", "8 bytes for shape [3] of F32, which needs 12"),
    ])
    func badEntryNamesFileAndTensor(shape: String, offsets: String, message: String) throws {
        let header = "{\"w\": {\"dtype\": \"F32\", \"shape\": \(shape), \"data_offsets\": \(offsets)}}"
        let (path, error) = try readingError(safetensorsFile(header: Array(header.utf8), data: [UInt8](repeating: 0, count: 8)))
        #expect(error?.path == path)
        #expect(error?.message.hasPrefix("tensor 'w': ") == true, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func headerLengthBeyondTheFileIsAnError() throws {
        // One byte more than the file holds, then lengths whose addition to 8 would overflow.
        for length in [UInt64(3), UInt64(1) << 40, UInt64(1) << 63, UInt64.max] {
            let bytes = withUnsafeBytes(of: length.littleEndian) { Array($0) } + Array("{}".utf8)
            let (path, error) = try readingError(bytes)
            #expect(error?.path == path)
            #expect(error?.message.contains("header length \(length)") == true, "\(String(describing: error))")
        }
    }

    @Test func fileCutShortIsAnError() throws {
        var file = Safetensors()
        file.set("w", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let whole = file.encode()
        #expect(try readingError(whole).error == nil)
        let (path, error) = try readingError(Array(whole.dropLast(4)))
        #expect(error?.path == path)
        #expect(error?.message == "tensor 'w': data_offsets [0, 24] reach past the 20-byte data section (file truncated?)")
    }

    /// A file cut anywhere (inside the 8-byte length, inside the header, inside the data) is an
    /// error naming the file.
    @Test func everyTruncationIsAnError() throws {
        var file = Safetensors()
        file.set("a", shape: [3], floats: [1, 2, 3])
        file.set("b", shape: [2], int64s: [4, 5])
        file.metadata = ["spec": "{}"]
        let whole = file.encode()
        for length in 0..<whole.count {
            #expect(throws: SafetensorsError.self, "cut at \(length) of \(whole.count) bytes") {
                try Safetensors.decode(Array(whole.prefix(length)), source: "cut")
            }
        }
        #expect(try readingError(Array(whole.prefix(5))).error?.message
            == "not a safetensors file: 5 bytes, shorter than the 8-byte header length")
        #expect(try readingError(Array(whole.prefix(20))).error?.message.contains("or it is truncated") == true)
    }

    @Test func headerLengthTooShortForJSONIsAnError() throws {
        for length in [UInt64(0), 1] {
            let bytes = withUnsafeBytes(of: length.littleEndian) { Array($0) } + Array("{}".utf8)
            #expect(try readingError(bytes).error?.message.contains("header length \(length)") == true)
        }
    }

    @Test(arguments: [
        Array("{\"w\": {\"dtype\": \"F32\"".utf8),  // cut inside the JSON
        Array("[1, 2]".utf8),
        Array("\"text\"".utf8),
        Array(" {}".utf8),  // the format starts the header with its brace
        Array("{\"w\": \"".utf8) + [0xFF, 0xFE] + Array("\"}".utf8),  // not UTF-8
    ])
    func headerThatIsNotAJSONObjectIsAnError(header: [UInt8]) throws {
        let (path, error) = try readingError(safetensorsFile(header: header, data: []))
        #expect(error?.path == path)
        #expect(error?.message == "not a safetensors file: the header is not a JSON object", "\(String(describing: error))")
    }

    @Test(arguments: [
        ("{\"w\": [1, 2]}", "tensor 'w': malformed header entry"),
        ("{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", "tensor 'w': malformed header entry"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", "tensor 'w': malformed header entry"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", "tensor 'w': malformed header entry"),
        ("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 18446744073709551615]}}", "tensor 'w': malformed header entry"),
        ("{\"w\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", "tensor 'w': unsupported dtype BF16"),
        ("{\"__metadata__\": {\"epoch\": 3}}", "__metadata__ must map strings to strings"),
    ])
    func malformedHeaderEntryIsAnError(header: String, message: String) throws {
        let (path, error) = try readingError(safetensorsFile(header: Array(header.utf8), data: [UInt8](repeating: 0, count: 4)))
        #expect(error?.path == path)
        #expect(error?.message == message, "\(String(describing: error))")
    }

    /// The tensors must tile the data section: in order from 0, without overlaps or gaps, up to
    /// its end. Anything else is a corrupt or hostile file, and a tensor read from it would
    /// share or skip bytes silently.
    @Test(arguments: [
        ("[0, 8]", "[4, 12]", 12, "tensor 'b': data_offsets [4, 12] overlap tensor 'a' at [0, 8]"),
        ("[0, 8]", "[0, 8]", 8, "tensor 'b': data_offsets [0, 8] overlap tensor 'a' at [0, 8]"),
        ("[0, 8]", "[12, 20]", 20, "tensor 'b': data_offsets [12, 20] leave bytes 8..<12 of the data section unused"),
        ("[4, 12]", "[12, 20]", 20, "tensor 'a': data_offsets [4, 12] leave bytes 0..<4 of the data section unused"),
        ("[0, 8]", "[8, 16]", 20, "bytes 16..<20 of the data section belong to no tensor"),
    ])
    func tensorsThatDoNotTileTheDataAreAnError(a: String, b: String, dataBytes: Int, message: String) throws {
        let header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": \(a)}, "
            + "\"b\": {\"dtype\": \"I32\", \"shape\": [2], \"data_offsets\": \(b)}}"
        let (path, error) = try readingError(safetensorsFile(header: Array(header.utf8), data: [UInt8](repeating: 0, count: dataBytes)))
        #expect(error?.path == path)
        #expect(error?.message == message, "\(String(describing: error))")
    }

    @Test func missingFileIsAnError() throws {
        let folder = try TemporaryFolder(prefix: "convrelu-safetensors")
        let path = folder.path + "/none.safetensors"
        let error = #expect(throws: SafetensorsError.self) { try Safetensors.read(path: path) }
        #expect(error?.description == "\(path): cannot read the file (missing or unreadable)")
    }
}
