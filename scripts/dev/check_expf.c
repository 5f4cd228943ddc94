// Every float through CKernels' copies of glibc's expf (the scalar gexpf and the 8-wide
// gexpf8 of Sources/CKernels/expf_glibc.h) against the C library's expf: prints the
// mismatches and exits 1 if there are any. Run by scripts/dev/check_expf.sh (about a
// minute). On glibc 2.28+ x86-64 with FMA, 0 mismatches is the claim that attention's
// results did not change when its softmax stopped calling libm.
#include <stdio.h>
#include <stdint.h>
#include <math.h>
#include "../../Sources/CKernels/expf_glibc.h"

static int same(float a, float b) { return gexpf_fbits(a) == gexpf_fbits(b) || (a != a && b != b); }

__attribute__((target("avx2,fma"))) int main(void) {
    uint64_t bad8 = 0, bad1 = 0;
    float xs[8], ys[8];
    for (uint64_t base = 0; base < (1ull << 32); base += 8) {
        for (int l = 0; l < 8; l++) { uint32_t u = (uint32_t)(base + l); memcpy(&xs[l], &u, 4); }
        _mm256_storeu_ps(ys, gexpf8(_mm256_loadu_ps(xs)));
        for (int l = 0; l < 8; l++) {
            float ref = expf(xs[l]), one = gexpf(xs[l]);
            if (!same(ref, ys[l]) && bad8++ < 10) printf("gexpf8(%a) = %a, libm %a\n", xs[l], ys[l], ref);
            if (!same(ref, one) && bad1++ < 10) printf("gexpf(%a) = %a, libm %a\n", xs[l], one, ref);
        }
    }
    printf("all 2^32 floats: %llu mismatches of gexpf8, %llu of gexpf against this C library's expf\n",
           (unsigned long long)bad8, (unsigned long long)bad1);
    return bad8 || bad1;
}
