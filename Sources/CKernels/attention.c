// Causal self-attention over sequences packed end to end (GCCore's attentionForward and
// attentionBackward, same loops and operations). The portable body (BODY) is the
// definition; the AVX2 functions below it do the same IEEE operations in the same order
// (the file is compiled with -ffp-contract=off), so both give the same bits. The q·k and
// g·v dot products are computed against a transposed copy (dh × n) of the sequence's K or
// V, each summing e = 0, 1, ... dh-1 in order: a fixed order (another than the Swift
// loop's 16-lane partial sums), so results are bit-identical run to run. The AVX2 form
// computes four query rows' dot products at once and keeps each row's weighted sums
// (z_i, dq_i) in registers across the keys, which changes no operation, only where the
// running sums live.
#include "gckernels.h"
#include "expf_glibc.h"
#include "transpose8.h"
#include <math.h>
#include <stdlib.h>

// A per-thread scratch buffer for the transposed K or V of one sequence and head.
static _Thread_local float *tbuf;
static _Thread_local size_t tcap;
static float *scratch_floats(size_t n) {
    if (n > tcap) {
        free(tbuf);
        tcap = n < 4096 ? 4096 : n;
        tbuf = malloc(tcap * sizeof(float));
        if (!tbuf) { tcap = 0; return NULL; }
    }
    return tbuf;
}

