// The transformer's layers, one forward/backward pair each (after llm.c). Plain loops over
// raw buffers; every matrix product goes to BLAS. Backward functions *accumulate* into
// their gradient outputs (+=), so callers zero those buffers once per pass.
//
// Shapes: T packed tokens (all sequences of a batch, end to end), D = d_model,
// H heads of size dh (HD = H*dh), M = d_mlp, V = d_vocab.

import CKernels

typealias FPtr = UnsafeMutablePointer<Float>
typealias CFPtr = UnsafePointer<Float>

// MARK: Embedding

/// out[t] = W_E[tok[t]] (+ W_pos[pos[t]])
func embedForward(_ out: FPtr, _ tokens: UnsafePointer<Int32>, _ positions: UnsafePointer<Int32>?,
                  _ wE: CFPtr, _ wPos: CFPtr, _ T: Int, _ D: Int) {
    for t in 0..<T {
        let e = wE + Int(tokens[t]) * D, o = out + t * D
        if let positions = positions {
            let p = wPos + Int(positions[t]) * D
            for i in 0..<D { o[i] = e[i] + p[i] }
        } else {
            for i in 0..<D { o[i] = e[i] }
        }
    }
}

func embedBackward(_ dwE: FPtr, _ dwPos: FPtr, _ dout: CFPtr, _ tokens: UnsafePointer<Int32>,
                   _ positions: UnsafePointer<Int32>?, _ T: Int, _ D: Int) {
    for t in 0..<T {
        let g = dout + t * D, e = dwE + Int(tokens[t]) * D
        for i in 0..<D { e[i] += g[i] }
        if let positions = positions {
            let p = dwPos + Int(positions[t]) * D
            for i in 0..<D { p[i] += g[i] }
        }
    }
}

// MARK: LayerNorm (TransformerLens "LN": biased variance, eps inside the sqrt)

func layernormForward(_ out: FPtr, _ mean: FPtr, _ rstd: FPtr, _ inp: CFPtr,
                      _ w: CFPtr, _ b: CFPtr, _ T: Int, _ D: Int, _ eps: Float) {
    let invD = 1 / Float(D)
    for t in 0..<T {
        let x = inp + t * D, o = out + t * D
        let m = vsum(x, D) * invD
        let v = vsumSquaredDeviation(x, m, D) * invD
        let s = 1 / (v + eps).squareRoot()
        for i in 0..<D { o[i] = (x[i] - m) * s * w[i] + b[i] }
        mean[t] = m
        rstd[t] = s
    }
}

/// dinp += d(LN)/d(inp)ᵀ·dout; dw and db (when given) accumulate the weight's and bias's gradients.
func layernormBackward(_ dinp: FPtr, _ dw: FPtr?, _ db: FPtr?, _ dout: CFPtr, _ inp: CFPtr,
                       _ w: CFPtr, _ mean: CFPtr, _ rstd: CFPtr, _ T: Int, _ D: Int) {
    let invD = 1 / Float(D)
    for t in 0..<T {
        let g = dout + t * D, x = inp + t * D, dx = dinp + t * D
        let m = mean[t], s = rstd[t]
        let (sumWG, sumWGX) = vLayernormSums(w, g, x, m, D)
        let dnormMean = sumWG * invD
        let dnormNormMean = sumWGX * s * invD
        if let dw = dw, let db = db {
            for i in 0..<D {
                let xhat = (x[i] - m) * s
                let dnorm = w[i] * g[i]
                db[i] += g[i]
                dw[i] += xhat * g[i]
                dx[i] += (dnorm - dnormMean - xhat * dnormNormMean) * s
            }
        } else {
            for i in 0..<D {
                let xhat = (x[i] - m) * s
                dx[i] += (w[i] * g[i] - dnormMean - xhat * dnormNormMean) * s
            }
        }
    }
}

// MARK: Linear maps

/// out[T,N] = inp[T,K] · W[K,N] + bias[N]
func matmulForward(_ out: FPtr, _ inp: CFPtr, _ w: CFPtr, _ bias: CFPtr?, _ T: Int, _ K: Int, _ N: Int) {
    if let bias = bias {
        // the microkernel adds the bias in its epilogue (the same sums, no copy)
        if BLAS.useMicrokernel, gck_sgemm_bias(Int32(T), Int32(N), Int32(K), inp, Int32(K), w, Int32(N), bias, out, Int32(N)) != 0 { return }
        for t in 0..<T { (out + t * N).update(from: bias, count: N) }
        BLAS.gemmNN(T, N, K, inp, K, w, N, 1, out, N)
    } else {
        BLAS.gemmNN(T, N, K, inp, K, w, N, 0, out, N)
    }
}

/// dinp = dout·Wᵀ (when dinp is given: written, not accumulated); dW += inpᵀ·dout;
/// dbias += Σ_t dout
func matmulBackward(_ dinp: FPtr?, _ dw: FPtr?, _ dbias: FPtr?, _ dout: CFPtr, _ inp: CFPtr,
                    _ w: CFPtr, _ T: Int, _ K: Int, _ N: Int) {
    if let dinp = dinp { BLAS.gemmNT(T, K, N, dout, N, w, N, 0, dinp, K) }
    if let dw = dw { BLAS.gemmTN(K, N, T, inp, K, dout, N, 1, dw, N) }
    if let dbias = dbias {
        for t in 0..<T { let g = dout + t * N; for j in 0..<N { dbias[j] += g[j] } }
    }
}

