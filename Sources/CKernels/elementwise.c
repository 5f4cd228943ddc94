// Element-wise kernels of the training step. Each has a portable scalar loop and an AVX2
// loop doing the same IEEE operations in the same order (this file is compiled with
// -ffp-contract=off, and the AVX2 loops use no FMA), so both give the bits of the Swift
// loops they replace (GCCore's geluForward/geluBackward/vnormalCDF/vexp and Adam.update).
#include "gckernels.h"
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static int has_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    static int cached = -1;
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

T_AVX2 static size_t gelu_forward_avx2(float *out, const float *inp, size_t n, float *cdf) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) { // two independent lanes of work, for instruction-level parallelism
        __m256 x0 = _mm256_loadu_ps(inp + i), x1 = _mm256_loadu_ps(inp + i + 8);
        __m256 c0 = vcdf8(x0), c1 = vcdf8(x1);
        if (cdf) { _mm256_storeu_ps(cdf + i, c0); _mm256_storeu_ps(cdf + i + 8, c1); }
        _mm256_storeu_ps(out + i, _mm256_mul_ps(x0, c0));
        _mm256_storeu_ps(out + i + 8, _mm256_mul_ps(x1, c1));
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