// out[j] = Σ_e q[e]·xt[e·np + j] for j < cols (a multiple of 8), e ascending, one multiply
// then one add per term: the AVX2 form keeps the sums in registers; both give the same bits.
static inline void rowdots_generic(float *restrict out, const float *restrict q,
                                   const float *restrict xt, long np, long cols, long dh) {
    for (long j = 0; j < cols; j++) out[j] = 0;
    for (long e = 0; e < dh; e++) {
        float a = q[e]; const float *restrict r = xt + e * np;
        for (long j = 0; j < cols; j++) out[j] += a * r[j];
    }
}
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define BODY(SUFFIX, ATTR)                                                                     \
/* xt[e*np + j] = x[j*stride + e] for j < n, 0 for n <= j < np */                          \
ATTR static inline void transpose_##SUFFIX(float *restrict xt, const float *restrict x, long stride, \
                                           long n, long np, long dh) {                      \
    for (long e = 0; e < dh; e++) {                                                           \
        for (long j = 0; j < n; j++) xt[e * np + j] = x[j * stride + e];                      \
        for (long j = n; j < np; j++) xt[e * np + j] = 0;                                     \
    }                                                                                         \
}                                                                                             \
/* y[e] += a*x[e]; restrict lets the compiler vectorise without runtime alias checks */      \
ATTR static inline void axpy_##SUFFIX(float *restrict y, const float *restrict x, float a, long n) { \
    for (long e = 0; e < n; e++) y[e] += a * x[e];                                            \
}                                                                                             \
ATTR static void fwd_##SUFFIX(float *z, float *pattern, const float *qkv, const long *offsets, \
                              const long *patternOffsets, long nseq, long H, long dh, float *kt) { \
    long HD = H * dh, HD3 = 3 * HD;                                                           \
    float scale = 1.0f / sqrtf((float)dh);                                                    \
    for (long s = 0; s < nseq; s++) {                                                         \
        long o = offsets[s], n = offsets[s + 1] - o, np = (n + 7) / 8 * 8;                    \
        float *dots = kt + dh * np; /* one row of scores, after K transposed */              \
        for (long h = 0; h < H; h++) {                                                        \
            float *P = pattern + patternOffsets[s] + h * n * n;                               \
            transpose_##SUFFIX(kt, qkv + o * HD3 + HD + h * dh, HD3, n, np, dh);              \
            for (long i = 0; i < n; i++) {                                                    \
                const float *q = qkv + (o + i) * HD3 + h * dh;                                \
                float *row = P + i * n;                                                       \
                float mx = -INFINITY;                                                         \
                rowdots_##SUFFIX(dots, q, kt, np, (i + 8) / 8 * 8, dh);                       \
                for (long j = 0; j <= i; j++) {                                               \
                    float d = dots[j] * scale;                                                \
                    row[j] = d;                                                               \
                    if (d > mx) mx = d;                                                       \
                }                                                                             \
                float sum = 0;                                                                \
                for (long j = 0; j <= i; j++) { float ev = gexpf(row[j] - mx); row[j] = ev; sum += ev; } \
                float inv = 1 / sum;                                                          \
                for (long j = 0; j <= i; j++) row[j] *= inv;                                  \
                for (long j = i + 1; j < n; j++) row[j] = 0;                                  \
                float *zi = z + (o + i) * HD + h * dh;                                        \
                for (long e = 0; e < dh; e++) zi[e] = 0;                                      \
                for (long j = 0; j <= i; j++) {                                               \
                    float p = row[j];                                                         \
                    const float *v = qkv + (o + j) * HD3 + 2 * HD + h * dh;                   \
                    axpy_##SUFFIX(zi, v, p, dh);                                               \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }                                                                                         \
}                                                                                             \
ATTR static void bwd_##SUFFIX(float *dqkv, const float *dz, const float *qkv, const float *pattern, \
                              const long *offsets, const long *patternOffsets, long nseq,     \
                              long H, long dh, float *vt) {                                   \
    long HD = H * dh, HD3 = 3 * HD;                                                           \
    float scale = 1.0f / sqrtf((float)dh);                                                    \
    for (long s = 0; s < nseq; s++) {                                                         \
        long o = offsets[s], n = offsets[s + 1] - o, np = (n + 7) / 8 * 8;                    \
        float *dp = vt + dh * np;                                                             \
        for (long h = 0; h < H; h++) {                                                        \
            const float *P = pattern + patternOffsets[s] + h * n * n;                         \
            transpose_##SUFFIX(vt, qkv + o * HD3 + 2 * HD + h * dh, HD3, n, np, dh);          \
            for (long i = 0; i < n; i++) {                                                    \
                const float *row = P + i * n;                                                 \
                const float *g = dz + (o + i) * HD + h * dh;                                  \
                float sum = 0;                                                                \
                rowdots_##SUFFIX(dp, g, vt, np, (i + 8) / 8 * 8, dh);                         \
                for (long j = 0; j <= i; j++) {                                               \
                    float *dv = dqkv + (o + j) * HD3 + 2 * HD + h * dh;                       \
                    float p = row[j];                                                         \
                    axpy_##SUFFIX(dv, g, p, dh);                                               \
                    float d = dp[j];                                                          \
                    sum += p * d;                                                             \
                }                                                                             \
                const float *q = qkv + (o + i) * HD3 + h * dh;                                \
                float *dq = dqkv + (o + i) * HD3 + h * dh;                                    \
                for (long j = 0; j <= i; j++) {                                               \
                    float ds = row[j] * (dp[j] - sum) * scale;                                \
                    const float *k = qkv + (o + j) * HD3 + HD + h * dh;                       \
                    float *dk = dqkv + (o + j) * HD3 + HD + h * dh;                           \
                    axpy_##SUFFIX(dq, k, ds, dh); axpy_##SUFFIX(dk, q, ds, dh);             \
                }                                                                             \
            }                                                                                 \
        }                                                                                     \
    }                                                                                         \
}

BODY(generic, )
#if defined(__x86_64__) || defined(__i386__)
#define T_AVX2 __attribute__((target("avx2,fma")))
extern int gck_portable_only;
static int use_avx2(void) {
    static int cached = -1;
    if (gck_portable_only) return 0;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    }
    return cached;
}

// out[r*np + j] = Σ_e x_r[e]·xt[e·np + j] for rows r < rows (x_r = x + r*xs) and j < cols
// (a multiple of 8), e ascending, one multiply then one add per term (rowdots' operations,
// four rows' chains interleaved; a missing row repeats row 0 and is not stored).
T_AVX2 static inline void dots4_avx2(float *restrict out, const float *x, long xs, int rows,
                                     const float *restrict xt, long np, long cols, long dh) {
    const float *x0 = x, *x1 = rows > 1 ? x + xs : x, *x2 = rows > 2 ? x + 2 * xs : x, *x3 = rows > 3 ? x + 3 * xs : x;
    for (long j = 0; j < cols; j += 8) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const float *col = xt + j;
        for (long e = 0; e < dh; e++) {
            __m256 b = _mm256_loadu_ps(col + e * np);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_set1_ps(x0[e]), b));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(_mm256_set1_ps(x1[e]), b));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(_mm256_set1_ps(x2[e]), b));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(_mm256_set1_ps(x3[e]), b));
        }
        _mm256_storeu_ps(out + j, a0);
        if (rows > 1) _mm256_storeu_ps(out + np + j, a1);
        if (rows > 2) _mm256_storeu_ps(out + 2 * np + j, a2);
        if (rows > 3) _mm256_storeu_ps(out + 3 * np + j, a3);
    }
}

