import Foundation

/// A fresh folder under the system temporary directory, removed (with everything in it) when
/// the object goes away. Keep it in a local `let` for as long as a test uses its files.
package final class TemporaryFolder: Sendable {
    package let path: String

    /// Creates `<temporary directory>/<prefix>-<UUID>`.
    package init(prefix: String = "convrelu-tests") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `bytes` to `name` (a path relative to the folder, whose folders are created as
    /// needed) and returns the file's full path.
    @discardableResult
    package func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let file = path + "/" + name
        let url = URL(fileURLWithPath: file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return file
    }

    /// Writes `text` as UTF-8 to `name` and returns the file's full path.
    @discardableResult
    package func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
}

/// A command that did not exit with status 0.
package struct CommandFailed: Error, CustomStringConvertible {
    package let arguments: [String]
    package let status: Int32
    package var description: String { "`\(arguments.joined(separator: " "))` exited with status \(status)" }
}

/// Runs a command found on PATH (through /usr/bin/env), in `folder` if given; throws
/// `CommandFailed` when it does not exit with 0.
package func runCommand(_ arguments: [String], in folder: String? = nil) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CommandFailed(arguments: arguments, status: process.terminationStatus) }
}
