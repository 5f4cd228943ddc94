/// Where each parameter lives in the model's one flat buffer, in the layout the kernels
/// want (Q, K and V of all heads fused into one [d_model, 3·H·d_head] matrix), and how
/// that maps to TransformerLens's state-dict tensors.
struct ParamLayout {
    struct Block {
        var ln1w = 0, ln1b = 0
        var wqkv = 0, bqkv = 0   // [D, 3*H*dh], columns (which, head, e); [3*H*dh]
        var wo = 0, bo = 0       // [H*dh, D]; [D]
        var ln2w = 0, ln2b = 0
        var win = 0, bin = 0     // [D, M]; [M]
        var wout = 0, bout = 0   // [M, D]; [D]
    }
    var wE = 0, wPos = 0
    var blocks: [Block] = []
    var lnfw = 0, lnfb = 0
    var wU = 0, bU = 0
    var count = 0

    init(_ c: ModelConfig) {
        let D = c.dModel, M = c.dMLP, HD = c.nHeads * c.dHead, V = c.dVocab
        var off = 0
        func take(_ n: Int) -> Int { defer { off += n }; return off }
        wE = take(V * D)
        wPos = take(c.nCtx * D)
        for _ in 0..<c.nLayers {
            var b = Block()
            b.ln1w = take(D); b.ln1b = take(D)
            b.wqkv = take(D * 3 * HD); b.bqkv = take(3 * HD)
            b.wo = take(HD * D); b.bo = take(D)
            b.ln2w = take(D); b.ln2b = take(D)
            b.win = take(D * M); b.bin = take(M)
            b.wout = take(M * D); b.bout = take(D)
            blocks.append(b)
        }
        lnfw = take(D); lnfb = take(D)
        wU = take(D * V); bU = take(V)
        count = off
    }
}

/// One TransformerLens state-dict tensor and how to move it in and out of the flat buffer.
struct TLTensor {
    enum Kind {
        case plain(offset: Int)                      // same row-major order
        case qkvWeight(which: Int, block: Int)       // [H, D, dh] <-> fused [D, 3*H*dh]
        case qkvBias(which: Int, block: Int)         // [H, dh] <-> fused [3*H*dh]
    }
    let name: String
    let shape: [Int]
    let kind: Kind
    /// Fan-in of the nn.Linear it stands for (PyTorch's default init), nil for others.
    let initializer: Init
    enum Init { case normal, uniform(fanIn: Int), ones, zeros, positional }
    var count: Int { shape.reduce(1, *) }
}

