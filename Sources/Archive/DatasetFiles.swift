import Foundation

/// Where a dataset's files are: a folder, or an archive (`.tar`, `.tar.gz`, `.tgz`) read in
/// place without unpacking. The text corpora and CIFAR both find their files through it, so
/// every dataset can be given either way.
package enum DatasetFiles: Sendable {
    case folder(String)
    case archive(String)

    /// `path` as a folder if it is one, otherwise as an archive.
    package init(path: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw ArchiveError.missingFile(path: path) }
        self = isFolder.boolValue ? .folder(path) : .archive(path)
    }

    package var path: String {
        switch self {
        case .folder(let path), .archive(let path): path
        }
    }

    /// One file of a dataset.
    package struct File: Sendable {
        package enum Contents: Sendable {
            /// A file of a folder, left on disk for the reader to map or read.
            case path(String)
            /// An archive member, read out.
            case bytes([UInt8])
        }

        /// The name errors use: the path, or `archive:member`.
        package let name: String
        /// The file's own name without folders, which callers select by.
        package let baseName: String
        package let contents: Contents
    }

    /// The files whose base name `wanted` accepts, sorted by base name, so that a folder and an
    /// archive holding the same files give them in the same order. A folder is listed without
    /// descending; an archive is read once, members not wanted are skipped unread, and of two
    /// members with one base name the first is kept.
    package func files(where wanted: (String) -> Bool) throws -> [File] {
        var found: [String: File] = [:]
        switch self {
        case .folder(let folder):
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
                throw ArchiveError.readFailed(path: folder, reason: "cannot list folder: \(error.localizedDescription)")
            }
            for name in names where wanted(name) {
                found[name] = File(name: folder + "/" + name, baseName: name, contents: .path(folder + "/" + name))
            }
        case .archive(let archive):
            let tar = try TarReader(path: archive)
            while let entry = try tar.nextFile() {
                let baseName = String(entry.name.split(separator: "/").last ?? "")
                guard found[baseName] == nil, wanted(baseName) else { continue }
                found[baseName] = File(name: archive + ":" + entry.name, baseName: baseName, contents: .bytes(try tar.readContents()))
            }
        }
        return found.keys.sorted().map { found[$0]! }
    }
}
