/// The forward pass's steps, one per part of a block, as llm.c's layer calls: each reads and
/// writes the workspace and runs the hooks at its sites (`HookSites`). `forward` calls them in
/// order; a resumed pass starts at the attention's output or at the MLP's output.
extension Transformer {
    /// Token (and, with learned positions, position) embeddings into resid[0]; hook `embed`.
    func embedStep(_ plan: Plan, _ sites: HookSites) throws {
        let c = config, T = plan.seqs.tokens, D = c.dModel, p = parameters.pointer
        plan.tokens.withUnsafeBufferPointer { tok in
            plan.positions.withUnsafeBufferPointer { pos in
                embedForward(ws.resid[0].pointer, tok.baseAddress!, c.positions == .learned ? pos.baseAddress! : nil,
                             p + layout.wE, p + layout.wPos, T, D)
            }
        }
        try sites.site(.embed, -1, ws.resid[0].pointer)
    }

    /// Layer l up to its heads' outputs z: resid_pre, LN1, q/k/v, attention, patterns, z.
    func attentionStep(_ l: Int, _ plan: Plan, _ sites: HookSites) throws {
        let c = config, T = plan.seqs.tokens, D = c.dModel, H = c.nHeads, dh = c.dHead, HD = H * dh
        let b = layout.blocks[l], a = ws.layers[l], p = parameters.pointer, resid = ws.resid[l].pointer
        try sites.site(.residPre, l, resid)
        layernormForward(a.x1.pointer, a.ln1Mean.pointer, a.ln1Rstd.pointer, resid, p + b.ln1w, p + b.ln1b, T, D, c.lnEps)
        try sites.normalized(.ln1, l, input: resid, mean: a.ln1Mean.pointer, rstd: a.ln1Rstd.pointer,
                             w: p + b.ln1w, bias: p + b.ln1b, out: a.x1.pointer, scratch: ws.headOut.pointer)
        matmulForward(a.qkv.pointer, a.x1.pointer, p + b.wqkv, p + b.bqkv, T, D, 3 * HD)
        for (which, site) in [Component.Site.q, .k, .v].enumerated() {
            for h in 0..<H {
                try sites.strided(.site(site, layer: l, head: h), a.qkv.pointer, stride: 3 * HD, col: which * HD + h * dh, dh: dh,
                                  scratch: ws.zHead.pointer)
            }
        }
        attentionForward(a.z.pointer, a.pattern.pointer, a.qkv.pointer, plan.seqs, H, dh)
        try sites.patterns(l, a.pattern.pointer, heads: H, seqs: plan.seqs)
        for h in 0..<H {
            try sites.strided(.headZ(layer: l, head: h), a.z.pointer, stride: HD, col: h * dh, dh: dh, scratch: ws.zHead.pointer)
        }
    }

    /// Per-head outputs z_h W_O[h] for hooks and gates into headOut, summed in headSum;
    /// whether any was replaced (gated heads count as replaced).
    func headOutputs(_ l: Int, _ plan: Plan, _ sites: HookSites, gates: GateState?) throws -> Bool {
        let c = config, T = plan.seqs.tokens, D = c.dModel, H = c.nHeads, dh = c.dHead, HD = H * dh
        let b = layout.blocks[l], a = ws.layers[l], p = parameters.pointer
        let headsHooked = (0..<H).contains { sites.has(.head(layer: l, head: $0)) }
        let headsGated = gates?.gatesHead(in: l, heads: H) ?? false
        var anyReplaced = headsGated
        guard headsHooked || headsGated else { return false }
        // their sum is used only when a hook replaced one, so that observing never changes a
        // single bit of the result
        let out = ws.headOut.pointer, sum = ws.headSum.pointer
        ws.headSum.zero(T * D)
        for h in 0..<H {
            BLAS.gemmNN(T, D, dh, a.z.pointer + h * dh, HD, p + b.wo + h * dh * D, D, 0, out, D)
            gates?.blend(.head(layer: l, head: h), out, tokens: T, width: D, offsets: plan.seqs.offsets)
            if try sites.replaces(.head(layer: l, head: h), out) { anyReplaced = true }
            for i in 0..<(T * D) { sum[i] += out[i] }
        }
        return anyReplaced
    }

