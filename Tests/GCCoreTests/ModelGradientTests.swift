import Testing
@testable import GCCore

@Suite("The whole model's gradient matches finite differences")
struct ModelGradientTests {
    func batch() throws -> TokenBatch {
        try TokenBatch(rows: [[101, 5, 9, 2, 102, 2, 9, 5, 103], [101, 7, 1, 102, 1, 7, 103], [101, 3, 102, 3, 103]])
    }

    /// Compares every parameter tensor's gradient with central differences of the loss
    /// (up to 12 entries per tensor, chosen by seed).
    func checkModel(_ m: Transformer, hooks: [(Component, ComponentHook)] = [], step h: Float = 1e-2) throws {
        let b = try batch()
        try m.lossAndGradient(b, hooks: hooks)
        var rng = Rng(seed: 99)
        for name in m.tensorNames {
            if name == "pos_embed.W_pos" && m.config.positions == .none { continue }
            let g = try m.gradient(named: name)
            var t = try m.tensor(named: name)
            let picks = t.count <= 12 ? Array(0..<t.count) : (0..<12).map { _ in rng.below(t.count) }
            var analytic: [Float] = [], numeric: [Float] = []
            for i in picks {
                let keep = t.data[i]
                t.data[i] = keep + h; try m.setTensor(named: name, t)
                let up = try m.evaluate(b, hooks: hooks).loss
                t.data[i] = keep - h; try m.setTensor(named: name, t)
                let down = try m.evaluate(b, hooks: hooks).loss
                t.data[i] = keep; try m.setTensor(named: name, t)
                analytic.append(g.data[i]); numeric.append(Float((up - down) / Double(2 * h)))
            }
            let c = closeness(analytic, numeric, rtol: 3e-2, atol: 2e-3)
            #expect(c <= 1, "\(name): analytic \(analytic) numeric \(numeric)")
        }
    }

    @Test func geluNoPositions() throws { try checkModel(try randomModel(tinyConfig(), seed: 7)) }
    @Test func learnedPositions() throws { try checkModel(try randomModel(tinyConfig(positions: .learned), seed: 8)) }
    /// ReLU: a smaller step, so that no difference straddles the kink.
    @Test func relu() throws { try checkModel(try randomModel(tinyConfig(activation: .relu), seed: 9), step: 1e-3) }

    /// With a head and an MLP replaced by constants, the gradient is that of the ablated
    /// model (the replaced outputs are constants).
    @Test func withAblatedComponents() throws {
        let m = try randomModel(tinyConfig(), seed: 10)
        let mean: Float = 0.3
        let fill: ComponentHook = { out in
            for i in 0..<(out.tokens * out.dModel) { out.values[i] = mean }
            return true
        }
        try checkModel(m, hooks: [(.head(layer: 1, head: 0), fill), (.mlp(layer: 0), fill)])
    }

    /// The same with a head's z_h and a whole attention output replaced.
    @Test func withReplacedZAndAttentionOutput() throws {
        let m = try randomModel(tinyConfig(), seed: 12)
        let fill: ComponentHook = { out in
            for i in 0..<(out.tokens * out.dModel) { out.values[i] = 0.2 }
            return true
        }
        try checkModel(m, hooks: [(.headZ(layer: 0, head: 1), fill), (.attention(layer: 1), fill)])
    }

    /// Padding never changes an earlier position's logits (causal mask).
    @Test func paddingDoesNotLeakBackwards() throws {
        let m = try randomModel(tinyConfig(), seed: 11)
        let b = try batch()
        let padded = try m.logits(b)
        let alone = try m.logits(try TokenBatch(rows: [b.rows[2]]))
        let n = b.rows[2].count - 1, V = m.config.dVocab, L = b.maxInputLength
        let fromPadded = Array(padded.data[(2 * L * V)..<(2 * L * V + n * V)])
        #expect(closeness(fromPadded, alone.data, rtol: 1e-5, atol: 1e-6) <= 1)
    }
}
