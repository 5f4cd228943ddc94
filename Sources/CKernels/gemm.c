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
#include "transpose8.h"

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

// A block rows [i0, i0+mc) x depth [p0, p0+kc), A stored k x m (a[p*lda + i], the TN
// products; NN and NT read A in place), into strips of MR rows: strip s holds element
// (i, p) at s*MR*kc + p*MR + i; rows past mc are zero.
__attribute__((target("avx2")))
static void packA(const float *a, int lda, int i0, int p0, int mc, int kc, float *pa) {
    for (int ir = 0; ir < mc; ir += MR) {
        int mr = mc - ir < MR ? mc - ir : MR;
        float *dst = pa + (size_t)ir * kc;
        const float *src = a + (size_t)p0 * lda + i0 + ir;
        if (mr == MR) {
            for (int p = 0; p < kc; p++) memcpy(dst + p * MR, src + (size_t)p * lda, MR * sizeof(float));
        } else {
            for (int p = 0; p < kc; p++) {
                int i = 0;
                for (; i < mr; i++) dst[p * MR + i] = src[(size_t)p * lda + i];
                for (; i < MR; i++) dst[p * MR + i] = 0;
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
            const float *src = b + (size_t)p0 * ldb + j0 + jr;
            if (nr == w && w == 32) {
                for (int p = 0; p < kc; p++) memcpy(dst + (size_t)p * 32, src + (size_t)p * ldb, 32 * sizeof(float));
            } else if (nr == w && w == 16) {
                for (int p = 0; p < kc; p++) memcpy(dst + (size_t)p * 16, src + (size_t)p * ldb, 16 * sizeof(float));
            } else {
                for (int p = 0; p < kc; p++) {
                    int j = 0;
                    for (; j < nr; j++) dst[p * w + j] = src[(size_t)p * ldb + j];
                    for (; j < w; j++) dst[p * w + j] = 0;
                }
            }
        } else {   // B stored n x k: b[j*ldb + p]
            const float *src = b + (size_t)(j0 + jr) * ldb + p0;
            int p = 0;
            if (nr == w) {   // 8 x 8 blocks
                for (; p + 8 <= kc; p += 8)
                    for (int j = 0; j < w; j += 8) transpose8(src + (size_t)j * ldb + p, (size_t)ldb, dst + (size_t)p * w + j, (size_t)w);
            }
            for (int j = 0; j < w; j++) {
                if (j < nr) {
                    const float *s = src + (size_t)j * ldb;
                    for (int q = p; q < kc; q++) dst[q * w + j] = s[q];
                } else {
                    for (int q = p; q < kc; q++) dst[q * w + j] = 0;
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
// with vectors, an edge tile (mr < MR or nr < NRW) through a scratch tile.
// Row i of A at depth p is a0[i*rs + p*ps]: a packed strip (rs = 1, ps = MR) or a row-major
// matrix read in place (rs = lda, ps = 1); rows past mr repeat the last valid row and their
// results are dropped.
//
// TILE_KERNEL writes one kernel: an MR x NRW tile of 12 accumulators, two vectors of VW
// floats per row (VW = 8 for AVX2, 16 for AVX-512), with the vector type V and its
// intrinsics (LOAD aligned, LOADU, STOREU, STORE aligned, SET1, ZERO, MUL, FMA). The two
// kernels are the same code and give the same bits.
#define TILE_KERNEL(NAME, TARGET, NRW, VW, V, LOAD, LOADU, STOREU, STORE, SET1, ZERO, MUL, FMA)      \
__attribute__((target(TARGET)))                                                                      \
static void NAME(int kc, const float *a0, size_t rs, size_t ps, const float *B, float *C, int ldc,   \
                 int init, float beta, const float *bias, int mr, int nr) {                          \
    V acc[12];                                                                                       \
    float tile[MR * NRW] __attribute__((aligned(64)));                                               \
    int full = mr == MR && nr == NRW;                                                                \
    if (init == 0) {                                                                                 \
        for (int i = 0; i < 12; i++) acc[i] = ZERO();                                                \
    } else if (init == 3) {                                                                          \
        float bb[NRW] __attribute__((aligned(64)));                                                  \
        for (int j = 0; j < NRW; j++) bb[j] = j < nr ? bias[j] : 0;                                  \
        for (int i = 0; i < MR; i++) { acc[2 * i] = LOAD(bb); acc[2 * i + 1] = LOAD(bb + VW); }      \
    } else {                                                                                         \
        const float *src = C;                                                                        \
        int ld = ldc;                                                                                \
        if (!full) {                                                                                 \
            for (int i = 0; i < MR; i++)                                                             \
                for (int j = 0; j < NRW; j++) tile[i * NRW + j] = i < mr && j < nr ? C[(size_t)i * ldc + j] : 0; \
            src = tile; ld = NRW;                                                                    \
        }                                                                                            \
        V vb = SET1(beta);                                                                           \
        for (int i = 0; i < MR; i++) {                                                               \
            V r0 = LOADU(src + (size_t)i * ld), r1 = LOADU(src + (size_t)i * ld + VW);               \
            if (init == 2) { r0 = MUL(vb, r0); r1 = MUL(vb, r1); }                                   \
            acc[2 * i] = r0; acc[2 * i + 1] = r1;                                                    \
        }                                                                                            \
    }                                                                                                \
    V c00 = acc[0], c01 = acc[1], c10 = acc[2], c11 = acc[3], c20 = acc[4], c21 = acc[5];            \
    V c30 = acc[6], c31 = acc[7], c40 = acc[8], c41 = acc[9], c50 = acc[10], c51 = acc[11];          \
    const float *r0 = a0;                                                                            \
    const float *r1 = a0 + (mr > 1 ? 1 : mr - 1) * rs, *r2 = a0 + (mr > 2 ? 2 : mr - 1) * rs;         \
    const float *r3 = a0 + (mr > 3 ? 3 : mr - 1) * rs, *r4 = a0 + (mr > 4 ? 4 : mr - 1) * rs;         \
    const float *r5 = a0 + (mr > 5 ? 5 : mr - 1) * rs;                                               \
    size_t step = ps;                                                                                \
    for (int p = 0; p < kc; p++) {                                                                   \
        size_t o = (size_t)p * step;                                                                 \
        V b0 = LOAD(B), b1 = LOAD(B + VW), a;                                                        \
        a = SET1(r0[o]); c00 = FMA(a, b0, c00); c01 = FMA(a, b1, c01);                               \
        a = SET1(r1[o]); c10 = FMA(a, b0, c10); c11 = FMA(a, b1, c11);                               \
        a = SET1(r2[o]); c20 = FMA(a, b0, c20); c21 = FMA(a, b1, c21);                               \
        a = SET1(r3[o]); c30 = FMA(a, b0, c30); c31 = FMA(a, b1, c31);                               \
        a = SET1(r4[o]); c40 = FMA(a, b0, c40); c41 = FMA(a, b1, c41);                               \
        a = SET1(r5[o]); c50 = FMA(a, b0, c50); c51 = FMA(a, b1, c51);                               \
        B += NRW;                                                                                    \
    }                                                                                                \
    V out[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};                        \
    if (full) {                                                                                      \
        for (int i = 0; i < MR; i++) {                                                               \
            STOREU(C + (size_t)i * ldc, out[2 * i]);                                                 \
            STOREU(C + (size_t)i * ldc + VW, out[2 * i + 1]);                                        \
        }                                                                                            \
    } else {                                                                                         \
        for (int i = 0; i < 12; i++) STORE(tile + VW * i, out[i]);                                   \
        for (int i = 0; i < mr; i++)                                                                 \
            for (int j = 0; j < nr; j++) C[(size_t)i * ldc + j] = tile[i * NRW + j];                 \
    }                                                                                                \
}

#define NR512 32
TILE_KERNEL(kernel6x16, "avx2,fma", NR, 8, __m256, _mm256_load_ps, _mm256_loadu_ps, _mm256_storeu_ps,
            _mm256_store_ps, _mm256_set1_ps, _mm256_setzero_ps, _mm256_mul_ps, _mm256_fmadd_ps)
TILE_KERNEL(kernel6x32, "avx512f", NR512, 16, __m512, _mm512_load_ps, _mm512_loadu_ps, _mm512_storeu_ps,
            _mm512_store_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_mul_ps, _mm512_fmadd_ps)

typedef void (*tile_kernel)(int, const float *, size_t, size_t, const float *, float *, int, int, float, const float *, int, int);

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
                if (tA) packA(a, lda, ic, pc, mc, kc, pa);
                for (int jr = 0; jr < nc; jr += w) {
                    int nr = nc - jr < w ? nc - jr : w;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int mr = mc - ir < MR ? mc - ir : MR;
                        // A's rows: packed (MR apart at each depth) or in place (lda apart)
                        const float *ap = tA ? pa + (size_t)ir * kc : a + (size_t)(ic + ir) * lda + pc;
                        kernel(kc, ap, tA ? 1 : (size_t)lda, tA ? MR : 1, pb + (size_t)jr * kc,
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