// acc[e] = acc[e] (from_acc) or 0, + Σ_{j=lo..hi} w[j·ws]·x_j[e], j ascending (x_j = x +
// j·xs), for e < dh (a multiple of 8): 32 columns at a time in four registers, then 8 at a
// time. The running sums stay in registers; each is the same chain of one multiply and one
// add per term as the loop `acc[e] += w·x_j[e]`.
T_AVX2 static inline void wsum_avx2(float *restrict acc, int from_acc, const float *restrict w, long ws,
                                    long lo, long hi, const float *x, long xs, long dh) {
    long e = 0;
    for (; e + 32 <= dh; e += 32) {
        __m256 a0, a1, a2, a3;
        if (from_acc) { a0 = _mm256_loadu_ps(acc + e); a1 = _mm256_loadu_ps(acc + e + 8);
                        a2 = _mm256_loadu_ps(acc + e + 16); a3 = _mm256_loadu_ps(acc + e + 24); }
        else { a0 = _mm256_setzero_ps(); a1 = a0; a2 = a0; a3 = a0; }
        for (long j = lo; j <= hi; j++) {
            __m256 p = _mm256_set1_ps(w[j * ws]);
            const float *v = x + j * xs + e;
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(p, _mm256_loadu_ps(v)));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(p, _mm256_loadu_ps(v + 8)));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(p, _mm256_loadu_ps(v + 16)));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(p, _mm256_loadu_ps(v + 24)));
        }
        _mm256_storeu_ps(acc + e, a0); _mm256_storeu_ps(acc + e + 8, a1);
        _mm256_storeu_ps(acc + e + 16, a2); _mm256_storeu_ps(acc + e + 24, a3);
    }
    for (; e < dh; e += 8) {
        __m256 a0 = from_acc ? _mm256_loadu_ps(acc + e) : _mm256_setzero_ps();
        for (long j = lo; j <= hi; j++)
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_set1_ps(w[j * ws]), _mm256_loadu_ps(x + j * xs + e)));
        _mm256_storeu_ps(acc + e, a0);
    }
}

// gck_expf_array's 8-wide body
T_AVX2 static size_t expf_array_avx2(float *out, const float *in, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, gexpf8(_mm256_loadu_ps(in + i)));
    return i;
}

// transpose_generic for dh a multiple of 8: 8 x 8 blocks, then the last rows one by one
// (np is n rounded up to 8: the zeros past n are written first, as each row's last 8)
T_AVX2 static void transpose_avx2(float *restrict xt, const float *restrict x, long stride, long n, long np, long dh) {
    if (n < np) for (long e = 0; e < dh; e++) _mm256_storeu_ps(xt + e * np + np - 8, _mm256_setzero_ps());
    long j = 0;
    for (; j + 8 <= n; j += 8)
        for (long e = 0; e < dh; e += 8) transpose8(x + j * stride + e, (size_t)stride, xt + e * np + j, (size_t)np);
    for (long t = j; t < n; t++)
        for (long e = 0; e < dh; e++) xt[e * np + t] = x[t * stride + e];
}

