import Foundation
import Kernels
import Tensor
import TestSupport
import Testing

/// OpenBLAS's kernel choice: whichever core runs (the fast AVX-512 ones when CI exports
/// OPENBLAS_CORETYPE), sgemm must agree with a plain triple loop in Float64.
@Suite struct BLASTests {
    @Test(arguments: [(1, 1, 1), (7, 13, 5), (33, 257, 17), (128, 96, 300), (1, 1000, 64), (500, 1, 70)])
    func sgemmMatchesNaiveProduct(m: Int, n: Int, k: Int) {
        var rng = RNG(seed: UInt64(m * 1_000_003 + n * 1009 + k))
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = (0..<(m * k)).map { _ in Float(rng.normal()) }, b = (0..<(k * n)).map { _ in Float(rng.normal()) }
            var c = (0..<(m * n)).map { _ in Float(rng.normal()) }
            let c0 = c
            Float.gemm(transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1.5, a: a, lda: ta ? m : k,
                       b: b, ldb: tb ? k : n, beta: 0.5, c: &c, ldc: n)
            var expected = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k {
                        s += Double(ta ? a[p * m + i] : a[i * k + p]) * Double(tb ? b[j * k + p] : b[p * n + j])
                    }
                    expected[i * n + j] = 1.5 * s + 0.5 * Double(c0[i * n + j])
                }
            }
            #expect(mismatch(c, expected, Tolerance(absolute: 1e-4 * Double(k).squareRoot(), relative: 1e-5),
                             "sgemm \(m)x\(n)x\(k) ta=\(ta) tb=\(tb) on \(BLASRuntime.coreName)") == nil)
        }
    }

    @Test func coreChoiceForCPUFlags() {
        #expect(BLASRuntime.bestCoreType(cpuFlags: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16", "avx2", "fma"]) == "Cooperlake")
        #expect(BLASRuntime.bestCoreType(cpuFlags: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma"]) == "SkylakeX")
        #expect(BLASRuntime.bestCoreType(cpuFlags: ["avx2", "fma", "sse4_2"]) == "Haswell")
        #expect(BLASRuntime.bestCoreType(cpuFlags: ["sse4_2"]) == nil)
    }

    /// When the environment names a core, OpenBLAS runs it (the parity tests then verify it).
    @Test func requestedCoreIsInUse() {
        guard let requested = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !requested.isEmpty else { return }
        #expect(BLASRuntime.coreName.lowercased() == requested.lowercased())
    }
}
