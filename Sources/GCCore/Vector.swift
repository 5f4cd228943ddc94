// Reductions with explicit SIMD accumulators. Strict IEEE semantics stop the compiler from
// vectorising a plain `s += a[i] * b[i]` loop (it may not reassociate), so these keep
// eight partial sums in SIMD registers (two SSE registers on baseline x86-64) and add them
// up at the end: a fixed order, so results are still bit-for-bit deterministic.

typealias V8 = SIMD8<Float>

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> V8 {
    UnsafeRawPointer(p).loadUnaligned(as: V8.self)
}

@inline(__always) func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
}

/// Lane-wise min and max through compare-and-select (the standard library's `clamped`
/// goes through unspecialised generic code here).
@inline(__always) func vmin(_ a: V8, _ b: V8) -> V8 { var r = a; r.replace(with: b, where: b .< a); return r }
@inline(__always) func vmax(_ a: V8, _ b: V8) -> V8 { var r = a; r.replace(with: b, where: b .> a); return r }
@inline(__always) func vclamp(_ a: V8, _ lo: Float, _ hi: Float) -> V8 {
    vmin(vmax(a, V8(repeating: lo)), V8(repeating: hi))
}

/// Σ a[i]·b[i]
@inline(__always) func vdot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = V8(), acc1 = V8()
    var i = 0
    while i + 16 <= n {
        acc0 += load8(a + i) * load8(b + i)
        acc1 += load8(a + i + 8) * load8(b + i + 8)
        i += 16
    }
    if i + 8 <= n { acc0 += load8(a + i) * load8(b + i); i += 8 }
    var s = (acc0 + acc1).sum()
    while i < n { s += a[i] * b[i]; i += 1 }
    return s
}

/// Σ a[i]
@inline(__always) func vsum(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = V8(), acc1 = V8()
    var i = 0
    while i + 16 <= n { acc0 += load8(a + i); acc1 += load8(a + i + 8); i += 16 }
    if i + 8 <= n { acc0 += load8(a + i); i += 8 }
    var s = (acc0 + acc1).sum()
    while i < n { s += a[i]; i += 1 }
    return s
}

/// Σ (a[i] - m)²
@inline(__always) func vsumSquaredDeviation(_ a: UnsafePointer<Float>, _ m: Float, _ n: Int) -> Float {
    var acc0 = V8(), acc1 = V8()
    let mv = V8(repeating: m)
    var i = 0
    while i + 16 <= n {
        let d0 = load8(a + i) - mv, d1 = load8(a + i + 8) - mv
        acc0 += d0 * d0; acc1 += d1 * d1
        i += 16
    }
    if i + 8 <= n { let d = load8(a + i) - mv; acc0 += d * d; i += 8 }
    var s = (acc0 + acc1).sum()
    while i < n { let d = a[i] - m; s += d * d; i += 1 }
    return s
}

/// (Σ w[i]·g[i], Σ w[i]·g[i]·(x[i] - m))
@inline(__always) func vLayernormSums(_ w: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                      _ m: Float, _ n: Int) -> (Float, Float) {
    var a0 = V8(), a1 = V8()
    let mv = V8(repeating: m)
    var i = 0
    while i + 8 <= n {
        let wg = load8(w + i) * load8(g + i)
        a0 += wg
        a1 += wg * (load8(x + i) - mv)
        i += 8
    }
    var s0 = a0.sum(), s1 = a1.sum()
    while i < n { let wg = w[i] * g[i]; s0 += wg; s1 += wg * (x[i] - m); i += 1 }
    return (s0, s1)
}

/// eˣ for eight lanes: Cephes' expf (range reduction by ln 2 in two parts, a degree-6
/// polynomial, then 2ⁿ through the exponent bits). Relative error below 2e-7 on
/// [-87, 88]; inputs are clamped to that range. Only add, multiply and integer ops, so it
/// vectorises on baseline x86-64.
@inline(__always) func vexp(_ x0: V8) -> V8 {
    let x = vclamp(x0, -87.3, 88.3)
    let magic = V8(repeating: 12_582_912)            // 1.5·2²³: adding it rounds to an integer
    let shifted = x * V8(repeating: 1.44269504088896341) + magic
    let n = shifted - magic
    var r = x - n * V8(repeating: 0.693359375)
    r = r - n * V8(repeating: -2.12194440e-4)
    var p = V8(repeating: 1.9875691500e-4)
    p = p * r + V8(repeating: 1.3981999507e-3)
    p = p * r + V8(repeating: 8.3334519073e-3)
    p = p * r + V8(repeating: 4.1665795894e-2)
    p = p * r + V8(repeating: 1.6666665459e-1)
    p = p * r + V8(repeating: 5.0000001201e-1)
    let y = p * r * r + r + V8(repeating: 1)
    // the low bits of `shifted` hold n: its bit pattern minus magic's is n as an integer
    let k = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: 0x4B40_0000)
    let bits = (k &+ SIMD8<Int32>(repeating: 127)) &<< SIMD8<Int32>(repeating: 23)
    return y * unsafeBitCast(bits, to: V8.self)
}

/// Φ(x) = 0.5·(1 + erf(x/√2)) = 0.5·erfc(-x/√2), the standard normal CDF, for eight lanes
/// without libm. erfc is Numerical Recipes' `erfcc` (2nd ed., §6.2; a Chebyshev fit with
/// fractional error below 1.2e-7):
///     t = 1/(1 + z/2),  erfc(z) = t·exp(-z² - 1.26551223 + t·(1.00002368 + ... + t·0.17087277))
/// Checked in float32 by scripts/dev/check_erfc.py: |Φ error| < 2.1e-7 for every x (float32's
/// own rounding of Φ is 3e-8), and Φ keeps its relative accuracy in the lower tail.
@inline(__always) func vnormalCDF(_ x: V8) -> V8 {
    let sign = unsafeBitCast(x, to: SIMD8<UInt32>.self) & SIMD8<UInt32>(repeating: 0x8000_0000)
    let z = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) ^ sign, to: V8.self) * V8(repeating: 0.70710678118654752)
    let t = V8(repeating: 1) / (V8(repeating: 1) + V8(repeating: 0.5) * z)
    var p = V8(repeating: 0.17087277)
    p = p * t + V8(repeating: -0.82215223)
    p = p * t + V8(repeating: 1.48851587)
    p = p * t + V8(repeating: -1.13520398)
    p = p * t + V8(repeating: 0.27886807)
    p = p * t + V8(repeating: -0.18628806)
    p = p * t + V8(repeating: 0.09678418)
    p = p * t + V8(repeating: 0.37409196)
    p = p * t + V8(repeating: 1.00002368)
    p = p * t + V8(repeating: -1.26551223)
    let half = V8(repeating: 0.5) * t * vexp(p - z * z)
    var result = V8(repeating: 1) - half
    result.replace(with: half, where: sign .!= SIMD8<UInt32>(repeating: 0))
    return result
}
