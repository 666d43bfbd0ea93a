import Foundation

/// A fresh folder under the system temporary directory, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("archive-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func write(_ bytes: [UInt8], to name: String) throws {
        let url = URL(fileURLWithPath: path + "/" + name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
}

/// Runs a command (found on PATH) in `folder`; throws when it does not exit with 0.
func run(_ arguments: [String], in folder: String) throws {
    struct CommandFailed: Error { let arguments: [String]; let status: Int32 }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CommandFailed(arguments: arguments, status: process.terminationStatus) }
}

/// Bytes that compress a little but not completely, like real data.
func sampleBytes(count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed
    return (0..<count).map { index in
        state = state &* 1_664_525 &+ 1_013_904_223
        return index % 3 == 0 ? UInt8(truncatingIfNeeded: index / 7) : UInt8(truncatingIfNeeded: state >> 24)
    }
}
