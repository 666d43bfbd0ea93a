import Archive
import Foundation
import ImageData
import TestSupport
import Testing

@Suite struct CIFARDatasetTests {
    @Test func decodesCIFAR10Records() throws {
        let bytes = records([([3], 1), ([0], 2), ([9], 3)])
        let dataset = try CIFARDataset(records: bytes, variant: .cifar10, file: "hand-made")
        #expect(dataset.count == 3)
        #expect(dataset.labels == [3, 0, 9])
        #expect(Array(dataset.image(at: 0)) == testImage(seed: 1))
        #expect(Array(dataset.image(at: 2)) == testImage(seed: 3))
        // Plane layout: byte 1 of a record is R(0,0), byte 1 + 1024 is G(0,0).
        #expect(dataset.images[1024] == bytes[1 + 1024])
    }

    @Test func decodesCIFAR100CoarseOrFineLabels() throws {
        let bytes = records([([4, 0], 1), ([19, 99], 2)])
        let fine = try CIFARDataset(records: bytes, variant: .cifar100(fine: true), file: "hand-made")
        let coarse = try CIFARDataset(records: bytes, variant: .cifar100(fine: false), file: "hand-made")
        #expect(fine.labels == [0, 99])
        #expect(coarse.labels == [4, 19])
        #expect(fine.images == coarse.images)
        #expect(Array(fine.image(at: 1)) == testImage(seed: 2))
        #expect(fine.classCount == 100 && coarse.classCount == 20)
    }

    @Test func aPartialRecordIsAnErrorNamingTheFile() throws {
        let folder = try TemporaryFolder(prefix: "imagedata-tests")
        try folder.write("data_batch_1.bin", records([([1], 1), ([2], 2)]) + [1, 2, 3, 4, 5])
        let path = folder.path + "/data_batch_1.bin"
        let error = #expect(throws: CIFARError.self) { try CIFARDataset.load(source: folder.path, variant: .cifar10, split: .train) }
        #expect(error == .partialRecord(file: path, byteCount: 2 * 3073 + 5, recordSize: 3073))
        #expect(error?.description.hasPrefix(path + ": ") == true)
    }

