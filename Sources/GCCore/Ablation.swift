/// Mean outputs of every component over a batch: the μ_i of mean ablation.
public struct ComponentMeans {
    /// One mean per component, or one per position when `perPosition`.
    public var perPosition: Bool
    /// [d_model] per component, or [positions × d_model] when `perPosition`.
    public var values: [Component: [Float]]
    /// Number of positions covered (perPosition only).
    public var positions: Int
    public var dModel: Int

    /// The width of a component's mean (d_model, or d_head for z_h).
    public func width(_ c: Component) -> Int { (values[c]?.count ?? 0) / (perPosition ? positions : 1) }

    /// The mean for a position (the last position's when per-position means do not reach it).
    func vector(_ c: Component, position p: Int) -> ArraySlice<Float>? {
        guard let v = values[c] else { return nil }
        let w = width(c)
        if !perPosition { return v[0..<w] }
        let q = min(p, positions - 1)
        return v[(q * w)..<((q + 1) * w)]
    }
}

/// How a component's output is replaced.
public enum Ablation {
    /// By zero at every position.
    case zero
    /// By its mean (PROTOCOL's mean ablation).
    case mean(ComponentMeans)
    /// By its output on another batch (resample ablation); the batches must have the same
    /// row lengths. Outputs: packed [tokens × d_model] per component.
    case resample([Component: [Float]])
}

extension Transformer {
    /// μ_i: the mean of each component's output over every sample and every position the
    /// model reads (PROTOCOL); with `perPosition`, one mean per position index.
    public func componentMeans(_ b: TokenBatch, perPosition: Bool = false, components: [Component]? = nil) throws -> ComponentMeans {
        let maxLen = b.maxInputLength
        var sums: [Component: [Double]] = [:]
        var counts = [Double](repeating: 0, count: perPosition ? maxLen : 1)
        var countsDone = false
        var hooks: [(Component, ComponentHook)] = []
        for c in components ?? config.components {
            let D = width(of: c)
            guard D > 0 else { throw GCError("\(c) is an attention pattern: it has no mean output to ablate with") }
            hooks.append((c, { out in
                var s = sums[out.component] ?? [Double](repeating: 0, count: perPosition ? maxLen * D : D)
                for seq in 0..<(out.offsets.count - 1) {
                    for t in out.offsets[seq]..<out.offsets[seq + 1] {
                        let base = perPosition ? (t - out.offsets[seq]) * D : 0
                        let row = out.values + t * D
                        for i in 0..<D { s[base + i] += Double(row[i]) }
                        if !countsDone { counts[perPosition ? t - out.offsets[seq] : 0] += 1 }
                    }
                }
                countsDone = true
                sums[out.component] = s
                return false
            }))
        }
        // large sets in chunks of 256 rows: the same sums, with bounded activation memory
        let chunk = 256
        // a set the model keeps a clean run of: its outputs, through the same hooks (no pass)
        if b.size <= chunk, let clean = cleanRunKept(for: b, logProbs: false),
           let outs = clean.outputs(hooks.map(\.0), self) {
            for (comp, hook) in hooks {
                var v = outs[comp]!
                let D = width(of: comp)
                try v.withUnsafeMutableBufferPointer { buf in
                    _ = try hook(ComponentOutput(component: comp, values: buf.baseAddress!, tokens: buf.count / D, dModel: D,
                                                 offsets: clean.plan.seqs.offsets))
                }
            }
            return means(sums, counts, perPosition: perPosition, maxLen: maxLen)
        }
        var start = 0
        while start < b.size {
            let rows = Array(b.rows[start..<min(b.size, start + chunk)])
            _ = try evaluate(try TokenBatch(rows: rows, special: b.special), hooks: hooks)
            countsDone = false
            start += chunk
        }
        return means(sums, counts, perPosition: perPosition, maxLen: maxLen)
    }

