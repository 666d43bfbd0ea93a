import Foundation
import Tensor
import TestSupport
import Testing

/// A safetensors file with `header` as its JSON header, followed by `dataBytes` zero bytes.
func safetensorsFile(header: String, dataBytes: Int) -> [UInt8] {
    let json = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + [UInt8](repeating: 0, count: dataBytes)
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
        let (path, error) = try readingError(safetensorsFile(header: header, dataBytes: 8))
        #expect(error?.path == path)
        #expect(error?.message.hasPrefix("tensor 'w': ") == true, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func headerLengthBeyondTheFileIsAnError() throws {
        for length in [UInt64(1) << 40, UInt64.max] {
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
}
