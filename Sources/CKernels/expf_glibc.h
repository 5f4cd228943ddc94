// e^x for floats, computed exactly as glibc's expf computes it on x86-64 CPUs with FMA
// (glibc 2.28 and later take this algorithm from Arm's optimized-routines; the dynamic
// loader gives every CPU with FMA and AVX2 its FMA build, __expf_fma):
//   k = round(x·32/ln 2), r = x·32/ln 2 − k   (in double, with fused multiply-adds)
//   e^x = 2^(k/32) · (1 + C2·r + C1·r² + C0·r³),  2^(k/32) from a 32-entry table
// rounded once to float at the end. Private to CKernels.
//
// Why a copy: attention's softmax called libm's expf one element at a time. A scalar copy
// (gexpf) and an 8-wide AVX2 copy (gexpf8) of the same operations give the same bits as
// that function for every one of the 2^32 floats (scripts/dev/check_expf.sh checks all of
// them against the C library; the tests check the two copies against each other and
// against libm to one ulp), so the attention's results did not change a bit, and they no
// longer depend on which C library the machine has.
#ifndef GCK_EXPF_GLIBC_H
#define GCK_EXPF_GLIBC_H
#include <math.h>
#include <stdint.h>
#include <string.h>

// 2^(i/32) as a double's bits, minus i << 47 (the exponent that k adds back).
static const uint64_t gexpf_tab[32] = {
    0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
    0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
    0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
    0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
    0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
    0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
    0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
};
#define GEXPF_INVLN2N 0x1.71547652b82fep+5   // 32 / ln 2
#define GEXPF_SHIFT 0x1.8p+52                // adding it rounds to an integer
#define GEXPF_C0 0x1.c6af84b912394p-20       // the cubic, scaled for r = x·32/ln 2 − k
#define GEXPF_C1 0x1.ebfce50fac4f3p-13
#define GEXPF_C2 0x1.62e42ff0c52d6p-6

static inline uint32_t gexpf_fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline uint64_t gexpf_dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static inline double gexpf_bitsd(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

// glibc's special cases, taken when the top 12 bits say |x| >= 88, inf or NaN: 1 with
// the result in *y, or 0 when x (88 <= |x| < 103.3) takes the main path after all.
static inline int gexpf_special(float x, float *y) {
    uint32_t u = gexpf_fbits(x), abstop = (u >> 20) & 0x7ff;
    if (abstop <= 0x42a) return 0;
    if (u == 0xff800000u) { *y = 0.0f; return 1; }                 // e^-inf
    if (abstop > 0x7f7) { *y = x + x; return 1; }                  // +inf, NaN
    if (x > 0x1.62e42ep6f) { *y = INFINITY; return 1; }            // overflow
    if (x < -0x1.9fe368p6f) { *y = 0.0f; return 1; }               // underflow
    if (x < -0x1.9d1d9ep6f) { *y = 0x1p-149f; return 1; }          // "may underflow": the least subnormal
    return 0;
}

/// e^x, glibc's bits.
static inline float gexpf(float x) {
    float special;
    if (gexpf_special(x, &special)) return special;
    double xd = (double)x;
    double kd = fma(GEXPF_INVLN2N, xd, GEXPF_SHIFT);
    uint64_t ki = gexpf_dbits(kd);
    kd -= GEXPF_SHIFT;
    double r = fma(GEXPF_INVLN2N, xd, -kd);
    uint64_t t = gexpf_tab[ki % 32] + (ki << 47);
    double s = gexpf_bitsd(t);
    double z = fma(GEXPF_C0, r, GEXPF_C1);
    double r2 = r * r;
    double y = fma(GEXPF_C2, r, 1.0);
    y = fma(z, r2, y);
    y = y * s;
    return (float)y;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

// Four lanes of gexpf's main path, in double.
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) __m128 gexpf4_main(__m128 x) {
    __m256d xd = _mm256_cvtps_pd(x);
    __m256d invln2n = _mm256_set1_pd(GEXPF_INVLN2N), shift = _mm256_set1_pd(GEXPF_SHIFT);
    __m256d kd = _mm256_fmadd_pd(invln2n, xd, shift);
    __m256i ki = _mm256_castpd_si256(kd);
    kd = _mm256_sub_pd(kd, shift);
    __m256d r = _mm256_fmsub_pd(invln2n, xd, kd);
    __m256i idx = _mm256_and_si256(ki, _mm256_set1_epi64x(31));
    __m256i t = _mm256_i64gather_epi64((const long long *)gexpf_tab, idx, 8);
    t = _mm256_add_epi64(t, _mm256_slli_epi64(ki, 47));
    __m256d s = _mm256_castsi256_pd(t);
    __m256d z = _mm256_fmadd_pd(_mm256_set1_pd(GEXPF_C0), r, _mm256_set1_pd(GEXPF_C1));
    __m256d r2 = _mm256_mul_pd(r, r);
    __m256d y = _mm256_fmadd_pd(_mm256_set1_pd(GEXPF_C2), r, _mm256_set1_pd(1.0));
    y = _mm256_fmadd_pd(z, r2, y);
    y = _mm256_mul_pd(y, s);
    return _mm256_cvtpd_ps(y);
}

/// gexpf of 8 floats (special inputs, |x| >= 88 or not finite, go through gexpf).
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) __m256 gexpf8(__m256 x) {
    __m256 y = _mm256_set_m128(gexpf4_main(_mm256_extractf128_ps(x, 1)), gexpf4_main(_mm256_castps256_ps128(x)));
    __m256i top = _mm256_and_si256(_mm256_srli_epi32(_mm256_castps_si256(x), 20), _mm256_set1_epi32(0x7ff));
    int special = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(top, _mm256_set1_epi32(0x42a))));
    if (special) {
        float xs[8], ys[8];
        _mm256_storeu_ps(xs, x);
        _mm256_storeu_ps(ys, y);
        for (int l = 0; l < 8; l++) if (special >> l & 1) ys[l] = gexpf(xs[l]);
        y = _mm256_loadu_ps(ys);
    }
    return y;
}
#endif
#endif
