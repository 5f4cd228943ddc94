/// The experiment's measurements: gradient magnitude G, causal importance C, and the
/// choice of the out-of-distribution length (PROTOCOL.md).
extension Transformer {
    /// G: per component, the mean over `batches` of the gradient norm of the training loss
    /// (W_V[l,h] for a head, W_out[l] for an MLP). `wholeWV`: the public code's appendix
    /// defect (every head of a layer gets the whole W_V's norm).
    public func gradientScores(_ batches: [TokenBatch], norm: GradientNorm = .raw, wholeWV: Bool = false,
                               shouldStop: () -> Bool = { false }) throws -> [Component: Double] {
        try gradientAndTaylorScores(batches, norm: norm, wholeWV: wholeWV, shouldStop: shouldStop).gradient
    }

    /// First-order Taylor importance |⟨∂L/∂W, W⟩| of each component's matrix (W_V[l,h] or
    /// W_out[l]), the mean over `batches`.
    public func taylorScores(_ batches: [TokenBatch], shouldStop: () -> Bool = { false }) throws -> [Component: Double] {
        try gradientAndTaylorScores(batches, shouldStop: shouldStop).taylor
    }

    /// G (as `gradientScores`) and the Taylor importance (as `taylorScores`) from the same
    /// backward passes.
    public func gradientAndTaylorScores(_ batches: [TokenBatch], norm: GradientNorm = .raw, wholeWV: Bool = false,
                                        shouldStop: () -> Bool = { false }) throws -> (gradient: [Component: Double], taylor: [Component: Double]) {
        guard !batches.isEmpty else { throw GCError("no batches to score") }
        // batch by batch, on `Parallelism.threads` threads (each batch alone), then summed in
        // batch order: the same bits for any thread count
        let perBatch = try Parallel.map(batches.count, model: self, shouldStop: shouldStop) { m, i in
            // only the scored matrices' gradients (W_V, W_out) are computed
            try m.lossAndGradient(batches[i], scope: .scoredWeights)
            return (m.componentGradientNorms(norm, wholeWV: wholeWV), m.componentTaylor())
        }
        var sum: [Component: Double] = [:], taylor: [Component: Double] = [:]
        for (norms, tay) in perBatch {
            for (c, v) in norms { sum[c, default: 0] += v }
            for (c, v) in tay { taylor[c, default: 0] += v }
        }
        let n = Double(batches.count)
        return (sum.mapValues { $0 / n }, taylor.mapValues { $0 / n })
    }

    /// |⟨∂L/∂W, W⟩| per component from the last backward pass.
    func componentTaylor() -> [Component: Double] {
        let c = config, D = c.dModel, H = c.nHeads, dh = c.dHead, HD3 = 3 * H * dh, M = c.dMLP
        let p = parameters.pointer, g = gradients.pointer
        var out: [Component: Double] = [:]
        for l in 0..<c.nLayers {
            let blk = layout.blocks[l]
            for h in 0..<H {
                var s = 0.0
                for d in 0..<D { for e in 0..<dh {
                    let i = blk.wqkv + d * HD3 + 2 * H * dh + h * dh + e
                    s += Double(g[i]) * Double(p[i])
                } }
                out[.head(layer: l, head: h)] = abs(s)
            }
            var s = 0.0
            for i in 0..<(M * D) { s += Double(g[blk.wout + i]) * Double(p[blk.wout + i]) }
            out[.mlp(layer: l)] = abs(s)
        }
        return out
    }

    /// The outcome of ablating each component in turn, under one metric.
    public struct CausalScores {
        public var metric: Metric = .accuracy
        /// The metric with nothing ablated (0 for KL).
        public var base: Double
        /// The metric with each component ablated.
        public var ablated: [Component: Double]
        /// The effect of each ablation, larger = more important: base − ablated for
        /// accuracy-like metrics (the paper's C_i for exact match), ablated − base for the
        /// loss and KL.
        public var scores: [Component: Double] {
            ablated.mapValues { metric.damage($0 - base) }
        }
        /// Per component, per sample: exact match under the ablation (for resampling).
        public var correct: [Component: [Bool]] = [:]
        public var baseCorrect: [Bool] = []
    }

