/// What one backward pass computes: which weight gradients (`scope`), and the gates whose
/// directional derivatives it records.
struct BackwardPass {
    let plan: Transformer.Plan
    let scope: Transformer.GradientScope
    let gates: GateState?
    /// Every weight's gradient (training).
    var weights: Bool { scope == .all }
    /// The scored matrices' gradients (W_V, W_out).
    var scored: Bool { scope != .activations }
}

/// The backward pass's steps, one per part of a block, in the reverse order of the forward
/// pass's (`backward` calls them).
extension Transformer {
    /// The unembedding and the final LayerNorm, into dresid. After a forward pass that
    /// computed the last layer at the logit rows only (ws.cut), its gradients are computed at
    /// those rows, packed, and spread to all rows below its attention: the other rows'
    /// gradients are zero, and leaving zeros out of a sum changes no bit of it.
    func unembedBackward(_ pass: BackwardPass) {
        let c = config, D = c.dModel, V = c.dVocab, plan = pass.plan
        let T = plan.seqs.tokens, R = plan.logitRows.count, weights = pass.weights
        let p = parameters.pointer, g = gradients.pointer, dx = ws.dx.pointer
        matmulBackward(ws.dxfRows.pointer, weights ? g + layout.wU : nil, weights ? g + layout.bU : nil,
                       ws.dlogits.pointer, ws.xfRows.pointer, p + layout.wU, R, D, V)
        let cut = ws.cut
        ws.dx.zero(T * D)
        for (r, t) in plan.logitRows.enumerated() {
            let src = ws.dxfRows.pointer + r * D, dst = dx + (cut == nil ? t : r) * D
            for i in 0..<D { dst[i] += src[i] }
        }
        ws.dresid.zero(T * D)
        layernormBackward(ws.dresid.pointer, weights ? g + layout.lnfw : nil, weights ? g + layout.lnfb : nil, dx,
                          ws.resid[c.nLayers].pointer, p + layout.lnfw, ws.lnfMean.pointer, ws.lnfRstd.pointer, cut?.count ?? T, D)
    }

    /// The MLP of layer l (skipped when its output was replaced: a constant has no gradient).
    /// A gated MLP: records ∂f/∂out, and passes (1 − α)·∂f/∂out into the MLP.
    func mlpBackward(_ l: Int, _ T: Int, _ pass: BackwardPass) {
        let c = config, D = c.dModel, M = c.dMLP, weights = pass.weights
        let b = layout.blocks[l], a = ws.layers[l], p = parameters.pointer, g = gradients.pointer
        let dresid = ws.dresid.pointer, dx = ws.dx.pointer
        var dmlp = CFPtr(dresid)
        let mlpAlpha = pass.gates?.alpha[.mlp(layer: l)] ?? 0
        if let gs = pass.gates, gs.alpha[.mlp(layer: l)] != nil {
            gs.collect(.mlp(layer: l), dresid, tokens: T, width: D)
            if mlpAlpha != 0 {
                let scaled = ws.dscaled.pointer
                for i in 0..<(T * D) { scaled[i] = (1 - mlpAlpha) * dresid[i] }
                dmlp = CFPtr(scaled)
            }
        }
        guard !ws.replaced.contains(.mlp(layer: l)) && mlpAlpha != 1 else { return }
        let dh_ = ws.dhidden.pointer
        matmulBackward(dh_, pass.scored ? g + b.wout : nil, weights ? g + b.bout : nil, dmlp, a.hact.pointer, p + b.wout, T, M, D)
        switch c.activation {
        case .gelu: geluBackward(dh_, a.hpre.pointer, a.cdf.pointer, dh_, T * M)
        case .relu: reluBackward(dh_, a.hpre.pointer, dh_, T * M)
        }
        matmulBackward(dx, weights ? g + b.win : nil, weights ? g + b.bin : nil, dh_, a.x2.pointer, p + b.win, T, D, M)
        layernormBackward(dresid, weights ? g + b.ln2w : nil, weights ? g + b.ln2b : nil, dx, a.residMid.pointer, p + b.ln2w,
                          a.ln2Mean.pointer, a.ln2Rstd.pointer, T, D)
    }

