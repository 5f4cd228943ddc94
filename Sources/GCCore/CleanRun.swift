import Foundation
/// One unablated pass, kept so that ablated passes over the same batch need not start from
/// the embedding: an ablation changes nothing below the first layer it touches, so each
/// ablated pass restores the clean activations of that layer and resumes there. The result
/// is the full pass's, bit for bit (the same operations on the same inputs); on the
/// protocol's 4-layer model a single ablation costs about half a pass on average.
///
/// A model keeps its latest clean run (`Transformer.cleanRun(for:logProbs:)`) with a copy of
/// the parameters it was made with: later ablations of the same batch (C, then the joint
/// ablations, then pruning) resume from it while the parameters are still those, bit for bit.
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
    /// Per layer: the residual stream entering it, after its attention, and its heads' z.
    private var resid: [[Float]] = [], residMid: [[Float]] = [], z: [[Float]] = []

    init(_ model: Transformer, _ batch: TokenBatch, logProbs: Bool) throws {
        self.batch = batch
        self.logProbs = logProbs
        parameters = model.parameters.array(model.parameterCount)
        hooked = model.hookCount > 0
        plan = try model.targetPlan(batch)
        try model.forward(plan)   // every row of every layer: resumed passes may read any of them
        evaluation = model.evaluation(plan, batch, logProbs: logProbs)
        let ws = model.ws, T = plan.seqs.tokens, D = model.config.dModel, HD = model.config.nHeads * model.config.dHead
        for l in 0..<model.config.nLayers {
            resid.append(ws.resid[l].array(T * D))
            residMid.append(ws.layers[l].residMid.array(T * D))
            z.append(ws.layers[l].z.array(T * HD))
        }
    }

    /// Writes back what a pass resumed in layer `l` reads.
    fileprivate func restore(_ ws: Workspace, layer l: Int, mlp: Bool) {
        func put(_ v: [Float], _ b: FloatBuffer) { v.withUnsafeBufferPointer { b.pointer.update(from: $0.baseAddress!, count: v.count) } }
        if mlp { put(residMid[l], ws.layers[l].residMid) } else { put(resid[l], ws.resid[l]); put(z[l], ws.layers[l].z) }
    }
}

extension Transformer {
    /// This model's clean run of `batch`: the one it keeps when it is of the same rows, has
    /// log-probabilities if asked for, and was made with the current parameters (compared
    /// value for value); else a new one, which the model keeps instead.
    func cleanRun(for batch: TokenBatch, logProbs: Bool) throws -> CleanRun {
        if let c = cleanRunKept(for: batch, logProbs: logProbs) { return c }
        let c = try CleanRun(self, batch, logProbs: logProbs)
        keptCleanRun = c
        return c
    }

    /// The kept clean run, when it fits `batch` and the current parameters, and neither it
    /// nor the model now has hooks of the model's own.
    func cleanRunKept(for batch: TokenBatch, logProbs: Bool) -> CleanRun? {
        guard let c = keptCleanRun, !c.hooked, hookCount == 0, !logProbs || c.logProbs, c.batch.rows == batch.rows,
              c.batch.special == batch.special, c.parameters.count == parameterCount else { return nil }
        let same = c.parameters.withUnsafeBytes { kept in
            memcmp(kept.baseAddress!, parameters.pointer, kept.count) == 0
        }
        return same ? c : nil
    }

    /// The evaluation of `b` with `ablations`, hooks that each replace their component's
    /// output (`ablationHook`): resumed from the model's kept clean run when it fits `b` and
    /// the current parameters, else a full pass. The same bits either way. (Hooks that only
    /// look, or replace only sometimes, need the full pass: use `evaluate(_:hooks:)`.)
    public func evaluateAblated(_ b: TokenBatch, ablations: [(Component, ComponentHook)], logProbs: Bool = false) throws -> Evaluation {
        if !ablations.isEmpty, !inPass, let clean = cleanRunKept(for: b, logProbs: logProbs) {
            return try evaluate(clean, hooks: ablations, logProbs: logProbs)
        }
        return try evaluate(b, hooks: ablations, logProbs: logProbs)   // no ablations: its own shortcut
    }

    /// The evaluation of `clean.batch` with `hooks`: resumed from the clean run when every
    /// hook replaces a head's or an MLP's output and no other hook is on the model, else a
    /// full pass.
    func evaluate(_ clean: CleanRun, hooks: [(Component, ComponentHook)], logProbs: Bool) throws -> Evaluation {
        guard hookCount == 0, let first = hooks.map(\.0.layer).min(), hooks.allSatisfy({ $0.0.isScoredComponent }) else {
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
