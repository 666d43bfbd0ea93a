/// TFRecord framing, the container of TensorBoard's event files: each record is its length as a
/// little-endian UInt64, the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C
/// of the data.
package enum RecordFraming {
    package static func frame(_ data: [UInt8]) -> [UInt8] {
        let length = littleEndianBytes(UInt64(data.count))
        var record = length
        record.reserveCapacity(data.count + 16)
        record += littleEndianBytes(CRC32C.masked(length))
        record += data
        record += littleEndianBytes(CRC32C.masked(data))
        return record
    }

    /// The records of `bytes` in order; throws at the first damaged or cut record (its offset).
    package static func records(in bytes: [UInt8]) throws -> [[UInt8]] {
        var records: [[UInt8]] = []
        var at = 0
        while at < bytes.count {
            guard bytes.count - at >= 12 else { throw RecordError(offset: at, problem: "a cut length header") }
            let header = Array(bytes[at..<(at + 8)])
            guard read(UInt32.self, bytes, at: at + 8) == CRC32C.masked(header) else {
                throw RecordError(offset: at, problem: "the length's checksum does not match")
            }
            let length = read(UInt64.self, bytes, at: at)
            guard length <= UInt64(bytes.count - at - 16) else { throw RecordError(offset: at, problem: "a cut record") }
            let data = Array(bytes[(at + 12)..<(at + 12 + Int(length))])
            guard read(UInt32.self, bytes, at: at + 12 + Int(length)) == CRC32C.masked(data) else {
                throw RecordError(offset: at, problem: "the data's checksum does not match")
            }
            records.append(data)
            at += 16 + Int(length)
        }
        return records
    }

    private static func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    private static func read<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        (0..<(T.bitWidth / 8)).reduce(T(0)) { $0 | T(bytes[offset + $1]) << ($1 * 8) }
    }
}

package struct RecordError: Error, CustomStringConvertible {
    package var offset: Int
    package var problem: String
    package var description: String { "record at byte \(offset): \(problem)" }
}
