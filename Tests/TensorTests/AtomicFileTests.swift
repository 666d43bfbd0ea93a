import Foundation
import Tensor
import TestSupport
import Testing

/// A pid that named a process a moment ago and names none now.
private func deadProcessID() throws -> pid_t {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["true"]
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}

private func checkpoint(_ value: Float) -> Safetensors {
    var file = Safetensors()
    file.set("w", shape: [2, 2], floats: [value, value + 1, value + 2, value + 3])
    return file
}

private func folderContents(_ path: String) throws -> Set<String> {
    Set(try FileManager.default.contentsOfDirectory(atPath: path))
}

/// A writer killed mid-write leaves `.<name>.tmp-<pid>` beside its target and the target as it
/// was; the next write to the same target removes such leftovers once their process is gone.
@Suite struct AtomicFileTests {
    @Test func deadWritersTemporaryLeavesTheTargetIntactAndIsRemovedByTheNextWrite() throws {
        let folder = try TemporaryFolder(prefix: "convrelu-atomic")
        let target = folder.path + "/model.safetensors"
        try checkpoint(1).write(to: target)
        let previous = try Data(contentsOf: URL(fileURLWithPath: target))

        // What a killed writer leaves: the first half of the new file, under its pid.
        let dead = try deadProcessID()
        let torn = ".model.safetensors.tmp-\(dead)"
        try folder.write(torn, Array(checkpoint(2).encode().prefix(previous.count / 2)))
        // A dead writer's temporary for another file of the folder goes too.
        try folder.write(".other.safetensors.tmp-\(dead)", "partial")
        // Temporaries that are not stale: a live writer's (pid 1 always runs), and names that only look alike.
        let kept: Set = [".model.safetensors.tmp-1", ".model.safetensors.tmp-x", "model.safetensors.tmp-\(dead)"]
        for name in kept { try folder.write(name, "partial") }

        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == previous)
        #expect(try Safetensors.read(path: target).floats("w") == [1, 2, 3, 4])

        try checkpoint(5).write(to: target)
        #expect(try Safetensors.read(path: target).floats("w") == [5, 6, 7, 8])
        #expect(try folderContents(folder.path) == kept.union(["model.safetensors"]))
    }

    @Test func mappedOutputRemovesDeadWritersTemporaryAndReplacesTheTargetOnlyOnCommit() throws {
        let folder = try TemporaryFolder(prefix: "convrelu-atomic")
        let target = try folder.write("cache.bin", "previous")
        try folder.write(".cache.bin.tmp-\(try deadProcessID())", "torn")

        let file = try MappedOutputFile(path: target, capacity: 100)
        #expect(try folderContents(folder.path) == ["cache.bin", ".cache.bin.tmp-\(getpid())"])
        file.bytes.copyBytes(from: Array("replacement".utf8))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "previous")
        try file.commit(size: 11)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "replacement")
        #expect(try folderContents(folder.path) == ["cache.bin"])

        // Given up before the commit (an error on the way), it leaves the target as it was.
        do {
            let abandoned = try MappedOutputFile(path: target, capacity: 100)
            abandoned.bytes.copyBytes(from: Array("abandoned".utf8))
        }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "replacement")
        #expect(try folderContents(folder.path) == ["cache.bin"])
    }

    /// On a full disk the space is refused up front, as an error naming the file, instead of a
    /// SIGBUS when the map is written; nothing is left behind.
    @Test func fullDiskIsAnErrorNamingTheFile() throws {
        guard let disk = try TinyFileSystem(bytes: 1 << 20) else { try Test.cancel("mounting a tmpfs needs root") }
        let target = disk.path + "/train.crtext"
        let error = #expect(throws: AtomicFile.WriteError.self) { try MappedOutputFile(path: target, capacity: 4 << 20) }
        #expect(error?.path == target)
        #expect(error?.description.contains("cannot reserve 4194304 bytes on disk") == true, "\(String(describing: error))")
        #expect(error?.description.contains("No space left on device") == true, "\(String(describing: error))")
        #expect(try folderContents(disk.path).isEmpty)

        let whole = #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write([UInt8](repeating: 1, count: 2 << 20), to: target) }
        #expect(whole?.description.contains("No space left on device") == true, "\(String(describing: whole))")
        #expect(try folderContents(disk.path).isEmpty)

        // What fits is written in full.
        let fits = try MappedOutputFile(path: target, capacity: 512 << 10)
        fits.bytes.copyBytes(from: [UInt8](repeating: 7, count: fits.capacity))
        try fits.commit(size: fits.capacity)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data(repeating: 7, count: 512 << 10))
    }
}
