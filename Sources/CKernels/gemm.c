// Single-threaded sgemm for the shapes of gcgap's training step (BLIS-style blocking:
// NC columns of B packed per outer block, KC-deep panels, MC rows of A packed per inner
// block, a 6x16 register tile of 12 ymm accumulators). Every C element is one chain of
// fused multiply-adds over p = 0, 1, ... k-1 (see kernel6x16): exactly what the scalar loop
// `c = fmaf(a[i][p], b[p][j], c)` gives, whatever the blocking, so results are bit-identical
// run to run and on every CPU that takes this path, and a product over a subset of rows (or
// without rows of zeros) gives the same bits for the rows it keeps.
#include "gckernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MR 6
#define NR 16
#ifndef KCMAX
#define KCMAX 288
#endif
#ifndef MC
#define MC 96
#endif
#ifndef NC
#define NC 512
#endif

static atomic_int gemm_path = -1;

static int cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static int cpu_has_avx512(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

// GCGAP_KERNEL: openblas (or blas, off) = no microkernel; avx2 = the AVX2 kernel even on an
// AVX-512 CPU; unset = the widest the CPU has.
static int detect(void) {
    const char *e = getenv("GCGAP_KERNEL");
    if (e && (strcmp(e, "openblas") == 0 || strcmp(e, "blas") == 0 || strcmp(e, "off") == 0)) return 0;
    if (e && strcmp(e, "avx2") == 0) return cpu_has_avx2_fma() ? 2 : 0;
    return cpu_has_avx512() ? 3 : cpu_has_avx2_fma() ? 2 : 0;
}

int gck_gemm_path(void) {
    int p = atomic_load(&gemm_path);
    if (p < 0) { p = detect(); atomic_store(&gemm_path, p); }
    return p;
}

const char *gck_gemm_path_name(void) {
    int p = gck_gemm_path();
    return p == 3 ? "avx512 microkernel" : p == 2 ? "avx2 microkernel" : "none";
}

void gck_set_gemm_path(int path) {
    int p;
    if (path < 0) {   // the environment's choice, or the widest kernel when it chose none
        p = detect();
        if (p < 2) p = cpu_has_avx512() ? 3 : cpu_has_avx2_fma() ? 2 : 0;
    } else {
        p = path == 3 && cpu_has_avx512() ? 3 : path >= 2 && cpu_has_avx2_fma() ? 2 : 0;
    }
    atomic_store(&gemm_path, p);
}

#if defined(__x86_64__) || defined(__i386__)

// Per-thread packing buffers, allocated at a thread's first product and kept (about
// 700 KB per thread that multiplies).
static _Thread_local float *bufA, *bufB;   // B: KCMAX x NC, whichever strip width

static int buffers(void) {
    if (!bufA) bufA = aligned_alloc(64, sizeof(float) * MC * KCMAX);
    if (!bufB) bufB = aligned_alloc(64, sizeof(float) * KCMAX * NC);
    return bufA && bufB;
}

// A block rows [i0, i0+mc) x depth [p0, p0+kc) into strips of MR rows: strip s holds
// element (i, p) at s*MR*kc + p*MR + i; rows past mc are zero.
__attribute__((target("avx2")))
static void packA(int tA, const float *a, int lda, int i0, int p0, int mc, int kc, float *pa) {
    for (int ir = 0; ir < mc; ir += MR) {
        int mr = mc - ir < MR ? mc - ir : MR;
        float *dst = pa + (size_t)ir * kc;
        if (tA) { // A stored k x m: a[p*lda + i]
            for (int p = 0; p < kc; p++) {
                const float *src = a + (size_t)(p0 + p) * lda + i0 + ir;
                int i = 0;
                for (; i < mr; i++) dst[p * MR + i] = src[i];
                for (; i < MR; i++) dst[p * MR + i] = 0;
            }
        } else {  // a[i*lda + p]
            for (int i = 0; i < MR; i++) {
                if (i < mr) {
                    const float *src = a + (size_t)(i0 + ir + i) * lda + p0;
                    for (int p = 0; p < kc; p++) dst[p * MR + i] = src[p];
                } else {
                    for (int p = 0; p < kc; p++) dst[p * MR + i] = 0;
                }
            }
        }
    }
}

// B block depth [p0, p0+kc) x columns [j0, j0+nc) into strips of `w` columns (NR, or
// NR512 for the AVX-512 kernel): strip s holds (p, j) at s*w*kc + p*w + j; columns past nc
// are zero.
__attribute__((target("avx2")))
static void packB(int tB, const float *b, int ldb, int p0, int j0, int kc, int nc, float *pb, int w) {
    for (int jr = 0; jr < nc; jr += w) {
        int nr = nc - jr < w ? nc - jr : w;
        float *dst = pb + (size_t)jr * kc;
        if (!tB) { // b[p*ldb + j]
            for (int p = 0; p < kc; p++) {
                const float *src = b + (size_t)(p0 + p) * ldb + j0 + jr;
                int j = 0;
                for (; j < nr; j++) dst[p * w + j] = src[j];
                for (; j < w; j++) dst[p * w + j] = 0;
            }
        } else {   // B stored n x k: b[j*ldb + p]
            for (int j = 0; j < w; j++) {
                if (j < nr) {
                    const float *src = b + (size_t)(j0 + jr + j) * ldb + p0;
                    for (int p = 0; p < kc; p++) dst[p * w + j] = src[p];
                } else {
                    for (int p = 0; p < kc; p++) dst[p * w + j] = 0;
                }
            }
        }
    }
}

// Every element is one fused multiply-add chain: c = c0; c = fma(a_ip, b_pj, c) for
// p = 0, 1, ... k-1; c0 is 0 (init 0), C (1), beta*C (2) or bias[j] (3). Later depth panels
// start from the C the earlier ones left (init 1), so the chain runs on across panels and
// the result does not depend on the blocking, on the vector width, or on terms that are
// exactly zero (a row of zeros leaves every sum as it was). A full tile loads and stores
// with vectors, an edge tile (mr < MR or nr < NR) through a scratch tile.
// A comes either packed (strip of MR rows, `a0` only, rs = 0) or straight from a row-major
// matrix (rows a0 + i*rs, read along p; rows past mr repeat the last valid row and their
// results are dropped).
__attribute__((target("avx2,fma")))
static void kernel6x16(int kc, const float *a0, size_t rs, const float *B, float *C, int ldc,
                       int init, float beta, const float *bias, int mr, int nr) {
    __m256 acc[12];
    float tile[MR * NR] __attribute__((aligned(32)));
    int full = mr == MR && nr == NR;
    if (init == 0) {
        for (int i = 0; i < 12; i++) acc[i] = _mm256_setzero_ps();
    } else if (init == 3) {
        float bb[NR] __attribute__((aligned(32)));
        for (int j = 0; j < NR; j++) bb[j] = j < nr ? bias[j] : 0;
        for (int i = 0; i < MR; i++) { acc[2 * i] = _mm256_load_ps(bb); acc[2 * i + 1] = _mm256_load_ps(bb + 8); }
    } else {
        const float *src = C;
        int ld = ldc;
        if (!full) {
            for (int i = 0; i < MR; i++)
                for (int j = 0; j < NR; j++) tile[i * NR + j] = i < mr && j < nr ? C[(size_t)i * ldc + j] : 0;
            src = tile; ld = NR;
        }
        __m256 vb = _mm256_set1_ps(beta);
        for (int i = 0; i < MR; i++) {
            __m256 r0 = _mm256_loadu_ps(src + (size_t)i * ld), r1 = _mm256_loadu_ps(src + (size_t)i * ld + 8);
            if (init == 2) { r0 = _mm256_mul_ps(vb, r0); r1 = _mm256_mul_ps(vb, r1); }
            acc[2 * i] = r0; acc[2 * i + 1] = r1;
        }
    }
    __m256 c00 = acc[0], c01 = acc[1], c10 = acc[2], c11 = acc[3], c20 = acc[4], c21 = acc[5];
    __m256 c30 = acc[6], c31 = acc[7], c40 = acc[8], c41 = acc[9], c50 = acc[10], c51 = acc[11];
#define STEP(A0, A1, A2, A3, A4, A5) do { \
        __m256 b0 = _mm256_load_ps(B), b1 = _mm256_load_ps(B + 8); __m256 a; \
        a = _mm256_broadcast_ss(A0); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01); \
        a = _mm256_broadcast_ss(A1); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11); \
        a = _mm256_broadcast_ss(A2); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21); \
        a = _mm256_broadcast_ss(A3); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31); \
        a = _mm256_broadcast_ss(A4); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41); \
        a = _mm256_broadcast_ss(A5); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51); \
        B += NR; } while (0)
    if (rs == 0) {
        const float *A = a0;
        for (int p = 0; p < kc; p++) { STEP(A + 0, A + 1, A + 2, A + 3, A + 4, A + 5); A += MR; }
    } else {
        const float *r0 = a0, *r1 = a0 + (mr > 1 ? 1 : 0) * rs, *r2 = a0 + (mr > 2 ? 2 : mr - 1) * rs;
        const float *r3 = a0 + (mr > 3 ? 3 : mr - 1) * rs, *r4 = a0 + (mr > 4 ? 4 : mr - 1) * rs;
        const float *r5 = a0 + (mr > 5 ? 5 : mr - 1) * rs;
        for (int p = 0; p < kc; p++) { STEP(r0 + p, r1 + p, r2 + p, r3 + p, r4 + p, r5 + p); }
    }
