import Foundation

/// A tmpfs of `bytes` bytes mounted on a fresh temporary folder, to test what a full disk does;
/// unmounted (and the folder removed) when the object goes away. Mounting needs root
/// (CAP_SYS_ADMIN), so `init` returns nil where it is not permitted.
package final class TinyFileSystem: Sendable {
    package let path: String
    private let folder: TemporaryFolder

    package init?(bytes: Int) throws {
        folder = try TemporaryFolder(prefix: "convrelu-tiny-fs")
        path = folder.path
        #if os(Linux)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(bytes)") == 0 else { return nil }
        #else
        return nil
        #endif
    }

    deinit {
        #if os(Linux)
        umount2(path, Int32(MNT_DETACH))
        #endif
    }
}
