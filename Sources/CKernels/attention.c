// Causal self-attention over sequences packed end to end (GCCore's attentionForward and
// attentionBackward, same loops and operations). The body is compiled twice, for AVX2 and
// for baseline x86-64/other CPUs; with -ffp-contract=off both do the same IEEE operations
// in the same order. The q·k and g·v dot products are computed for a whole row of keys at
// once against a transposed copy (dh × n) of the sequence's K or V, each summing e = 0, 1,
// ... dh-1 in order: a fixed order (another than the Swift loop's 16-lane partial sums),
// so results are bit-identical run to run.
#include "gckernels.h"
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
__attribute__((target("avx2")))
static inline void rowdots_avx2(float *restrict out, const float *restrict q,
                                const float *restrict xt, long np, long cols, long dh) {
    long j = 0;
    for (; j + 16 <= cols; j += 16) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (long e = 0; e < dh; e++) {
            __m256 b = _mm256_set1_ps(q[e]);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(b, _mm256_loadu_ps(xt + e * np + j)));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(b, _mm256_loadu_ps(xt + e * np + j + 8)));
        }
        _mm256_storeu_ps(out + j, a0); _mm256_storeu_ps(out + j + 8, a1);
    }
    for (; j < cols; j += 8) {
        __m256 a0 = _mm256_setzero_ps();
        for (long e = 0; e < dh; e++)
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(_mm256_set1_ps(q[e]), _mm256_loadu_ps(xt + e * np + j)));
        _mm256_storeu_ps(out + j, a0);
    }
}
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
                for (long j = 0; j <= i; j++) { float ev = expf(row[j] - mx); row[j] = ev; sum += ev; } \
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
BODY(avx2, __attribute__((target("avx2"))))
extern int gck_portable_only;
static int use_avx2(void) {
    static int cached = -1;
    if (gck_portable_only) return 0;
    if (cached < 0) { __builtin_cpu_init(); cached = __builtin_cpu_supports("avx2") ? 1 : 0; }
    return cached;
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
    float *kt = scratch_floats((size_t)(dh + 1) * np + 8);
    if (!kt) return 0;
#if defined(__x86_64__) || defined(__i386__)
    if (use_avx2()) { fwd_avx2(z, pattern, qkv, offsets, patternOffsets, nseq, H, dh, kt); return 1; }
#endif
    fwd_generic(z, pattern, qkv, offsets, patternOffsets, nseq, H, dh, kt);
    return 1;
}

int gck_attention_backward(float *dqkv, const float *dz, const float *qkv, const float *pattern,
                           const long *offsets, const long *patternOffsets, long nseq, long H, long dh) {
    long np = longest(offsets, nseq);
    float *vt = scratch_floats((size_t)(dh + 1) * np + 8);
    if (!vt) return 0;
#if defined(__x86_64__) || defined(__i386__)
    if (use_avx2()) { bwd_avx2(dqkv, dz, qkv, pattern, offsets, patternOffsets, nseq, H, dh, vt); return 1; }
#endif
    bwd_generic(dqkv, dz, qkv, pattern, offsets, patternOffsets, nseq, H, dh, vt);
    return 1;
}