#undef STEP
    __m256 out[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    if (full) {
        for (int i = 0; i < MR; i++) {
            _mm256_storeu_ps(C + (size_t)i * ldc, out[2 * i]);
            _mm256_storeu_ps(C + (size_t)i * ldc + 8, out[2 * i + 1]);
        }
    } else {
        for (int i = 0; i < 12; i++) _mm256_store_ps(tile + 8 * i, out[i]);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) C[(size_t)i * ldc + j] = tile[i * NR + j];
    }
}


// The AVX-512 form of kernel6x16: a 6x32 tile in 12 zmm accumulators, B packed in strips of
// NR512 columns. Each entry is the same fused multiply-add chain, so it gives the AVX2
// kernel's bits (and the scalar loop's).
#define NR512 32
__attribute__((target("avx512f")))
static void kernel6x32(int kc, const float *a0, size_t rs, const float *B, float *C, int ldc,
                       int init, float beta, const float *bias, int mr, int nr) {
    __m512 acc[12];
    float tile[MR * NR512] __attribute__((aligned(64)));
    int full = mr == MR && nr == NR512;
    if (init == 0) {
        for (int i = 0; i < 12; i++) acc[i] = _mm512_setzero_ps();
    } else if (init == 3) {
        float bb[NR512] __attribute__((aligned(64)));
        for (int j = 0; j < NR512; j++) bb[j] = j < nr ? bias[j] : 0;
        for (int i = 0; i < MR; i++) { acc[2 * i] = _mm512_load_ps(bb); acc[2 * i + 1] = _mm512_load_ps(bb + 16); }
    } else {
        const float *src = C;
        int ld = ldc;
        if (!full) {
            for (int i = 0; i < MR; i++)
                for (int j = 0; j < NR512; j++) tile[i * NR512 + j] = i < mr && j < nr ? C[(size_t)i * ldc + j] : 0;
            src = tile; ld = NR512;
        }
        __m512 vb = _mm512_set1_ps(beta);
        for (int i = 0; i < MR; i++) {
            __m512 r0 = _mm512_loadu_ps(src + (size_t)i * ld), r1 = _mm512_loadu_ps(src + (size_t)i * ld + 16);
            if (init == 2) { r0 = _mm512_mul_ps(vb, r0); r1 = _mm512_mul_ps(vb, r1); }
            acc[2 * i] = r0; acc[2 * i + 1] = r1;
        }
    }
    __m512 c00 = acc[0], c01 = acc[1], c10 = acc[2], c11 = acc[3], c20 = acc[4], c21 = acc[5];
    __m512 c30 = acc[6], c31 = acc[7], c40 = acc[8], c41 = acc[9], c50 = acc[10], c51 = acc[11];
#define STEP(A0, A1, A2, A3, A4, A5) do { \
        __m512 b0 = _mm512_load_ps(B), b1 = _mm512_load_ps(B + 16); __m512 a; \
        a = _mm512_set1_ps(*(A0)); c00 = _mm512_fmadd_ps(a, b0, c00); c01 = _mm512_fmadd_ps(a, b1, c01); \
        a = _mm512_set1_ps(*(A1)); c10 = _mm512_fmadd_ps(a, b0, c10); c11 = _mm512_fmadd_ps(a, b1, c11); \
        a = _mm512_set1_ps(*(A2)); c20 = _mm512_fmadd_ps(a, b0, c20); c21 = _mm512_fmadd_ps(a, b1, c21); \
        a = _mm512_set1_ps(*(A3)); c30 = _mm512_fmadd_ps(a, b0, c30); c31 = _mm512_fmadd_ps(a, b1, c31); \
        a = _mm512_set1_ps(*(A4)); c40 = _mm512_fmadd_ps(a, b0, c40); c41 = _mm512_fmadd_ps(a, b1, c41); \
        a = _mm512_set1_ps(*(A5)); c50 = _mm512_fmadd_ps(a, b0, c50); c51 = _mm512_fmadd_ps(a, b1, c51); \
        B += NR512; } while (0)
    if (rs == 0) {
        const float *A = a0;
        for (int p = 0; p < kc; p++) { STEP(A + 0, A + 1, A + 2, A + 3, A + 4, A + 5); A += MR; }
    } else {
        const float *r0 = a0, *r1 = a0 + (mr > 1 ? 1 : 0) * rs, *r2 = a0 + (mr > 2 ? 2 : mr - 1) * rs;
        const float *r3 = a0 + (mr > 3 ? 3 : mr - 1) * rs, *r4 = a0 + (mr > 4 ? 4 : mr - 1) * rs;
        const float *r5 = a0 + (mr > 5 ? 5 : mr - 1) * rs;
        for (int p = 0; p < kc; p++) { STEP(r0 + p, r1 + p, r2 + p, r3 + p, r4 + p, r5 + p); }
    }