    /// C: the effect on `batch` of replacing each component's output as `ablation` says
    /// (one forward pass per component), under `metric` (exact match by default, the
    /// paper's). `hookFor` builds the hook for a component (e.g. a defect-reproducing one);
    /// by default `ablationHook`.
    /// `sets` gives a component its own set to be ablated on (the public code scores every
    /// call on fresh samples); the base is always measured on `batch`.
    public func causalScores(_ batch: TokenBatch, ablation: Ablation, components: [Component]? = nil,
                             metric: Metric = .accuracy, sets: [Component: TokenBatch] = [:],
                             hookFor: ((Component) throws -> (Component, ComponentHook))? = nil,
                             shouldStop: () -> Bool = { false }) throws -> CausalScores {
        try causalScores(batch, ablation: ablation, components: components, metrics: [metric], sets: sets,
                         hookFor: hookFor, shouldStop: shouldStop)[0]
    }

    /// C under several metrics from the same passes (one forward pass per component).
    public func causalScores(_ batch: TokenBatch, ablation: Ablation, components: [Component]? = nil,
                             metrics: [Metric], sets: [Component: TokenBatch] = [:],
                             hookFor: ((Component) throws -> (Component, ComponentHook))? = nil,
                             shouldStop: () -> Bool = { false }) throws -> [CausalScores] {
        guard !metrics.isEmpty else { throw GCError("no metric to score by") }
        try Metric.check(metrics, [batch] + Array(sets.values))
        let kl = metrics.contains { $0.needsLogProbs }
        guard !kl || sets.isEmpty else { throw GCError("KL compares predictions on one set: it cannot use a set per component") }
        let comps = components ?? config.components
        // ablations on `batch` resume from the clean run at their layer (the same bits)
        let clean = try cleanRun(for: batch, logProbs: kl)
        let baseEval = clean.evaluation
        var results = metrics.map { m in
            CausalScores(metric: m, base: m.value(baseEval), ablated: [:], correct: [:], baseCorrect: baseEval.correct)
        }
        // one ablation at a time, each alone; with the native hooks (no `hookFor`, which may
        // call Lua) on `Parallelism.threads` threads: every thread's model copy has the same
        // parameters, so each resumes from the one clean run (read only)
        let evals: [Evaluation]
        if hookFor == nil {
            evals = try evaluations(clean, comps.map { [$0] }, ablation, logProbs: kl, shouldStop: shouldStop,
                                    elsewhere: { sets[$0[0]] })
        } else {
            evals = try comps.map { comp in
                if shouldStop() { throw GCError.interrupted }
                let hook = try hookFor!(comp)
                return try sets[comp].map { try evaluate($0, hooks: [hook], logProbs: kl) }
                    ?? evaluate(clean, hooks: [hook], logProbs: kl)
            }
        }
        for (comp, e) in zip(comps, evals) {
            for k in results.indices {
                let m = results[k].metric
                results[k].ablated[comp] = m.value(e, reference: baseEval)
                results[k].correct[comp] = e.correct
            }
        }
        return results
    }

