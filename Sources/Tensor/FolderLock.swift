import Foundation

/// An exclusive `flock` on a lock file in a folder, held while a process writes there, so a
/// second process that would mix its files with the first stops at once instead. The holder
/// writes its pid into the file, for the other's message. The kernel drops the lock when the
/// holder exits, however it exits, so a killed process never leaves the folder locked, and the
/// file itself can stay. `flock` locks belong to an open file description: two acquisitions in
/// one process conflict just as two processes do.
package final class FolderLock {
    package let path: String
    private var fd: Int32
    /// Why the folder could not be locked where the file system does not support it (then
    /// nothing is held, and a concurrent writer would go unnoticed); nil when locked.
    package let unsupported: String?

    /// Locks `folder`/`name` (the folder must exist) or throws, naming the folder, the holder's
    /// pid when it has written it, and `advice`.
    package init(folder: String, name: String, advice: String) throws {
        path = folder + "/" + name
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FolderError(description: "\(path): cannot open the lock file: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            guard failure == EWOULDBLOCK else {
                unsupported = "\(path): cannot lock (\(String(cString: strerror(failure)))): another process writing into \(folder) would not be noticed"
                return
            }
            let holder = FolderLock.recordedPid(fd)
            close(fd)
            fd = -1
            throw FolderError(description: "\(folder): in use by another process (\(holder.map { "pid \($0)" } ?? "pid not known"), "
                              + "holding \(path)); \(advice)")
        }
        unsupported = nil
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
    }

    /// Gives the lock up (also on deinit).
    package func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }

    private static func recordedPid(_ fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: bytes[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
