import Foundation
import Testing
@testable import TextData

/// A fresh folder under the system temp folder, removed when the value goes away.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "textdata-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` in the folder and returns the path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = path + "/" + name
        precondition(FileManager.default.createFile(atPath: file, contents: Data(bytes)), "cannot write \(file)")
        return file
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }
}

/// The shared datasets: `$CONVRELU_DATA`, else `../shared/data` from the package root (swift test's cwd).
let dataFolder = ProcessInfo.processInfo.environment["CONVRELU_DATA"] ?? "../shared/data"
let sharedDataAvailable = FileManager.default.fileExists(atPath: dataFolder + "/ag_news_csv/train_combined.csv")

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
