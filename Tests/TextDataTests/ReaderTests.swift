import Archive
import Foundation
import TestSupport
import Testing
@testable import TextData

@Suite struct CSVReaderTests {
    @Test func agNewsQuotingAndEscapes() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let path = try folder.write("train.csv", #"""
            "3","Wall St. ""Bears"" Claw","Short-sellers, Wall Street's dwindling\band of\nultra-cynics"
            "1","Title","second\team, a trailing backslash\"
            2,unquoted title,"quoted ""x"""

            """#)
        let samples = try CorpusReader.readCSV(SourceFile(path: path), format: TextDataset.agNews.csvFormat!)
        #expect(samples.count == 3)
        #expect(samples[0] == LabeledText(id: "train.csv:1", label: 2, fields: [
            "Wall St. \"Bears\" Claw", "Short-sellers, Wall Street's dwindling\\band of\nultra-cynics"]))
        #expect(samples[1].fields == ["Title", "second\\team, a trailing backslash\\"])
        #expect(samples[2] == LabeledText(id: "train.csv:3", label: 1, fields: ["unquoted title", "quoted \"x\""]))

        let encoder = try TextEncoder(settings: PreprocessingSettings(quantization: QuantizationSettings(length: 4)))
        // "description title": the tail is the title's end.
        #expect(try encoder.encode(samples[0]) == [row("w"), row("a"), row("l"), row("c")])
    }

    @Test func quotedFieldsMaySpanLinesAndCRLFEndsRows() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let path = try folder.write("multi.csv", "\"1\",\"two\nlines\",\"x\"\r\n\"2\",\"b\",\"c\"\r\n")
        let samples = try CorpusReader.readCSV(SourceFile(path: path), format: TextDataset.agNews.csvFormat!)
        #expect(samples.map(\.id) == ["multi.csv:1", "multi.csv:3"])
        #expect(samples[0].fields == ["two\nlines", "x"])
        #expect(samples[1].fields == ["b", "c"])
    }

    /// A UTF-16 file (or any binary) is neither latin-1 nor UTF-8 text: its NUL bytes stop the
    /// reader and the preprocessor at the first line, whatever the encoding setting.
    @Test func utf16AndBinaryFilesAreNotText() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let utf16 = Array("a fine film\n".utf16).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        let positive = try folder.write("rt-polarity.pos", utf16)
        let negative = try folder.write("rt-polarity.neg", "dull\n")
        for encoding in TextEncoding.allCases {
            expectError(.notText(byte: 0, byteOffsetInLine: 1), file: positive, line: 1) {
                _ = try CorpusReader.readClassFiles([SourceFile(path: negative), SourceFile(path: positive)], encoding: encoding)
            }
        }
        let error = #expect(throws: TextDataError.self) {
            let samples = try CorpusReader.readClassFiles([SourceFile(path: negative), SourceFile(path: negative)])
            try TextPreprocessor.preprocessClassFiles([SourceFile(path: negative), SourceFile(path: positive)],
                                                      folds: FoldAssignment.stratified(samples, foldCount: 2, seed: 1),
                                                      to: folder.path + "/mr.cache")
        }
        #expect(error?.description.contains("not latin-1 or UTF-8 text") == true)
    }

    @Test func yelpReviews() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let path = try folder.write("test.csv", #"""
            "5","dr. goldberg offers everything i look for.\n\nreally, what more do you need?"
            "1","I said \""no\"" twice"

            """#)
        let samples = try CorpusReader.readCSV(SourceFile(path: path), format: TextDataset.yelpFull.csvFormat!)
        #expect(samples.map(\.label) == [4, 0])
        #expect(samples[0].fields == ["dr. goldberg offers everything i look for.\n\nreally, what more do you need?"])
        #expect(samples[1].fields == ["I said \\\"no\\\" twice"])
    }

    @Test func encodingIsChosenPerLineUnlessForced() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        // Line 1 is UTF-8 "é", line 2 is latin-1 "é" (byte 0xE9).
        let bytes = Array("\"1\",\"caf\u{E9}\"\n\"2\",\"caf".utf8) + [0xE9] + Array("\"\n".utf8)
        let path = try folder.write("mixed.csv", bytes)
        let format = CSVFormat(classCount: 2, textFieldCount: 1)
        let auto = try CorpusReader.readCSV(SourceFile(path: path), format: format)
        #expect(auto.map(\.fields) == [["café"], ["café"]])
        let latin1 = try CorpusReader.readCSV(SourceFile(path: path), format: format, encoding: .latin1)
        #expect(latin1[0].fields == ["cafÃ©"])
        expectError(.invalidUTF8(byteOffsetInLine: 8), file: path, line: 2) {
            _ = try CorpusReader.readCSV(SourceFile(path: path), format: format, encoding: .utf8)
        }
        let error = #expect(throws: TextDataError.self) {
            try TextPreprocessor.preprocessCSV(SourceFile(path: path), format: format, dataset: "mixed",
                                               settings: PreprocessingSettings(encoding: .utf8),
                                               to: folder.path + "/mixed.cache")
        }
        #expect(error?.description == "\(path), line 2: not valid UTF-8 at line 2 (byte 9 of the line)")
    }

    @Test func malformedRowsNameFileAndLine() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        func check(_ text: String, _ kind: TextDataError.Kind, line: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let path = try folder.write("bad.csv", text)
            expectError(kind, file: path, line: line, sourceLocation: sourceLocation) {
                _ = try CorpusReader.readCSV(SourceFile(path: path), format: TextDataset.agNews.csvFormat!)
            }
            // The preprocessor reports the same error.
            expectError(kind, file: path, line: line, sourceLocation: sourceLocation) {
                try TextPreprocessor.preprocessCSV(SourceFile(path: path), format: TextDataset.agNews.csvFormat!, dataset: "bad",
                                                   to: folder.path + "/bad.cache")
            }
        }
        let good = "\"1\",\"t\",\"d\"\n"
        // RFC 4180 lets a quoted field run over lines, so only the end of the file shows it is unterminated.
        try check(good + "\"2\",\"t\",\"never closed\nmore text\n", .unterminatedQuote, line: 2)
        try check(good + good + "\"2\",\"t\"\n", .wrongFieldCount(expected: 3, found: 2), line: 3)
        try check(good + "\"2\",\"t\",\"d\",\"extra\"\n", .wrongFieldCount(expected: 3, found: 4), line: 2)
        try check(good + "\n" + good, .wrongFieldCount(expected: 3, found: 1), line: 2)
        try check(good + "\"2\",\"t\"x,\"d\"\n", .malformedQuoting(detail: "text after a closing quote (byte 8)"), line: 2)
        try check("\"2\",t\"x,\"d\"\n", .malformedQuoting(detail: "a quote inside an unquoted field (byte 6)"), line: 1)
        try check(good + "\"two\",\"t\",\"d\"\n", .nonNumericLabel("two"), line: 2)
        try check(good + "\"\",\"t\",\"d\"\n", .nonNumericLabel(""), line: 2)
        try check(good + "\"0\",\"t\",\"d\"\n", .labelOutOfRange(0, classCount: 4), line: 2)
        try check(good + "\"5\",\"t\",\"d\"\n", .labelOutOfRange(5, classCount: 4), line: 2)
        try check(good + "\"3\",\"\",\"\"\n", .emptyText, line: 2)
        // Line numbers count the physical lines of earlier multi-line rows.
        try check("\"1\",\"a\nb\",\"c\"\n\"9\",\"t\",\"d\"\n", .labelOutOfRange(9, classCount: 4), line: 3)
    }

    @Test func errorsComeOutInLineOrder() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        // An encoding error (found by a worker) at line 2 comes before a structural error (found by the scanner) at line 3.
        let path = try folder.write("order.csv", Array("\"1\",\"a\",\"b\"\n\"1\",\"".utf8) + [0xFF] + Array("\",\"b\"\n\"1\",\"a\"\n".utf8))
        expectError(.invalidUTF8(byteOffsetInLine: 5), file: path, line: 2) {
            try TextPreprocessor.preprocessCSV(SourceFile(path: path), format: TextDataset.agNews.csvFormat!, dataset: "order",
                                               settings: PreprocessingSettings(encoding: .utf8),
                                               to: folder.path + "/order.cache")
        }
    }

    @Test func missingFiles() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let path = folder.path + "/absent.csv"
        expectError(.missingFile, file: path, line: nil) { _ = try SourceFile(path: path) }
        expectError(.missingFile, file: folder.path + "/train.csv", line: nil) {
            _ = try SourceFile.open(["train.csv"], in: .folder(folder.path))
        }
    }

    @Test func archiveMembersAreReadLikeFiles() throws {
        let source = SourceFile(name: "ag_news_csv.tar.gz:ag_news_csv/train.csv", bytes: Array("\"1\",\"t\",\"bad \"q\"\n".utf8))
        #expect(source.name == "ag_news_csv.tar.gz:ag_news_csv/train.csv" && source.baseName == "train.csv")
        expectError(.malformedQuoting(detail: "text after a closing quote (byte 15)"),
                    file: "ag_news_csv.tar.gz:ag_news_csv/train.csv", line: 1) {
            _ = try CorpusReader.readCSV(source, format: TextDataset.agNews.csvFormat!)
        }
    }
}

@Suite struct MovieReviewReaderTests {
    @Test func latin1SentencesWithLabelsFromTheFile() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let positive = try folder.write("rt-polarity.pos", Array("a clich".utf8) + [0xE9] + Array("d but warm film . \nfun\n".utf8))
        let negative = try folder.write("rt-polarity.neg", "dull .\r\n")
        let samples = try CorpusReader.readClassFiles([SourceFile(path: negative), SourceFile(path: positive)])
        #expect(samples == [
            LabeledText(id: "rt-polarity.neg:1", label: 0, fields: ["dull ."]),
            LabeledText(id: "rt-polarity.pos:1", label: 1, fields: ["a clichéd but warm film . "]),
            LabeledText(id: "rt-polarity.pos:2", label: 1, fields: ["fun"]),
        ])
        let encoder = try TextEncoder(settings: PreprocessingSettings(encoding: .latin1,
                                                                      quantization: QuantizationSettings(length: 1014)))
        let columns = try encoder.encode(samples[1])
        // Read backwards: " . mlif mraw tub dehcilc a"; the 0xE9 byte became "é", then "e".
        let tail = Array("a cliched but warm film . ".reversed())
        #expect(Array(columns.prefix(tail.count)) == tail.map { row($0) })
        #expect(columns.dropFirst(tail.count).allSatisfy { $0 == empty })

        expectError(.invalidUTF8(byteOffsetInLine: 7), file: positive, line: 1) {
            _ = try CorpusReader.readClassFiles([SourceFile(path: negative), SourceFile(path: positive)], encoding: .utf8)
        }
    }

    @Test func emptyLinesAreErrors() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let positive = try folder.write("rt-polarity.pos", "good\n\nbad\n")
        let negative = try folder.write("rt-polarity.neg", "x\n")
        expectError(.emptyText, file: positive, line: 2) {
            _ = try CorpusReader.readClassFiles([SourceFile(path: negative), SourceFile(path: positive)])
        }
    }
}

@Suite struct ArchiveSourceTests {
    /// Packs `files` (name → contents) into `name` with the system `tar`, as the original distributions are packed.
    static func makeArchive(_ name: String, _ files: [String: [UInt8]], in folder: TemporaryFolder) throws -> String {
        for (file, bytes) in files { try folder.write(file, bytes) }
        try runCommand(["tar", "czf", name] + files.keys.sorted(), in: folder.path)
        return folder.path + "/" + name
    }

    @Test func movieReviewsFromTheTarballGetTheFolderIDs() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let archive = try Self.makeArchive("rt-polaritydata.tar.gz", [
            "rt-polaritydata/rt-polarity.pos": Array("a clich".utf8) + [0xE9, 0x0A] + Array("fine\n".utf8),
            "rt-polaritydata/rt-polarity.neg": Array("dull .\n".utf8),
            "rt-polaritydata/readme.txt": Array("not wanted".utf8),
        ], in: folder)
        guard case .filePerClass(let names) = TextDataset.mr.layout else { Issue.record("MR is one file per class"); return }
        let samples = try CorpusReader.readClassFiles(SourceFile.open(names, in: DatasetFiles(path: archive)))
        #expect(samples.map(\.id) == ["rt-polarity.neg:1", "rt-polarity.pos:1", "rt-polarity.pos:2"])
        #expect(samples[1].fields == ["a cliché"])
        expectError(.missingFile, file: "\(archive):readme.md", line: nil) { _ = try SourceFile.open(["readme.md"], in: .archive(archive)) }
        #expect(throws: ArchiveError.missingFile(path: folder.path + "/none.tar.gz")) {
            try DatasetFiles(path: folder.path + "/none.tar.gz")
        }
    }

    @Test func csvFromTheTarballNamesTheMemberInErrors() throws {
        let folder = try TemporaryFolder(prefix: "textdata-tests")
        let archive = try Self.makeArchive("ag_news_csv.tar.gz", [
            "ag_news_csv/train.csv": Array("\"1\",\"t\",\"d\"\n\"1\",\"t\",\"d\"\n\"9\",\"t\",\"d\"\n".utf8),
        ], in: folder)
        let source = try SourceFile.open(["train.csv"], in: .archive(archive))[0]
        expectError(.labelOutOfRange(9, classCount: 4), file: "\(archive):ag_news_csv/train.csv", line: 3) {
            _ = try CorpusReader.readCSV(source, format: TextDataset.agNews.csvFormat!)
        }
    }
}