    /// The means from per-component sums and per-position counts.
    private func means(_ sums: [Component: [Double]], _ counts: [Double], perPosition: Bool, maxLen: Int) -> ComponentMeans {
        var values: [Component: [Float]] = [:]
        for (c, s) in sums {
            let D = width(of: c)
            var v = [Float](repeating: 0, count: s.count)
            for i in 0..<s.count { let n = counts[i / D]; v[i] = n > 0 ? Float(s[i] / n) : 0 }
            values[c] = v
        }
        return ComponentMeans(perPosition: perPosition, values: values, positions: perPosition ? maxLen : 1, dModel: config.dModel)
    }

    /// Each component's output on a batch, packed [tokens × d_model] (for resampling).
    public func componentOutputs(_ b: TokenBatch, components: [Component]) throws -> [Component: [Float]] {
        var out: [Component: [Float]] = [:]
        let hooks: [(Component, ComponentHook)] = components.map { c in
            (c, { o in out[o.component] = Array(UnsafeBufferPointer(start: o.values, count: o.tokens * o.dModel)); return false })
        }
        _ = try evaluate(b, hooks: hooks)
        return out
    }

    /// A hook that replaces a component's output as `ablation` says.
    public func ablationHook(_ c: Component, _ ablation: Ablation) throws -> ComponentHook {
        try checkComponent(c)
        guard width(of: c) > 0 else { throw GCError("\(c) is an attention pattern: it can be read, not ablated") }
        switch ablation {
        case .zero:
            return { out in out.values.update(repeating: 0, count: out.tokens * out.dModel); return true }
        case .mean(let means):
            guard means.values[c] != nil else { throw GCError("no mean for component \(c)") }
            guard means.width(c) == width(of: c) else { throw GCError("the mean of \(c) has width \(means.width(c)), the model's output \(width(of: c))") }
            return { out in
                for s in 0..<(out.offsets.count - 1) {
                    for t in out.offsets[s]..<out.offsets[s + 1] {
                        let v = means.vector(c, position: t - out.offsets[s])!
                        let row = out.values + t * out.dModel
                        var i = 0
                        for x in v { row[i] = x; i += 1 }  // (dModel here is the output's width)
                    }
                }
                return true
            }
        case .resample(let outputs):
            guard let v = outputs[c] else { throw GCError("no resampled output for component \(c)") }
            return { out in
                guard v.count == out.tokens * out.dModel else {
                    throw GCError("resample ablation: the source batch has \(v.count / out.dModel) tokens, this one \(out.tokens) (same row lengths needed)")
                }
                v.withUnsafeBufferPointer { out.values.update(from: $0.baseAddress!, count: v.count) }
                return true
            }
        }
    }
}

extension Transformer {
    /// The public code's head-ablation defect, kept to measure its effect: the mean of the
    /// head's pre-W_O output z_h (d_head wide) is written into columns h·d_head ..< (h+1)·d_head
    /// of the layer's attention output after W_O, instead of replacing the head's own
    /// contribution. `means` must hold the mean of `L{l}.H{h}.z`.
    public func zSliceDefectHook(_ head: Component, means: ComponentMeans) throws -> (Component, ComponentHook) {
        guard case .head(let l, let h) = head else { throw GCError("the z-slice defect applies to heads, not \(head)") }
        try checkComponent(head)
        let zc = Component.headZ(layer: l, head: h), dh = config.dHead
        guard means.values[zc] != nil else { throw GCError("no mean for \(zc)") }
        guard means.width(zc) == dh else { throw GCError("the mean of \(zc) has width \(means.width(zc)), this model's d_head is \(dh)") }
        return (.attention(layer: l), { out in
            for s in 0..<(out.offsets.count - 1) {
                for t in out.offsets[s]..<out.offsets[s + 1] {
                    let v = means.vector(zc, position: t - out.offsets[s])!
                    let row = out.values + t * out.dModel + h * dh
                    var i = 0
                    for x in v { row[i] = x; i += 1 }
                }
            }
            return true
        })
    }
}