// MARK: Causal self-attention, per sequence

/// A batch packed end to end: sequence s covers tokens offsets[s] ..< offsets[s+1].
/// `patternOffsets[s]` is where its H·n·n attention pattern starts.
struct SeqLayout {
    var offsets: [Int]
    var patternOffsets: [Int]
    var patternCount: Int
    var count: Int { offsets.count - 1 }
    var tokens: Int { offsets.last ?? 0 }

    init(lengths: [Int], heads: Int) {
        offsets = [0]; patternOffsets = []
        var p = 0
        for n in lengths {
            offsets.append(offsets.last! + n)
            patternOffsets.append(p)
            p += heads * n * n
        }
        patternCount = p
    }
}

/// qkv[T, 3·HD] (columns: Q heads, K heads, V heads) -> z[T, HD], pattern (softmax, causal).
/// CKernels' loop (the same operations; its dot products sum in another fixed order).
func attentionForward(_ z: FPtr, _ pattern: FPtr, _ qkv: CFPtr, _ seqs: SeqLayout, _ H: Int, _ dh: Int) {
    let done = BLAS.elementwiseKernels && seqs.offsets.withUnsafeBufferPointer { off in
        seqs.patternOffsets.withUnsafeBufferPointer { po in
            gck_attention_forward(z, pattern, qkv, off.baseAddress!, po.baseAddress ?? off.baseAddress!, seqs.count, H, dh) != 0
        }
    }
    if !done { attentionForwardSwift(z, pattern, qkv, seqs, H, dh) }
}

/// The Swift form of `attentionForward`.
func attentionForwardSwift(_ z: FPtr, _ pattern: FPtr, _ qkv: CFPtr, _ seqs: SeqLayout, _ H: Int, _ dh: Int) {
    let HD = H * dh, HD3 = 3 * HD
    let scale = 1 / Float(dh).squareRoot()
    for s in 0..<seqs.count {
        let o = seqs.offsets[s], n = seqs.offsets[s + 1] - o
        for h in 0..<H {
            let P = pattern + seqs.patternOffsets[s] + h * n * n
            for i in 0..<n {
                let q = qkv + (o + i) * HD3 + h * dh
                let row = P + i * n
                var mx = -Float.infinity
                for j in 0...i {
                    let dot = vdot(q, qkv + (o + j) * HD3 + HD + h * dh, dh) * scale
                    row[j] = dot
                    if dot > mx { mx = dot }
                }
                var sum: Float = 0
                for j in 0...i { let ev = _exp(row[j] - mx); row[j] = ev; sum += ev }
                let inv = 1 / sum
                for j in 0...i { row[j] *= inv }
                for j in (i + 1)..<max(n, i + 1) { row[j] = 0 }
                let zi = z + (o + i) * HD + h * dh
                for e in 0..<dh { zi[e] = 0 }
                for j in 0...i {
                    let p = row[j], v = qkv + (o + j) * HD3 + 2 * HD + h * dh
                    for e in 0..<dh { zi[e] += p * v[e] }
                }
            }
        }
    }
}

/// dqkv += the gradient of attentionForward given dz (CKernels' loop, as attentionForward).
func attentionBackward(_ dqkv: FPtr, _ dz: CFPtr, _ qkv: CFPtr, _ pattern: CFPtr,
                       _ seqs: SeqLayout, _ H: Int, _ dh: Int, _ scratch: FPtr) {
    let done = BLAS.elementwiseKernels && seqs.offsets.withUnsafeBufferPointer { off in
        seqs.patternOffsets.withUnsafeBufferPointer { po in
            gck_attention_backward(dqkv, dz, qkv, pattern, off.baseAddress!, po.baseAddress ?? off.baseAddress!, seqs.count, H, dh) != 0
        }
    }
    if !done { attentionBackwardSwift(dqkv, dz, qkv, pattern, seqs, H, dh, scratch) }
}

/// The Swift form of `attentionBackward`.
func attentionBackwardSwift(_ dqkv: FPtr, _ dz: CFPtr, _ qkv: CFPtr, _ pattern: CFPtr,
                            _ seqs: SeqLayout, _ H: Int, _ dh: Int, _ scratch: FPtr) {
    let HD = H * dh, HD3 = 3 * HD
    let scale = 1 / Float(dh).squareRoot()
    let dp = scratch
    for s in 0..<seqs.count {
        let o = seqs.offsets[s], n = seqs.offsets[s + 1] - o
        for h in 0..<H {
            let P = pattern + seqs.patternOffsets[s] + h * n * n
            for i in 0..<n {
                let row = P + i * n
                let g = dz + (o + i) * HD + h * dh
                var sum: Float = 0
                for j in 0...i {
                    let v = qkv + (o + j) * HD3 + 2 * HD + h * dh
                    let dv = dqkv + (o + j) * HD3 + 2 * HD + h * dh
                    let p = row[j]
                    for e in 0..<dh { dv[e] += p * g[e] }
                    let d = vdot(g, v, dh)
                    dp[j] = d
                    sum += p * d
                }
                let q = qkv + (o + i) * HD3 + h * dh
                let dq = dqkv + (o + i) * HD3 + h * dh
                for j in 0...i {
                    let ds = row[j] * (dp[j] - sum) * scale
                    let k = qkv + (o + j) * HD3 + HD + h * dh
                    let dk = dqkv + (o + j) * HD3 + HD + h * dh
                    for e in 0..<dh { dq[e] += ds * k[e]; dk[e] += ds * q[e] }
                }
            }
        }
    }
}

