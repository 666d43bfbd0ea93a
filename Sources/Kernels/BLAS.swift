import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// A floating-point type the kernels run in: Float32 for the engine, Float64 for the
/// finite-difference gradient checks. Every kernel is generic over it and `@inlinable`,
/// so callers get code specialised to their type.
public protocol BLASFloat: BinaryFloatingPoint, Sendable {
    /// Row-major C = alpha * op(A) * op(B) + beta * C, with op(A) m×k and op(B) k×n.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// y = alpha · A x + beta · y for a row-major (m × n) matrix A.
    static func gemv(m: Int, n: Int, alpha: Self, a: UnsafePointer<Self>, lda: Int, x: UnsafePointer<Self>,
                     beta: Self, y: UnsafeMutablePointer<Self>)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
}

extension Float: BLASFloat {
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable
    public static func gemv(m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                            beta: Float, y: UnsafeMutablePointer<Float>) {
        guard m > 0 else { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
    @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func log(_ x: Float) -> Float { logf(x) }
}

extension Double: BLASFloat {
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable
    public static func gemv(m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int, x: UnsafePointer<Double>,
                            beta: Double, y: UnsafeMutablePointer<Double>) {
        guard m > 0 else { return }
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }
    @inlinable public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
    @inlinable public static func log(_ x: Double) -> Double { Glibc.log(x) }
}
