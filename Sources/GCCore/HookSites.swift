/// The hooks of one forward pass, by hook point, and the one mechanism that runs them at
/// their sites: a hook sees a buffer of the pass's rows (`ComponentOutput`) and may replace
/// it; `replaced` records which points were replaced (the backward pass reads it). Strided
/// sites (one head's q, k, v or z inside a wider buffer) are shown as a packed copy that is
/// written back only when a hook replaced it, so hooks that only look change no bit.
struct HookSites {
    let hooks: [Component: [ComponentHook]]
    let ws: Workspace
    let tokens: Int
    let width: Int
    let offsets: [Int]

    func has(_ comp: Component) -> Bool { hooks[comp] != nil }

    /// Runs the hooks of `comp` on T rows of `width` at `values`.
    func run(_ comp: Component, _ values: FPtr, width: Int? = nil) throws {
        guard let list = hooks[comp] else { return }
        let w = width ?? self.width
        let out = ComponentOutput(component: comp, values: values, tokens: tokens, dModel: w, offsets: offsets)
        for h in list where try h(out) {
            guard w > 0 else { throw GCError("a hook on \(comp) replaced it: attention patterns can be read, not replaced") }
            ws.replaced.insert(comp)
        }
    }

    /// Runs the hooks of `comp` and says whether one replaced it.
    func replaces(_ comp: Component, _ values: FPtr, width: Int? = nil) throws -> Bool {
        let before = ws.replaced.count
        try run(comp, values, width: width)
        return ws.replaced.count != before
    }

    /// A hook point of `site` in layer `l` (the embedding and the final LayerNorm are outside
    /// the blocks).
    func site(_ site: Component.Site, _ l: Int, _ values: FPtr, width: Int? = nil) throws {
        let comp = Component.site(site, layer: site == .embed ? -1 : site == .lnFinal ? Int.max : l, head: -1)
        guard has(comp) else { return }
        try run(comp, values, width: width)
    }

    /// A LayerNorm's normalized input before its weight and bias (TransformerLens's
    /// `hook_normalized`): computed for the hooks only, in `scratch`; a replacement is scaled
    /// and shifted into `out`.
    func normalized(_ site: Component.Site, _ l: Int, input: CFPtr, mean: CFPtr, rstd: CFPtr,
                    w: CFPtr, bias: CFPtr, out: FPtr, scratch x: FPtr) throws {
        let comp = Component.site(site, layer: site == .lnFinal ? Int.max : l, head: -1)
        guard has(comp) else { return }
        let T = tokens, D = width
        for t in 0..<T { for i in 0..<D { x[t * D + i] = (input[t * D + i] - mean[t]) * rstd[t] } }
        if try replaces(comp, x) {
            for t in 0..<T { for i in 0..<D { out[t * D + i] = x[t * D + i] * w[i] + bias[i] } }
        }
    }

    /// A strided per-head slice (`dh` columns from `col` in rows of `stride`) of `buffer`,
    /// shown as a packed copy in `scratch`, written back when a hook replaced it.
    func strided(_ comp: Component, _ buffer: FPtr, stride: Int, col: Int, dh: Int, scratch: FPtr) throws {
        guard has(comp) else { return }
        let T = tokens
        for t in 0..<T { (scratch + t * dh).update(from: buffer + t * stride + col, count: dh) }
        if try replaces(comp, scratch, width: dh) {
            for t in 0..<T { (buffer + t * stride + col).update(from: scratch + t * dh, count: dh) }
        }
    }

    /// Each head's attention pattern, one n×n matrix per sequence, for reading.
    func patterns(_ l: Int, _ pattern: FPtr, heads H: Int, seqs: SeqLayout) throws {
        for h in 0..<H where has(.site(.pattern, layer: l, head: h)) {
            var packed: [Float] = []
            for s in 0..<seqs.count {
                let n = seqs.offsets[s + 1] - seqs.offsets[s]
                let start = pattern + seqs.patternOffsets[s] + h * n * n
                packed.append(contentsOf: UnsafeBufferPointer(start: start, count: n * n))
            }
            try packed.withUnsafeMutableBufferPointer { buf in
                try run(.site(.pattern, layer: l, head: h), buf.baseAddress ?? pattern, width: 0)
            }
        }
    }
}