    /// The effect of ablating a set of components together against their single effects:
    /// v3's super-additivity (layer-wise redundancy) test, with leave-one-out.
    public struct JointAblation {
        public var metric: Metric
        public var base: Double
        /// The effect of ablating all of `components` together (oriented as `CausalScores`).
        public var joint: Double
        /// Each member's effect alone.
        public var singles: [Component: Double]
        /// The effect of ablating all members but one, per left-out member.
        public var leaveOneOut: [Component: Double]
        /// Σ of the single effects.
        /// (Summed in component order: a dictionary's order changes from process to process.)
        public var sumOfSingles: Double { singles.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value } }
        /// joint / Σ singles: > 1 super-additive (redundant members); nil when Σ ≤ 0 (the
        /// members alone do no net damage, and a ratio would mean nothing).
        public var ratio: Double? { sumOfSingles > 0 ? joint / sumOfSingles : nil }
    }

    /// Per-parameter gradient magnitudes from raw ones: raw / √(entries of the matrix read),
    /// W_V[l,h] (d_model × d_head, or the whole W_V with `wholeWV`) or W_out[l].
    public func perParameter(_ raw: [Component: Double], wholeWV: Bool) -> [Component: Double] {
        let cfg = config
        return Dictionary(uniqueKeysWithValues: raw.map { comp, v -> (Component, Double) in
            let entries: Int
            if case .mlp = comp { entries = cfg.dMLP * cfg.dModel } else { entries = cfg.dModel * cfg.dHead * (wholeWV ? cfg.nHeads : 1) }
            return (comp, v / Double(entries).squareRoot())
        })
    }

    /// Effect of a hook set under `metric`, oriented so that larger = more damage.
    private func effect(_ clean: CleanRun, _ hooks: [(Component, ComponentHook)], metric: Metric,
                        base: Evaluation) throws -> Double {
        metric.effect(try evaluate(clean, hooks: hooks, logProbs: metric.needsLogProbs), base: base)
    }

    /// Ablates `components` together, each alone, and (with `leaveOneOut`) all but each one
    /// (1 + k + 1 passes, and k more for leave-one-out).
    public func jointAblation(_ batch: TokenBatch, ablation: Ablation, components: [Component], metric: Metric = .accuracy,
                              leaveOneOut: Bool = true,
                              shouldStop: () -> Bool = { false }) throws -> JointAblation {
        guard !components.isEmpty else { throw GCError("no components to ablate together") }
        guard Set(components).count == components.count else { throw GCError("a component is named twice") }
        try Metric.check([metric], [batch])
        let clean = try cleanRun(for: batch, logProbs: metric.needsLogProbs)
        let base = clean.evaluation
        // the passes: all together, each alone, and (leave-one-out) all but each; each alone,
        // on `Parallelism.threads` threads, resumed from the one clean run
        var groups: [[Int]] = [Array(components.indices)] + components.indices.map { [$0] }
        if leaveOneOut && components.count > 1 {
            groups += components.indices.map { i in components.indices.filter { $0 != i } }
        }
        let evals = try evaluations(clean, groups.map { $0.map { components[$0] } }, ablation, logProbs: metric.needsLogProbs,
                                    shouldStop: shouldStop)
        let effects = evals.map { metric.effect($0, base: base) }
        let joint = effects[0]
        var singles: [Component: Double] = [:], loo: [Component: Double] = [:]
        for (i, c) in components.enumerated() {
            singles[c] = effects[1 + i]
            if groups.count > 1 + components.count { loo[c] = effects[1 + components.count + i] }
        }
        return JointAblation(metric: metric, base: metric.value(base), joint: joint, singles: singles,
                             leaveOneOut: loo)
    }

    /// Evaluations of `batch` with each list of `lists` ablated (the components of a list
    /// together), and unablated (`base`): every list resumed from one clean run of `batch` on
    /// `Parallelism.threads` threads, and a list this run has evaluated before read back (the
    /// same bits as one full pass per list). A list of other hook points, or a model with
    /// hooks of its own, gets full passes, one at a time.
    public func evaluateAblations(_ batch: TokenBatch, lists: [[Component]], ablation: Ablation, logProbs: Bool = false,
                                  shouldStop: () -> Bool = { false }) throws -> (base: Evaluation, each: [Evaluation]) {
        let comps = lists.flatMap { $0 }
        guard lists.allSatisfy(mayResume), mayKeepCleanRun(of: batch) else {
            var each: [Evaluation] = []
            for list in lists {
                if shouldStop() { throw GCError.interrupted }
                each.append(try evaluate(batch, hooks: try list.map { ($0, try ablationHook($0, ablation)) }, logProbs: logProbs))
            }
            return (try evaluate(batch, logProbs: logProbs), each)
        }
        for c in comps { _ = try ablationHook(c, ablation) }   // (checks the components and means first)
        let clean = try cleanRun(for: batch, logProbs: logProbs)
        return (clean.evaluation, try evaluations(clean, lists, ablation, logProbs: logProbs, shouldStop: shouldStop))
    }

    /// The evaluations of `clean`'s batch with each of `lists` ablated (a list together), each
    /// resumed from the clean run, on `Parallelism.threads` threads (every thread's model copy
    /// has the same parameters and reads the one run); a list the run has evaluated before is
    /// read back, and the new ones are recorded. A list for which `elsewhere` gives a batch is
    /// evaluated on that batch instead, in a full pass (and not recorded).
    func evaluations(_ clean: CleanRun, _ lists: [[Component]], _ ablation: Ablation, logProbs: Bool,
                     shouldStop: () -> Bool, elsewhere: ([Component]) -> TokenBatch? = { _ in nil }) throws -> [Evaluation] {
        let keys = lists.map { elsewhere($0) == nil ? AblationKey($0, ablation, logProbs: logProbs) : nil }
        var each = keys.map { clean.evaluation(of: $0) }
        let todo = lists.indices.filter { each[$0] == nil }
        let computed = try Parallel.map(todo.count, model: self, shouldStop: shouldStop) { m, k in
            let list = lists[todo[k]]
            let hooks = try list.map { ($0, try m.ablationHook($0, ablation)) }
            return try elsewhere(list).map { try m.evaluate($0, hooks: hooks, logProbs: logProbs) }
                ?? m.evaluate(clean, hooks: hooks, logProbs: logProbs)
        }
        for (k, i) in todo.enumerated() { each[i] = computed[k]; clean.record(keys[i], computed[k]) }
        return each.map { $0! }
    }

    /// The pairwise interaction matrix: I[i][j] = effect(i and j together) − effect(i) −
    /// effect(j) for i ≠ j (0 on the diagonal), and each single effect (n + n(n−1)/2 passes).
    public func pairwiseInteractions(_ batch: TokenBatch, ablation: Ablation, components: [Component]? = nil,
                                     metric: Metric = .accuracy,
                                     shouldStop: () -> Bool = { false }) throws -> (singles: [Double], matrix: [[Double]]) {
        let comps = components ?? config.components
        try Metric.check([metric], [batch])
        let clean = try cleanRun(for: batch, logProbs: metric.needsLogProbs)
        let base = clean.evaluation
        let hooks = try comps.map { ($0, try ablationHook($0, ablation)) }
        var singles: [Double] = []
        for h in hooks {
            if shouldStop() { throw GCError.interrupted }
            singles.append(try effect(clean, [h], metric: metric, base: base))
        }
        var matrix = [[Double]](repeating: [Double](repeating: 0, count: comps.count), count: comps.count)
        for i in 0..<comps.count {
            for j in (i + 1)..<max(i + 1, comps.count) {
                if shouldStop() { throw GCError.interrupted }
                let v = try effect(clean, [hooks[i], hooks[j]], metric: metric, base: base) - singles[i] - singles[j]
                matrix[i][j] = v
                matrix[j][i] = v
            }
        }
        return (singles, matrix)
    }

    /// Activation patching: run the corrupted inputs (the clean rows with `corrupted`'s
    /// tokens up to SEP), patch one component's output from the clean run, and score what
    /// it recovers on the clean targets under `metric`: metric(patched) − metric(corrupted)
    /// (reversed for the loss; for KL, KL to the clean prediction, corrupted − patched),
    /// per component, with both baselines. Rows must have the same lengths.
    public func patchingScores(clean: TokenBatch, corrupted: TokenBatch, components: [Component]? = nil,
                               metric: Metric = .accuracy,
                               shouldStop: () -> Bool = { false }) throws -> (clean: Double, corrupted: Double, scores: [Component: Double]) {
        guard clean.rows.map(\.count) == corrupted.rows.map(\.count) else {
            throw GCError("activation patching needs clean and corrupted rows of the same lengths")
        }
        try Metric.check([metric], [clean])
        let comps = components ?? config.components
        let cleanOutputs = try componentOutputs(clean, components: comps)
        // the corrupted inputs, scored against the clean targets
        let mixed = try TokenBatch(rows: zip(clean.rows, corrupted.rows).map { c, x in
            guard let sep = c.firstIndex(of: clean.special.sep) else { return c }
            return Array(x[...sep]) + Array(c[(sep + 1)...])
        }, special: clean.special).contrasted(clean.contrast)
        let kl = metric.needsLogProbs
        let cleanEval = try evaluate(clean, logProbs: kl)
        let corruptEval = try evaluate(mixed, logProbs: kl)
        func value(_ e: Evaluation) -> Double {
            metric.value(e, reference: cleanEval)
        }
        let cleanValue = value(cleanEval), corruptValue = value(corruptEval)
        var scores: [Component: Double] = [:]
        for comp in comps {
            if shouldStop() { throw GCError.interrupted }
            let hook = try ablationHook(comp, .resample(cleanOutputs))
            let v = value(try evaluate(mixed, hooks: [(comp, hook)], logProbs: kl))
            scores[comp] = metric.recovery(patched: v, corrupted: corruptValue)
        }
        return (cleanValue, corruptValue, scores)
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
public func selectOODLength(_ model: Transformer, task: AlgorithmicTask, lengths: [Int],
                            range: ClosedRange<Double>, size: Int, seed: UInt64,
                            sets: ((Int) throws -> TokenBatch)? = nil) throws -> OODSelection {
    var tried: [(length: Int, accuracy: Double)] = []
    for n in lengths {
        let set = try sets?(n) ?? task.batch(size: size, lengths: n...n, seed: seed, stream: "ood-\(n)")
        // kept as a clean run (C's ablations resume from it), unless the model has hooks of
        // its own or the set is huge: the same evaluation either way
        let acc = try model.mayKeepCleanRun(of: set) ? model.cleanRun(for: set, logProbs: false).evaluation.accuracy : model.evaluate(set).accuracy
        tried.append((n, acc))
        if range.contains(acc) { return OODSelection(length: n, accuracies: tried, set: set) }
    }
    return OODSelection(length: nil, accuracies: tried, set: nil)
}
