import CBLAS
import Foundation

/// Which OpenBLAS kernels run, and how to get the fast ones.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent Intel CPUs and falls back to its SSE3
/// "Prescott" kernels (about 7x slower here). It reads `OPENBLAS_CORETYPE` in its library
/// constructor, before `main`, so the command-line tool re-executes itself once with the
/// variable set (`reexecWithFastSettingsIfNeeded`). A user's own `OPENBLAS_CORETYPE` always wins.
public enum BLASRuntime {
    /// The kernel family OpenBLAS chose, e.g. "Cooperlake", "SkylakeX", "Haswell", "Prescott".
    public static var coreName: String { String(cString: openblas_get_corename()) }

    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    public static func setThreadCount(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// Cores OpenBLAS 0.3.21 falls back to when it does not know the CPU.
    static let fallbackCores: Set<String> = ["Prescott", "Core2", "Nehalem", "Sandybridge", "Unknown"]

    /// The best core type OpenBLAS 0.3.21 has for a CPU with these /proc/cpuinfo flags, if any.
    public static func bestCoreType(cpuFlags flags: Set<String>) -> String? {
        if flags.isSuperset(of: ["avx512_bf16", "avx512bw", "avx512vl", "avx512f"]) { return "Cooperlake" }
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    public static func cpuFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
    }

    /// How long, as 2^n cycles, idle OpenBLAS threads spin before they sleep. The default (2^28)
    /// keeps both cores busy-waiting between GEMMs, against the engine's own workers building
    /// columns and pooling in those gaps; 2^4 lets them yield at once.
    static let threadTimeout = "4"

    /// Re-executes this process once with the OpenBLAS settings that must be in the environment
    /// before the library loads, where they are missing: `OPENBLAS_CORETYPE` when OpenBLAS fell
    /// back to slow kernels on a CPU with AVX2 or AVX-512, and `OPENBLAS_THREAD_TIMEOUT`. A value
    /// the user set is kept. Returns only when nothing was missing or the exec failed. Call it
    /// first thing in `main`.
    public static func reexecWithFastSettingsIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        var missing: [(String, String)] = []
        if env["OPENBLAS_CORETYPE"] == nil, fallbackCores.contains(coreName), let core = bestCoreType(cpuFlags: cpuFlags()) {
            missing.append(("OPENBLAS_CORETYPE", core))
            missing.append((autoMarker, "1"))
        }
        if env["OPENBLAS_THREAD_TIMEOUT"] == nil { missing.append(("OPENBLAS_THREAD_TIMEOUT", threadTimeout)) }
        guard !missing.isEmpty else { return }
        for (name, value) in missing { setenv(name, value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        for (name, _) in missing { unsetenv(name) }  // exec failed: carry on as we are
    }

    /// Set across the re-exec, so the summary can tell an automatic choice from the user's.
    static let autoMarker = "CONVRELU_BLAS_CORE_AUTO"

    /// One line for logs: the core in use and whether it was chosen automatically or by the user.
    public static var summary: String {
        let env = ProcessInfo.processInfo.environment
        let how = env[autoMarker] != nil ? "chosen for this CPU"
            : env["OPENBLAS_CORETYPE"].map { "OPENBLAS_CORETYPE=\($0)" } ?? "OpenBLAS's own detection"
        let timeout = env["OPENBLAS_THREAD_TIMEOUT"].map { ", idle threads spin 2^\($0) cycles" } ?? ""
        return "OpenBLAS core \(coreName) (\(how)), \(threadCount) threads\(timeout)"
    }
}

/// Runs `body` with OpenBLAS on one thread, for GEMMs called from several threads at once.
@inlinable
func withSingleThreadedBLAS(_ body: () -> Void) {
    let threads = openblas_get_num_threads()
    openblas_set_num_threads(1)
    body()
    openblas_set_num_threads(threads)
}