extension ModelConfig {
    /// TransformerLens `HookedTransformer.state_dict()` tensors, in state-dict order.
    func tlTensors(_ p: ParamLayout) -> [TLTensor] {
        let D = dModel, H = nHeads, dh = dHead, M = dMLP, V = dVocab
        var out: [TLTensor] = [
            TLTensor(name: "embed.W_E", shape: [V, D], kind: .plain(offset: p.wE), initializer: .normal),
            TLTensor(name: "pos_embed.W_pos", shape: [nCtx, D], kind: .plain(offset: p.wPos), initializer: .positional),
        ]
        for (l, b) in p.blocks.enumerated() {
            let pre = "blocks.\(l)."
            out += [
                TLTensor(name: pre + "ln1.w", shape: [D], kind: .plain(offset: b.ln1w), initializer: .ones),
                TLTensor(name: pre + "ln1.b", shape: [D], kind: .plain(offset: b.ln1b), initializer: .zeros),
                TLTensor(name: pre + "attn.W_Q", shape: [H, D, dh], kind: .qkvWeight(which: 0, block: l), initializer: .uniform(fanIn: D)),
                TLTensor(name: pre + "attn.W_K", shape: [H, D, dh], kind: .qkvWeight(which: 1, block: l), initializer: .uniform(fanIn: D)),
                TLTensor(name: pre + "attn.W_V", shape: [H, D, dh], kind: .qkvWeight(which: 2, block: l), initializer: .uniform(fanIn: D)),
                TLTensor(name: pre + "attn.W_O", shape: [H, dh, D], kind: .plain(offset: b.wo), initializer: .uniform(fanIn: H * dh)),
                TLTensor(name: pre + "attn.b_Q", shape: [H, dh], kind: .qkvBias(which: 0, block: l), initializer: .uniform(fanIn: D)),
                TLTensor(name: pre + "attn.b_K", shape: [H, dh], kind: .qkvBias(which: 1, block: l), initializer: .uniform(fanIn: D)),
                TLTensor(name: pre + "attn.b_V", shape: [H, dh], kind: .qkvBias(which: 2, block: l), initializer: .uniform(fanIn: D)),
                TLTensor(name: pre + "attn.b_O", shape: [D], kind: .plain(offset: b.bo), initializer: .uniform(fanIn: H * dh)),
                TLTensor(name: pre + "ln2.w", shape: [D], kind: .plain(offset: b.ln2w), initializer: .ones),
                TLTensor(name: pre + "ln2.b", shape: [D], kind: .plain(offset: b.ln2b), initializer: .zeros),
                TLTensor(name: pre + "mlp.W_in", shape: [D, M], kind: .plain(offset: b.win), initializer: .uniform(fanIn: D)),
                TLTensor(name: pre + "mlp.b_in", shape: [M], kind: .plain(offset: b.bin), initializer: .uniform(fanIn: D)),
                TLTensor(name: pre + "mlp.W_out", shape: [M, D], kind: .plain(offset: b.wout), initializer: .uniform(fanIn: M)),
                TLTensor(name: pre + "mlp.b_out", shape: [D], kind: .plain(offset: b.bout), initializer: .uniform(fanIn: M)),
            ]
        }
        out += [
            TLTensor(name: "ln_final.w", shape: [D], kind: .plain(offset: p.lnfw), initializer: .ones),
            TLTensor(name: "ln_final.b", shape: [D], kind: .plain(offset: p.lnfb), initializer: .zeros),
            TLTensor(name: "unembed.W_U", shape: [D, V], kind: .plain(offset: p.wU), initializer: .uniform(fanIn: D)),
            TLTensor(name: "unembed.b_U", shape: [V], kind: .plain(offset: p.bU), initializer: .uniform(fanIn: D)),
        ]
        return out
    }
}

extension TLTensor {
    /// Copies this tensor out of a flat buffer (parameters or gradients) in TL layout.
    func read(_ buf: UnsafePointer<Float>, _ c: ModelConfig, _ p: ParamLayout) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        switch kind {
        case .plain(let off):
            for i in 0..<count { out[i] = buf[off + i] }
        case .qkvWeight(let which, let l):
            let D = c.dModel, H = c.nHeads, dh = c.dHead, HD3 = 3 * H * dh, base = p.blocks[l].wqkv
            for h in 0..<H { for d in 0..<D { for e in 0..<dh {
                out[(h * D + d) * dh + e] = buf[base + d * HD3 + which * H * dh + h * dh + e]
            } } }
        case .qkvBias(let which, let l):
            let n = c.nHeads * c.dHead, base = p.blocks[l].bqkv + which * n
            for i in 0..<n { out[i] = buf[base + i] }
        }
        return out
    }

    /// Writes TL-layout values into a flat buffer.
    func write(_ values: [Float], _ buf: UnsafeMutablePointer<Float>, _ c: ModelConfig, _ p: ParamLayout) {
        switch kind {
        case .plain(let off):
            for i in 0..<count { buf[off + i] = values[i] }
        case .qkvWeight(let which, let l):
            let D = c.dModel, H = c.nHeads, dh = c.dHead, HD3 = 3 * H * dh, base = p.blocks[l].wqkv
            for h in 0..<H { for d in 0..<D { for e in 0..<dh {
                buf[base + d * HD3 + which * H * dh + h * dh + e] = values[(h * D + d) * dh + e]
            } } }
        case .qkvBias(let which, let l):
            let n = c.nHeads * c.dHead, base = p.blocks[l].bqkv + which * n
            for i in 0..<n { buf[base + i] = values[i] }
        }
    }
}
