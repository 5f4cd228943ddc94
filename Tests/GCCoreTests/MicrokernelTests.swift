import CKernels
import Foundation
import Testing
@testable import GCCore

/// CKernels' sgemm microkernel against the scalar loop that defines it, bit for bit: each
/// entry is one chain of fused multiply-adds, c = c₀ then c = fma(a_ip, b_pj, c) for
/// p = 0, 1, ... k-1, with c₀ = 0 (β = 0), C (β = 1) or β·C; and its element-wise loops
/// (GELU, Adam) against the Swift loops they replace, bit for bit.
@Suite("CKernels sgemm microkernel and element-wise kernels")
struct MicrokernelTests {
    enum Case: CaseIterable { case nn, nt, tn }

    /// Runs gck_sgemm (or reports that it is unavailable) and checks it against the chain.
    func check(_ kind: Case, _ m: Int, _ n: Int, _ k: Int, beta: Float, pad: Int, rng: inout Rng) -> Bool {
        let (tA, tB) = kind == .nn ? (0, 0) : kind == .nt ? (0, 1) : (1, 0)
        // leading dimensions with `pad` spare columns, to catch stride mistakes
        let aRows = tA == 1 ? k : m, aCols = tA == 1 ? m : k
        let bRows = tB == 1 ? n : k, bCols = tB == 1 ? k : n
        let lda = aCols + pad, ldb = bCols + pad, ldc = n + pad
        let a = randomData(aRows * lda, &rng), b = randomData(bRows * ldb, &rng)
        let c0 = randomData(m * ldc, &rng)
        var c = c0
        let done = gck_sgemm(Int32(tA), Int32(tB), Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), beta, &c, Int32(ldc))
        guard done == 1 else { return true } // no microkernel on this CPU: nothing to check
        for i in 0..<m {
            for j in 0..<n {
                let start = c0[i * ldc + j]
                var ref: Float = beta == 0 ? 0 : beta == 1 ? start : beta * start
                for p in 0..<k {
                    let av = tA == 1 ? a[p * lda + i] : a[i * lda + p]
                    let bv = tB == 1 ? b[j * ldb + p] : b[p * ldb + j]
                    ref.addProduct(av, bv)   // one rounding: fmaf
                }
                if c[i * ldc + j].bitPattern != ref.bitPattern { return false }
            }
            // the padding columns of C are never written
            for j in n..<ldc where c[i * ldc + j] != c0[i * ldc + j] { return false }
        }
        return true
    }

    /// What the chain buys: a product over some of the rows gives those rows' bits, and a
    /// weight gradient Xᵀ·dY without the rows where dY is zero gives the same bits as with
    /// them (the model's last layer computes only the rows that reach a logit).
    @Test func rowSubsetsAndZeroRowsChangeNoBit() {
        var rng = Rng(seed: 15, stream: "microkernel")
        let T = 773, D = 128, M = 512
        let keep = (0..<T).filter { $0 % 2 == 1 || $0 % 7 == 0 }
        let x = randomData(T * D, &rng), w = randomData(D * M, &rng)
        var full = [Float](repeating: 0, count: T * M), part = [Float](repeating: 0, count: keep.count * M)
        guard gck_sgemm(0, 0, Int32(T), Int32(M), Int32(D), x, Int32(D), w, Int32(M), 0, &full, Int32(M)) == 1 else { return }
        let xs = keep.flatMap { Array(x[($0 * D)..<($0 * D + D)]) }
        _ = gck_sgemm(0, 0, Int32(keep.count), Int32(M), Int32(D), xs, Int32(D), w, Int32(M), 0, &part, Int32(M))
        let fullRows = keep.flatMap { Array(full[($0 * M)..<($0 * M + M)]) }
        #expect(part.map(\.bitPattern) == fullRows.map(\.bitPattern))
        // dW = Xᵀ·dY with dY zero outside `keep`, over all rows and over `keep` only, on top of an old gradient
        var dy = randomData(T * D, &rng)
        for t in 0..<T where !keep.contains(t) { for i in 0..<D { dy[t * D + i] = 0 } }
        let h = randomData(T * M, &rng), g0 = randomData(M * D, &rng)
        var g1 = g0, g2 = g0
        _ = gck_sgemm(1, 0, Int32(M), Int32(D), Int32(T), h, Int32(M), dy, Int32(D), 1, &g1, Int32(D))
        let hs = keep.flatMap { Array(h[($0 * M)..<($0 * M + M)]) }, dys = keep.flatMap { Array(dy[($0 * D)..<($0 * D + D)]) }
        _ = gck_sgemm(1, 0, Int32(M), Int32(D), Int32(keep.count), hs, Int32(M), dys, Int32(D), 1, &g2, Int32(D))
        #expect(g1.map(\.bitPattern) == g2.map(\.bitPattern))
    }

    @Test func smallShapesAllTranspositions() {
        var rng = Rng(seed: 7, stream: "microkernel")
        let sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 19, 23, 24, 29, 31, 32, 33, 37, 40]
        var failures: [String] = []
        for kind in Case.allCases {
            for m in sizes {
                for n in sizes {
                    // every k of 1..40 over the run, a few per (m, n)
                    for k in [1 + (m * 7 + n) % 40, 1 + (m + n * 13) % 40, 40] {
                        let beta: Float = [0, 1, 0.5][(m + n + k) % 3]
                        if !check(kind, m, n, k, beta: beta, pad: (m + k) % 3, rng: &rng) {
                            failures.append("\(kind) m=\(m) n=\(n) k=\(k) beta=\(beta)")
                        }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test func everyDepthOneToForty() {
        var rng = Rng(seed: 8, stream: "microkernel")
        var failures: [String] = []
        for kind in Case.allCases {
            for k in 1...40 {
                for (m, n) in [(1, 1), (6, 16), (7, 17), (40, 40), (13, 5)] where !check(kind, m, n, k, beta: 1, pad: 1, rng: &rng) {
                    failures.append("\(kind) m=\(m) n=\(n) k=\(k)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// The products of a PROTOCOL training step (773 packed tokens), forward and backward,
    /// and shapes that cross the blocking (KC = 288, MC = 96, NC = 512).
    @Test func modelShapes() {
        var rng = Rng(seed: 9, stream: "microkernel")
        let T = 773
        let shapes: [(Case, Int, Int, Int, Float)] = [
            (.nn, T, 384, 128, 1), (.nn, T, 128, 128, 1), (.nn, T, 512, 128, 1), (.nn, T, 128, 512, 1), (.nn, 386, 104, 128, 1),
            (.nt, T, 128, 512, 1), (.nt, T, 512, 128, 1), (.nt, T, 128, 128, 0), (.nt, 386, 128, 104, 1),
            (.tn, 128, 512, T, 1), (.tn, 512, 128, T, 1), (.tn, 128, 384, T, 1), (.tn, 128, 128, T, 1), (.tn, 128, 104, 386, 1),
            (.nn, 97, 530, 600, 0.5), (.tn, 100, 520, 577, 0), (.nt, 191, 513, 289, 0.25),
        ]
        var failures: [String] = []
        for (kind, m, n, k, beta) in shapes where !check(kind, m, n, k, beta: beta, pad: 0, rng: &rng) {
            failures.append("\(kind) m=\(m) n=\(n) k=\(k)")
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    /// The AVX2 and AVX-512 kernels (those this CPU has) each give the chain's bits, so
    /// results do not depend on which one a machine takes.
    @Test func everyKernelWidthGivesTheChainBits() {
        let chosen = gck_gemm_path()
        defer { gck_set_gemm_path(chosen) }
        var rng = Rng(seed: 16, stream: "microkernel")
        var failures: [String] = []
        for path: Int32 in [2, 3] {
            gck_set_gemm_path(path)
            guard gck_gemm_path() == path else { continue }   // not on this CPU
            for kind in Case.allCases {
                for (m, n, k) in [(1, 1, 1), (6, 32, 9), (7, 33, 40), (13, 50, 17), (773, 128, 300), (100, 520, 577)]
                    where !check(kind, m, n, k, beta: [0, 1, 0.5][(m + n) % 3], pad: 1, rng: &rng) {
                    failures.append("path \(path) \(kind) m=\(m) n=\(n) k=\(k)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func pathIsReported() {
        let name = BLAS.kernelName
        #expect(name.hasPrefix("avx2 microkernel") || name.hasPrefix("avx512 microkernel") || name.hasPrefix("OpenBLAS"))
        #expect((gck_gemm_path() >= 2) == name.contains("microkernel"))
    }

    @Test func geluMatchesSwiftBitForBit() {
        var rng = Rng(seed: 10, stream: "gelu")
        for n in [0, 1, 5, 8, 13, 16, 17, 31, 1000, 1003] {
            var x = randomData(n, &rng, scale: 6)
            if n > 4 { x[0] = 0; x[1] = -0.0; x[2] = 40; x[3] = -40 }
            var o1 = [Float](repeating: 0, count: n), c1 = o1, o2 = o1, c2 = o1
            gck_gelu_forward(&o1, x, n, &c1)
            geluForwardSwift(&o2, x, n, cdf: &c2)
            #expect(o1.map(\.bitPattern) == o2.map(\.bitPattern) && c1.map(\.bitPattern) == c2.map(\.bitPattern), "n=\(n)")
            let g = randomData(n, &rng)
            var d1 = [Float](repeating: 0, count: n), d2 = d1
            gck_gelu_backward(&d1, x, c1, g, n)
            geluBackwardSwift(&d2, x, c2, g, n)
            #expect(d1.map(\.bitPattern) == d2.map(\.bitPattern), "n=\(n)")
        }
    }

    @Test func adamMatchesSwiftBitForBit() {
        var rng = Rng(seed: 11, stream: "adam")
        for (n, wd) in [(1, Float(0)), (13, 0), (1001, 0), (1001, 0.01)] {
            let a = Adam(parameterCount: n, weightDecay: wd), b = Adam(parameterCount: n, weightDecay: wd)
            b.useKernel = false
            var p1 = randomData(n, &rng), p2 = p1
            for _ in 0..<5 {
                let g = randomData(n, &rng, scale: 0.1)
                a.update(&p1, g)
                b.update(&p2, g)
            }
            #expect(p1.map(\.bitPattern) == p2.map(\.bitPattern), "n=\(n)")
        }
    }
}

@Suite("CKernels attention, fused bias and portable paths", .serialized)
struct CKernelsPathTests {
    @Test func fusedBiasIsPresetPlusProduct() {
        var rng = Rng(seed: 12, stream: "bias")
        for (m, n, k) in [(1, 1, 1), (7, 17, 5), (773, 384, 128), (386, 104, 128), (773, 128, 512), (50, 600, 300)] {
            let a = randomData(m * k, &rng), b = randomData(k * n, &rng), bias = randomData(n, &rng)
            var c1 = [Float](repeating: 0, count: m * n)
            guard gck_sgemm_bias(Int32(m), Int32(n), Int32(k), a, Int32(k), b, Int32(n), bias, &c1, Int32(n)) == 1 else { return }
            var c2 = [Float](repeating: 0, count: m * n)
            for i in 0..<m { for j in 0..<n { c2[i * n + j] = bias[j] } }
            _ = gck_sgemm(0, 0, Int32(m), Int32(n), Int32(k), a, Int32(k), b, Int32(n), 1, &c2, Int32(n))
            #expect(c1.map(\.bitPattern) == c2.map(\.bitPattern), "m=\(m) n=\(n) k=\(k)")
        }
    }

    /// The C attention against the Swift loops (another summation order in the dot
    /// products: within 1e-5 relative + 1e-6 absolute), and its AVX2 and portable paths
    /// against each other (the same bits), for head widths of 32 (four registers), 24 and
    /// 40 (the 8-wide tail) and 12 (portable only).
    @Test(arguments: [32, 24, 40, 12])
    func attentionMatchesSwift(dh: Int) {
        var rng = Rng(seed: 13, stream: "attention")
        let H = 4, HD = H * dh
        let seqs = SeqLayout(lengths: [1, 3, 7, 8, 9, 16, 17, 5, 64], heads: H)
        let T = seqs.tokens
        let qkv = randomData(T * 3 * HD, &rng, scale: 2), dz = randomData(T * HD, &rng)
        func run(_ c: Bool) -> (z: [Float], p: [Float], d: [Float]) {
            var z = [Float](repeating: 0, count: T * HD), p = [Float](repeating: 0, count: seqs.patternCount)
            var d = [Float](repeating: 0.25, count: T * 3 * HD), scratch = [Float](repeating: 0, count: T)
            if c {
                seqs.offsets.withUnsafeBufferPointer { off in
                    seqs.patternOffsets.withUnsafeBufferPointer { po in
                        _ = gck_attention_forward(&z, &p, qkv, off.baseAddress!, po.baseAddress!, seqs.count, H, dh)
                        _ = gck_attention_backward(&d, dz, qkv, p, off.baseAddress!, po.baseAddress!, seqs.count, H, dh)
                    }
                }
            } else {
                attentionForwardSwift(&z, &p, qkv, seqs, H, dh)
                attentionBackwardSwift(&d, dz, qkv, p, seqs, H, dh, &scratch)
            }
            return (z, p, d)
        }
        let c = run(true), s = run(false)
        #expect(closeness(c.z, s.z, rtol: 1e-5, atol: 1e-6) <= 1)
        #expect(closeness(c.p, s.p, rtol: 1e-5, atol: 1e-6) <= 1)
        #expect(closeness(c.d, s.d, rtol: 1e-4, atol: 1e-5) <= 1)
        gck_portable_only = 1
        defer { gck_portable_only = 0 }
        let g = run(true)
        #expect(g.z.map(\.bitPattern) == c.z.map(\.bitPattern))
        #expect(g.p.map(\.bitPattern) == c.p.map(\.bitPattern))
        #expect(g.d.map(\.bitPattern) == c.d.map(\.bitPattern))
    }

    /// The softmax's exponential: the 8-wide and the scalar copy of glibc's expf give the
    /// same bits on a sample of every 509th float (all signs, subnormals, the special
    /// cases around ±88 and ±104, infinities, NaN), and stay within one ulp of libm's expf
    /// (the same bits as glibc's on x86-64: scripts/dev/check_expf.sh checks all 2^32).
    @Test func expfCopiesAgreeWithEachOtherAndWithLibm() {
        var inputs: [Float] = [0, -0, .infinity, -.infinity, .nan, 88, 88.72, 88.73, -87.9, -88, -103.2, -103.3, -103.9, -104,
                               .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        var u: UInt32 = 0
        while true { inputs.append(Float(bitPattern: u)); let (next, over) = u.addingReportingOverflow(509); if over { break }; u = next }
        var vec = [Float](repeating: 0, count: inputs.count)
        gck_expf_array(&vec, inputs, inputs.count)
        var differ = 0, far = 0
        for (i, x) in inputs.enumerated() {
            let one = gck_expf(x), v = vec[i], ref = Foundation.expf(x)
            if one.bitPattern != v.bitPattern && !(one.isNaN && v.isNaN) { differ += 1 }
            if one.isNaN != ref.isNaN || (!ref.isNaN && one != ref && abs(one - ref) > ref.ulp) { far += 1 }
        }
        #expect(differ == 0, "the 8-wide and the scalar copy differ on \(differ) of \(inputs.count) inputs")
        #expect(far == 0, "\(far) results more than one ulp from libm's expf")
    }

    @Test func portableGeluAndAdamGiveTheAVX2Bits() {
        var rng = Rng(seed: 14, stream: "portable")
        let n = 1003
        let x = randomData(n, &rng, scale: 5), g = randomData(n, &rng)
        func run() -> [UInt32] {
            var o = [Float](repeating: 0, count: n), cdf = o, d = o
            gck_gelu_forward(&o, x, n, &cdf)
            gck_gelu_backward(&d, x, cdf, g, n)
            var p = x, m = [Float](repeating: 0, count: n), v = m
            gck_adam(&p, g, &m, &v, n, 0.9, 0.999, 1e-8, 0.01, 1e-3, 0.03)
            return (o + cdf + d + p + m + v).map(\.bitPattern)
        }
        let fast = run()
        gck_portable_only = 1
        defer { gck_portable_only = 0 }
        #expect(run() == fast)
    }
}
