import Foundation
import Tensor
import TestSupport
import Testing

/// Writes `file` to disk and reads it back.
private func writtenAndRead(_ file: Safetensors) throws -> (path: String, read: Safetensors) {
    let folder = try TemporaryFolder(prefix: "convrelu-safetensors")
    let path = folder.path + "/file.safetensors"
    try file.write(to: path)
    return (path, try Safetensors.read(path: path))
}

/// Every entry of `a` is in `b` with the same dtype, shape and bytes, and nothing else is.
private func sameEntries(_ a: Safetensors, _ b: Safetensors) -> Bool {
    a.names == b.names && a.names.allSatisfy { name in
        let (x, y) = (a.entries[name]!, b.entries[name]!)
        return x.dtype == y.dtype && x.shape == y.shape && x.bytes == y.bytes
    }
}

/// What the writer writes, the reader reads back unchanged: checkpoints resume from it.
@Suite struct SafetensorsRoundTripTests {
    @Test func floatAndIntegerTensorsOfSeveralShapes() throws {
        var file = Safetensors()
        file.set("scalar", shape: [], floats: [-2.5])
        file.set("vector", shape: [3], floats: [1, -.infinity, .greatestFiniteMagnitude])
        file.set("conv.weight", Tensor(shape: [2, 3, 4], values: (0..<24).map { Float($0) * 0.125 - 1 }))
        file.set("empty", shape: [2, 0, 3], floats: [])
        file.set("steps", shape: [2, 2], int64s: [0, -1, .max, .min])
        file.set("no_steps", shape: [0], int64s: [])
        let (path, read) = try writtenAndRead(file)
        #expect(read.source == path)
        #expect(sameEntries(read, file))
        #expect(read.metadata.isEmpty)
        #expect(try read.tensor("conv.weight").shape == [2, 3, 4])
        #expect(try read.floats("conv.weight") == (0..<24).map { Float($0) * 0.125 - 1 })
        #expect(try read.floats("scalar") == [-2.5])
        #expect(try read.floats("vector") == [1, -.infinity, .greatestFiniteMagnitude])
        #expect(try read.tensor("empty").shape == [2, 0, 3])
        #expect(try read.int64s("steps") == [0, -1, .max, .min])
        #expect(try read.int64s("no_steps") == [])
        // A NaN keeps its bits too.
        file.set("nan", shape: [1], floats: [Float(bitPattern: 0x7FC0_1234)])
        #expect(try writtenAndRead(file).read.floats("nan").map(\.bitPattern) == [0x7FC0_1234])
    }

    @Test func metadataRoundTrips() throws {
        var file = Safetensors()
        file.set("w", shape: [1], floats: [1])
        file.metadata = ["spec": "{\"stride\": 2, \"name\": \"conv \\\"a\\\"\"}", "note": "größe: ünïcode, tab\tand newline\n", "": ""]
        let read = try writtenAndRead(file).read
        #expect(read.metadata == file.metadata)
        #expect(try read.metadataJSON()["stride"] as? Int == 2)
        #expect(try read.metadataJSON()["name"] as? String == "conv \"a\"")
    }

    @Test func fileWithoutTensorsOrMetadata() throws {
        let bytes = Safetensors().encode()
        #expect(String(decoding: bytes[8...], as: UTF8.self).trimmingCharacters(in: .whitespaces) == "{}")
        let read = try writtenAndRead(Safetensors()).read
        #expect(read.entries.isEmpty && read.metadata.isEmpty)
    }

    /// F64, I32 and U8 are read (PyTorch fixtures use them) and written back unchanged.
    @Test func otherDtypesReadAndRewritten() throws {
        let f64 = [1.0 / 3, -1e300].flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        let i32 = [Int32(-7), .max].flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let u8: [UInt8] = [0, 200, 255]
        let header = """
            {"d": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}, \
            "i": {"dtype": "I32", "shape": [2, 1], "data_offsets": [16, 24]}, \
            "u": {"dtype": "U8", "shape": [3], "data_offsets": [24, 27]}}
            """
        let original = try Safetensors.decode(safetensorsFile(header: Array(header.utf8), data: f64 + i32 + u8), source: "handmade")
        #expect(try original.tensor("d").array == [Float(1.0 / 3), -.infinity])
        #expect(try original.int64s("i") == [-7, Int64(Int32.max)])
        #expect(try original.int64s("u") == [0, 200, 255])
        #expect(original.entries["i"]?.shape == [2, 1])
        let read = try writtenAndRead(original).read
        #expect(sameEntries(read, original))
        #expect(read.entries["d"]?.dtype == .f64 && read.entries["i"]?.dtype == .i32 && read.entries["u"]?.dtype == .u8)
    }

    /// The writer pads the header so the data starts 8-byte aligned (as the Python writer does),
    /// and lays the tensors out back to back in name order.
    @Test func layoutIsAlignedAndContiguous() throws {
        var file = Safetensors()
        file.set("b", shape: [3], floats: [1, 2, 3])
        file.set("a", shape: [1], int64s: [9])
        file.metadata = ["x": "y"]
        let bytes = file.encode()
        let headerLength = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        #expect((8 + headerLength) % 8 == 0)
        #expect(bytes.count == 8 + headerLength + 8 + 12)
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any]
        #expect((header?["a"] as? [String: Any])?["data_offsets"] as? [Int] == [0, 8])
        #expect((header?["b"] as? [String: Any])?["data_offsets"] as? [Int] == [8, 20])
    }

    @Test func wrongDtypeForTheAccessorIsAnError() throws {
        var file = Safetensors()
        file.set("steps", shape: [1], int64s: [3])
        file.set("w", shape: [1], floats: [3])
        #expect(throws: SafetensorsError.self) { try file.tensor("steps") }
        #expect(throws: SafetensorsError.self) { try file.int64s("w") }
        let missing = #expect(throws: SafetensorsError.self) { try file.tensor("bias") }
        #expect(missing?.description == "<memory>: no tensor named 'bias'")
    }
}
