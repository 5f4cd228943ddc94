// Element-wise kernels of the training step. Each has a portable scalar loop and an AVX2
// loop doing the same IEEE operations in the same order (this file is compiled with
// -ffp-contract=off, and the AVX2 loops use no FMA), so both give the bits of the Swift
// loops they replace (GCCore's geluForward/geluBackward/vnormalCDF/vexp and Adam.update).
#include "gckernels.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#include <math.h>
#include <stdint.h>
#include <string.h>

int gck_portable_only = 0;

static int has_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    static int cached = -1;
    if (gck_portable_only) return 0;
    if (cached < 0) { __builtin_cpu_init(); cached = __builtin_cpu_supports("avx2") ? 1 : 0; }
    return cached;
#else
    return 0;
#endif
}

// ---- scalar versions (one lane of the Swift SIMD code) ----

static inline float bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

static inline float sexp(float x0) {
    float x = x0;
    if (-87.3f > x) x = -87.3f;           // vmax(x, lo): replace where lo > x
    if (88.3f < x) x = 88.3f;             // vmin(x, hi): replace where hi < x
    const float magic = 12582912.0f;
    float shifted = x * 1.44269504088896341f + magic;
    float n = shifted - magic;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    int32_t k = (int32_t)fbits(shifted) - 0x4B400000;
    uint32_t bits = (uint32_t)(k + 127) << 23;
    return y * bitsf(bits);
}

static inline float scdf(float x) {
    uint32_t sign = fbits(x) & 0x80000000u;
    float z = bitsf(fbits(x) ^ sign) * 0.70710678118654752f;
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t + -0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t + -1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t + -0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t + -1.26551223f;
    float half = 0.5f * t * sexp(p - z * z);
    return sign ? half : 1.0f - half;
}

#if defined(__x86_64__) || defined(__i386__)
#define T_AVX2 __attribute__((target("avx2")))

T_AVX2 static inline __attribute__((always_inline)) __m256 vexp8(__m256 x0) {
    __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.3f);
    __m256 x = _mm256_blendv_ps(x0, lo, _mm256_cmp_ps(lo, x0, _CMP_GT_OQ));
    x = _mm256_blendv_ps(x, hi, _mm256_cmp_ps(hi, x, _CMP_LT_OQ));
    __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 shifted = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), magic);
    __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(0.693359375f)));
    r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(-2.12194440e-4f)));
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r), _mm256_set1_ps(1.0f));
    __m256i k = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

T_AVX2 static inline __attribute__((always_inline)) __m256 vcdf8(__m256 x) {
    __m256i xi = _mm256_castps_si256(x);
    __m256i sign = _mm256_and_si256(xi, _mm256_set1_epi32((int)0x80000000u));
    __m256 z = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_xor_si256(xi, sign)), _mm256_set1_ps(0.70710678118654752f));
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 t = _mm256_div_ps(one, _mm256_add_ps(one, _mm256_mul_ps(_mm256_set1_ps(0.5f), z)));
    __m256 p = _mm256_set1_ps(0.17087277f);
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(-0.82215223f));
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(1.48851587f));
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(-1.13520398f));
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(0.27886807f));
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(-0.18628806f));
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(0.09678418f));
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(0.37409196f));
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(1.00002368f));
    p = _mm256_add_ps(_mm256_mul_ps(p, t), _mm256_set1_ps(-1.26551223f));
    __m256 half = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), t), vexp8(_mm256_sub_ps(p, _mm256_mul_ps(z, z))));
    __m256 result = _mm256_sub_ps(one, half);
    __m256 neg = _mm256_castsi256_ps(_mm256_cmpeq_epi32(sign, _mm256_set1_epi32((int)0x80000000u)));
    return _mm256_blendv_ps(result, half, neg);
}