    @Test func cifar10RecordsAreNotCIFAR100Records() throws {
        // 10 CIFAR-10 records are 30,730 bytes, not a multiple of 3,074.
        let bytes = records((0..<10).map { ([UInt8($0)], $0) })
        #expect(throws: CIFARError.partialRecord(file: "x", byteCount: 30_730, recordSize: 3074)) {
            try CIFARDataset(records: bytes, variant: .cifar100(fine: true), file: "x")
        }
    }

    @Test func labelsOutOfRangeNameTheFileAndTheRecord() throws {
        let cifar10 = records([([1], 1), ([9], 2), ([10], 3)])
        let error = #expect(throws: CIFARError.self) { try CIFARDataset(records: cifar10, variant: .cifar10, file: "batch.bin") }
        #expect(error == .labelOutOfRange(file: "batch.bin", record: 2, field: "label", value: 10, classCount: 10))
        #expect(error?.description == "batch.bin: record 2 has label 10, outside 0..<10")

        // Both CIFAR-100 labels are checked, whichever one is used.
        let badFine = records([([0, 0], 1), ([3, 100], 2)])
        #expect(throws: CIFARError.labelOutOfRange(file: "f", record: 1, field: "fine label", value: 100, classCount: 100)) {
            try CIFARDataset(records: badFine, variant: .cifar100(fine: false), file: "f")
        }
        let badCoarse = records([([20, 5], 1)])
        #expect(throws: CIFARError.labelOutOfRange(file: "c", record: 0, field: "coarse label", value: 20, classCount: 20)) {
            try CIFARDataset(records: badCoarse, variant: .cifar100(fine: true), file: "c")
        }
    }

    @Test func readsAFolderOfPlainAndGzippedFiles() throws {
        let folder = try TemporaryFolder(prefix: "imagedata-tests")
        let batch1 = records([([1], 1), ([2], 2)])
        let batch2 = records([([3], 3), ([4], 4), ([5], 5)])
        try folder.write("data_batch_1.bin", batch1)
        // A stale compressed twin of a plain file is ignored.
        try folder.write("data_batch_1.bin.gz", gzip(records([([9], 9)])))
        try folder.write("data_batch_2.bin.gz", gzip(batch2))
        try folder.write("test_batch.bin.gz", gzip(records([([7], 7)])))
        try folder.write("batches.meta.txt", Array("airplane\n".utf8))
        try folder.write("data_batch_x.bin", records([([8], 8)]))

        let train = try CIFARDataset.load(source: folder.path, variant: .cifar10, split: .train)
        #expect(train.labels == [1, 2, 3, 4, 5])
        #expect(Array(train.image(at: 2)) == testImage(seed: 3))
        let test = try CIFARDataset.load(source: folder.path, variant: .cifar10, split: .test)
        #expect(test.labels == [7])
        #expect(throws: CIFARError.noFiles(source: folder.path, expected: "test.bin[.gz]")) {
            try CIFARDataset.load(source: folder.path, variant: .cifar100(fine: true), split: .test)
        }
    }

    @Test func readsTheOfficialTarballLayout() throws {
        let folder = try TemporaryFolder(prefix: "imagedata-tests")
        let cifar10 = "tree/cifar-10-batches-bin/"
        try folder.write(cifar10 + "data_batch_1.bin", records([([6], 1), ([9], 2)]))
        try folder.write(cifar10 + "data_batch_2.bin", records([([0], 3)]))
        try folder.write(cifar10 + "test_batch.bin", records([([3], 4), ([8], 5)]))
        try folder.write(cifar10 + "batches.meta.txt", Array("airplane\nautomobile\n".utf8))
        try folder.write(cifar10 + "readme.html", Array("<html></html>".utf8))
        let cifar100 = "tree/cifar-100-binary/"
        try folder.write(cifar100 + "train.bin", records([([4, 0], 1), ([1, 1], 2)]))
        try folder.write(cifar100 + "test.bin", records([([19, 99], 3)]))
        try folder.write(cifar100 + "coarse_label_names.txt", Array("aquatic_mammals".utf8))
        // The data batches are stored out of order, to check that the loader sorts them.
        try runCommand(["tar", "-czf", "../cifar-10-binary.tar.gz", "cifar-10-batches-bin/data_batch_2.bin",
                        "cifar-10-batches-bin/batches.meta.txt", "cifar-10-batches-bin/data_batch_1.bin",
                        "cifar-10-batches-bin/test_batch.bin", "cifar-10-batches-bin/readme.html"], in: folder.path + "/tree")
        try runCommand(["tar", "-czf", "../cifar-100-binary.tar.gz", "cifar-100-binary"], in: folder.path + "/tree")

        let tarball10 = folder.path + "/cifar-10-binary.tar.gz"
        let train = try CIFARDataset.load(source: tarball10, variant: .cifar10, split: .train)
        #expect(train.labels == [6, 9, 0])
        #expect(Array(train.image(at: 2)) == testImage(seed: 3))
        #expect(try CIFARDataset.load(source: tarball10, variant: .cifar10, split: .test).labels == [3, 8])
        // The unpacked tarball gives the same dataset, found one folder down.
        let unpacked = try CIFARDataset.load(source: folder.path + "/tree", variant: .cifar10, split: .train)
        #expect(unpacked.labels == train.labels && unpacked.images == train.images)

        let tarball100 = folder.path + "/cifar-100-binary.tar.gz"
        #expect(try CIFARDataset.load(source: tarball100, variant: .cifar100(fine: true), split: .train).labels == [0, 1])
        #expect(try CIFARDataset.load(source: tarball100, variant: .cifar100(fine: false), split: .train).labels == [4, 1])
        #expect(try CIFARDataset.load(source: tarball100, variant: .cifar100(fine: true), split: .test).labels == [99])
    }

    @Test func errorsInsideATarballNameTheArchiveAndTheEntry() throws {
        let folder = try TemporaryFolder(prefix: "imagedata-tests")
        try folder.write("tree/cifar-10-batches-bin/test_batch.bin", records([([6], 1)]) + [0])
        try runCommand(["tar", "-czf", "../bad.tar.gz", "cifar-10-batches-bin"], in: folder.path + "/tree")
        let archive = folder.path + "/bad.tar.gz"
        #expect(throws: CIFARError.partialRecord(file: archive + ":cifar-10-batches-bin/test_batch.bin", byteCount: 3074, recordSize: 3073)) {
            try CIFARDataset.load(source: archive, variant: .cifar10, split: .test)
        }
        // A damaged archive is reported by the archive reader, with the archive's path.
        try folder.write("good/cifar-10-batches-bin/test_batch.bin", records((0..<20).map { ([UInt8($0 % 10)], $0) }))
        try runCommand(["tar", "-czf", "../good.tar.gz", "cifar-10-batches-bin"], in: folder.path + "/good")
        let whole = try Array(Data(contentsOf: URL(fileURLWithPath: folder.path + "/good.tar.gz")))
        try folder.write("cut.tar.gz", Array(whole.prefix(whole.count / 2)))
        let error = #expect(throws: ArchiveError.self) {
            try CIFARDataset.load(source: folder.path + "/cut.tar.gz", variant: .cifar10, split: .test)
        }
        #expect(error?.path == folder.path + "/cut.tar.gz")
    }

    @Test func aMissingSourceIsAnError() throws {
        #expect(throws: ArchiveError.missingFile(path: "/nonexistent/cifar")) {
            try CIFARDataset.load(source: "/nonexistent/cifar", variant: .cifar10, split: .train)
        }
    }

    @Test(.enabled(if: sharedDataIsPresent, "needs the shared CIFAR files"))
    func readsTheSharedCIFAR10Files() throws {
        let test = try CIFARDataset.load(source: Fixtures.dataFolder + "/cifar-10-batches-bin", variant: .cifar10, split: .test)
        #expect(test.count == 10_000)
        #expect(test.classCounts() == [Int](repeating: 1000, count: 10))
        #expect(test.labels.prefix(3) == [3, 8, 8])  // cat, ship, ship: the well-known start of test_batch
        let batch1 = try CIFARDataset.load(files: [Fixtures.dataFolder + "/cifar-10-batches-bin/data_batch_1.bin.gz"], variant: .cifar10)
        #expect(batch1.classCounts() == [1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981])
        #expect(batch1.labels.prefix(3) == [6, 9, 9])  // frog, truck, truck
    }

    @Test(.enabled(if: sharedDataIsPresent, "needs the shared CIFAR files"))
    func readsTheSharedCIFAR100Files() throws {
        let source = Fixtures.dataFolder + "/cifar-100-binary"
        let fine = try CIFARDataset.load(source: source, variant: .cifar100(fine: true), split: .test)
        #expect(fine.count == 10_000)
        #expect(fine.classCounts() == [Int](repeating: 100, count: 100))
        // Records go round-robin over the fine classes; fine class 0 (apple) is in coarse class 4.
        #expect(Array(fine.labels.prefix(3)) == [0, 1, 2])
        let coarse = try CIFARDataset.load(source: source, variant: .cifar100(fine: false), split: .train)
        #expect(coarse.count == 10_000)
        #expect(coarse.classCounts() == [Int](repeating: 500, count: 20))
        #expect(coarse.labels[0] == 4)
    }
}
