/// Reads bytes already in memory: an archive member, or input handed over by a caller (the fuzz
/// targets feed the tar and gzip readers through it).
package final class MemoryReader: ByteReader {
    package let sourceName: String
    private let bytes: [UInt8]
    private var position = 0

    package init(_ bytes: [UInt8], sourceName: String) {
        self.bytes = bytes
        self.sourceName = sourceName
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - position)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }
}
