/// The experiment's measurements: gradient magnitude G, causal importance C, and the
/// choice of the out-of-distribution length (PROTOCOL.md).
extension Transformer {
    /// G: per component, the mean over `batches` of the gradient norm of the training loss
    /// (W_V[l,h] for a head, W_out[l] for an MLP). `wholeWV`: the public code's appendix
    /// defect (every head of a layer gets the whole W_V's norm).
    public func gradientScores(_ batches: [TokenBatch], norm: GradientNorm = .raw, wholeWV: Bool = false,
                               shouldStop: () -> Bool = { false }) throws -> [Component: Double] {
        guard !batches.isEmpty else { throw GCError("no batches to score") }
        var sum: [Component: Double] = [:]
        for b in batches {
            if shouldStop() { throw GCError.interrupted }
            try lossAndGradient(b)
            for (c, v) in componentGradientNorms(norm, wholeWV: wholeWV) { sum[c, default: 0] += v }
        }
        return sum.mapValues { $0 / Double(batches.count) }
    }

    /// First-order Taylor importance |⟨∂L/∂W, W⟩| of each component's matrix (W_V[l,h] or
    /// W_out[l]), the mean over `batches`.
    public func taylorScores(_ batches: [TokenBatch], shouldStop: () -> Bool = { false }) throws -> [Component: Double] {
        guard !batches.isEmpty else { throw GCError("no batches to score") }
        let c = config, D = c.dModel, H = c.nHeads, dh = c.dHead, HD3 = 3 * H * dh, M = c.dMLP
        var sum: [Component: Double] = [:]
        let p = parameters.pointer, g = gradients.pointer
        for b in batches {
            if shouldStop() { throw GCError.interrupted }
            try lossAndGradient(b)
            for l in 0..<c.nLayers {
                let blk = layout.blocks[l]
                for h in 0..<H {
                    var s = 0.0
                    for d in 0..<D { for e in 0..<dh {
                        let i = blk.wqkv + d * HD3 + 2 * H * dh + h * dh + e
                        s += Double(g[i]) * Double(p[i])
                    } }
                    sum[.head(layer: l, head: h), default: 0] += abs(s)
                }
                var s = 0.0
                for i in 0..<(M * D) { s += Double(g[blk.wout + i]) * Double(p[blk.wout + i]) }
                sum[.mlp(layer: l), default: 0] += abs(s)
            }
        }
        return sum.mapValues { $0 / Double(batches.count) }
    }

    /// The outcome of ablating each component in turn.
    public struct CausalScores {
        /// Accuracy with nothing ablated.
        public var base: Double
        /// Accuracy with each component ablated.
        public var ablated: [Component: Double]
        /// C_i = base − ablated_i.
        public var scores: [Component: Double] { ablated.mapValues { base - $0 } }
    }

    /// C: accuracy drop on `batch` when each component's output is replaced as `ablation`
    /// says (one forward pass per component). `hookFor` builds the hook for a component
    /// (e.g. a defect-reproducing one); by default `ablationHook`.
    public func causalScores(_ batch: TokenBatch, ablation: Ablation, components: [Component]? = nil,
                             hookFor: ((Component) throws -> (Component, ComponentHook))? = nil,
                             shouldStop: () -> Bool = { false }) throws -> CausalScores {
        let base = try evaluate(batch).accuracy
        var ablated: [Component: Double] = [:]
        for comp in components ?? config.components {
            if shouldStop() { throw GCError.interrupted }
            let hook = try hookFor?(comp) ?? (comp, ablationHook(comp, ablation))
            ablated[comp] = try evaluate(batch, hooks: [hook]).accuracy
        }
        return CausalScores(base: base, ablated: ablated)
    }

    /// Activation patching: run the corrupted inputs (the clean rows with `corrupted`'s
    /// tokens up to SEP), patch one component's output from the clean run, and score the
    /// accuracy recovered on the clean targets: acc(patched) − acc(corrupted), per
    /// component, with both baselines. Rows must have the same lengths.
    public func patchingScores(clean: TokenBatch, corrupted: TokenBatch, components: [Component]? = nil,
                               shouldStop: () -> Bool = { false }) throws -> (clean: Double, corrupted: Double, scores: [Component: Double]) {
        guard clean.rows.map(\.count) == corrupted.rows.map(\.count) else {
            throw GCError("activation patching needs clean and corrupted rows of the same lengths")
        }
        let comps = components ?? config.components
        let cleanOutputs = try componentOutputs(clean, components: comps)
        // the corrupted inputs, scored against the clean targets
        let mixed = try TokenBatch(rows: zip(clean.rows, corrupted.rows).map { c, x in
            guard let sep = c.firstIndex(of: clean.special.sep) else { return c }
            return Array(x[...sep]) + Array(c[(sep + 1)...])
        }, special: clean.special)
        let cleanAcc = try evaluate(clean).accuracy
        let corruptAcc = try evaluate(mixed).accuracy
        var scores: [Component: Double] = [:]
        for comp in comps {
            if shouldStop() { throw GCError.interrupted }
            let hook = try ablationHook(comp, .resample(cleanOutputs))
            scores[comp] = try evaluate(mixed, hooks: [(comp, hook)]).accuracy - corruptAcc
        }
        return (cleanAcc, corruptAcc, scores)
    }
}

/// PROTOCOL's choice of the OOD length: the first length whose accuracy on its evaluation
/// set lies in the range (both ends included).
public struct OODSelection {
    public var length: Int?
    /// (length, accuracy) for every length tried, in order.
    public var accuracies: [(length: Int, accuracy: Double)]
    /// The evaluation set of the chosen length.
    public var set: TokenBatch?
}

/// Tries `lengths` in order on sets of `size` samples fixed by `seed` (stream "ood-N"),
/// and returns the first whose accuracy is within `range`.
public func selectOODLength(_ model: Transformer, task: AlgorithmicTask, lengths: [Int] = [8, 9, 10, 11],
                            range: ClosedRange<Double> = 0.20...0.75, size: Int = 200, seed: UInt64,
                            sets: ((Int) throws -> TokenBatch)? = nil) throws -> OODSelection {
    var tried: [(length: Int, accuracy: Double)] = []
    for n in lengths {
        let set = try sets?(n) ?? task.batch(size: size, lengths: n...n, seed: seed, stream: "ood-\(n)")
        let acc = try model.evaluate(set).accuracy
        tried.append((n, acc))
        if range.contains(acc) { return OODSelection(length: n, accuracies: tried, set: set) }
    }
    return OODSelection(length: nil, accuracies: tried, set: nil)
}