// fwd_generic's operations, for dh a multiple of 8
T_AVX2 static void fwd_avx2(float *z, float *pattern, const float *qkv, const long *offsets,
                            const long *patternOffsets, long nseq, long H, long dh, float *kt) {
    long HD = H * dh, HD3 = 3 * HD;
    float scale = 1.0f / sqrtf((float)dh);
    for (long s = 0; s < nseq; s++) {
        long o = offsets[s], n = offsets[s + 1] - o, np = (n + 7) / 8 * 8;
        float *dots = kt + dh * np;   // four rows of scores, after K transposed
        for (long h = 0; h < H; h++) {
            float *P = pattern + patternOffsets[s] + h * n * n;
            transpose_avx2(kt, qkv + o * HD3 + HD + h * dh, HD3, n, np, dh);
            for (long i0 = 0; i0 < n; i0 += 4) {
                int rows = n - i0 < 4 ? (int)(n - i0) : 4;
                dots4_avx2(dots, qkv + (o + i0) * HD3 + h * dh, HD3, rows, kt, np, (i0 + rows - 1 + 8) / 8 * 8, dh);
                for (int r = 0; r < rows; r++) {
                    // the softmax in d (np wide: whole blocks of 8 past i are computed and dropped)
                    long i = i0 + r, m = (i + 8) / 8 * 8, j;
                    float *d = dots + r * np;
                    float *row = P + i * n;
                    __m256 vs = _mm256_set1_ps(scale);
                    for (j = 0; j < m; j += 8) _mm256_storeu_ps(d + j, _mm256_mul_ps(_mm256_loadu_ps(d + j), vs));
                    float mx = -INFINITY;
                    for (j = 0; j <= i; j++) if (d[j] > mx) mx = d[j];
                    __m256 vmx = _mm256_set1_ps(mx);
                    for (j = 0; j < m; j += 8) _mm256_storeu_ps(d + j, gexpf8(_mm256_sub_ps(_mm256_loadu_ps(d + j), vmx)));
                    float sum = 0;
                    for (j = 0; j <= i; j++) sum += d[j];
                    float inv = 1 / sum;
                    __m256 vinv = _mm256_set1_ps(inv);
                    for (j = 0; j + 8 <= i + 1; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(d + j), vinv));
                    for (; j <= i; j++) row[j] = d[j] * inv;
                    for (; j < n; j++) row[j] = 0;
                    wsum_avx2(z + (o + i) * HD + h * dh, 0, row, 1, 0, i, qkv + o * HD3 + 2 * HD + h * dh, HD3, dh);
                }
            }
        }
    }
}

