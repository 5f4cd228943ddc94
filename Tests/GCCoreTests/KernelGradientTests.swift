import Testing
@testable import GCCore

/// Each layer's backward against central finite differences of Σ w·forward(x), in
/// Double-free float32 arithmetic: step 1e-2, tolerance 2e-2 relative + 1e-3 absolute.
@Suite("Backward of each layer matches finite differences")
struct KernelGradientTests {
    /// Checks d/dx of L(x) = Σ_i w_i f(x)_i given the analytic gradient.
    func check(_ x: inout [Float], analytic: [Float], loss: ([Float]) -> Double, h: Float = 1e-2) -> Float {
        var numeric = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let keep = x[i]
            x[i] = keep + h; let up = loss(x)
            x[i] = keep - h; let down = loss(x)
            x[i] = keep
            numeric[i] = Float((up - down) / Double(2 * h))
        }
        return closeness(analytic, numeric, rtol: 2e-2, atol: 1e-3)
    }

    @Test func layernorm() {
        let T = 3, D = 8
        var rng = Rng(seed: 1)
        var x = randomData(T * D, &rng, scale: 2), w = randomData(D, &rng), b = randomData(D, &rng)
        let proj = randomData(T * D, &rng)
        func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> (out: [Float], mean: [Float], rstd: [Float]) {
            var out = [Float](repeating: 0, count: T * D), mean = [Float](repeating: 0, count: T), rstd = mean
            layernormForward(&out, &mean, &rstd, x, w, b, T, D, 1e-5)
            return (out, mean, rstd)
        }
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            zip(forward(x, w, b).out, proj).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        let f = forward(x, w, b)
        var dx = [Float](repeating: 0, count: T * D), dw = [Float](repeating: 0, count: D), db = dw
        layernormBackward(&dx, &dw, &db, proj, x, w, f.mean, f.rstd, T, D)
        #expect(check(&x, analytic: dx, loss: { loss($0, w, b) }) <= 1)
        #expect(check(&w, analytic: dw, loss: { loss(x, $0, b) }) <= 1)
        #expect(check(&b, analytic: db, loss: { loss(x, w, $0) }) <= 1)
    }

    @Test func linear() {
        let T = 4, K = 5, N = 3
        var rng = Rng(seed: 2)
        var x = randomData(T * K, &rng), w = randomData(K * N, &rng), b = randomData(N, &rng)
        let proj = randomData(T * N, &rng)
        func loss(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var out = [Float](repeating: 0, count: T * N)
            matmulForward(&out, x, w, b, T, K, N)
            return zip(out, proj).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var dx = [Float](repeating: 0, count: T * K), dw = [Float](repeating: 0, count: K * N), db = [Float](repeating: 0, count: N)
        matmulBackward(&dx, &dw, &db, proj, x, w, T, K, N)
        #expect(check(&x, analytic: dx, loss: { loss($0, w, b) }) <= 1)
        #expect(check(&w, analytic: dw, loss: { loss(x, $0, b) }) <= 1)
        #expect(check(&b, analytic: db, loss: { loss(x, w, $0) }) <= 1)
    }

    @Test func attention() {
        let H = 2, dh = 3, lengths = [4, 2, 5]
        let seqs = SeqLayout(lengths: lengths, heads: H)
        let T = seqs.tokens, HD = H * dh
        var rng = Rng(seed: 3)
        var qkv = randomData(T * 3 * HD, &rng, scale: 1.5)
        let proj = randomData(T * HD, &rng)
        func forward(_ qkv: [Float]) -> ([Float], [Float]) {
            var z = [Float](repeating: 0, count: T * HD), pat = [Float](repeating: 0, count: seqs.patternCount)
            attentionForward(&z, &pat, qkv, seqs, H, dh)
            return (z, pat)
        }
        let (_, pat) = forward(qkv)
        var dqkv = [Float](repeating: 0, count: T * 3 * HD), scratch = [Float](repeating: 0, count: T)
        attentionBackward(&dqkv, proj, qkv, pat, seqs, H, dh, &scratch)
        #expect(check(&qkv, analytic: dqkv, loss: { zip(forward($0).0, proj).reduce(0) { $0 + Double($1.0 * $1.1) } }) <= 1)
    }

    @Test func attentionIsCausalAndNormalised() {
        let H = 1, dh = 2, seqs = SeqLayout(lengths: [3], heads: 1)
        var rng = Rng(seed: 4)
        let qkv = randomData(3 * 3 * dh, &rng)
        var z = [Float](repeating: 0, count: 3 * dh), pat = [Float](repeating: 0, count: 9)
        attentionForward(&z, &pat, qkv, seqs, H, dh)
        for i in 0..<3 {
            #expect(abs(pat[i * 3..<i * 3 + 3].reduce(0, +) - 1) < 1e-6)
            for j in (i + 1)..<3 { #expect(pat[i * 3 + j] == 0) }
        }
    }

    @Test(arguments: ["gelu", "relu"]) func activation(_ kind: String) {
        let n = 40
        var rng = Rng(seed: 5)
        var x = randomData(n, &rng, scale: 3)
        for i in 0..<n where kind == "relu" && abs(x[i]) < 0.05 { x[i] = 0.5 } // keep away from the kink
        let proj = randomData(n, &rng)
        func loss(_ x: [Float]) -> Double {
            var out = [Float](repeating: 0, count: n)
            if kind == "gelu" { geluForward(&out, x, n) } else { reluForward(&out, x, n) }
            return zip(out, proj).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var dx = [Float](repeating: 0, count: n), out = dx, cdf = dx
        if kind == "gelu" { geluForward(&out, x, n, cdf: &cdf); geluBackward(&dx, x, cdf, proj, n) } else { reluBackward(&dx, x, proj, n) }
        #expect(check(&x, analytic: dx, loss: loss) <= 1)
    }

    @Test func geluIsExactErfForm() {
        var out = [Float](repeating: 0, count: 3)
        geluForward(&out, [-1, 0.5, 2], 3)
        // torch.nn.GELU()(torch.tensor([-1., .5, 2.]))
        #expect(closeness(out, [-0.15865526, 0.34573123, 1.9544997], rtol: 1e-6, atol: 1e-7) <= 1)
    }

    @Test func crossEntropyGradient() {
        let R = 3, V = 6
        var rng = Rng(seed: 6)
        var logits = randomData(R * V, &rng, scale: 2)
        let targets: [Int32] = [1, 5, 0]
        var d = [Float](repeating: 0, count: R * V)
        _ = crossEntropy(logits, targets, R, V, &d, R)
        #expect(check(&logits, analytic: d, loss: { crossEntropy($0, targets, R, V, nil, R) / Double(R) }) <= 1)
    }
}

@Suite("Vector helpers")
struct VectorTests {
    /// The SIMD exp agrees with libm's to 3e-7 relative over the range GELU uses.
    @Test func simdExp() {
        var worst: Float = 0
        var x: Float = -87
        while x < 20 {
            let v = vexp(V8(repeating: x))[0]
            let ref = Float(_exp(x))
            worst = max(worst, abs(v - ref) / ref)
            x += 0.01
        }
        #expect(worst < 3e-7)
    }

    @Test func reductions() {
        let a: [Float] = (0..<37).map { Float($0) * 0.5 - 3 }, b: [Float] = (0..<37).map { Float($0 % 5) }
        let dot = zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        #expect(abs(vdot(a, b, 37) - dot) < 1e-4)
        #expect(abs(vsum(a, 37) - a.reduce(0, +)) < 1e-4)
    }
}

@Suite("Normal CDF")
struct NormalCDFTests {
    /// vnormalCDF against libm's erff over [-8, 8]: within 2.5e-7 absolutely (float32's own
    /// rounding of 0.5·(1+erf) is 6e-8), 1 in the upper tail, and relatively accurate in the lower one.
    @Test func matchesLibm() {
        var worst: Float = 0
        var x: Float = -8
        while x <= 8 {
            let ours = vnormalCDF(V8(repeating: x))[0]
            let ref = Float(0.5 * (1 + Double(_erf(x * 0.70710678118654752))))
            worst = max(worst, abs(ours - ref))
            x += 0.001
        }
        #expect(worst < 2.5e-7)
        #expect(vnormalCDF(V8(repeating: 9))[0] == 1)
        // the lower tail keeps its relative accuracy: Φ(-9) = 1.1286e-19
        #expect(abs(vnormalCDF(V8(repeating: -9))[0] / 1.1285884e-19 - 1) < 1e-4)
    }
}
