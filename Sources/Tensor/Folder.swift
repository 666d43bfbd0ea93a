import Foundation

/// Creates the folders that runs, sweeps and caches write into. FileManager reports the usual
/// mistakes (a file where the folder should be, no permission) as NSCocoaErrorDomain dumps;
/// these errors name the folder the user gave and what is wrong with it.
package enum Folder {
    /// Makes sure `path` is a folder this process can write into, creating it and any missing
    /// parents. A folder that already exists is fine, so concurrent shards can share one.
    package static func create(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
            try createOne(prefix)
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw FolderError(description: "\(path): the folder is not writable: \(reason(errno))")
        }
    }

    private static func createOne(_ path: String) throws {
        if mkdir(path, 0o777) == 0 { return }
        let failure = errno
        var info = stat()
        guard failure == EEXIST, stat(path, &info) == 0 else {
            throw FolderError(description: "cannot create folder \(path): \(reason(failure))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw FolderError(description: "\(path): exists and is not a folder")
        }
    }

    private static func reason(_ code: Int32) -> String { String(cString: strerror(code)).lowercased() }
}

package struct FolderError: Error, CustomStringConvertible, Sendable {
    package var description: String
}
