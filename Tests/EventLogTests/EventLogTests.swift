import EventLog
import Foundation
import Testing

@Suite struct CRC32CTests {
    @Test func knownVectors() {
        // RFC 3720 (iSCSI) appendix B.4 and the usual check value.
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0..<32)) == 0x46DD_794E)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func maskIsTheRotatedOffsetChecksum() {
        let crc = CRC32C.checksum(Array("123456789".utf8))
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8)
    }
}

@Suite struct RecordFramingTests {
    @Test func frameLayout() {
        let data: [UInt8] = [1, 2, 3]
        let record = RecordFraming.frame(data)
        #expect(record.count == 8 + 4 + 3 + 4)
        #expect(Array(record[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
        let lengthCRC = record[8..<12].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << ($1.offset * 8) }
        #expect(lengthCRC == CRC32C.masked(record[0..<8]))
        #expect(Array(record[12..<15]) == data)
        let dataCRC = record[15..<19].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << ($1.offset * 8) }
        #expect(dataCRC == CRC32C.masked(data))
    }

    @Test func roundTripAndDamage() throws {
        let payloads: [[UInt8]] = [[], Array("brain.Event:2".utf8), Array(repeating: 7, count: 1000)]
        let bytes = payloads.flatMap(RecordFraming.frame)
        #expect(try RecordFraming.records(in: bytes) == payloads)
        var flipped = bytes
        flipped[bytes.count - 10] ^= 1
        #expect(throws: RecordError.self) { try RecordFraming.records(in: flipped) }
        #expect(throws: RecordError.self) { try RecordFraming.records(in: Array(bytes.dropLast(1))) }
    }
}

@Suite struct HistogramTests {
    @Test func equalWidthBucketsHoldEveryValue() throws {
        let values: [Float] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        let h = try #require(Histogram(values, buckets: 5))
        #expect(h.min == 0 && h.max == 10 && h.count == 11)
        #expect(h.sum == 55 && h.sumOfSquares == 385)
        #expect(h.upperEdges == [2, 4, 6, 8, 10])
        // (edge[i-1], edge[i]]: 0, 1, 2 | 3, 4 | 5, 6 | 7, 8 | 9, 10
        #expect(h.counts == [3, 2, 2, 2, 2])
    }

    @Test func constantEmptyAndNonFinite() throws {
        let h = try #require(Histogram([Float](repeating: 0.5, count: 4)))
        #expect(h.upperEdges == [0.5] && h.counts == [4])
        #expect(Histogram([Float]()) == nil)
        #expect(Histogram([1, .infinity]) == nil)
        #expect(Histogram([1, .nan, 2]) == nil)
    }
}

@Suite struct EventFileWriterTests {
    @Test func writesVersionScalarsAndHistograms() throws {
        let folder = NSTemporaryDirectory() + "eventlog-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let writer = try EventFileWriter(folder: folder)
        #expect(writer.path.hasPrefix(folder + "/events.out.tfevents."))
        try writer.add(scalars: [("train/loss", 0.5), ("train/accuracy", 0.75)], step: 10)
        try writer.add(histograms: [("theta/conv2.theta", try #require(Histogram([1, 2, 3], buckets: 2)))], step: 10)
        let second = try EventFileWriter(folder: folder)
        #expect(second.path != writer.path)

        let events = try EventFileWriter.events(in: writer.path)
        #expect(events.count == 3)
        #expect(events[0].fileVersion == "brain.Event:2")
        #expect(events[1].step == 10 && events[1].summary.value.map(\.tag) == ["train/loss", "train/accuracy"])
        #expect(events[1].summary.value.map(\.simpleValue) == [0.5, 0.75])
        let histo = events[2].summary.value[0].histo
        #expect(events[2].summary.value[0].tag == "theta/conv2.theta")
        #expect(histo.min == 1 && histo.max == 3 && histo.num == 3 && histo.bucketLimit == [2, 3] && histo.bucket == [2, 1])
    }
}
