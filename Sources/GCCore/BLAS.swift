import CBLAS
import CKernels
#if canImport(Glibc)
import Glibc
#endif

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
    /// The path every matrix product takes: "avx512 microkernel" (CKernels' register-blocked
    /// sgemm with a 6x32 tile, on x86-64 CPUs with AVX-512F: AMD Zen 4 and later, Intel
    /// Skylake-SP and later server parts), "avx2 microkernel" (its 6x16 AVX2+FMA form: Intel
    /// Haswell and later, AMD Zen 1-3; GCGAP_KERNEL=avx2 picks it on an AVX-512 CPU too), or
    /// "OpenBLAS <core>" (any other CPU, GCGAP_KERNEL=openblas, or `useMicrokernel = false`).
    /// Both microkernels compute each entry as one chain of fused multiply-adds in the order
    /// of the sum (the scalar loop `c = fmaf(a, b, c)`), so their results are the same bits on
    /// every CPU that takes either, run after run; OpenBLAS sums in an order of its own per
    /// CPU family, so there the last bits depend on the machine.
    public static var kernelName: String {
        gck_gemm_path() < 2 ? "OpenBLAS \(coreName)" : String(cString: gck_gemm_path_name())
    }
    /// Turns the microkernel on (when the CPU has it) or off (OpenBLAS) for this process.
    public static var useMicrokernel: Bool {
        get { gck_gemm_path() >= 2 }
        set { gck_set_gemm_path(newValue ? -1 : 0) }   // -1: GCGAP_KERNEL's kernel, else the widest
    }
    /// Turns every CKernels kernel on or off for this process: the sgemm microkernel (as
    /// `useMicrokernel`) and the element-wise loops (GELU, Adam; same bits either way).
    /// Off is the code as it was before CKernels: OpenBLAS and the Swift loops.
    /// GCGAP_KERNEL=openblas in the environment starts a process with everything off.
    public static var useKernels: Bool {
        get { useMicrokernel || elementwiseKernels }
        set { useMicrokernel = newValue; elementwiseKernels = newValue }
    }
    /// Whether GELU and Adam go through CKernels' loops (default: yes, unless GCGAP_KERNEL=openblas).
    nonisolated(unsafe) public static var elementwiseKernels: Bool = {
        let e = getenv("GCGAP_KERNEL").map { String(cString: $0) }
        return !(e == "openblas" || e == "blas" || e == "off")
    }()
    /// OpenBLAS's build configuration line.
    public static var configuration: String { openblas_get_config().map { String(cString: $0) } ?? "?" }

    /// C[m,n] = beta*C + A[m,k] · B[k,n]   (all row-major, leading dimensions given)
    @inline(__always)
    static func gemmNN(_ m: Int, _ n: Int, _ k: Int,
                       _ a: UnsafePointer<Float>, _ lda: Int,
                       _ b: UnsafePointer<Float>, _ ldb: Int,
                       _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        if m == 0 || n == 0 { return }
        if gck_sgemm(0, 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc)) != 0 { return }
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
        if gck_sgemm(0, 1, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc)) != 0 { return }
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
        if gck_sgemm(1, 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc)) != 0 { return }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