// Four independent vectors at once, operation by operation: the same lane-wise IEEE
// operations as vexp8/vcdf8 (same bits), written interleaved so that the out-of-order core
// sees four independent dependency chains instead of one long one (latency-bound otherwise).
#define L4 for (int l = 0; l < 4; l++)
T_AVX2 static inline __attribute__((always_inline)) void vexp8x4(__m256 *out, const __m256 *x0) {
    __m256 lo = _mm256_set1_ps(-87.3f), hi = _mm256_set1_ps(88.3f), magic = _mm256_set1_ps(12582912.0f);
    __m256 x[4], shifted[4], n[4], r[4], p[4], y[4];
    L4 x[l] = _mm256_blendv_ps(x0[l], lo, _mm256_cmp_ps(lo, x0[l], _CMP_GT_OQ));
    L4 x[l] = _mm256_blendv_ps(x[l], hi, _mm256_cmp_ps(hi, x[l], _CMP_LT_OQ));
    L4 shifted[l] = _mm256_add_ps(_mm256_mul_ps(x[l], _mm256_set1_ps(1.44269504088896341f)), magic);
    L4 n[l] = _mm256_sub_ps(shifted[l], magic);
    L4 r[l] = _mm256_sub_ps(x[l], _mm256_mul_ps(n[l], _mm256_set1_ps(0.693359375f)));
    L4 r[l] = _mm256_sub_ps(r[l], _mm256_mul_ps(n[l], _mm256_set1_ps(-2.12194440e-4f)));
    L4 p[l] = _mm256_set1_ps(1.9875691500e-4f);
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], r[l]), _mm256_set1_ps(1.3981999507e-3f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], r[l]), _mm256_set1_ps(8.3334519073e-3f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], r[l]), _mm256_set1_ps(4.1665795894e-2f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], r[l]), _mm256_set1_ps(1.6666665459e-1f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], r[l]), _mm256_set1_ps(5.0000001201e-1f));
    L4 y[l] = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p[l], r[l]), r[l]), r[l]), _mm256_set1_ps(1.0f));
    L4 {
        __m256i k = _mm256_sub_epi32(_mm256_castps_si256(shifted[l]), _mm256_set1_epi32(0x4B400000));
        __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23);
        out[l] = _mm256_mul_ps(y[l], _mm256_castsi256_ps(bits));
    }
}

T_AVX2 static inline __attribute__((always_inline)) void vcdf8x4(__m256 *out, const __m256 *x) {
    __m256 one = _mm256_set1_ps(1.0f);
    __m256i sign[4]; __m256 z[4], t[4], p[4], e[4], half[4];
    L4 sign[l] = _mm256_and_si256(_mm256_castps_si256(x[l]), _mm256_set1_epi32((int)0x80000000u));
    L4 z[l] = _mm256_mul_ps(_mm256_castsi256_ps(_mm256_xor_si256(_mm256_castps_si256(x[l]), sign[l])), _mm256_set1_ps(0.70710678118654752f));
    L4 t[l] = _mm256_div_ps(one, _mm256_add_ps(one, _mm256_mul_ps(_mm256_set1_ps(0.5f), z[l])));
    L4 p[l] = _mm256_set1_ps(0.17087277f);
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(-0.82215223f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(1.48851587f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(-1.13520398f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(0.27886807f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(-0.18628806f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(0.09678418f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(0.37409196f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(1.00002368f));
    L4 p[l] = _mm256_add_ps(_mm256_mul_ps(p[l], t[l]), _mm256_set1_ps(-1.26551223f));
    L4 p[l] = _mm256_sub_ps(p[l], _mm256_mul_ps(z[l], z[l]));
    vexp8x4(e, p);
    L4 half[l] = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), t[l]), e[l]);
    L4 {
        __m256 neg = _mm256_castsi256_ps(_mm256_cmpeq_epi32(sign[l], _mm256_set1_epi32((int)0x80000000u)));
        out[l] = _mm256_blendv_ps(_mm256_sub_ps(one, half[l]), half[l], neg);
    }
}

T_AVX2 static size_t gelu_forward_avx2(float *out, const float *inp, size_t n, float *cdf) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 x[4], c[4];
        L4 x[l] = _mm256_loadu_ps(inp + i + 8 * l);
        vcdf8x4(c, x);
        if (cdf) { L4 _mm256_storeu_ps(cdf + i + 8 * l, c[l]); }
        L4 _mm256_storeu_ps(out + i + 8 * l, _mm256_mul_ps(x[l], c[l]));
    }
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(inp + i);
        __m256 c = vcdf8(x);
        if (cdf) _mm256_storeu_ps(cdf + i, c);
        _mm256_storeu_ps(out + i, _mm256_mul_ps(x, c));
    }
    return i;
}

