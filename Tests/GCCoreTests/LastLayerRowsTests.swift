import Testing
@testable import GCCore

/// A pass that computes its last layer after the attention at the logit rows only gives the
/// bits of the pass over every row: logits, loss, and every gradient, in training (all
/// weights) and for G (the scored matrices), with and without hooks elsewhere; a hook that
/// reads the last layer's rows turns it off.
@Suite("The last layer at the logit rows only")
struct LastLayerRowsTests {
    func bits(_ xs: [Float]) -> [UInt32] { xs.map(\.bitPattern) }

    func models() throws -> [(String, Transformer, TokenBatch)] {
        let tiny = try randomModel(tinyConfig(positions: .learned), seed: 21)
        let tinyBatch = try AlgorithmicTask.sort().batch(size: 7, lengths: 2...6, seed: 4, stream: "rows")
        let full = try Transformer(config: ModelConfig(), seed: 22)
        let fullBatch = try AlgorithmicTask.reverse().batch(size: 64, lengths: 3...7, seed: 5, stream: "rows")
        return [("tiny", tiny, tinyBatch), ("protocol", full, fullBatch)]
    }

    @Test func logitsAndLossAreTheSameBits() throws {
        for (name, m, b) in try models() {
            let plan = try m.targetPlan(b)
            try m.forward(plan, lastRows: false)
            #expect(m.ws.cut == nil)
            let n = plan.logitRows.count * m.config.dVocab
            let everyRow = m.ws.logits.array(n)
            try m.forward(plan, lastRows: true)
            #expect(m.ws.cut == plan.logitRows, "\(name): the pass took the short route")
            #expect(bits(m.ws.logits.array(n)) == bits(everyRow), "\(name)")
        }
    }

    @Test(arguments: ["all", "scored"])
    func gradientsAreTheSameBits(scope: String) throws {
        let s: Transformer.GradientScope = scope == "all" ? .all : .scoredWeights
        for (name, m, b) in try models() {
            let e1 = try m.lossAndGradient(b, scope: s, lastRows: false)
            let g1 = m.gradients.array(m.parameterCount)
            let e2 = try m.lossAndGradient(b, scope: s, lastRows: true)
            #expect(m.ws.cut != nil)
            #expect(e1.loss == e2.loss && e1.correct == e2.correct, "\(name)")
            #expect(bits(m.gradients.array(m.parameterCount)) == bits(g1), "\(name) \(scope)")
        }
    }

    @Test func hooksBelowKeepItHooksOnTheLastLayerTurnItOff() throws {
        let m = try randomModel(tinyConfig(), seed: 23)
        let b = try AlgorithmicTask.reverse().batch(size: 5, lengths: 3...5, seed: 6, stream: "rows")
        let zero: ComponentHook = { out in out.values.update(repeating: 0, count: out.tokens * out.dModel); return true }
        let last = m.config.nLayers - 1
        // an ablation below the last layer: short route, same bits as the full one
        let below = [(Component.head(layer: 0, head: 1), zero)]
        let plan = try m.targetPlan(b)
        try m.forward(plan, hooks: below, lastRows: false)
        let n = plan.logitRows.count * m.config.dVocab, reference = m.ws.logits.array(n)
        try m.forward(plan, hooks: below, lastRows: true)
        #expect(m.ws.cut != nil && bits(m.ws.logits.array(n)) == bits(reference))
        // hooks that read or replace the last layer's rows get every row
        for comp in [Component.mlp(layer: last), .head(layer: last, head: 0), .attention(layer: last),
                     .site(.residPost, layer: last, head: -1), .site(.lnFinal, layer: Int.max, head: -1),
                     .site(.mlpPre, layer: last, head: -1)] {
            var seen = 0
            _ = try m.evaluate(b, hooks: [(comp, { out in seen = out.tokens; return false })])
            #expect(m.ws.cut == nil && seen == plan.seqs.tokens, "\(comp)")
        }
        // hooks before the cut in the last layer keep it
        for comp in [Component.headZ(layer: last, head: 1), .site(.v, layer: last, head: 0), .site(.residPre, layer: last, head: -1)] {
            _ = try m.evaluate(b, hooks: [(comp, { _ in false })])
            #expect(m.ws.cut != nil, "\(comp)")
        }
        // logits at every position (a padded batch) never cut
        _ = try m.logits(b)
        #expect(m.ws.cut == nil)
    }
}