    /// The attention output Σ_h z_h W_O[h] + b_O into resid_mid (hooks per head and on
    /// `ATTN`), then hook `resid_mid`.
    func attentionOutputStep(_ l: Int, _ plan: Plan, _ sites: HookSites, gates: GateState?) throws {
        let c = config, T = plan.seqs.tokens, D = c.dModel, HD = c.nHeads * c.dHead
        let b = layout.blocks[l], a = ws.layers[l], p = parameters.pointer
        let resid = ws.resid[l].pointer, mid = a.residMid.pointer
        let anyReplaced = try headOutputs(l, plan, sites, gates: gates)
        // the attention output goes straight into the residual, the same way whether hooks
        // watch or not, so that observing never changes a bit of the result
        func addAttention(into out: FPtr, base: CFPtr?) {
            for t in 0..<T { for i in 0..<D { out[t * D + i] = (base?[t * D + i] ?? 0) + p[b.bo + i] } }
            if anyReplaced {
                let sum = ws.headSum.pointer
                for i in 0..<(T * D) { out[i] += sum[i] }
            } else {
                BLAS.gemmNN(T, D, HD, a.z.pointer, HD, p + b.wo, D, 1, out, D)
            }
        }
        addAttention(into: mid, base: resid)
        if sites.has(.attention(layer: l)) {
            // the attention output on its own, for the hook; a replacement rebuilds resid_mid
            let ao = ws.attnOut.pointer
            addAttention(into: ao, base: nil)
            if try sites.replaces(.attention(layer: l), ao) { for i in 0..<(T * D) { mid[i] = resid[i] + ao[i] } }
        }
        try sites.site(.residMid, l, mid)
    }

    /// LN2 and the MLP into mlpOut (hooks `ln2`, `MLP.pre`, `MLP.post`; a gate blends it).
    func mlpStep(_ l: Int, _ plan: Plan, _ sites: HookSites, gates: GateState?) throws {
        let c = config, T = plan.seqs.tokens, D = c.dModel, M = c.dMLP
        let b = layout.blocks[l], a = ws.layers[l], p = parameters.pointer, mid = a.residMid.pointer
        layernormForward(a.x2.pointer, a.ln2Mean.pointer, a.ln2Rstd.pointer, mid, p + b.ln2w, p + b.ln2b, T, D, c.lnEps)
        try sites.normalized(.ln2, l, input: mid, mean: a.ln2Mean.pointer, rstd: a.ln2Rstd.pointer,
                             w: p + b.ln2w, bias: p + b.ln2b, out: a.x2.pointer, scratch: ws.headOut.pointer)
        matmulForward(a.hpre.pointer, a.x2.pointer, p + b.win, p + b.bin, T, D, M)
        try sites.site(.mlpPre, l, a.hpre.pointer, width: M)
        switch c.activation {
        case .gelu: geluForward(a.hact.pointer, a.hpre.pointer, T * M, cdf: a.cdf.pointer)
        case .relu: reluForward(a.hact.pointer, a.hpre.pointer, T * M)
        }
        try sites.site(.mlpPost, l, a.hact.pointer, width: M)
        matmulForward(ws.mlpOut.pointer, a.hact.pointer, p + b.wout, p + b.bout, T, M, D)
        gates?.blend(.mlp(layer: l), ws.mlpOut.pointer, tokens: T, width: D, offsets: plan.seqs.offsets)
    }

    /// Hook `MLP` (which must replace it in a pass resumed at the MLP), then resid_post =
    /// resid_mid + the MLP's output, and its hook.
    func mlpOutputStep(_ l: Int, _ sites: HookSites, resumedAtMLP: Bool) throws {
        let T = sites.tokens, D = config.dModel
        let mid = ws.layers[l].residMid.pointer, mlpOut = ws.mlpOut.pointer, next = ws.resid[l + 1].pointer
        try sites.run(.mlp(layer: l), mlpOut)
        if resumedAtMLP && !ws.replaced.contains(.mlp(layer: l)) {
            throw GCError("internal: a pass resumed at L\(l).MLP needs a hook that replaces its output")
        }
        for i in 0..<(T * D) { next[i] = mid[i] + mlpOut[i] }
        try sites.site(.residPost, l, next)
    }

    /// The final LayerNorm (hook `ln_final`) and the unembedding at the logit rows; NaN or
    /// infinite logits are an error.
    func unembedStep(_ plan: Plan, _ sites: HookSites) throws {
        let c = config, D = c.dModel, V = c.dVocab, T = plan.seqs.tokens, R = plan.logitRows.count, p = parameters.pointer
        // after a last layer at the logit rows, ws.resid[L] holds those rows only, in order
        let last = ws.resid[c.nLayers].pointer, finalRows = ws.cut?.count ?? T
        layernormForward(ws.xf.pointer, ws.lnfMean.pointer, ws.lnfRstd.pointer, last, p + layout.lnfw, p + layout.lnfb,
                         finalRows, D, c.lnEps)
        try sites.normalized(.lnFinal, c.nLayers, input: last, mean: ws.lnfMean.pointer, rstd: ws.lnfRstd.pointer,
                             w: p + layout.lnfw, bias: p + layout.lnfb, out: ws.xf.pointer, scratch: ws.headOut.pointer)
        let xr = ws.xfRows.pointer
        if ws.cut != nil {
            xr.update(from: ws.xf.pointer, count: R * D)
        } else {
            for (r, t) in plan.logitRows.enumerated() { (xr + r * D).update(from: ws.xf.pointer + t * D, count: D) }
        }
        matmulForward(ws.logits.pointer, xr, p + layout.wU, p + layout.bU, R, D, V)
        let lg = ws.logits.pointer
        for i in 0..<(R * V) where !lg[i].isFinite {
            throw GCError("the forward pass produced NaN or inf logits (parameters or a hook's output too large?)")
        }
    }
}