#undef STEP
    __m512 out[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    if (full) {
        for (int i = 0; i < MR; i++) {
            _mm512_storeu_ps(C + (size_t)i * ldc, out[2 * i]);
            _mm512_storeu_ps(C + (size_t)i * ldc + 16, out[2 * i + 1]);
        }
    } else {
        for (int i = 0; i < 12; i++) _mm512_store_ps(tile + 16 * i, out[i]);
        for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) C[(size_t)i * ldc + j] = tile[i * NR512 + j];
    }
}

typedef void (*tile_kernel)(int, const float *, size_t, const float *, float *, int, int, float, const float *, int, int);

// The blocked loops around a tile kernel of MR rows and `w` columns.
static void gemm_blocked(int tA, int tB, int m, int n, int k, const float *a, int lda,
                         const float *b, int ldb, float beta, const float *bias, float *c, int ldc,
                         int w, tile_kernel kernel) {
    float *pa = bufA, *pb = bufB;
    int nkb = (k + KCMAX - 1) / KCMAX;          // depth split evenly: 773 -> 258+258+257
    int kcb = (k + nkb - 1) / nkb;
    for (int jc = 0; jc < n; jc += NC) {
        int nc = n - jc < NC ? n - jc : NC;
        for (int pc = 0; pc < k; pc += kcb) {
            int kc = k - pc < kcb ? k - pc : kcb;
            packB(tB, b, ldb, pc, jc, kc, nc, pb, w);
            // the first panel starts each chain (0, C, beta*C or the bias); later ones go on from C
            int init = pc > 0 ? 1 : bias ? 3 : beta == 0.0f ? 0 : beta == 1.0f ? 1 : 2;
            for (int ic = 0; ic < m; ic += MC) {
                int mc = m - ic < MC ? m - ic : MC;
                // A stored m x k (NN, NT) is read in place; A stored k x m (TN) is packed
                if (tA) packA(tA, a, lda, ic, pc, mc, kc, pa);
                for (int jr = 0; jr < nc; jr += w) {
                    int nr = nc - jr < w ? nc - jr : w;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int mr = mc - ir < MR ? mc - ir : MR;
                        const float *ap = tA ? pa + (size_t)ir * kc : a + (size_t)(ic + ir) * lda + pc;
                        kernel(kc, ap, tA ? 0 : (size_t)lda, pb + (size_t)jr * kc,
                               c + (size_t)(ic + ir) * ldc + jc + jr, ldc, init, beta,
                               bias ? bias + jc + jr : NULL, mr, nr);
                    }
                }
            }
        }
    }
}