// MARK: Activations

/// GELU in its erf form, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), as PyTorch's nn.GELU() (not the
/// tanh approximation). Φ comes from `vnormalCDF` (|erf error| < 1.6e-7). Keeps Φ(x) in
/// `cdf` (when given) for the backward pass.
func geluForward(_ out: FPtr, _ inp: CFPtr, _ n: Int, cdf: FPtr? = nil) {
    // CKernels' loop does the same operations (8 lanes with AVX2 when the CPU has it)
    if BLAS.elementwiseKernels { gck_gelu_forward(out, inp, n, cdf) } else { geluForwardSwift(out, inp, n, cdf: cdf) }
}

/// The Swift form of `geluForward` (the reference the C kernel is tested against).
func geluForwardSwift(_ out: FPtr, _ inp: CFPtr, _ n: Int, cdf: FPtr? = nil) {
    var i = 0
    while i + 8 <= n {
        let x = load8(inp + i)
        let c = vnormalCDF(x)
        if let cdf = cdf { store8(c, cdf + i) }
        store8(x * c, out + i)
        i += 8
    }
    while i < n { // the tail, through the same formula
        var lane = V8(repeating: 0)
        lane[0] = inp[i]
        let c = vnormalCDF(lane)[0]
        cdf?[i] = c
        out[i] = inp[i] * c
        i += 1
    }
}

/// dinp = dout · gelu'(inp), gelu'(x) = Φ(x) + x·φ(x), with Φ from the forward pass.
/// May run in place (dinp == dout).
func geluBackward(_ dinp: FPtr, _ inp: CFPtr, _ cdf: CFPtr, _ dout: CFPtr, _ n: Int) {
    if BLAS.elementwiseKernels { gck_gelu_backward(dinp, inp, cdf, dout, n) } else { geluBackwardSwift(dinp, inp, cdf, dout, n) }
}

/// The Swift form of `geluBackward` (the reference the C kernel is tested against).
func geluBackwardSwift(_ dinp: FPtr, _ inp: CFPtr, _ cdf: CFPtr, _ dout: CFPtr, _ n: Int) {
    let invSqrt2Pi: Float = 0.39894228040143268
    let c = V8(repeating: invSqrt2Pi), half = V8(repeating: -0.5)
    var i = 0
    while i + 8 <= n {
        let x = load8(inp + i)
        let pdf = c * vexp(half * x * x)
        store8(load8(dout + i) * (load8(cdf + i) + x * pdf), dinp + i)
        i += 8
    }
    while i < n {
        let x = inp[i]
        let pdf = invSqrt2Pi * _exp(-0.5 * x * x)
        dinp[i] = dout[i] * (cdf[i] + x * pdf)
        i += 1
    }
}

func reluForward(_ out: FPtr, _ inp: CFPtr, _ n: Int) {
    for i in 0..<n { out[i] = max(inp[i], 0) }
}

func reluBackward(_ dinp: FPtr, _ inp: CFPtr, _ dout: CFPtr, _ n: Int) {
    for i in 0..<n { dinp[i] = inp[i] > 0 ? dout[i] : 0 }
}

// MARK: Cross-entropy over selected rows

/// Mean cross-entropy of `logits[R,V]` against `targets[R]`; when `dlogits` is given,
/// writes d(mean loss)/d(logits) there. Returns the summed loss (Double).
func crossEntropy(_ logits: CFPtr, _ targets: UnsafePointer<Int32>, _ R: Int, _ V: Int,
                  _ dlogits: FPtr?, _ meanOver: Int) -> Double {
    var total = 0.0
    let inv = 1 / Float(max(meanOver, 1))
    for r in 0..<R {
        let row = logits + r * V
        var mx = -Float.infinity
        for j in 0..<V where row[j] > mx { mx = row[j] }
        var sum: Double = 0
        for j in 0..<V { sum += Double(_exp(row[j] - mx)) }
        let tgt = Int(targets[r])
        let logZ = Double(mx) + _log(sum)
        total += logZ - Double(row[tgt])
        if let d = dlogits {
            let drow = d + r * V
            let invSum = Float(1 / sum)
            for j in 0..<V { drow[j] = _exp(row[j] - mx) * invSum * inv }
            drow[tgt] -= inv
        }
    }
    return total
}
