import Foundation
import TestSupport
import Testing
@testable import TextData

/// Whether the shared text datasets are in `Fixtures.dataFolder` (`$CONVRELU_DATA`, else `../shared/data`).
let sharedDataAvailable = FileManager.default.fileExists(atPath: Fixtures.dataFolder + "/ag_news_csv/train_combined.csv")

/// Runs `body`, expects a `TextDataError` of `kind` naming `file` and `line`, in its fields and its description.
func expectError(_ kind: TextDataError.Kind, file: String, line: Int?,
                 sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    let error = #expect(throws: TextDataError.self, sourceLocation: sourceLocation) { try body() }
    guard let error else { return }
    #expect(error.kind == kind, sourceLocation: sourceLocation)
    #expect(error.file == file, sourceLocation: sourceLocation)
    #expect(error.line == line, sourceLocation: sourceLocation)
    #expect(error.description.contains(file), sourceLocation: sourceLocation)
    if let line { #expect(error.description.contains("line \(line)"), sourceLocation: sourceLocation) }
}

/// Alphabet row of an ASCII character, or the empty column.
func row(_ character: Character, _ quantizer: Quantizer = Quantizer()) -> UInt8 {
    quantizer.row(of: character.unicodeScalars.first!).map(UInt8.init) ?? Quantizer.emptyColumn
}

let empty = Quantizer.emptyColumn
