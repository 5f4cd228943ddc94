// gckernels: hand-written CPU kernels for the training step of gcgap.
//
// Paths (chosen once per process, at the first call):
//   "avx512 microkernel"  x86-64 CPUs with AVX-512F (AMD Zen 4 and later, Intel Skylake-SP
//                         and later server parts): a 6x32 register tile of 12 zmm accumulators.
//   "avx2 microkernel"    x86-64 CPUs with AVX2 and FMA (Intel Haswell and later, AMD Zen 1-3,
//                         Excavator), or GCGAP_KERNEL=avx2: a 6x16 tile of 12 ymm accumulators.
//   none                  any other CPU (or GCGAP_KERNEL=openblas in the environment): the
//                         gemm entry points return 0 and the caller uses OpenBLAS.
// Both kernels use packed B panels (and packed A for Aᵀ·B), run single-threaded, and compute
// each entry of C as ONE chain of fused multiply-adds, c = fma(a_ip, b_pj, c) for p = 0, 1, ...
// k-1, starting from 0, C, beta*C or the bias: exactly the scalar loop's result. So the two
// kernels give the same bits, the blocking does not matter, and a product over a subset of
// the rows (or without terms that are exactly zero) gives the same bits for what it keeps.
// GCCore sends every product here (NN, NT and TN).
//
// The element-wise kernels (GELU, Adam) have an AVX2 variant and a portable one that do
// the same IEEE operations in the same order (no FMA contraction: the target is built
// with -ffp-contract=off), so both give the same bits, and the same bits as the Swift
// loops they replace.
#ifndef GCKERNELS_H
#define GCKERNELS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 0: no microkernel (OpenBLAS is used), 2: AVX2+FMA microkernel, 3: AVX-512 microkernel.
int gck_gemm_path(void);
/// A name for the path in use ("avx512 microkernel", "avx2 microkernel" or "none").
const char *gck_gemm_path_name(void);
/// Forces a path for this process: 0 = off (OpenBLAS), 2 = avx2, 3 = avx512 (each falls back
/// to the next narrower one the CPU has); -1 = the environment's choice, else the widest.
void gck_set_gemm_path(int path);

/// Row-major C[m,n] = beta*C + op(A)·op(B), op(X) = X or Xᵀ (transA/transB nonzero), each
/// entry one fused multiply-add chain from beta*C (0 when beta == 0, C when beta == 1).
/// A is m×k (k×m stored when transA), B is k×n (n×k stored when transB).
/// Returns 1 when done, 0 when the caller must fall back to BLAS (no kernel on this CPU).
/// beta == 0 writes C without reading it.
int gck_sgemm(int transA, int transB, int m, int n, int k,
              const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc);

/// C[m,n] = bias[n] (every row) + A[m,k]·B[k,n] (row-major, no transposition): the same
/// additions as presetting C to the bias rows and calling gck_sgemm with beta = 1, without
/// the copy. Returns 0 when the caller must fall back to BLAS.
int gck_sgemm_bias(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   const float *bias, float *c, int ldc);

/// e^x as glibc's expf computes it on CPUs with FMA (the softmax's exponential; see
/// expf_glibc.h): the same bits as that function for every float.
float gck_expf(float x);
/// out[i] = gck_expf(in[i]), 8 at a time with AVX2 (same bits).
void gck_expf_array(float *out, const float *in, size_t n);

/// Nonzero: the element-wise and attention kernels take their portable loops even on AVX2
/// CPUs (for tests: both paths must give the same bits). Default 0.
extern int gck_portable_only;

/// GELU (erf form through Numerical Recipes' erfc, as GCCore's vnormalCDF): out = x·Φ(x),
/// cdf = Φ(x) when cdf is non-null.
void gck_gelu_forward(float *out, const float *inp, size_t n, float *cdf);
/// dinp = dout·(cdf + x·φ(x)); may run in place.
void gck_gelu_backward(float *dinp, const float *inp, const float *cdf, const float *dout, size_t n);

/// One Adam step, element-wise exactly as GCCore's Adam.update (PyTorch's formula).
void gck_adam(float *params, const float *grads, float *m, float *v, size_t n,
              float b1, float b2, float eps, float wd, float stepSize, float bc2Sqrt);

/// Causal self-attention over sequences packed end to end, as GCCore's attentionForward:
/// qkv[T, 3·H·dh] -> z[T, H·dh] and the softmax patterns (H n×n matrices per sequence at
/// patternOffsets[s]); offsets has nseq+1 entries. Dot products sum e = 0..dh-1 in order
/// (the Swift loop keeps 16 partial sums), so the last bits differ from the Swift loop's.
/// Returns 0 (having done nothing) when its scratch buffer cannot be allocated.
int gck_attention_forward(float *z, float *pattern, const float *qkv, const long *offsets,
                          const long *patternOffsets, long nseq, long H, long dh);
/// dqkv += the gradient of gck_attention_forward given dz. Returns 0 as gck_attention_forward.
int gck_attention_backward(float *dqkv, const float *dz, const float *qkv, const float *pattern,
                           const long *offsets, const long *patternOffsets, long nseq, long H, long dh);

#ifdef __cplusplus
}
#endif
#endif