static void gemm_x86(int tA, int tB, int m, int n, int k, const float *a, int lda,
                     const float *b, int ldb, float beta, const float *bias, float *c, int ldc) {
    if (gck_gemm_path() == 3) gemm_blocked(tA, tB, m, n, k, a, lda, b, ldb, beta, bias, c, ldc, NR512, kernel6x32);
    else gemm_blocked(tA, tB, m, n, k, a, lda, b, ldb, beta, bias, c, ldc, NR, kernel6x16);
}
#endif

int gck_sgemm(int transA, int transB, int m, int n, int k,
              const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc) {
    if (gck_gemm_path() < 2) return 0;
    if (m <= 0 || n <= 0) return 1;
    if (k <= 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(size_t)i * ldc + j];
        return 1;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (!buffers()) return 0;
    gemm_x86(transA != 0, transB != 0, m, n, k, a, lda, b, ldb, beta, NULL, c, ldc);
    return 1;
#else
    return 0;
#endif
}

int gck_sgemm_bias(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                   const float *bias, float *c, int ldc) {
    if (gck_gemm_path() < 2) return 0;
    if (m <= 0 || n <= 0) return 1;
    if (k <= 0) {
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = bias[j];
        return 1;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (!buffers()) return 0;
    gemm_x86(0, 0, m, n, k, a, lda, b, ldb, 1.0f, bias, c, ldc);
    return 1;
#else
    return 0;
#endif
}
