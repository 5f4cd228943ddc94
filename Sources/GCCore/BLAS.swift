import CBLAS

/// The BLAS calls of the core, row-major, with names that say what they compute.
public enum BLAS {
    /// Sets the number of OpenBLAS threads for this process (default 1: bit-for-bit
    /// determinism across runs and no contention on 2 cores).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    /// The kernel family OpenBLAS chose for this CPU ("Haswell", "Zen", "SkylakeX", ...).
    /// Results are bit-for-bit reproducible for one build on one kernel family; another
    /// family sums in another order, and the last bits differ.
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "?" }
    /// OpenBLAS's build configuration line.
    public static var configuration: String { openblas_get_config().map { String(cString: $0) } ?? "?" }

    /// C[m,n] = beta*C + A[m,k] · B[k,n]   (all row-major, leading dimensions given)
    @inline(__always)
    static func gemmNN(_ m: Int, _ n: Int, _ k: Int,
                       _ a: UnsafePointer<Float>, _ lda: Int,
                       _ b: UnsafePointer<Float>, _ ldb: Int,
                       _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m,n] = beta*C + A[m,k] · B[n,k]ᵀ
    @inline(__always)
    static func gemmNT(_ m: Int, _ n: Int, _ k: Int,
                       _ a: UnsafePointer<Float>, _ lda: Int,
                       _ b: UnsafePointer<Float>, _ ldb: Int,
                       _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C[m,n] = beta*C + A[k,m]ᵀ · B[k,n]
    @inline(__always)
    static func gemmTN(_ m: Int, _ n: Int, _ k: Int,
                       _ a: UnsafePointer<Float>, _ lda: Int,
                       _ b: UnsafePointer<Float>, _ ldb: Int,
                       _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 { // BLAS skips scaling by beta when k = 0 in some builds; be explicit.
            if beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
