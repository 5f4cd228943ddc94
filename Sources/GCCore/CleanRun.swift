import Foundation
/// One unablated pass, kept so that ablated passes over the same batch need not start from
/// the embedding: an ablation changes nothing below the first layer it touches, so each
/// ablated pass restores the clean activations of that layer and resumes there. The result
/// is the full pass's, bit for bit (the same operations on the same inputs); on the
/// protocol's 4-layer model a single ablation costs about half a pass on average.
///
/// A model keeps its two latest clean runs (`Transformer.cleanRun(for:logProbs:)`), each with
/// a copy of the parameters it was made with: later ablations of the same batch (C, then the
/// joint ablations, then pruning, which alternates between the OOD and the ID set) resume
/// from it while the parameters are still those, bit for bit.
final class CleanRun {
    let batch: TokenBatch
    let plan: Transformer.Plan
    let evaluation: Transformer.Evaluation
    let logProbs: Bool
    /// The parameters the run was made with.
    let parameters: [Float]
    /// Whether the model had hooks of its own then (their effect is in the run: such a run
    /// is never served again).
    let hooked: Bool
    /// Per layer: the residual stream entering it, after its attention, its heads' z and its
    /// MLP's output.
    private var resid: [[Float]] = [], residMid: [[Float]] = [], z: [[Float]] = [], mlpOut: [[Float]] = []
    /// Ablations already evaluated from this run, with what they replaced: a repeat (C's
    /// single ablations again in the joint ablations, a pruned pair a joint ablation also
    /// ran) is read back, the same bits. Written only by the thread that owns the model.
    private var done: [(key: AblationKey, evaluation: Transformer.Evaluation)] = []
    /// How many evaluations `done` holds at most.
    static let doneLimit = 256

    /// The evaluation of an ablation already run from this clean run.
    func evaluation(of key: AblationKey?) -> Transformer.Evaluation? {
        guard let key else { return nil }
        return done.first { $0.key == key }?.evaluation
    }

    /// Remembers an ablation's evaluation.
    func record(_ key: AblationKey?, _ e: Transformer.Evaluation) {
        guard let key, done.count < CleanRun.doneLimit, evaluation(of: key) == nil else { return }
        done.append((key, e))
    }

    init(_ model: Transformer, _ batch: TokenBatch, logProbs: Bool) throws {
        self.batch = batch
        self.logProbs = logProbs
        parameters = model.parameters.array(model.parameterCount)
        hooked = model.hookCount > 0
        plan = try model.targetPlan(batch)
        // every row of every layer: resumed passes may read any of them (the MLP outputs are
        // copied as they pass: hooks that only look change no bit)
        let L = model.config.nLayers
        var outs = [[Float]](repeating: [], count: L)
        let copyOut: ComponentHook = { o in
            if case .mlp(let l) = o.component { outs[l] = Array(UnsafeBufferPointer(start: o.values, count: o.tokens * o.dModel)) }
            return false
        }
        try model.forward(plan, hooks: (0..<L).map { (Component.mlp(layer: $0), copyOut) })
        mlpOut = outs
        evaluation = model.evaluation(plan, batch, logProbs: logProbs)
        let ws = model.ws, T = plan.seqs.tokens, D = model.config.dModel, HD = model.config.nHeads * model.config.dHead
        for l in 0..<model.config.nLayers {
            resid.append(ws.resid[l].array(T * D))
            residMid.append(ws.layers[l].residMid.array(T * D))
            z.append(ws.layers[l].z.array(T * HD))
        }
    }

