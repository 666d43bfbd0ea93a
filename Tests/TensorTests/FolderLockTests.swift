import Foundation
import Tensor
import TestSupport
import Testing

@Suite struct FolderLockTests {
    /// flock locks belong to an open file description, so a second lock in the same process
    /// conflicts like another process's would; it names the folder and the holder's pid, and
    /// once the first is released the folder can be locked again.
    @Test func secondLockFailsUntilTheFirstIsReleased() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-lock")
        let first = try FolderLock(folder: temporary.path, name: ".train.lock", advice: "wait")
        #expect(first.unsupported == nil)
        let error = #expect(throws: FolderError.self) { try FolderLock(folder: temporary.path, name: ".train.lock", advice: "wait") }
        #expect(error?.description == "\(temporary.path): in use by another process (pid \(getpid()), holding \(temporary.path)/.train.lock); wait")
        first.release()
        let again = try FolderLock(folder: temporary.path, name: ".train.lock", advice: "wait")
        again.release()
        // Another lock name in the same folder (a sweep's summary lock) is independent.
        let run = try FolderLock(folder: temporary.path, name: ".train.lock", advice: "wait")
        let other = try FolderLock(folder: temporary.path, name: ".summary.lock", advice: "wait")
        other.release()
        run.release()
    }

    @Test func missingFolderIsNamed() throws {
        let temporary = try TemporaryFolder(prefix: "convrelu-lock")
        let error = #expect(throws: FolderError.self) { try FolderLock(folder: temporary.path + "/absent", name: ".train.lock", advice: "") }
        #expect(error?.description.hasPrefix("\(temporary.path)/absent/.train.lock: cannot open the lock file") == true)
    }
}
