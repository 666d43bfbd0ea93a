import Foundation

/// Whole-file writes that never leave a torn file behind (checkpoints, caches, fold files).
package enum AtomicFile {
    package struct WriteError: Error, CustomStringConvertible {
        package var path: String
        package var message: String
        package var description: String { "\(path): \(message)" }
    }

    package static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = temporaryPath(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, message: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n <= 0 { return false }
                written += n
            }
            return fsync(fd) == 0
        }
        let savedErrno = errno
        close(fd)
        guard ok else {
            unlink(temporary)
            throw WriteError(path: path, message: "write failed: \(String(cString: strerror(savedErrno)))")
        }
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw WriteError(path: path, message: "rename failed: \(String(cString: strerror(e)))")
        }
        syncFolder(of: path)
    }

    /// Renames a complete file over `path` (in the same folder) and makes the rename durable, so
    /// a file written earlier under a pending name can be put in place after a commit elsewhere.
    package static func move(_ source: String, to path: String) throws {
        guard rename(source, path) == 0 else {
            throw WriteError(path: path, message: "cannot rename \(source) to it: \(String(cString: strerror(errno)))")
        }
        syncFolder(of: path)
    }

    /// Removes `path` if it is there (a file left by an unfinished write) and makes that durable.
    package static func remove(_ path: String) throws {
        if unlink(path) == 0 {
            syncFolder(of: path)
        } else if errno != ENOENT {
            throw WriteError(path: path, message: "cannot remove: \(String(cString: strerror(errno)))")
        }
    }

    /// The hidden file beside `path` that this process writes before renaming it over `path`
    /// (a rename is atomic only within one file system): `.<name>.tmp-<pid>`. Temporaries of
    /// writers that no longer run are removed from the folder first, whichever file they were
    /// for (a cache keyed by its sources' contents may never be written under that name again):
    /// a process killed mid-write, or by SIGBUS on a full disk, leaves its own behind and
    /// nothing else ever would.
    static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let marker = ".tmp-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".") {
            guard let range = name.range(of: marker, options: .backwards) else { continue }
            // Only a pid that names no process here is stale: kill with signal 0 sends nothing
            // and fails with ESRCH exactly then (EPERM means alive under another user).
            guard let pid = pid_t(name[range.upperBound...]), pid > 0, pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(folder + "/" + name)
        }
        return folder + "/." + url.lastPathComponent + marker + "\(getpid())"
    }

    /// Makes a rename in the folder of `path` durable.
    static func syncFolder(of path: String) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dirfd = open(folder.isEmpty ? "." : folder, O_RDONLY)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }
}

/// A file of up to `capacity` bytes written in place through a memory map, then cut to its
/// final size, made durable and renamed over `path`, so that, as with `AtomicFile.write`, no
/// torn file is ever seen there. For outputs of hundreds of MB (text caches): building them in
/// an array and writing that out touches every byte three times (zeroing fresh pages, filling,
/// copying into the page cache); here the page cache pages are filled directly.
package final class MappedOutputFile {
    package let path: String
    package let capacity: Int
    /// The mapped bytes, zero until written.
    package let bytes: UnsafeMutableRawBufferPointer
    private let temporary: String
    private let fd: Int32
    private var committed = false

    package init(path: String, capacity: Int) throws {
        self.path = path
        self.capacity = max(1, capacity)
        temporary = AtomicFile.temporaryPath(for: path)
        fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw AtomicFile.WriteError(path: path, message: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        // The blocks are reserved before mapping: a store into a page of a sparse file that the
        // file system cannot back (a full disk) raises SIGBUS, killing the process mid-write,
        // where a failed reservation is an error the caller can report.
        let reserved = MappedOutputFile.reserve(fd, self.capacity)
        guard reserved == 0 else {
            close(fd)
            unlink(temporary)
            throw AtomicFile.WriteError(path: path, message: "cannot reserve \(self.capacity) bytes on disk for \(temporary): \(String(cString: strerror(reserved)))")
        }
        guard let base = mmap(nil, self.capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            let message = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            throw AtomicFile.WriteError(path: path, message: "cannot map \(self.capacity) bytes: \(message)")
        }
        bytes = UnsafeMutableRawBufferPointer(start: base, count: self.capacity)
    }

    /// Sizes the file to `size` bytes with its blocks allocated; returns 0 or an errno value.
    private static func reserve(_ fd: Int32, _ size: Int) -> Int32 {
        #if canImport(Glibc)
        return posix_fallocate(fd, 0, off_t(size))
        #else
        // macOS has no posix_fallocate: the file stays sparse there.
        return ftruncate(fd, off_t(size)) == 0 ? 0 : errno
        #endif
    }

    /// Keeps the first `size` bytes, syncs them and renames the file over `path`.
    package func commit(size: Int) throws {
        precondition(size <= capacity && !committed, "MappedOutputFile: commit \(size) of \(capacity) bytes")
        munmap(bytes.baseAddress, capacity)
        committed = true
        let ok = ftruncate(fd, off_t(size)) == 0 && fsync(fd) == 0
        let savedErrno = errno
        close(fd)
        guard ok else {
            unlink(temporary)
            throw AtomicFile.WriteError(path: path, message: "write failed: \(String(cString: strerror(savedErrno)))")
        }
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary)
            throw AtomicFile.WriteError(path: path, message: "rename failed: \(String(cString: strerror(e)))")
        }
        AtomicFile.syncFolder(of: path)
    }

    /// An uncommitted file (an error on the way) leaves nothing behind.
    deinit {
        guard !committed else { return }
        munmap(bytes.baseAddress, capacity)
        close(fd)
        unlink(temporary)
    }
}