    /// The outputs (tokens × width, as a hook sees them) of heads, MLPs and heads' z in this
    /// run: the head outputs by the product the forward pass makes for a hook on them, so
    /// the same bits; nil when a component is of another kind.
    func outputs(_ comps: [Component], _ model: Transformer) -> [Component: [Float]]? {
        let c = model.config, T = plan.seqs.tokens, D = c.dModel, dh = c.dHead, HD = c.nHeads * dh
        var out: [Component: [Float]] = [:]
        for comp in comps {
            switch comp {
            case .head(let l, let h):
                var v = [Float](repeating: 0, count: T * D)
                let wo = model.parameters.pointer + model.layout.blocks[l].wo + h * dh * D
                z[l].withUnsafeBufferPointer { zl in
                    v.withUnsafeMutableBufferPointer { BLAS.gemmNN(T, D, dh, zl.baseAddress! + h * dh, HD, wo, D, 0, $0.baseAddress!, D) }
                }
                out[comp] = v
            case .mlp(let l):
                out[comp] = mlpOut[l]
            case .headZ(let l, let h):
                var v = [Float](repeating: 0, count: T * dh)
                for t in 0..<T { for e in 0..<dh { v[t * dh + e] = z[l][t * HD + h * dh + e] } }
                out[comp] = v
            default:
                return nil
            }
        }
        return out
    }

    /// Writes back what a pass resumed in layer `l` reads.
    fileprivate func restore(_ ws: Workspace, layer l: Int, mlp: Bool) {
        func put(_ v: [Float], _ b: FloatBuffer) { v.withUnsafeBufferPointer { b.pointer.update(from: $0.baseAddress!, count: v.count) } }
        if mlp { put(residMid[l], ws.layers[l].residMid) } else { put(resid[l], ws.resid[l]); put(z[l], ws.layers[l].z) }
    }
}

/// What an ablation replaced, for `CleanRun`'s record: the components (in order) and the
/// values they were replaced by, compared value for value (zero and mean ablation only: a
/// resample ablation's outputs are not kept).
struct AblationKey: Equatable {
    let components: [Component]
    /// Per component, its mean (nil: zero ablation).
    let means: [[Float]]?
    let perPosition: Bool
    let positions: Int
    let logProbs: Bool

    init?(_ components: [Component], _ ablation: Ablation, logProbs: Bool) {
        let sorted = components.sorted()
        self.components = sorted
        self.logProbs = logProbs
        switch ablation {
        case .zero:
            means = nil; perPosition = false; positions = 0
        case .mean(let m):
            var values: [[Float]] = []
            for c in sorted { guard let v = m.values[c] else { return nil }; values.append(v) }
            means = values; perPosition = m.perPosition; positions = m.positions
        case .resample:
            return nil
        }
    }
}

extension Transformer {
    /// This model's clean run of `batch`: the one it keeps when it is of the same rows, has
    /// log-probabilities if asked for, and was made with the current parameters (compared
    /// value for value); else a new one, which the model keeps instead.
    func cleanRun(for batch: TokenBatch, logProbs: Bool) throws -> CleanRun {
        if let c = cleanRunKept(for: batch, logProbs: logProbs) { return c }
        let c = try CleanRun(self, batch, logProbs: logProbs)
        keptCleanRuns.removeAll { $0.batch.isSame(as: batch) }
        keptCleanRuns.insert(c, at: 0)
        if keptCleanRuns.count > Transformer.keptCleanRunCount { keptCleanRuns.removeLast() }
        return c
    }

    /// How many clean runs a model keeps.
    static let keptCleanRunCount = 2
    /// The largest batch (tokens) whose clean run an ablation keeps on its own initiative
    /// (`evaluateAblated`): a run holds three activations per layer and token.
    static let keptCleanRunTokens = 16384

    /// The one rule for when a clean run may stand in for a pass of this model: the model
    /// has no hooks of its own (their effect would be missing) and is not mid-pass.
    var mayUseCleanRun: Bool { hookCount == 0 && !inPass }

    /// Whether an intervention on `components` may resume from a clean run: the rule above,
    /// and every component is a head or an MLP (the outputs a run keeps per layer).
    func mayResume(_ components: [Component]) -> Bool {
        mayUseCleanRun && !components.isEmpty && components.allSatisfy(\.isScoredComponent)
    }

    /// Whether a clean run of `b` may be made and kept on an ablation's initiative: the
    /// rule above, and `b` is not huge.
    func mayKeepCleanRun(of b: TokenBatch) -> Bool {
        mayUseCleanRun && b.rows.reduce(0, { $0 + $1.count }) <= Transformer.keptCleanRunTokens
    }

