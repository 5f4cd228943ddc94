"""Checks, in float32 arithmetic, the erfc approximation gcgap's GELU uses (Numerical Recipes,
2nd ed., section 6.2, `erfcc`: fractional error < 1.2e-7 in exact arithmetic):
    t = 1/(1 + z/2),  erfc(z) = t·exp(-z² - 1.26551223 + t·(1.00002368 + ... + t·0.17087277))
and Φ(x) = erfc(-x/√2)/2 built from it. Run: python3 scripts/dev/check_erfc.py (numpy only)."""
import math
import numpy as np

C = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
     -1.13520398, 1.48851587, -0.82215223, 0.17087277]
f = np.float32

def erfc32(z):  # z >= 0
    t = f(1) / (f(1) + f(0.5) * z)
    p = f(C[-1])
    for c in C[-2::-1]:
        p = p * t + f(c)
    return t * np.exp(-z * z + p).astype(np.float32)

def phi32(x):
    x = x.astype(np.float32)
    z = np.abs(x) * f(0.70710678118654752)
    half = f(0.5) * erfc32(z)
    return np.where(x < 0, half, f(1) - half)

xs = np.linspace(-12, 12, 480001)
ref = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in xs])
got = phi32(xs).astype(np.float64)
print("Φ: max |error|", np.max(np.abs(got - ref)))
m = ref > 1e-30
print("Φ: max relative error", np.max(np.abs(got - ref)[m] / ref[m]))
ref32 = ref.astype(np.float32).astype(np.float64)
print("float32 rounding of Φ itself: max |error|", np.max(np.abs(ref32 - ref)))