T_AVX2 static size_t gelu_backward_avx2(float *dinp, const float *inp, const float *cdf, const float *dout, size_t n) {
    __m256 c = _mm256_set1_ps(0.39894228040143268f), half = _mm256_set1_ps(-0.5f);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 x[4], a[4], e[4];
        L4 x[l] = _mm256_loadu_ps(inp + i + 8 * l);
        L4 a[l] = _mm256_mul_ps(_mm256_mul_ps(half, x[l]), x[l]);
        vexp8x4(e, a);
        L4 {
            __m256 pdf = _mm256_mul_ps(c, e[l]);
            _mm256_storeu_ps(dinp + i + 8 * l, _mm256_mul_ps(_mm256_loadu_ps(dout + i + 8 * l),
                             _mm256_add_ps(_mm256_loadu_ps(cdf + i + 8 * l), _mm256_mul_ps(x[l], pdf))));
        }
    }
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(inp + i);
        __m256 pdf = _mm256_mul_ps(c, vexp8(_mm256_mul_ps(_mm256_mul_ps(half, x), x)));
        __m256 d = _mm256_mul_ps(_mm256_loadu_ps(dout + i), _mm256_add_ps(_mm256_loadu_ps(cdf + i), _mm256_mul_ps(x, pdf)));
        _mm256_storeu_ps(dinp + i, d);
    }
    return i;
}

T_AVX2 static size_t adam_avx2(float *params, const float *grads, float *m, float *v, size_t n,
                               float b1, float b2, float eps, float wd, float stepSize, float bc2Sqrt) {
    __m256 vb1 = _mm256_set1_ps(b1), vb2 = _mm256_set1_ps(b2);
    __m256 vc1 = _mm256_set1_ps(1 - b1), vc2 = _mm256_set1_ps(1 - b2);
    __m256 ve = _mm256_set1_ps(eps), vwd = _mm256_set1_ps(wd), vs = _mm256_set1_ps(stepSize), vbc = _mm256_set1_ps(bc2Sqrt);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(grads + i), p = _mm256_loadu_ps(params + i);
        if (wd != 0) g = _mm256_add_ps(g, _mm256_mul_ps(vwd, p));
        __m256 mi = _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(vc1, g));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)), _mm256_mul_ps(_mm256_mul_ps(vc2, g), g));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), vbc), ve);
        _mm256_storeu_ps(params + i, _mm256_sub_ps(p, _mm256_div_ps(_mm256_mul_ps(vs, mi), denom)));
    }
    return i;
}
#endif

void gck_gelu_forward(float *out, const float *inp, size_t n, float *cdf) {
    size_t i = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (has_avx2()) i = gelu_forward_avx2(out, inp, n, cdf);
#endif
    for (; i < n; i++) {
        float c = scdf(inp[i]);
        if (cdf) cdf[i] = c;
        out[i] = inp[i] * c;
    }
}

void gck_gelu_backward(float *dinp, const float *inp, const float *cdf, const float *dout, size_t n) {
    size_t i = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (has_avx2()) i = gelu_backward_avx2(dinp, inp, cdf, dout, n);
#endif
    // as the Swift loop: the 8-wide body through the polynomial exp, the tail through libm
    size_t body = n - n % 8;
    for (; i < body; i++) {
        float x = inp[i];
        float pdf = 0.39894228040143268f * sexp(-0.5f * x * x);
        dinp[i] = dout[i] * (cdf[i] + x * pdf);
    }
    for (; i < n; i++) {
        float x = inp[i];
        float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
        dinp[i] = dout[i] * (cdf[i] + x * pdf);
    }
}

void gck_adam(float *params, const float *grads, float *m, float *v, size_t n,
              float b1, float b2, float eps, float wd, float stepSize, float bc2Sqrt) {
    size_t i = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (has_avx2()) i = adam_avx2(params, grads, m, v, n, b1, b2, eps, wd, stepSize, bc2Sqrt);
#endif
    for (; i < n; i++) {
        float g = grads[i];
        if (wd != 0) g += wd * params[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        float denom = sqrtf(v[i]) / bc2Sqrt + eps;
        params[i] -= stepSize * m[i] / denom;
    }
}
