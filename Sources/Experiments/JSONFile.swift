import Foundation
import Tensor

/// The JSON files a run or sweep leaves (`result.json`, `sweep.json`, `summary.json`, a
/// comparison): snake_case keys, sorted and indented so they diff well in `results/`, written
/// atomically so a reader never sees half a file.
enum JSONFile {
    static func write<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // A paired t is infinite when every pair differs by the same amount.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(Array(try encoder.encode(value)) + [0x0A], to: path)
    }

    /// The value in `path`, or nil when there is no such file; `describe` names what the file
    /// should have held, for the error when it does not decode.
    static func read<T: Decodable>(_ type: T.Type, from path: String, describe: String) throws -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(type, from: data) } catch {
            throw SweepError("\(path): not \(describe) (\(error))")
        }
    }
}