    /// A kept clean run that fits `batch` and the current parameters, when it was made
    /// without hooks of the model's own and the model may use one now.
    func cleanRunKept(for batch: TokenBatch, logProbs: Bool) -> CleanRun? {
        guard mayUseCleanRun else { return nil }
        for c in keptCleanRuns where !c.hooked && (!logProbs || c.logProbs) && c.batch.isSame(as: batch)
            && c.parameters.count == parameterCount {
            let same = c.parameters.withUnsafeBytes { kept in
                memcmp(kept.baseAddress!, parameters.pointer, kept.count) == 0
            }
            if same { return c }
        }
        return nil
    }

    /// The evaluation of `b` with `ablations`, hooks that each replace their component's
    /// output (`ablationHook`): resumed from a clean run of `b`, the model's kept one when it
    /// fits `b` and the current parameters, else a new one that the model keeps (so that
    /// further ablations of `b` cost about half a pass each), when the ablations are of
    /// heads and MLPs and `b` is not huge; else a full pass. The same bits every way.
    /// (Hooks that only look, or replace only sometimes, need the full pass: use
    /// `evaluate(_:hooks:)`.)
    public func evaluateAblated(_ b: TokenBatch, ablations: [(Component, ComponentHook)], logProbs: Bool = false) throws -> Evaluation {
        if let clean = try cleanRunToAblate(b, ablations.map(\.0), logProbs: logProbs) {
            return try evaluate(clean, hooks: ablations, logProbs: logProbs)
        }
        return try evaluate(b, hooks: ablations, logProbs: logProbs)   // no ablations: its own shortcut
    }

    /// The evaluation of `b` with `components` ablated by `ablation`: as
    /// `evaluateAblated(_:ablations:)`, and an ablation this clean run has already evaluated
    /// is read back.
    public func evaluateAblated(_ b: TokenBatch, components: [Component], ablation: Ablation, logProbs: Bool = false) throws -> Evaluation {
        let hooks = try components.map { ($0, try ablationHook($0, ablation)) }
        guard let clean = try cleanRunToAblate(b, components, logProbs: logProbs) else {
            return try evaluate(b, hooks: hooks, logProbs: logProbs)
        }
        let key = AblationKey(components, ablation, logProbs: logProbs)
        if let e = clean.evaluation(of: key) { return e }
        let e = try evaluate(clean, hooks: hooks, logProbs: logProbs)
        clean.record(key, e)
        return e
    }

    /// The clean run an ablation of `components` on `b` resumes from: the kept one, or a new
    /// one (kept) when the ablations are of heads and MLPs, the model has no hooks of its
    /// own and `b` is not huge; nil when the ablation needs a full pass.
    private func cleanRunToAblate(_ b: TokenBatch, _ components: [Component], logProbs: Bool) throws -> CleanRun? {
        guard !components.isEmpty, mayUseCleanRun else { return nil }
        if let clean = cleanRunKept(for: b, logProbs: logProbs) { return clean }
        guard mayResume(components), mayKeepCleanRun(of: b) else { return nil }
        return try cleanRun(for: b, logProbs: logProbs)
    }

    /// The evaluation of `clean.batch` with `hooks`: resumed from the clean run when every
    /// hook replaces a head's or an MLP's output and no other hook is on the model, else a
    /// full pass.
    func evaluate(_ clean: CleanRun, hooks: [(Component, ComponentHook)], logProbs: Bool) throws -> Evaluation {
        guard mayResume(hooks.map(\.0)), let first = hooks.map(\.0.layer).min() else {
            return try evaluate(clean.batch, hooks: hooks, logProbs: logProbs)
        }
        let mlpOnly = hooks.filter { $0.0.layer == first }.allSatisfy { $0.0.isMLP }
        // the clean run may come from another model with the same parameters (a thread's
        // copy, whose workspace has not grown yet)
        let plan = clean.plan
        try ws.check(T: plan.seqs.tokens, R: plan.logitRows.count, patterns: plan.seqs.patternCount)
        ws.prepare(T: plan.seqs.tokens, R: plan.logitRows.count, patterns: plan.seqs.patternCount)
        clean.restore(ws, layer: first, mlp: mlpOnly)
        try forward(clean.plan, hooks: hooks, resume: (first, mlpOnly), lastRows: true)
        return evaluation(clean.plan, clean.batch, logProbs: logProbs)
    }
}
