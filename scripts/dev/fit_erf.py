"""Fits the two-piece approximation of erf used by gcgap's vectorised GELU (numpy only).

    |x| < 1:          erf(x) = x · P(x²)                      P: degree 7 in x²
    1 <= |x| < 3.92:  erf(x) = sign(x) · (1 - exp(-x²) · R(u)),  u = |x| - 2.46, R: degree 11
    |x| >= 3.92:      erf(x) = sign(x)                        (erf(3.92) rounds to 1 in float32)

Least-squares fits on Chebyshev nodes, checked in float32 Horner arithmetic (as the Swift
code evaluates them) against math.erf. Run: python3 scripts/dev/fit_erf.py
"""
import math
import numpy as np

def cheb(a, b, n=3000):
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    return a + (t + 1) / 2 * (b - a)

# piece 1: erf(x)/x as a polynomial in x², relative error weighting
x = cheb(0, 1)
z = x * x
A = np.stack([z ** k for k in range(8)], 1)
y = np.array([math.erf(v) / v for v in x])
P = np.linalg.lstsq(A / y[:, None], np.ones_like(y), rcond=None)[0]

# piece 2: R(u) = erfc(x) · exp(x²), u = x - 2.46
x2 = cheb(1, 3.92)
u = x2 - 2.46
y2 = np.array([math.erfc(v) * math.exp(v * v) for v in x2])
B = np.stack([u ** k for k in range(12)], 1)
R = np.linalg.lstsq(B / y2[:, None], np.ones_like(y2), rcond=None)[0]

def horner32(coefs, v):
    acc = np.float32(coefs[-1]) * np.ones_like(v)
    for c in coefs[-2::-1]:
        acc = acc * v + np.float32(c)
    return acc

def erf32(xs):
    xs = xs.astype(np.float32)
    a = np.abs(xs)
    small = xs * horner32(P, xs * xs)
    e = np.exp(-(a * a)).astype(np.float32)
    big = np.float32(1) - e * horner32(R, a - np.float32(2.46))
    big = np.where(a >= np.float32(3.92), np.float32(1), big)
    return np.where(a < 1, small, np.sign(xs) * big)

test = np.linspace(-6, 6, 400001)
ref = np.array([math.erf(v) for v in test])
got = erf32(test).astype(np.float64)
nz = test != 0
print("max |error|:", np.max(np.abs(got - ref)))
print("max relative error of erf:", np.max(np.abs(got - ref)[nz] / np.abs(ref[nz])))
print("max relative error of 1+erf for x > -3.5:",
      np.max((np.abs(got - ref) / (1 + ref))[test > -3.5 * math.sqrt(2) / math.sqrt(2)]))
print("float32(erf) itself, max |error|:", np.max(np.abs(ref.astype(np.float32).astype(np.float64) - ref)))
print("P:", ", ".join(f"{np.float32(c)!r}" for c in P))
print("R:", ", ".join(f"{np.float32(c)!r}" for c in R))