    /// b_O's gradient, and each head's share of the attention output's: 0 when replaced,
    /// 1 − α when gated (whose derivative is recorded).
    func headScales(_ l: Int, _ T: Int, _ pass: BackwardPass) -> [Float] {
        let D = config.dModel, H = config.nHeads, b = layout.blocks[l]
        let dresid = ws.dresid.pointer, g = gradients.pointer
        if pass.weights { for t in 0..<T { let r = dresid + t * D; for i in 0..<D { g[b.bo + i] += r[i] } } }
        var headScale = [Float](repeating: 1, count: H)
        for h in 0..<H {
            if ws.replaced.contains(.head(layer: l, head: h)) { headScale[h] = 0 }
            if let gs = pass.gates, let alpha = gs.alpha[.head(layer: l, head: h)] {
                gs.collect(.head(layer: l, head: h), dresid, tokens: T, width: D)
                headScale[h] *= 1 - alpha
            }
        }
        return headScale
    }

    /// dz from the attention output's gradient, and W_O's gradient; at the logit rows only
    /// for a cut last layer, then spread to all rows. Returns the rows now in play.
    func attentionOutputBackward(_ l: Int, _ T: Int, _ rows: [Int]?, _ headScale: [Float], _ pass: BackwardPass) -> Int {
        let c = config, D = c.dModel, H = c.nHeads, dh = c.dHead, HD = H * dh
        let b = layout.blocks[l], a = ws.layers[l], p = parameters.pointer, g = gradients.pointer
        let dresid = ws.dresid.pointer, dz = ws.dz.pointer, weights = pass.weights
        if let rows {
            // (in place: rows[r] >= r; zRows holds those rows of z as the forward pass gathered them)
            let zr = ws.zRows.pointer, dzr = ws.dzRows.pointer, full = pass.plan.seqs.tokens
            BLAS.gemmNT(T, HD, D, dresid, D, p + b.wo, D, 0, dzr, HD)
            ws.dz.zero(full * HD)
            for (r, t) in rows.enumerated() { (dz + t * HD).update(from: dzr + r * HD, count: HD) }
            if weights { BLAS.gemmTN(HD, D, T, zr, HD, dresid, D, 1, g + b.wo, D) }
            for (r, t) in rows.enumerated().reversed() where t != r {
                (dresid + t * D).update(from: dresid + r * D, count: D)
                (dresid + r * D).update(repeating: 0, count: D)
            }
            return full
        }
        BLAS.gemmNT(T, HD, D, dresid, D, p + b.wo, D, 0, dz, HD)
        if headScale.allSatisfy({ $0 == 1 }) {
            if weights { BLAS.gemmTN(HD, D, T, a.z.pointer, HD, dresid, D, 1, g + b.wo, D) }
        } else {
            let zm = ws.zMasked.pointer
            zm.update(from: a.z.pointer, count: T * HD)
            for h in 0..<H where headScale[h] != 1 {
                let s = headScale[h]
                for t in 0..<T { for e in 0..<dh { zm[t * HD + h * dh + e] *= s; dz[t * HD + h * dh + e] *= s } }
            }
            if weights { BLAS.gemmTN(HD, D, T, zm, HD, dresid, D, 1, g + b.wo, D) }
        }
        for h in 0..<H where ws.replaced.contains(.headZ(layer: l, head: h)) {
            for t in 0..<T { for e in 0..<dh { dz[t * HD + h * dh + e] = 0 } }
        }
        return T
    }

    /// Attention, q/k/v and LN1 of layer l, into dresid. With only the scored weights wanted,
    /// W_V's gradient (the V columns of W_qkv); returns false when nothing below is wanted.
    func headsBackward(_ l: Int, _ T: Int, _ pass: BackwardPass) -> Bool {
        let c = config, D = c.dModel, H = c.nHeads, dh = c.dHead, HD = H * dh, weights = pass.weights
        let b = layout.blocks[l], a = ws.layers[l], p = parameters.pointer, g = gradients.pointer
        ws.dqkv.zero(T * 3 * HD)
        attentionBackward(ws.dqkv.pointer, ws.dz.pointer, a.qkv.pointer, a.pattern.pointer, pass.plan.seqs, H, dh, ws.attnScratch.pointer)
        if pass.scope == .scoredWeights {
            BLAS.gemmTN(D, HD, T, a.x1.pointer, D, ws.dqkv.pointer + 2 * HD, 3 * HD, 1, g + b.wqkv + 2 * HD, 3 * HD)
            if l == 0 { return false }
        }
        matmulBackward(ws.dx.pointer, weights ? g + b.wqkv : nil, weights ? g + b.bqkv : nil, ws.dqkv.pointer, a.x1.pointer,
                       p + b.wqkv, T, D, 3 * HD)
        layernormBackward(ws.dresid.pointer, weights ? g + b.ln1w : nil, weights ? g + b.ln1b : nil, ws.dx.pointer,
                          ws.resid[l].pointer, p + b.ln1w, a.ln1Mean.pointer, a.ln1Rstd.pointer, T, D)
        return true
    }
}
