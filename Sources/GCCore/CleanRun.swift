/// One unablated pass, kept so that ablated passes over the same batch need not start from
/// the embedding: an ablation changes nothing below the first layer it touches, so each
/// ablated pass restores the clean activations of that layer and resumes there. The result
/// is the full pass's, bit for bit (the same operations on the same inputs); on the
/// protocol's 4-layer model a single ablation costs about half a pass on average.
final class CleanRun {
    let batch: TokenBatch
    let plan: Transformer.Plan
    let evaluation: Transformer.Evaluation
    /// Per layer: the residual stream entering it, after its attention, and its heads' z.
    private var resid: [[Float]] = [], residMid: [[Float]] = [], z: [[Float]] = []

    init(_ model: Transformer, _ batch: TokenBatch, logProbs: Bool) throws {
        self.batch = batch
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
    /// The evaluation of `clean.batch` with `hooks`: resumed from the clean run when every
    /// hook replaces a head's or an MLP's output and no other hook is on the model, else a
    /// full pass.
    func evaluate(_ clean: CleanRun, hooks: [(Component, ComponentHook)], logProbs: Bool) throws -> Evaluation {
        guard hookCount == 0, let first = hooks.map(\.0.layer).min(), hooks.allSatisfy({ $0.0.isScoredComponent }) else {
            return try evaluate(clean.batch, hooks: hooks, logProbs: logProbs)
        }
        let mlpOnly = hooks.filter { $0.0.layer == first }.allSatisfy { $0.0.isMLP }
        clean.restore(ws, layer: first, mlp: mlpOnly)
        try forward(clean.plan, hooks: hooks, resume: (first, mlpOnly), lastRows: true)
        return evaluation(clean.plan, clean.batch, logProbs: logProbs)
    }
}