// bwd_generic's operations, for dh a multiple of 8. Each gradient row is one register
// sum over its terms in bwd_generic's order: dq_i over keys j ascending, and dk_j and dv_j
// over queries i = j .. n-1 ascending (bwd_generic adds them row by row, i ascending, into
// memory; the sums are the same, the running values stay in registers). So the scores'
// gradients of the whole head are computed first: dp = g·v and ds, n x np each.
T_AVX2 static void bwd_avx2(float *dqkv, const float *dz, const float *qkv, const float *pattern,
                            const long *offsets, const long *patternOffsets, long nseq,
                            long H, long dh, float *vt) {
    long HD = H * dh, HD3 = 3 * HD;
    float scale = 1.0f / sqrtf((float)dh);
    for (long s = 0; s < nseq; s++) {
        long o = offsets[s], n = offsets[s + 1] - o, np = (n + 7) / 8 * 8;
        float *dpm = vt + dh * np;    // dp[i][j] = g_i·v_j, then ds[i][j], row i at i*np
        for (long h = 0; h < H; h++) {
            const float *P = pattern + patternOffsets[s] + h * n * n;
            const float *q = qkv + o * HD3 + h * dh, *k = q + HD, *g = dz + o * HD + h * dh;
            float *dq = dqkv + o * HD3 + h * dh, *dk = dq + HD, *dv = dq + 2 * HD;
            transpose_avx2(vt, qkv + o * HD3 + 2 * HD + h * dh, HD3, n, np, dh);
            for (long i0 = 0; i0 < n; i0 += 4) {
                int rows = n - i0 < 4 ? (int)(n - i0) : 4;
                dots4_avx2(dpm + i0 * np, g + i0 * HD, HD, rows, vt, np, (i0 + rows - 1 + 8) / 8 * 8, dh);
            }
            // dv_j = Σ_{i>=j} p_ij·g_i
            for (long j = 0; j < n; j++) wsum_avx2(dv + j * HD3, 1, P + j, n, j, n - 1, g, HD, dh);
            // ds_ij = p_ij·(dp_ij − Σ_j' p_ij'·dp_ij')·scale, over dp in place
            for (long i = 0; i < n; i++) {
                const float *row = P + i * n;
                float *d = dpm + i * np, sum = 0;
                for (long j = 0; j <= i; j++) sum += row[j] * d[j];
                for (long j = 0; j <= i; j++) d[j] = row[j] * (d[j] - sum) * scale;
            }
            // dq_i = Σ_{j<=i} ds_ij·k_j; dk_j = Σ_{i>=j} ds_ij·q_i
            for (long i = 0; i < n; i++) wsum_avx2(dq + i * HD3, 1, dpm + i * np, 1, 0, i, k, HD3, dh);
            for (long j = 0; j < n; j++) wsum_avx2(dk + j * HD3, 1, dpm + j, np, j, n - 1, q, HD3, dh);
        }
    }
}
#endif

static long longest(const long *offsets, long nseq) {
    long m = 0;
    for (long s = 0; s < nseq; s++) if (offsets[s + 1] - offsets[s] > m) m = offsets[s + 1] - offsets[s];
    return (m + 7) / 8 * 8;
}

int gck_attention_forward(float *z, float *pattern, const float *qkv, const long *offsets,
                          const long *patternOffsets, long nseq, long H, long dh) {
    long np = longest(offsets, nseq);
    float *kt = scratch_floats((size_t)(dh + 5) * np + 8);
    if (!kt) return 0;
#if defined(__x86_64__) || defined(__i386__)
    if (use_avx2() && dh % 8 == 0) { fwd_avx2(z, pattern, qkv, offsets, patternOffsets, nseq, H, dh, kt); return 1; }
#endif
    fwd_generic(z, pattern, qkv, offsets, patternOffsets, nseq, H, dh, kt);
    return 1;
}

int gck_attention_backward(float *dqkv, const float *dz, const float *qkv, const float *pattern,
                           const long *offsets, const long *patternOffsets, long nseq, long H, long dh) {
    long np = longest(offsets, nseq);
    float *vt = scratch_floats((size_t)(dh + np + 4) * np + 8);
    if (!vt) return 0;
#if defined(__x86_64__) || defined(__i386__)
    if (use_avx2() && dh % 8 == 0) { bwd_avx2(dqkv, dz, qkv, pattern, offsets, patternOffsets, nseq, H, dh, vt); return 1; }
#endif
    bwd_generic(dqkv, dz, qkv, pattern, offsets, patternOffsets, nseq, H, dh, vt);
    return 1;
}

float gck_expf(float x) { return gexpf(x); }

void gck_expf_array(float *out, const float *in, size_t n) {
    size_t i = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (use_avx2()) i = expf_array_avx2(out, in, n);
#endif
    for (; i < n; i++) out[i] = gexpf(in[i]);
}
